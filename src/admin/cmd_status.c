/* SPDX-License-Identifier: MIT */
/*
 * cmd_status.c - supportctl status (SPEC §16.1): is every mailbox
 * alive?  Read from the heartbeat and mailbox rows the daemon writes at
 * least every 30 s, and from counts of the outbox and timers.  Exit 0
 * when all is well, 1 when something is down or stale, with the reasons
 * on the last line (or in "problems"): a check a monitor can run.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "supportctl.h"

/* A heartbeat older than this is a daemon that stopped beating. */
#define STALE_S		90
/* A timer this late is one the daemon is not firing. */
#define TIMER_LATE_S	300

struct status {
	struct ctx	*cx;
	struct out	 o;
	sd_time		 now;
	sd_time		 late;		/* how old is too old: alert_after */
	GPtrArray	*problems;	/* char *, for the last line */
	bool		 running;	/* some daemon beats */
};

static void G_GNUC_PRINTF(2, 3)
problem(struct status *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(s->problems, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

/* "3d04h", "2h13m", "45s": an age for a person. */
static char *
age(sd_time secs)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		return g_strdup_printf("%lldd%02lldh", (long long)secs / 86400,
		    (long long)secs % 86400 / 3600);
	if (secs >= 3600)
		return g_strdup_printf("%lldh%02lldm", (long long)secs / 3600,
		    (long long)secs % 3600 / 60);
	if (secs >= 60)
		return g_strdup_printf("%lldm%02llds", (long long)secs / 60,
		    (long long)secs % 60);
	return g_strdup_printf("%llds", (long long)secs);
}

/* What became of an instance: running, stale (no heartbeat for
 * STALE_S), dead (its process is gone from this host) or stopped. */
static const char *
instance_state(const struct status *s, const struct sd_instance *in)
{
	if (in->stopped)
		return "stopped";
	if (strcmp(in->name, g_get_host_name()) == 0 && in->pid > 0 &&
	    kill((pid_t)in->pid, 0) == -1 && errno == ESRCH)
		return "dead";
	if (s->now - in->beat_at > STALE_S)
		return "stale";
	return "running";
}

static int
daemons(struct status *s, struct sd_err *err)
{
	struct out		*o = &s->o;
	struct sd_instance	*rows;
	size_t			 n;

	if (store_instance_list(s->cx->store, &rows, &n, err) == -1)
		return -1;
	out_arr(o, "daemons");
	for (size_t i = 0; i < n; i++) {
		const struct sd_instance *in = &rows[i];
		const char *state = instance_state(s, in);
		char *up = age(in->beat_at - in->started_at);
		char *beat = age(s->now - in->beat_at);

		s->running = s->running || strcmp(state, "running") == 0;
		out_obj(o, NULL);
		out_str(o, "instance", in->name);
		out_str(o, "state", state);
		out_int(o, "pid", in->pid);
		out_str(o, "version", in->version);
		out_time(o, "started_at", in->started_at);
		out_int(o, "uptime", in->beat_at - in->started_at);
		out_time(o, "heartbeat_at", in->beat_at);
		out_str(o, "status", in->status);
		out_close(o);
		out_text(o, "daemon %s: %s, pid %lld, version %s, up %s, "
		    "heartbeat %s ago\n", in->name, state, (long long)in->pid,
		    in->version, up, beat);
		if (in->status != NULL)
			out_text(o, "  %s\n", in->status);
		g_free(up);
		g_free(beat);
	}
	out_close(o);
	if (n == 0)
		out_text(o, "daemon: none has run on this database\n");
	if (!s->running)
		problem(s, "no daemon is running");
	store_instance_list_free(&rows, n);
	return 0;
}

static int
mailbox(struct status *s, const struct sd_conf_mailbox *mb,
    struct sd_err *err)
{
	struct out		*o = &s->o;
	struct sd_store		*st = s->cx->store;
	struct sd_mbstatus	 m;
	uint32_t		 uidvalidity = 0, last_uid = 0;
	int64_t			 held;
	bool			 found, cursor;
	const char		*state;
	sd_time			 since;

	if (store_mbstatus_get(st, mb->name, &m, &found, err) == -1)
		return -1;
	if (store_cursor_get(st, mb->name, &uidvalidity, &last_uid, &cursor,
	    err) == -1 || store_quarantined(st, mb->name, &held, err) == -1) {
		store_mbstatus_clear(&m);
		return -1;
	}
	state = found ? sd_mb_state_names[m.state] : "never-polled";
	out_obj(o, NULL);
	out_str(o, "name", mb->name);
	out_str(o, "state", state);
	out_str(o, "instance", m.instance);
	out_time(o, "connected_since", m.connected_since);
	out_time(o, "last_success", m.last_success);
	out_str(o, "last_error", m.last_error);
	out_time(o, "error_at", m.error_at);
	out_time(o, "updated_at", m.updated_at);
	out_time(o, "polling_since", m.polling_since);
	if (cursor) {
		out_int(o, "uidvalidity", uidvalidity);
		out_int(o, "next_uid", (int64_t)last_uid + 1);
	} else {
		out_null(o, "uidvalidity");
		out_null(o, "next_uid");
	}
	out_int(o, "quarantined", held);
	out_close(o);

	out_text(o, "mailbox %-16s %-12s last ok %s", mb->name, state,
	    m.last_success ? out_when(o, m.last_success) : "never");
	out_text(o, " connected %s", m.connected_since ?
	    out_when(o, m.connected_since) : "no");
	if (cursor)
		out_text(o, " uidvalidity=%u next_uid=%llu", uidvalidity,
		    (unsigned long long)last_uid + 1);
	out_text(o, " quarantined=%lld\n", (long long)held);
	if (m.last_error != NULL)
		out_text(o, "  last error %s: %s\n", out_when(o, m.error_at),
		    m.last_error);

	since = m.last_success ? m.last_success : m.first_try;
	if (!found)
		problem(s, "mailbox %s was never polled", mb->name);
	else if (m.state == SD_MB_BACKOFF || m.state == SD_MB_AUTHFAIL)
		problem(s, "mailbox %s is %s", mb->name, state);
	else if (m.state == SD_MB_POLLING && m.polling_since != 0 &&
	    s->now - m.polling_since > s->late)
		problem(s, "mailbox %s has been polling for %lld s",
		    mb->name, (long long)(s->now - m.polling_since));
	/* Polling: the first poll since a start, however old the last
	 * success it has not replaced yet. */
	else if (m.state != SD_MB_POLLING && since != 0 &&
	    s->now - since > s->late)
		problem(s, "mailbox %s not polled successfully for %lld s",
		    mb->name, (long long)(s->now - since));
	store_mbstatus_clear(&m);
	return 0;
}

static void
counts(struct status *s, const struct sd_opcounts *c)
{
	struct out	*o = &s->o;
	sd_time		 oldest = c->outbox_oldest ? s->now - c->outbox_oldest : 0;
	sd_time		 late = c->timers_oldest ? s->now - c->timers_oldest : 0;
	char		*a = age(oldest);

	out_obj(o, "outbox");
	out_int(o, "queued", c->outbox_queued);
	out_int(o, "oldest_age", oldest);
	out_int(o, "failed", c->outbox_failed);
	out_close(o);
	out_obj(o, "timers");
	out_int(o, "due", c->timers_due);
	out_int(o, "late", late);
	out_close(o);
	out_obj(o, "database");
	out_int(o, "bytes", c->db_bytes);
	out_close(o);
	out_text(o, "outbox: %lld queued, oldest %s, %lld failed\n",
	    (long long)c->outbox_queued, c->outbox_oldest ? a : "-",
	    (long long)c->outbox_failed);
	out_text(o, "timers: %lld due\n", (long long)c->timers_due);
	out_text(o, "database: %.1f MiB\n", (double)c->db_bytes / 1048576);
	g_free(a);
	if (c->outbox_oldest != 0 && oldest > s->late)
		problem(s, "the oldest queued mail waits for %lld s",
		    (long long)oldest);
	if (late > TIMER_LATE_S)
		problem(s, "timers are %lld s late", (long long)late);
}

/* The admin alerts' open incidents (SPEC §16.3).  Those of kinds status
 * does not judge by itself (mail given up, quarantine growing) are
 * problems while open. */
static int
incidents(struct status *s, struct sd_err *err)
{
	struct out		*o = &s->o;
	struct sd_incident	*rows;
	size_t			 n;

	if (store_incident_list(s->cx->store, &rows, &n, err) == -1)
		return -1;
	out_arr(o, "incidents");
	for (size_t k = 0; k < n; k++) {
		const struct sd_incident *i = &rows[k];

		out_obj(o, NULL);
		out_str(o, "kind", i->kind);
		out_str(o, "subject", i->subject);
		out_time(o, "opened_at", i->opened_at);
		out_time(o, "alerted_at", i->alerted_at);
		out_str(o, "detail", i->detail);
		out_close(o);
		out_text(o, "incident %s%s%s since %s%s: %s\n", i->kind,
		    *i->subject ? " " : "", i->subject,
		    out_when(o, i->opened_at), i->alerted_at ? ", told" : "",
		    i->detail ? i->detail : "-");
		if (strcmp(i->kind, "outbox-failed") == 0)
			problem(s, "outgoing mail was given up (supportctl "
			    "outbox)");
		else if (strcmp(i->kind, "quarantine") == 0)
			problem(s, "mail went to quarantine (supportctl "
			    "quarantine)");
	}
	out_close(o);
	store_incident_list_free(&rows, n);
	return 0;
}

int
cmd_status(struct ctx *cx, int argc, char **argv)
{
	struct listopts		 lo;
	struct status		 s = { .cx = cx };
	struct sd_opcounts	 c;
	struct sd_err		 err;
	bool			 bad = false;
	int			 r, n;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc)
		return EX_USAGE;
	s.now = sd_now();
	s.late = cx->conf->admin_alert_after;
	s.problems = g_ptr_array_new_with_free_func(g_free);
	sd_err_clear(&err);
	out_begin(&s.o, cx, lo.json);
	out_obj(&s.o, NULL);
	r = daemons(&s, &err);
	if (r == 0)
		out_arr(&s.o, "mailboxes");
	for (size_t i = 0; r == 0 && i < cx->conf->nmailboxes; i++)
		r = mailbox(&s, &cx->conf->mailboxes[i], &err);
	if (r == 0) {
		out_close(&s.o);
		r = store_opcounts(cx->store, s.now, &c, &err);
	}
	if (r == 0) {
		counts(&s, &c);
		out_arr(&s.o, "tokens");
		r = oauth_rows(cx, &s.o, &bad, &n, &err);
		out_close(&s.o);
	}
	if (r == 0)
		r = incidents(&s, &err);
	if (bad)
		problem(&s, "an OAuth2 login needs an administrator "
		    "(supportctl oauth status)");
	if (r == 0) {
		out_bool(&s.o, "ok", s.problems->len == 0);
		out_arr(&s.o, "problems");
		for (guint k = 0; k < s.problems->len; k++)
			out_str(&s.o, NULL, s.problems->pdata[k]);
		out_close(&s.o);
	}
	out_close(&s.o);
	if (s.problems->len == 0)
		out_text(&s.o, "OK\n");
	for (guint k = 0; k < s.problems->len; k++)
		out_text(&s.o, "%s%s", k == 0 ? "PROBLEM: " : "; ",
		    (char *)s.problems->pdata[k]);
	if (s.problems->len > 0)
		out_text(&s.o, "\n");
	if (r == -1)
		fprintf(stderr, "supportctl: %s\n", err.msg);
	out_end(&s.o, r == 0);
	r = r == -1 ? EX_SOFTWARE : s.problems->len > 0 ? 1 : 0;
	g_ptr_array_free(s.problems, TRUE);
	return r;
}
