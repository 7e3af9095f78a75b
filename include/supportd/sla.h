/* SPDX-License-Identifier: MIT */
/*
 * sla.h - business calendars (SPEC §5, §14.1): working days, hours,
 * holidays in a time zone from the system's tz database (GLib
 * GTimeZone), and durations added on the wall clock or in business time.
 * Pure: no I/O, no global state; the calendars are built per
 * configuration.
 *
 * A working day is one interval [open, close) starting on its local
 * date; hours that cross midnight end on the next date, and a 24x7
 * calendar (always) is in hours at every instant.  Local times a DST
 * change skips or repeats are resolved by GLib.
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

/* Every calendar a configuration names ("business" and calendars), built
 * once; caller owns.  NULL with err when one cannot be. */
struct sd_calendars;
struct sd_calendars *sla_calendars_new(const struct sd_conf *c,
	    struct sd_err *err);
void	sla_calendars_free(struct sd_calendars **cals);
/* The calendar named name; "business" for NULL or a name not known
 * (a calendar removed from the config).  Borrowed. */
const struct sd_calendar *sla_calendars_get(const struct sd_calendars *cals,
	    const char *name);

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
/* Business seconds in [a, b). */
int64_t	sla_business_between(const struct sd_calendar *cal, sd_time a,
	    sd_time b);
/*
 * How long a ticket's clocks stood still (SPEC §14.4): wall seconds, and
 * business seconds of its calendar.  sla_add_paused is sla_add on a
 * clock that stood that long: d's own kind says which (a "bd" counts in
 * business time).  pz NULL: sla_add.
 */
struct sla_pause {
	int64_t	 wall;
	int64_t	 bh;
};
sd_time	sla_add_paused(const struct sd_calendar *cal, sd_time start,
	    const struct sd_dur *d, const struct sla_pause *pz);
/* start + pct % of d on d's clock (a "bd" as business hours), the
 * clock having stood still pz (may be NULL): when a target warns.
 * 0 for "none". */
sd_time	sla_add_part(const struct sd_calendar *cal, sd_time start,
	    const struct sd_dur *d, int pct, const struct sla_pause *pz);
/* t in the calendar's zone for people: "Mon 23 Nov 2026 17:00 IST".
 * Caller owns. */
char	*sla_format(const struct sd_calendar *cal, sd_time t);
/* The hours for people: "Mon, Tue, Wed, Thu, Fri, 10:00-18:00
 * (Asia/Kolkata)"; caller owns.  sla_hours_text: the calendar's, made
 * once (borrowed). */
char	*sla_hours_describe(const struct sd_conf_calendar *c);
const char *sla_hours_text(const struct sd_calendar *cal);

/*
 * When the clock of a ticket of tier and priority p created at created
 * starts (SPEC §14.2): then, in hours or when it may wake on-call
 * (sla_wakes); else at the ticket calendar's next opening, as nobody
 * works on it before.
 */
sd_time	sla_clock_start(const struct sd_conf *c, const struct sd_calendar *cal,
	    const char *tier, bool known_org, int p, sd_time created);
/* Whether such a ticket may wake people after hours (SPEC §14.7): its
 * tier pages for p, and its sender is of a known organization unless
 * oncall.page_unknown_senders. */
bool	sla_wakes(const struct sd_conf *c, const char *tier, bool known_org,
	    int p);
/*
 * Due times of a ticket of tier (unknown: "default") and priority p
 * whose clock started at start; 0 where the tier sets no target (best
 * effort).  The resolution's clock stood still pz (may be NULL); the
 * first response is owed however the ticket waits.
 */
void	sla_due_times(const struct sd_conf *c, const struct sd_calendar *cal,
	    const char *tier, int p, sd_time start, const struct sla_pause *pz,
	    sd_time *response_r, sd_time *resolution_r);
/* When a ticket of priority p whose clock started at start escalates to
 * level (2 to SD_MAXLEVEL): after level - 1 escalation windows on the
 * priority's clock, or in business time when it may not wake people
 * (!wakes), the clock having stood still pz (may be NULL).  0 when it
 * never does ("none"). */
sd_time	sla_escalation_at(const struct sd_conf *c, const struct sd_calendar *cal,
	    int p, sd_time start, int level, bool wakes,
	    const struct sla_pause *pz);
/*
 * SPEC §14.6: the outcome of a target due at due (0: none) of an SLA
 * period that ended at ended, met at met_at (0: not): "met" or
 * "breached" as met_at and due say; "breached" when it fell due before
 * the end; else "met-by-downgrade" when the end was a downgrade that
 * meets it, or "open" (cut short); "none" without a target.
 */
const char *sla_outcome(sd_time due, sd_time met_at, sd_time ended,
	    bool downgrade);
/* The template that acknowledges a new ticket (SPEC §6, §3.8, §14.2):
 * after hours, ack-c1-after-hours when it may wake on-call (oncall:
 * sla_wakes), else ack-after-hours. */
const char *sla_ack_template(int p, bool after_hours, bool oncall,
	    bool followup);

#endif
