/* SPDX-License-Identifier: MIT */
/*
 * sla.c - SLA decisions on plain data (SPEC §5-§7, §14): when a
 * ticket's clock starts, its due times, when each escalation level falls
 * due, whom it may wake, and which acknowledgement a new ticket gets.  Pure; the daemon and supportctl call the same code.
 */
#include <string.h>

#include "supportd/sla.h"

sd_time
sla_clock_start(const struct sd_conf *c, const struct sd_calendar *cal,
    const char *tier, bool known_org, int p, sd_time created)
{
	return sla_wakes(c, tier, known_org, p) ? created :
	    sla_next_open(cal, created);
}

bool
sla_wakes(const struct sd_conf *c, const char *tier, bool known_org,
    int p)
{
	return conf_tier_oncall(c, tier, p) &&
	    (known_org || c->oncall_page_unknown_senders);
}

void
sla_due_times(const struct sd_conf *c, const struct sd_calendar *cal,
    const char *tier, int p, sd_time created, const struct sla_pause *pz,
    sd_time *response_r, sd_time *resolution_r)
{
	const struct sd_conf_tier *t = conf_tier_or_default(c, tier);

	*response_r = t ? sla_add(cal, created, &t->response[p]) : 0;
	*resolution_r = t ? sla_add_paused(cal, created, &t->resolution[p],
	    pz) : 0;
}

sd_time
sla_escalation_at(const struct sd_conf *c, const struct sd_calendar *cal,
    int p, sd_time created, int level, bool wakes,
    const struct sla_pause *pz)
{
	const struct sd_conf_priority	*pr = &c->priorities[p];
	struct sd_dur			 d = pr->escalation_window;

	if (level < 2 || level > SD_MAXLEVEL || d.kind == SD_DUR_NONE)
		return 0;
	/* Level 2 after one window, level 3 after two, ... */
	d.n *= level - 1;
	/* "1h" on a business clock is one business hour (conf.h); one who
	 * may wake nobody escalates in business time only (SPEC §14.7). */
	if ((pr->clock == SD_CLOCK_BUSINESS || !wakes) && d.kind == SD_DUR_WALL)
		d.kind = SD_DUR_BH;
	return sla_add_paused(cal, created, &d, pz);
}

const char *
sla_outcome(sd_time due, sd_time met_at, sd_time ended, bool downgrade)
{
	if (due == 0)
		return "none";
	if (met_at != 0 && met_at <= ended)
		return met_at <= due ? "met" : "breached";
	if (due < ended)
		return "breached";
	return downgrade ? "met-by-downgrade" : "open";
}

const char *
sla_ack_template(int p, bool after_hours, bool oncall, bool followup)
{
	if (followup)
		return "ack-followup";
	if (after_hours)
		return oncall ? "ack-c1-after-hours" : "ack-after-hours";
	return p == SD_PRIO_TOP ? "ack-c1" : "ack";
}
