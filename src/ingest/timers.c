/* SPDX-License-Identifier: MIT */
/*
 * timers.c - time-driven work (SPEC §4, §7): escalation up the matrix,
 * C1 update reminders, auto-close of resolved tickets, and the status
 * and priority changes that start and stop those clocks.
 *
 * Each timer is a row (store.h); firing one runs in a single transaction
 * with its mail, events and the next timer, so a crash before the commit
 * fires it again and one after it never does.  supportd's loop and
 * `supportctl tick` call the same ingest_tick().
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/log.h"
#include "supportd/metrics.h"

#define T_ESCALATE	"escalate"
#define T_REMINDER	"c1-reminder"
#define T_AUTOCLOSE	"auto-close"
#define T_DUE		"due"
#define T_RESPONSE	"sla-response"
#define T_RESOLUTION	"sla-resolution"
/* Timers fired per tick at most, so intake and sending are not starved. */
#define TICK_MAX	1000
#define TICK_BATCH	100	/* timers per transaction */

static char	*due_text(const struct sd_ingest *in, const struct sd_ticket *t,
		    sd_time when);

static bool
is_done(enum sd_status status)
{
	return status == SD_ST_RESOLVED || status == SD_ST_CLOSED;
}

static const struct sd_conf_mailbox *
mailbox_of(const struct sd_conf *c, const struct sd_ticket *t)
{
	const struct sd_conf_mailbox *mb = conf_mailbox(c, t->mailbox);

	/* A mailbox removed from the config: answer from the first one. */
	return mb != NULL ? mb : &c->mailboxes[0];
}

const struct sd_calendar *
ingest_calendar(const struct sd_ingest *in, const struct sd_ticket *t)
{
	return sla_calendars_get(in->calendars, conf_ticket_calendar(in->conf,
	    t->organization, t->tier));
}

int
ingest_prio(const struct sd_ingest *in, const struct sd_ticket *t)
{
	return conf_prio_of(in->conf, t->priority);
}

sd_time
ingest_clock_start(const struct sd_ingest *in, const struct sd_ticket *t)
{
	return sla_clock_start(in->conf, ingest_calendar(in, t), t->tier,
	    t->organization != NULL, ingest_prio(in, t), t->created_at);
}

/* Where the current SLA period's due times count from (SPEC §14.6): the
 * last priority change, else the clock's start. */
static sd_time
period_start(const struct sd_ingest *in, const struct sd_ticket *t)
{
	return t->period_start != 0 ? t->period_start :
	    ingest_clock_start(in, t);
}

bool
ingest_wakes(const struct sd_ingest *in, const struct sd_ticket *t)
{
	return sla_wakes(in->conf, t->tier, t->organization != NULL,
	    ingest_prio(in, t));
}

/*
 * Outside its calendar's hours, a ticket that may wake nobody tells
 * people nothing (SPEC §14.7): when it may, or 0 for now.  A timer due
 * in hours, or right at closing (business time ends there), fires though
 * the tick that finds it comes after closing.
 */
static sd_time
silent_until(const struct sd_ingest *in, const struct sd_ticket *t,
    sd_time due, sd_time now)
{
	const struct sd_calendar *cal = ingest_calendar(in, t);

	if (ingest_wakes(in, t) || sla_in_hours(cal, now) ||
	    sla_in_hours(cal, due) || sla_in_hours(cal, due - 1))
		return 0;
	return sla_next_open(cal, now);
}

/* How long the ticket's clocks stood still. */
static const struct sla_pause *
pause_of(const struct sd_ticket *t, struct sla_pause *pz)
{
	pz->wall = t->paused_wall;
	pz->bh = t->paused_bh;
	return pz;
}

/* The next escalation step after the ticket's current level, up to its
 * tier's top (SPEC §14.4); none while its clock stands still. */
static int
schedule_escalation(const struct sd_ingest *in, const struct sd_ticket *t,
    struct sd_err *err)
{
	struct sla_pause pz;
	int	next = t->escalation_level + 1;
	sd_time	at;

	at = next > conf_escalation_top(in->conf, t->tier) ||
	    t->paused_at != 0 ? 0 : sla_escalation_at(in->conf,
	    ingest_calendar(in, t), ingest_prio(in, t),
	    ingest_clock_start(in, t), next, ingest_wakes(in, t),
	    pause_of(t, &pz));
	if (at == 0)
		return store_timer_delete(in->store, t->id, T_ESCALATE, err);
	return store_timer_set(in->store, t->id, T_ESCALATE, at, next, err);
}

/* The update target of t (SPEC §14.5), in business time for a ticket
 * that may wake nobody; kind SD_DUR_NONE when it has none. */
static struct sd_dur
update_target(const struct sd_ingest *in, const struct sd_ticket *t)
{
	const struct sd_conf_tier	*tier = conf_tier_or_default(in->conf,
					    t->tier);
	struct sd_dur			 d = { SD_DUR_NONE, 0 };

	/* Waiting on the customer, nobody owes him news. */
	if (tier != NULL && t->paused_at == 0)
		d = tier->update[ingest_prio(in, t)];
	if (d.kind == SD_DUR_WALL && !ingest_wakes(in, t))
		d.kind = SD_DUR_BH;
	return d;
}

/* The update target d (update_target) after from. */
static sd_time
interval_after(const struct sd_ingest *in, const struct sd_ticket *t,
    const struct sd_dur *d, sd_time from)
{
	return sla_add(ingest_calendar(in, t), from, d);
}

/* Since when the customer has heard nothing: the last agent mail, or
 * the clock's start. */
static sd_time
silent_since(const struct sd_ingest *in, const struct sd_ticket *t)
{
	sd_time start = ingest_clock_start(in, t);

	if (t->resumed_at > start)	/* he answered: news owed from then */
		start = t->resumed_at;
	return t->last_agent_at > start ? t->last_agent_at : start;
}

/* The warning of the update target d in the silence since from, or 0. */
static sd_time
update_warn_at(const struct sd_ingest *in, const struct sd_ticket *t,
    const struct sd_dur *d, sd_time from)
{
	return in->conf->warn_at > 0 ? sla_add_part(ingest_calendar(in, t),
	    from, d, in->conf->warn_at, NULL) : 0;
}

/* The update target's timer: its warning, then its breach, which is the
 * first reminder; later reminders one target apart. */
static int
schedule_reminder(const struct sd_ingest *in, const struct sd_ticket *t,
    sd_time now, struct sd_err *err)
{
	struct sd_dur	d = update_target(in, t);
	sd_time		from, warn, at;

	if (d.kind == SD_DUR_NONE || is_done(t->status))
		return store_timer_delete(in->store, t->id, T_REMINDER, err);
	from = silent_since(in, t);
	warn = update_warn_at(in, t, &d, from);
	at = interval_after(in, t, &d, from);
	if (warn > now && warn < at)
		at = warn;
	return store_timer_set(in->store, t->id, T_REMINDER,
	    at > now ? at : interval_after(in, t, &d, now), 0, err);
}

/*
 * SPEC §14.5: the response and resolution targets.  *due_r is when
 * the target falls due and *warn_r when it warns (0: no warning); false
 * when the ticket has no such target, or it is met (an agent's
 * response; resolved), or its clock stands still.
 */
static bool
target_times(const struct sd_ingest *in, const struct sd_ticket *t,
    bool resolution, sd_time *warn_r, sd_time *due_r)
{
	const struct sd_conf		*c = in->conf;
	const struct sd_conf_tier	*tier = conf_tier_or_default(c, t->tier);
	const struct sd_dur		*d;
	struct sla_pause		 pz;
	sd_time				 start = period_start(in, t);
	int				 p = ingest_prio(in, t);

	*warn_r = *due_r = 0;
	if (tier == NULL || is_done(t->status))
		return false;
	if (!resolution) {
		if (t->agent_response_at != 0 || t->response_due == 0)
			return false;
		d = &tier->response[p];
		*due_r = t->response_due;
	} else {
		if (t->paused_at != 0 || t->resolution_due == 0)
			return false;
		d = &tier->resolution[p];
		*due_r = t->resolution_due;
		/* An agent's date is his promise (fire_due); the target is
		 * the contract's. */
		if (t->due_by_agent && (*due_r = sla_add_paused(
		    ingest_calendar(in, t), start, d, pause_of(t, &pz))) == 0)
			return false;
	}
	if (c->warn_at == 0)
		return true;
	if (d->kind == SD_DUR_NONE)
		*warn_r = start + (*due_r - start) * c->warn_at / 100;
	else
		*warn_r = sla_add_part(ingest_calendar(in, t), start, d,
		    c->warn_at, resolution ? pause_of(t, &pz) : NULL);
	if (*warn_r >= *due_r || *warn_r <= start)
		*warn_r = 0;
	return true;
}

/* fresh: a ticket just made, that has no timer to delete. */
static int
schedule_target(const struct sd_ingest *in, const struct sd_ticket *t,
    bool resolution, bool fresh, sd_time now, struct sd_err *err)
{
	const char	*kind = resolution ? T_RESOLUTION : T_RESPONSE;
	sd_time		 warn, due;

	if (!target_times(in, t, resolution, &warn, &due))
		return fresh ? 0 : store_timer_delete(in->store, t->id, kind,
		    err);
	return store_timer_set(in->store, t->id, kind, warn > now ? warn : due,
	    0, err);
}

static int
schedule_targets(const struct sd_ingest *in, const struct sd_ticket *t,
    bool fresh, sd_time now, struct sd_err *err)
{
	return schedule_target(in, t, false, fresh, now, err) == -1 ||
	    schedule_target(in, t, true, fresh, now, err) == -1 ? -1 : 0;
}

int
timers_ticket_created(const struct sd_ingest *in, const struct sd_ticket *t,
    struct sd_err *err)
{
	if (schedule_escalation(in, t, err) == -1 ||
	    schedule_targets(in, t, true, t->created_at, err) == -1)
		return -1;
	return update_target(in, t).kind == SD_DUR_NONE ? 0 :
	    schedule_reminder(in, t, t->created_at, err);
}

/* The clocks run again (SPEC §14.4): how long they stood is added up,
 * and the resolution due time moves by as much on its own clock. */
static int
resume_clocks(const struct sd_ingest *in, struct sd_ticket *t, sd_time now,
    struct sd_err *err)
{
	const struct sd_calendar	*cal = ingest_calendar(in, t);
	struct sla_pause		 pz;
	sd_time				 resp, res;
	sd_time				 from = t->paused_at;
	char				*detail;
	int				 r;

	/* A clock that had not started yet stood for nothing. */
	if (from < period_start(in, t))
		from = period_start(in, t);
	if (now > from) {
		t->paused_wall += now - from;
		t->paused_bh += sla_business_between(cal, from, now);
	}
	detail = xasprintf("stood %llds since %lld (%llds in business "
	    "hours); in all %llds", (long long)(now > from ? now - from : 0),
	    (long long)from, (long long)sla_business_between(cal, from, now),
	    (long long)t->paused_wall);
	t->paused_at = 0;
	t->resumed_at = now;
	r = store_ticket_set_clocks(in->store, t, err) == -1 ||
	    store_event_add(in->store, t->id, now, "system", "clock-resumed",
	    detail, err) == -1;
	free(detail);
	if (r)
		return -1;
	if (t->due_by_agent)	/* a date promised stays */
		return 0;
	sla_due_times(in->conf, cal, t->tier, ingest_prio(in, t),
	    period_start(in, t), pause_of(t, &pz), &resp, &res);
	t->resolution_due = res;
	return store_ticket_set_due(in->store, t->id, t->response_due, res,
	    err);
}

int
timers_set_status(const struct sd_ingest *in, struct sd_ticket *t,
    enum sd_status status, const char *actor, sd_time now,
    struct sd_err *err)
{
	char	*detail;
	bool	 was_resolved = t->status == SD_ST_RESOLVED;
	/* Resolved, the clocks stand too: a reopened ticket's resolution
	 * time goes on from where it was. */
	bool	 paused = conf_status_paused(in->conf, status) ||
		    status == SD_ST_RESOLVED;
	bool	 was_paused = t->paused_at != 0;
	int	 r;

	if (t->status == status)
		return 0;
	detail = xasprintf("%s -> %s", sd_status_names[t->status],
	    sd_status_names[status]);
	r = store_ticket_set_status(in->store, t->id, status, now, err) == -1 ||
	    store_event_add(in->store, t->id, now, actor, "status", detail,
	    err) == -1;
	free(detail);
	if (r)
		return -1;
	t->status = status;
	if (was_paused && !paused && resume_clocks(in, t, now, err) == -1)
		return -1;
	if (status == SD_ST_CLOSED)
		return store_timer_delete(in->store, t->id, NULL, err);
	if (status == SD_ST_RESOLVED) {
		/* Resolving stops escalation; the auto-close clock starts. */
		if (!was_paused)
			t->paused_at = now;
		return store_ticket_set_resolved(in->store, t->id, now, err) ||
		    store_ticket_set_clocks(in->store, t, err) ||
		    store_timer_delete(in->store, t->id, T_ESCALATE, err) ||
		    store_timer_delete(in->store, t->id, T_REMINDER, err) ||
		    schedule_targets(in, t, false, now, err) ||
		    store_timer_set(in->store, t->id, T_AUTOCLOSE,
		    now + in->conf->auto_close_after, 0, err) ? -1 : 0;
	}
	if (paused && !was_paused) {
		t->paused_at = now;
		if (store_ticket_set_clocks(in->store, t, err) == -1 ||
		    store_event_add(in->store, t->id, now, "system",
		    "clock-paused", sd_status_names[status], err) == -1)
			return -1;
	}
	if (was_resolved)
		return store_ticket_set_resolved(in->store, t->id, 0, err) ||
		    store_timer_delete(in->store, t->id, T_AUTOCLOSE, err) ||
		    schedule_escalation(in, t, err) ||
		    schedule_reminder(in, t, now, err) ||
		    schedule_targets(in, t, false, now, err) ||
		    (t->due_by_agent && store_timer_set(in->store, t->id,
		    T_DUE, t->resolution_due, 0, err)) ? -1 : 0;
	return paused != was_paused && (schedule_escalation(in, t, err) == -1 ||
	    schedule_targets(in, t, false, now, err) == -1 ||
	    schedule_reminder(in, t, now, err) == -1) ? -1 : 0;
}

/* SPEC §7: the level's contact (the organization's, else the global
 * one) gets the escalation template; the webhook hears of it too. */
static int
fire_escalation(const struct sd_ingest *in, struct sd_ticket *t, int level,
    sd_time due, sd_time now, struct sd_err *err)
{
	const struct sd_conf		*c = in->conf;
	const struct sd_conf_org	*org = conf_org_named(c, t->organization);
	const char			*contact;
	char				*detail;
	sd_time				 later;
	int				 r;

	if (is_done(t->status) || level <= t->escalation_level)
		return store_timer_delete(in->store, t->id, T_ESCALATE, err);
	if ((later = silent_until(in, t, due, now)) != 0)
		return store_timer_set(in->store, t->id, T_ESCALATE, later,
		    level, err);
	if (level > conf_escalation_top(c, t->tier))	/* a reload cut it */
		return store_timer_delete(in->store, t->id, T_ESCALATE, err);
	contact = org && org->contacts[level - 1] ? org->contacts[level - 1] :
	    c->escalation[level - 1];
	t->escalation_level = level;
	detail = xasprintf("level=%d contact=%s", level, contact ? contact :
	    "(none)");
	r = store_ticket_set_level(in->store, t->id, level, now, err) == -1 ||
	    store_event_add(in->store, t->id, now, "system", "escalated",
	    detail, err) == -1 ||
	    (contact != NULL && ingest_queue_mail(in, mailbox_of(c, t), t,
	    "escalation", NULL, contact, NULL, NULL, now, false, err) == -1) ||
	    notify_webhook(in, t, "escalation", now, err) == -1 ||
	    schedule_escalation(in, t, err) == -1;
	free(detail);
	if (!r)
		log_info("sched: ticket=%lld escalated level=%d", (long long)t->id,
		    level);
	return r ? -1 : 0;
}

/* Who is told of a ticket's time running out: the assignee (unless he
 * has written as a customer since), else on-call, else the team.  *who
 * names the first, or NULL for nobody.  one is filled for the first. */
static int
sla_rcpts(const struct sd_ingest *in, const struct sd_ticket *t,
    struct sd_strv *one, const struct sd_strv **list_r, const char **who,
    struct sd_err *err)
{
	const struct sd_conf	*c = in->conf;
	const char		*to = t->assignee;
	bool			 customer = false;

	*list_r = c->oncall_emails.n ? &c->oncall_emails : &c->team_emails;
	if (to != NULL && people_is_customer(in, t, to, &customer, err) == -1)
		return -1;
	if (customer)
		to = NULL;
	if (to != NULL) {
		strv_push(one, to);
		*list_r = one;
	}
	*who = (*list_r)->n > 0 ? (*list_r)->v[0] : NULL;
	return 0;
}

/* Whether ticket t has an event of kind with detail. */
static int
has_event(const struct sd_ingest *in, const struct sd_ticket *t,
    const char *kind, const char *detail, bool *has_r, struct sd_err *err)
{
	int64_t n = 0;

	if (store_event_count(in->store, t->id, kind, detail, &n, err) == -1)
		return -1;
	*has_r = n > 0;
	return 0;
}

/*
 * SPEC §14.5: a target's warning (breach false) or breach, once: the
 * event, whose detail names it ("response", "update since ..."), and
 * the notice to whom sla_rcpts says; a breach posts the webhook
 * (TARGET-breach), unless notice is NULL (the update's first reminder
 * is its notice).  *done_r says whether it was new.
 */
static int
sla_event(const struct sd_ingest *in, struct sd_ticket *t, bool breach,
    const char *target, const char *detail, unsigned bit, sd_time due,
    const char *notice, sd_time now, bool *done_r, struct sd_err *err)
{
	const char		*kind = breach ? "sla-breach" : "sla-warning";
	const struct sd_strv	*list;
	struct sd_strv		 one = { 0 };
	const char		*who, *extra[5];
	char			*when, *hook;
	bool			 has;
	int			 r;

	*done_r = false;
	if (bit != 0)
		has = (t->sla_sent & bit) != 0;
	else if (has_event(in, t, kind, detail, &has, err) == -1)
		return -1;
	if (has)
		return 0;
	t->sla_sent |= bit;
	when = sla_format(ingest_calendar(in, t), due);
	extra[0] = "sla.target";
	extra[1] = target;
	extra[2] = "sla.due";
	extra[3] = when;
	extra[4] = NULL;
	hook = xasprintf("%s-breach", target);
	r = sla_rcpts(in, t, &one, &list, &who, err) == -1 ||
	    (bit != 0 && store_ticket_set_clocks(in->store, t, err) == -1) ||
	    store_event_add(in->store, t->id, now, "system", kind, detail,
	    err) == -1 ||
	    (notice != NULL && ingest_queue_notice_vars(in,
	    mailbox_of(in->conf, t), t, notice, list, extra, NULL, now,
	    err) == -1) ||
	    (breach && notify_webhook(in, t, hook, now, err) == -1);
	if (!r) {
		log_info("sched: ticket=%lld %s %s (%s)", (long long)t->id,
		    target, breach ? "breached" : "warned", who ? who :
		    "nobody to tell");
		metrics_add(breach ? SD_MET_BREACHES : SD_MET_WARNINGS,
		    t->priority, 1);
	}
	free(hook);
	free(when);
	strv_free(&one);
	*done_r = !r;
	return r ? -1 : 0;
}

/* A response or resolution target's timer: its warning, then its
 * breach, each once; re-timed when the ticket changed meanwhile. */
static int
fire_target(const struct sd_ingest *in, struct sd_ticket *t, bool resolution,
    sd_time fire_at, sd_time now, struct sd_err *err)
{
	const char	*kind = resolution ? T_RESOLUTION : T_RESPONSE;
	const char	*target = resolution ? "resolution" : "response";
	sd_time		 warn, due, later;
	char		*detail;
	bool		 done;
	int		 r;

	if (!target_times(in, t, resolution, &warn, &due))
		return store_timer_delete(in->store, t->id, kind, err);
	if (warn > now || (warn == 0 && due > now))
		return store_timer_set(in->store, t->id, kind, warn > now ?
		    warn : due, 0, err);
	if ((later = silent_until(in, t, fire_at, now)) != 0)
		return store_timer_set(in->store, t->id, kind, later, 0, err);
	/* "response", or "response, period 2" after a priority change. */
	detail = t->period > 1 ? xasprintf("%s, period %d", target,
	    t->period) : xstrdup(target);
	if (due > now)
		r = sla_event(in, t, false, target, detail, resolution ?
		    SD_SENT_RESOLUTION_WARN : SD_SENT_RESPONSE_WARN, due,
		    "sla-warning", now, &done, err) == -1 ? -1 :
		    store_timer_set(in->store, t->id, kind, due, 0, err);
	else
		r = sla_event(in, t, true, target, detail, resolution ?
		    SD_SENT_RESOLUTION_BREACH : SD_SENT_RESPONSE_BREACH, due,
		    "sla-breach", now, &done, err) == -1 ? -1 :
		    store_timer_delete(in->store, t->id, kind, err);
	free(detail);
	return r;
}

/*
 * SPEC §7, §14.5: while a ticket with an update target is open and no
 * agent wrote to the customer, its warning, then its breach; the breach
 * reminds the assignee, else on-call, else the team (c1-update-
 * reminder), and so does every target's time after it.
 */
static int
fire_reminder(const struct sd_ingest *in, struct sd_ticket *t, sd_time due,
    sd_time now, struct sd_err *err)
{
	const struct sd_strv	*list;
	struct sd_strv		 one = { 0 };
	const char		*who;
	struct sd_dur		 d = update_target(in, t);
	sd_time			 from = silent_since(in, t), later, warn, upd;
	char			*since, *detail;
	bool			 done;
	int			 r = 0;

	if (d.kind == SD_DUR_NONE || is_done(t->status))
		return store_timer_delete(in->store, t->id, T_REMINDER, err);
	warn = update_warn_at(in, t, &d, from);
	upd = interval_after(in, t, &d, from);	/* the silence breaches */
	if (upd > now && (warn == 0 || warn > now))
		return schedule_reminder(in, t, now, err);	/* written */
	if ((later = silent_until(in, t, due, now)) != 0)
		return store_timer_set(in->store, t->id, T_REMINDER, later, 0,
		    err);
	since = due_text(in, t, from);
	detail = xasprintf("update, silent since %s", since);
	free(since);
	if (upd > now) {
		r = sla_event(in, t, false, "update", detail, 0, upd,
		    "sla-warning", now, &done, err) == -1 ||
		    store_timer_set(in->store, t->id, T_REMINDER, upd, 0,
		    err) == -1;
		free(detail);
		return r ? -1 : 0;
	}
	r = sla_event(in, t, true, "update", detail, 0, upd, NULL, now, &done,
	    err) == -1 ||
	    sla_rcpts(in, t, &one, &list, &who, err) == -1 ||
	    ingest_queue_notice(in, mailbox_of(in->conf, t), t,
	    "c1-update-reminder", list, NULL, now, err) == -1 ||
	    store_event_add(in->store, t->id, now, "system", "c1-reminder",
	    who ? who : "(nobody to remind)", err) == -1;
	free(detail);
	strv_free(&one);
	if (r)
		return -1;
	return store_timer_set(in->store, t->id, T_REMINDER,
	    interval_after(in, t, &d, now), 0, err);
}

/* SPEC §4: resolved and left alone for auto_close_after: closed, and the
 * customer told, as any automatic reply is (limits, a stranger's text
 * shown as an excerpt). */
static int
fire_autoclose(const struct sd_ingest *in, struct sd_ticket *t, sd_time now,
    struct sd_err *err)
{
	sd_time due = t->resolved_at + in->conf->auto_close_after;

	if (t->status != SD_ST_RESOLVED)
		return store_timer_delete(in->store, t->id, T_AUTOCLOSE, err);
	if (due > now)
		return store_timer_set(in->store, t->id, T_AUTOCLOSE, due, 0,
		    err);
	return timers_set_status(in, t, SD_ST_CLOSED, "system", now, err) == -1 ||
	    ingest_acknowledge(in, mailbox_of(in->conf, t), t, "closed",
	    t->requester_name, t->requester_email, NULL, now, false,
	    err) == -1 ? -1 : 0;
}

/* A due time in an event's text: ISO 8601 in the zone of the ticket's
 * calendar; "(none)" for 0.  Caller owns. */
static char *
due_text(const struct sd_ingest *in, const struct sd_ticket *t, sd_time when)
{
	const struct sd_conf_calendar *cc = conf_calendar(in->conf,
	    conf_ticket_calendar(in->conf, t->organization, t->tier));

	return when ? sd_time_format(when, cc != NULL ? cc->timezone :
	    in->conf->calendar.timezone) : xstrdup("(none)");
}

/*
 * SPEC §13.6: an agent's resolution due date ("none": the SLA's again),
 * an event, and a timer that records when it passes unresolved.
 */
static int
set_agent_due(const struct sd_ingest *in, struct sd_ticket *t,
    const char *value, const char *actor, sd_time now, struct sd_err *err)
{
	bool	 by_agent = g_ascii_strcasecmp(value, "none") != 0;
	struct sla_pause pz;
	sd_time	 due, resp;
	char	*was, *to, *detail;
	int	 r;

	if (by_agent && sd_time_parse(value, &due) == -1)
		return sd_err_set(err, SD_E_PERM, "due must be an ISO 8601 "
		    "time or \"none\", not \"%s\"", value);
	if (!by_agent)
		sla_due_times(in->conf, ingest_calendar(in, t), t->tier,
		    ingest_prio(in, t), period_start(in, t),
		    pause_of(t, &pz), &resp, &due);
	was = due_text(in, t, t->resolution_due);
	to = due_text(in, t, due);
	detail = xasprintf("due: %s -> %s%s", was, to, by_agent ? "" :
	    " (the SLA's)");
	r = store_ticket_set_agent_due(in->store, t->id, due, by_agent, now,
	    err) == -1 || store_event_add(in->store, t->id, now, actor, "due",
	    detail, err) == -1;
	free(was);
	free(to);
	free(detail);
	if (r)
		return -1;
	t->resolution_due = due;
	t->due_by_agent = by_agent;
	if (schedule_target(in, t, true, false, now, err) == -1)
		return -1;
	if (!by_agent || due == 0 || is_done(t->status))
		return store_timer_delete(in->store, t->id, T_DUE, err);
	return store_timer_set(in->store, t->id, T_DUE, due, 0, err);
}

/* The agent's date passed with the ticket not done: an event (not the
 * pager's webhook: a missed promise is no outage). */
static int
fire_due(const struct sd_ingest *in, struct sd_ticket *t, sd_time now,
    struct sd_err *err)
{
	char	*when;
	int	 r;

	if (!t->due_by_agent || is_done(t->status))
		return store_timer_delete(in->store, t->id, T_DUE, err);
	if (t->resolution_due > now)	/* moved later meanwhile */
		return store_timer_set(in->store, t->id, T_DUE,
		    t->resolution_due, 0, err);
	if (store_timer_delete(in->store, t->id, T_DUE, err) == -1)
		return -1;
	when = due_text(in, t, t->resolution_due);
	r = store_event_add(in->store, t->id, now, "system", "due-passed",
	    when, err);
	free(when);
	if (!r)
		log_info("sched: ticket=%lld passed its due date",
		    (long long)t->id);
	return r ? -1 : 0;
}

static int
fire(const struct sd_ingest *in, const struct sd_timer *tm, sd_time now,
    struct sd_err *err)
{
	struct sd_ticket	t;
	bool			found;
	int			r;

	if (store_ticket_get(in->store, tm->ticket_id, &t, &found, err) == -1)
		return -1;
	if (!found)
		return store_timer_delete(in->store, tm->ticket_id, NULL, err);
	if (strcmp(tm->kind, T_ESCALATE) == 0)
		r = fire_escalation(in, &t, (int)tm->arg, tm->due_at, now,
		    err);
	else if (strcmp(tm->kind, T_REMINDER) == 0)
		r = fire_reminder(in, &t, tm->due_at, now, err);
	else if (strcmp(tm->kind, T_AUTOCLOSE) == 0)
		r = fire_autoclose(in, &t, now, err);
	else if (strcmp(tm->kind, T_DUE) == 0)
		r = fire_due(in, &t, now, err);
	else if (strcmp(tm->kind, T_RESPONSE) == 0)
		r = fire_target(in, &t, false, tm->due_at, now, err);
	else if (strcmp(tm->kind, T_RESOLUTION) == 0)
		r = fire_target(in, &t, true, tm->due_at, now, err);
	else
		r = store_timer_delete(in->store, t.id, tm->kind, err);
	store_ticket_clear(&t);
	return r;
}

/*
 * Fires up to max due timers in one transaction (benchmark: a commit per
 * timer was a twentieth of a 10,000-mail --once).  *n_r is how many
 * fired, *more_r whether max stopped it.  On -1 nothing is kept and *n_r
 * says how many fired before the one that failed.
 */
static int
fire_batch(const struct sd_ingest *in, sd_time now, int max, int *n_r,
    bool *more_r, struct sd_err *err)
{
	struct sd_timer	tm;
	bool		found = true;
	int		n = 0;

	*n_r = 0;
	*more_r = false;
	if (store_begin(in->store, err) == -1)
		return -1;
	while (n < max) {
		if (store_timer_next(in->store, now, &tm, &found, err) == -1 ||
		    (found && fire(in, &tm, now, err) == -1)) {
			store_rollback(in->store);
			*n_r = n;
			return -1;
		}
		if (!found)
			break;
		n++;
	}
	if (store_commit(in->store, err) == -1)
		return -1;
	*n_r = n;
	*more_r = found;
	return 0;
}

static int
collect_id(void *arg, int64_t id)
{
	g_array_append_val((GArray *)arg, id);
	return 0;
}

/* Gives ticket id the timer of kind it lacks, as its state says. */
static int
resync_one(const struct sd_ingest *in, int64_t id, const char *kind,
    sd_time now, struct sd_err *err)
{
	struct sd_ticket	t;
	sd_time			warn, due;
	bool			found, res = strcmp(kind, T_RESOLUTION) == 0;
	int			r = 0;

	if (store_ticket_get(in->store, id, &t, &found, err) == -1)
		return -1;
	if (!found)
		return 0;
	if (strcmp(kind, T_ESCALATE) == 0)
		r = schedule_escalation(in, &t, err);
	else if (strcmp(kind, T_REMINDER) == 0)
		r = schedule_reminder(in, &t, now, err);
	else if (target_times(in, &t, res, &warn, &due) && due > now)
		r = schedule_target(in, &t, res, false, now, err);
	store_ticket_clear(&t);
	return r;
}

int
ingest_resync(const struct sd_ingest *in, sd_time now, int *n_r,
    struct sd_err *err)
{
	static const char *const kinds[] = { T_RESPONSE, T_RESOLUTION,
	    T_REMINDER, T_ESCALATE };
	GArray	*ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	int	 n = 0, r = 0;

	if (store_begin(in->store, err) == -1) {
		g_array_free(ids, TRUE);
		return -1;
	}
	for (size_t k = 0; k < nitems(kinds) && r == 0; k++) {
		g_array_set_size(ids, 0);
		r = store_open_without_timer(in->store, kinds[k], collect_id,
		    ids, err);
		for (guint i = 0; i < ids->len && r == 0; i++, n++)
			r = resync_one(in, g_array_index(ids, int64_t, i),
			    kinds[k], now, err);
	}
	g_array_free(ids, TRUE);
	if (r != 0) {
		store_rollback(in->store);
		return -1;
	}
	if (n_r != NULL)
		*n_r = n;
	return store_commit(in->store, err);
}

int
ingest_tick(const struct sd_ingest *in, sd_time now, int *fired_r,
    struct sd_err *err)
{
	struct sd_err	e;
	bool		more = true;
	int		n = 0, k, again, ret = 0;

	while (ret == 0 && more && n < TICK_MAX) {
		if (fire_batch(in, now, MIN(TICK_BATCH, TICK_MAX - n), &k,
		    &more, err) == 0) {
			n += k;
			continue;
		}
		/* The failing timer spoiled its batch: the ones before it
		 * fire again without it; then the tick stops. */
		ret = -1;
		sd_err_clear(&e);
		if (k > 0 && fire_batch(in, now, k, &again, &more, &e) == 0)
			n += again;
		else if (k > 0)
			log_warnx("sched: %s", e.msg);
	}
	if (fired_r)
		*fired_r = n;
	return ret;
}

/*
 * SPEC §14.6: the priority changes to p at now.  The current SLA period
 * is recorded with its targets' outcome (a downgrade before the
 * resolution is due meets it where the old priority says so), and the
 * next starts now, its clocks not having stood yet.
 */
static int
close_period(const struct sd_ingest *in, struct sd_ticket *t, int p,
    sd_time now, struct sd_err *err)
{
	const struct sd_conf	*c = in->conf;
	int			 old = ingest_prio(in, t);
	struct sd_sla_period	 per;
	char			*detail;
	int			 r;

	per.priority = t->priority;
	per.tier = t->tier;
	per.started_at = period_start(in, t);
	per.ended_at = now;
	per.response_due = t->response_due;
	per.resolution_due = t->resolution_due;
	per.response = sla_outcome(t->response_due, t->agent_response_at, now,
	    false);
	per.resolution = sla_outcome(t->resolution_due, t->resolved_at, now,
	    p > old && c->priorities[old].met_by == SD_MET_BY_DOWNGRADE);
	detail = xasprintf("period %d (%s): response %s, resolution %s",
	    t->period, t->priority, per.response, per.resolution);
	r = store_period_close(in->store, &per, t, err) == -1 ||
	    store_event_add(in->store, t->id, now, "system", "sla-period",
	    detail, err) == -1;
	free(detail);
	if (r)
		return -1;
	t->period++;
	t->period_start = now;
	t->sla_sent = 0;
	t->paused_wall = t->paused_bh = 0;
	if (t->paused_at != 0)
		t->paused_at = now;
	return store_ticket_set_clocks(in->store, t, err);
}

/* An assignee is told internal things (notifications, reminders, their
 * note address): never one of the ticket's customers or our mailbox.
 * true with err set when value may not be one. */
bool
timers_assignee_refused(const struct sd_ingest *in, const struct sd_ticket *t,
    const char *value, struct sd_err *err)
{
	bool customer = false;

	if (!sd_addr_plain(value)) {
		sd_err_set(err, SD_E_PERM, "assignee: not an address: \"%.80s\""
		    " (or none)", value);
		return true;
	}
	if (ingest_is_our_address(in->conf, value)) {
		sd_err_set(err, SD_E_PERM, "assignee: %s is one of our "
		    "mailboxes or note addresses", value);
		return true;
	}
	if (people_is_customer(in, t, value, &customer, err) == -1)
		return true;
	if (customer)
		sd_err_set(err, SD_E_PERM, "assignee: %s is a customer on this "
		    "ticket; an assignee is told internal things", value);
	return customer;
}

int
timers_ticket_set(const struct sd_ingest *in, struct sd_ticket *t,
    const char *field, const char *value, const char *actor, sd_time now,
    struct sd_err *err)
{
	enum sd_field	 f;
	char		*detail;
	int		 p = -1, r;

	if (strcmp(field, "status") == 0) {
		if ((r = store_status_parse(value)) < 0)
			return sd_err_set(err, SD_E_PERM, "unknown status "
			    "\"%s\"", value);
		return timers_set_status(in, t, (enum sd_status)r, actor, now,
		    err);
	}
	if (strcmp(field, "due") == 0)
		return set_agent_due(in, t, value, actor, now, err);
	if (strcmp(field, "priority") == 0) {
		if ((p = conf_prio_index(in->conf, value)) < 0) {
			char *names = conf_prio_names(in->conf);

			sd_err_set(err, SD_E_PERM, "unknown priority \"%s\" "
			    "(use %s)", value, names);
			free(names);
			return -1;
		}
		value = conf_prio_name(in->conf, p);
		if (strcmp(value, t->priority) == 0)
			return 0;	/* no new period for nothing */
		f = SD_F_PRIORITY;
	} else if (strcmp(field, "category") == 0) {
		/* SPEC §14.3: only a configured category. */
		const char *cat = conf_category(in->conf, value);

		if (cat == NULL) {
			char *names = conf_category_names(in->conf);

			sd_err_set(err, SD_E_PERM, "unknown category \"%s\" "
			    "(use %s)", value, names);
			free(names);
			return -1;
		}
		value = cat;
		f = SD_F_CATEGORY;
	}
	else if (strcmp(field, "assignee") == 0) {
		f = SD_F_ASSIGNEE;
		if (g_ascii_strcasecmp(value, "none") == 0)
			value = NULL;
		else if (timers_assignee_refused(in, t, value, err))
			return -1;
	} else
		return sd_err_set(err, SD_E_PERM, "cannot set \"%s\" (status, "
		    "priority, category, assignee or due)", field);
	detail = xasprintf("%s: %s -> %s", field,
	    f == SD_F_PRIORITY ? t->priority :
	    f == SD_F_CATEGORY ?
	    t->category : t->assignee ? t->assignee : "(none)",
	    value ? value : "(none)");
	r = store_ticket_set_field(in->store, t->id, f, value, now, err) == -1 ||
	    store_event_add(in->store, t->id, now, actor, field, detail,
	    err) == -1;
	free(detail);
	if (r)
		return -1;
	if (f == SD_F_ASSIGNEE) {
		free(t->assignee);
		t->assignee = value ? xstrdup(value) : NULL;
		return value == NULL ? 0 : desk_notify_assigned(in,
		    mailbox_of(in->conf, t), t, actor, now, err);
	}
	if (f == SD_F_PRIORITY) {
		struct sla_pause pz;
		sd_time resp, res;

		/* SPEC §14.6: a new SLA period, its due times from now. */
		if (close_period(in, t, p, now, err) == -1)
			return -1;
		free(t->priority);
		t->priority = xstrdup(value);
		sla_due_times(in->conf, ingest_calendar(in, t), t->tier,
		    p, period_start(in, t), pause_of(t, &pz), &resp, &res);
		if (t->due_by_agent)	/* a date promised outlives it */
			res = t->resolution_due;
		t->response_due = resp;
		t->resolution_due = res;
		if (store_ticket_set_due(in->store, t->id, resp, res, err) == -1 ||
		    schedule_targets(in, t, false, now, err) == -1 ||
		    (!is_done(t->status) && (schedule_escalation(in, t, err) ==
		    -1 || schedule_reminder(in, t, now, err) == -1)))
			return -1;
	}
	return 0;
}

int
ingest_on_ticket(const struct sd_ingest *in, int64_t id, ingest_ticket_fn fn,
    void *arg, struct sd_err *err)
{
	struct sd_ticket	t;
	bool			found;
	int			ret = -1;

	if (store_begin(in->store, err) == -1)
		return -1;
	if (store_ticket_get(in->store, id, &t, &found, err) == -1)
		goto fail;
	if (!found) {
		sd_err_set(err, SD_E_PERM, "no ticket %lld", (long long)id);
		goto fail;
	}
	if (fn(in, &t, arg, err) == -1)
		goto fail;
	if (store_commit(in->store, err) == -1)
		goto out;
	ret = 0;
	goto out;
 fail:
	store_rollback(in->store);
 out:
	store_ticket_clear(&t);
	return ret;
}

struct set_args {
	const char	*field, *value, *actor;
	sd_time		 now;
};

static int
set_fn(const struct sd_ingest *in, struct sd_ticket *t, void *arg,
    struct sd_err *err)
{
	struct set_args *a = arg;

	return timers_ticket_set(in, t, a->field, a->value, a->actor, a->now,
	    err);
}

int
ingest_ticket_set(const struct sd_ingest *in, int64_t id, const char *field,
    const char *value, const char *actor, sd_time now, struct sd_err *err)
{
	struct set_args a = { field, value, actor, now };

	return ingest_on_ticket(in, id, set_fn, &a, err);
}
