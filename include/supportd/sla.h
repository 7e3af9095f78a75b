/* SPDX-License-Identifier: MIT */
/*
 * sla.h - the business calendar (SPEC §5): working days, hours, holidays
 * in a time zone from the system's tz database (GLib GTimeZone), and
 * durations added on the wall clock or in business time.  Pure: no I/O,
 * no global state; one calendar is built per configuration.
 *
 * Hours that cross midnight are rejected by the configuration (open must
 * be before close), so a business day is one interval [open, close) of
 * one local date; DST changes happen outside it in every real zone, and
 * when they do not, GLib resolves the local times.
 */
#ifndef SUPPORTD_SLA_H
#define SUPPORTD_SLA_H

#include <stdbool.h>

#include "supportd/conf.h"
#include "supportd/err.h"

struct sd_calendar;

/* Caller owns; sla_calendar_free.  NULL with err on an unknown zone. */
struct sd_calendar *sla_calendar_new(const struct sd_conf_calendar *c,
	    struct sd_err *err);
void	sla_calendar_free(struct sd_calendar **cal);

/* Whether t falls inside business hours (open inclusive, close not). */
bool	sla_in_hours(const struct sd_calendar *cal, sd_time t);
/* t itself when in business hours, else the next opening after t. */
sd_time	sla_next_open(const struct sd_calendar *cal, sd_time t);
/*
 * start + d: "30m" "2h" "3d" on the wall clock; "4bh" counting only
 * business time; "1bd" as that many working days of business time (one
 * day = close - open).  A deadline that lands exactly on a closing time
 * stays there (Saturday + 1bd is Monday 18:00, not Tuesday 10:00).
 * SD_DUR_NONE gives 0 (no deadline).
 */
sd_time	sla_add(const struct sd_calendar *cal, sd_time start,
	    const struct sd_dur *d);
/* t in the calendar's zone for people: "Mon 23 Nov 2026 17:00 IST".
 * Caller owns. */
char	*sla_format(const struct sd_calendar *cal, sd_time t);
/* The hours for people: "Mon, Tue, Wed, Thu, Fri, 10:00-18:00
 * (Asia/Kolkata)"; caller owns.  sla_hours_text: the calendar's, made
 * once (borrowed). */
char	*sla_hours_describe(const struct sd_conf_calendar *c);
const char *sla_hours_text(const struct sd_calendar *cal);

/*
 * Due times of a ticket of tier (unknown: "default") and priority p
 * created at created; 0 where the tier sets no target (best effort).
 */
void	sla_due_times(const struct sd_conf *c, const struct sd_calendar *cal,
	    const char *tier, enum sd_prio p, sd_time created,
	    sd_time *response_r, sd_time *resolution_r);
/* When a ticket of priority p created at created escalates to level (2
 * or 3): after level - 1 escalation windows on the priority's clock.
 * 0 when it never does. */
sd_time	sla_escalation_at(const struct sd_conf *c, const struct sd_calendar *cal,
	    enum sd_prio p, sd_time created, int level);
/* The template that acknowledges a new ticket (SPEC §6, §3.8). */
const char *sla_ack_template(enum sd_prio p, bool after_hours, bool followup);

#endif
