/* SPDX-License-Identifier: MIT */
/*
 * sla.c - SLA decisions on plain data (SPEC §5-§7): due times of a new
 * ticket, when each escalation level falls due, and which acknowledgement
 * a new ticket gets.  Pure; the daemon and supportctl call the same code.
 */
#include <string.h>

#include "supportd/sla.h"

void
sla_due_times(const struct sd_conf *c, const struct sd_calendar *cal,
    const char *tier, enum sd_prio p, sd_time created, sd_time *response_r,
    sd_time *resolution_r)
{
	const struct sd_conf_tier *t = conf_tier(c, tier);

	if (t == NULL)
		t = conf_tier(c, "default");
	*response_r = t ? sla_add(cal, created, &t->response[p]) : 0;
	*resolution_r = t ? sla_add(cal, created, &t->resolution[p]) : 0;
}

sd_time
sla_escalation_at(const struct sd_conf *c, const struct sd_calendar *cal,
    enum sd_prio p, sd_time created, int level)
{
	const struct sd_conf_priority	*pr = &c->priorities[p];
	struct sd_dur			 d = pr->escalation_window;

	if (level < 2 || level > 3 || d.kind == SD_DUR_NONE)
		return 0;
	/* Level 2 after one window, level 3 after two. */
	d.n *= level - 1;
	/* "1h" on a business clock is one business hour (conf.h). */
	if (pr->clock == SD_CLOCK_BUSINESS && d.kind == SD_DUR_WALL)
		d.kind = SD_DUR_BH;
	return sla_add(cal, created, &d);
}

const char *
sla_ack_template(enum sd_prio p, bool after_hours, bool followup)
{
	if (followup)
		return "ack-followup";
	if (p == SD_C1)
		return after_hours ? "ack-c1-after-hours" : "ack-c1";
	return after_hours ? "ack-after-hours" : "ack";
}
