/* SPDX-License-Identifier: MIT */
/*
 * alerts.c - the administrators' alerts (SPEC §16.3).  Each look goes
 * over what can be wrong: a mailbox not polled successfully for
 * admin.alert_after, an OAuth2 login refused (at once) or failing that
 * long, the outbox's oldest mail waiting that long, outgoing mail given
 * up, the quarantine growing.  What is wrong is an incident, a row from
 * the first look that sees it until one sees it clear: one alert (mail
 * to admin.emails, event to oncall.webhook, a level=error line) and one
 * recovery.  Given-up mail and the quarantine are events, not states:
 * their incident clears once no more came for alert_after.  At most
 * admin.max_alerts_per_hour alerts and recoveries an hour go out; an
 * alert held back goes out in a later hour if its incident is still
 * open, a recovery held back is only logged.
 */
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/json.h"
#include "supportd/log.h"

struct look {
	const struct sd_ingest	*in;
	sd_time			 now;
};

/* What one condition is now. */
struct cond {
	const char	*kind;
	const char	*subject;	/* "" when the kind has none */
	bool		 bad;
	bool		 urgent;	/* alert at once, not after alert_after */
	bool		 event;		/* clears after alert_after quiet */
	bool		 unknown;	/* neither bad nor clear: as it was */
	char		*detail;	/* owned */
};

static const struct {
	const char	*kind;
	const char	*alert;		/* the subject in place of %s */
	const char	*recovery;
	const char	*advice;
} kinds[] = {
	{ "mailbox-down", "mailbox %s is not polled",
	    "mailbox %s polls again",
	    "Check the IMAP server and the mailbox's imap settings; "
	    "`supportctl status` shows its last error.  Its mail waits on "
	    "the server and is taken in once it polls again." },
	{ "login-failed", "OAuth2 login %s fails", "OAuth2 login %s works again",
	    "`supportctl oauth status` shows why; a refused login needs "
	    "`supportctl oauth login` again, a refused client its secret "
	    "mended." },
	{ "outbox-late", "outgoing mail waits%s", "outgoing mail flows again%s",
	    "The relay does not take mail: check it and the smtp settings. "
	    "Nothing is lost; the mail is sent once it does." },
	{ "outbox-failed", "outgoing mail was given up%s",
	    "no more outgoing mail given up%s",
	    "`supportctl outbox` lists it with the relay's answer." },
	{ "quarantine", "mail went to quarantine%s",
	    "no more mail went to quarantine%s",
	    "`supportctl quarantine` lists it with the reason: each is a "
	    "mail nobody has answered." },
};

static size_t
kind_index(const char *kind)
{
	for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++)
		if (strcmp(kinds[k].kind, kind) == 0)
			return k;
	g_assert_not_reached();
}

/* "mailbox support is not polled". */
static char *
headline(const struct sd_incident *i, bool recovery)
{
	size_t		 k = kind_index(i->kind);
	gchar		**parts = g_strsplit(recovery ? kinds[k].recovery :
	    kinds[k].alert, "%s", 2);
	char		*line = g_strjoinv(i->subject, parts);

	g_strfreev(parts);
	return line;
}

static int
queue_mail(const struct look *lk, const struct sd_incident *i, bool recovery,
    const char *line, struct sd_err *err)
{
	const struct sd_conf	*c = lk->in->conf;
	const char		*tz = c->calendar.timezone;
	const char		*from = c->mailboxes[0].address;
	struct sd_outmail	 om;
	struct sd_outrow	 o;
	struct sd_strv		 cc = { 0 };
	GString			*rcpts = g_string_new(c->admin_emails.v[0]);
	char			*subject, *body, *since, *msgid, *raw;
	int			 ret;

	for (size_t k = 1; k < c->admin_emails.n; k++) {
		strv_push(&cc, c->admin_emails.v[k]);
		g_string_append_printf(rcpts, "\n%s", c->admin_emails.v[k]);
	}
	since = sd_time_format(i->opened_at, tz);
	subject = g_strdup_printf("supportd %s: %s", recovery ? "RECOVERED" :
	    "ALERT", line);
	body = g_strdup_printf("supportd on %s: %s.\n\n"
	    "Since:  %s\n"
	    "Detail: %s\n\n"
	    "%s\n\n"
	    "`supportctl status` shows every mailbox, the outbox and the "
	    "logins.\n", g_get_host_name(), line, since,
	    i->detail != NULL ? i->detail : "-",
	    recovery ? "Nothing more to do." : kinds[kind_index(i->kind)].advice);
	msgid = mime_message_id_new(ingest_domain_of(from));
	memset(&om, 0, sizeof(om));
	om.from_name = "supportd";
	om.from_addr = from;
	om.to_addr = c->admin_emails.v[0];
	om.cc = cc.n > 0 ? &cc : NULL;
	om.subject = subject;
	om.message_id = msgid;
	om.body = body;
	om.date = lk->now;
	om.automatic = true;
	om.generated = true;
	raw = mime_build(&om);
	memset(&o, 0, sizeof(o));
	o.kind = (char *)(recovery ? "admin-recovery" : "admin-alert");
	/* The null sender: a bounce of an alert never loops. */
	o.mail_from = (char *)"";
	o.rcpts = rcpts->str;
	o.message_id = msgid;
	o.raw = raw;
	o.rawlen = strlen(raw);
	o.created_at = lk->now;
	ret = store_outbox_queue(lk->in->store, &o, err);
	free(raw);
	free(msgid);
	g_free(body);
	g_free(subject);
	free(since);
	strv_free(&cc);
	g_string_free(rcpts, TRUE);
	return ret;
}

static int
queue_webhook(const struct look *lk, const struct sd_incident *i,
    bool recovery, struct sd_err *err)
{
	const struct sd_conf	*c = lk->in->conf;
	const char		*tz = c->calendar.timezone;
	GString			*js = g_string_new("{");
	gchar			*id = g_uuid_string_random();
	bool			 first = true;
	int			 ret;

	json_kv_str(js, &first, "event", recovery ? "admin-recovery" :
	    "admin-alert");
	json_kv_str(js, &first, "id", id);
	json_kv_str(js, &first, "alert", i->kind);
	json_kv_str(js, &first, "subject", i->subject);
	json_kv_str(js, &first, "detail", i->detail);
	json_kv_str(js, &first, "host", g_get_host_name());
	json_kv_time(js, &first, "opened_at", i->opened_at, tz);
	json_kv_time(js, &first, "closed_at", i->closed_at, tz);
	g_string_append_c(js, '}');
	ret = store_outbox_queue_webhook(lk->in->store, 0, c->oncall_webhook,
	    id, js, lk->now, err);
	g_free(id);
	g_string_free(js, TRUE);
	return ret;
}

/* Tells of i (an alert, or its recovery) within the hour's cap: *sent_r
 * false when the cap held it back. */
static int
tell(const struct look *lk, struct sd_incident *i, bool recovery,
    bool *sent_r, struct sd_err *err)
{
	const struct sd_conf	*c = lk->in->conf;
	sd_time			 hour = lk->now - lk->now % 3600;
	int64_t			 n;
	char			*line = headline(i, recovery);
	int			 ret = -1;

	*sent_r = false;
	if (store_rate_get(lk->in->store, "admin-alerts", hour, &n, err) == -1)
		goto out;
	if (n >= c->admin_max_alerts_per_hour) {
		if (!i->held || recovery)
			log_warnx("alert: held back (admin.max_alerts_per_hour"
			    " = %d): %s%s%s", c->admin_max_alerts_per_hour,
			    line, i->detail ? ": " : "",
			    i->detail ? i->detail : "");
		i->held = true;
		ret = 0;
		goto out;
	}
	if (recovery)
		log_info("alert: recovered: %s", line);
	else
		log_errx("alert: %s%s%s", line, i->detail ? ": " : "",
		    i->detail ? i->detail : "");
	if ((c->admin_emails.n > 0 &&
	    queue_mail(lk, i, recovery, line, err) == -1) ||
	    (c->oncall_webhook != NULL &&
	    queue_webhook(lk, i, recovery, err) == -1) ||
	    store_rate_add(lk->in->store, "admin-alerts", hour, err) == -1)
		goto out;
	*sent_r = true;
	ret = 0;
 out:
	g_free(line);
	return ret;
}

/* Moves cond's incident on: opened, told, cleared.  A state clears
 * when it is no longer seen; an event once it was told and no more
 * came for alert_after (an alert the cap held back is still owed). */
static int
settle(const struct look *lk, const struct cond *cd, struct sd_err *err)
{
	const struct sd_conf	*c = lk->in->conf;
	struct sd_store		*st = lk->in->store;
	struct sd_incident	 i;
	bool			 found, sent;
	int			 ret = -1;

	if (cd->unknown)
		return 0;
	if (store_incident_get(st, cd->kind, cd->subject, &i, &found, err)
	    == -1)
		return -1;
	if (!found && !cd->bad)
		return 0;
	if (!found) {
		i.kind = xstrdup(cd->kind);
		i.subject = xstrdup(cd->subject);
		i.opened_at = lk->now;
	}
	if (cd->bad) {
		i.seen_at = lk->now;
		free(i.detail);
		i.detail = xstrdup(cd->detail);
	}
	if (!cd->bad && (!cd->event || (i.alerted_at != 0 &&
	    lk->now - MAX(i.seen_at, i.alerted_at) >= c->admin_alert_after))) {
		i.closed_at = lk->now;
		if (i.alerted_at != 0 && tell(lk, &i, true, &sent, err) == -1)
			goto out;
	} else if (i.alerted_at == 0 && (cd->urgent ||
	    lk->now - i.opened_at >= c->admin_alert_after)) {
		if (tell(lk, &i, false, &sent, err) == -1)
			goto out;
		if (sent)
			i.alerted_at = lk->now;
	} else if (!cd->bad) {
		ret = 0;	/* nothing new */
		goto out;
	}
	ret = store_incident_put(st, &i, err);
 out:
	store_incident_clear(&i);
	return ret;
}

static int
look_mailboxes(const struct look *lk, struct sd_err *err)
{
	const struct sd_conf	*c = lk->in->conf;
	struct sd_mbstatus	 m;
	bool			 found;
	int			 ret = 0;

	for (size_t k = 0; ret == 0 && k < c->nmailboxes; k++) {
		const char *name = c->mailboxes[k].name;
		struct cond cd = { .kind = "mailbox-down", .subject = name,
		    .urgent = true };
		sd_time since;
		bool hung;

		if (store_mbstatus_get(lk->in->store, name, &m, &found, err)
		    == -1)
			return -1;
		/* A mailbox that fails, for alert_after since it last worked
		 * (or was first tried): one not polled yet since a start is
		 * not down, however old its last success. */
		since = m.last_success ? m.last_success : m.first_try;
		cd.bad = found && (m.state == SD_MB_BACKOFF ||
		    m.state == SD_MB_AUTHFAIL) && since != 0 &&
		    lk->now - since >= c->admin_alert_after;
		/* Or one whose poll hangs where nothing cuts it short (a
		 * host name's lookup). */
		hung = found && m.state == SD_MB_POLLING &&
		    m.polling_since != 0 &&
		    lk->now - m.polling_since >= c->admin_alert_after;
		if (hung)
			cd.detail = g_strdup_printf("polling for %lld s, "
			    "without an answer", (long long)(lk->now -
			    m.polling_since));
		cd.bad = cd.bad || hung;
		/* A poll under way (the first since a start, say) tells
		 * nothing yet: an incident stays as it is. */
		cd.unknown = found && m.state == SD_MB_POLLING && !hung;
		if (cd.bad && !hung) {
			char *when = m.last_success ? sd_time_format(
			    m.last_success, c->calendar.timezone) : NULL;

			cd.detail = g_strdup_printf("%s, last success %s%s%s",
			    sd_mb_state_names[m.state], when ? when : "never",
			    m.last_error ? ", last error: " : "",
			    m.last_error ? m.last_error : "");
			free(when);
		}
		ret = settle(lk, &cd, err);
		g_free(cd.detail);
		store_mbstatus_clear(&m);
	}
	return ret;
}

static int
look_login(const struct look *lk, const char *login, struct sd_err *err)
{
	struct sd_token	t;
	struct cond	cd = { .kind = "login-failed", .subject = login };
	bool		found;
	int		ret;

	if (store_token_get(lk->in->store, login, &t, &found, err) == -1)
		return -1;
	cd.bad = found && (t.dead || t.failures > 0);
	/* Refused for good needs a person now; a failing request may mend
	 * itself at the next try. */
	cd.urgent = found && t.dead;
	if (cd.bad)
		cd.detail = g_strdup_printf("%s%s", t.dead ? "refused for "
		    "good: " : "", t.last_error ? t.last_error : "failing");
	ret = settle(lk, &cd, err);
	g_free(cd.detail);
	store_token_clear(&t);
	return ret;
}

static int
look_logins(const struct look *lk, struct sd_err *err)
{
	struct sd_strv	logins = { 0 };
	int		ret = 0;

	conf_oauth_logins(lk->in->conf, &logins);
	for (size_t k = 0; ret == 0 && k < logins.n; k++)
		ret = look_login(lk, logins.v[k], err);
	strv_free(&logins);
	return ret;
}

/* An event kind: bad when count grew since the last look. */
static int
look_growth(const struct look *lk, const char *kind, int64_t count,
    const char *what, struct sd_err *err)
{
	struct cond	cd = { .kind = kind, .subject = "", .urgent = true,
	    .event = true };
	int64_t		mark;
	bool		found;
	int		ret;

	if (store_alert_mark_get(lk->in->store, kind, &mark, &found, err)
	    == -1)
		return -1;
	/* The first look only takes the count: what came before supportd
	 * counted is no news. */
	cd.bad = found && count > mark;
	if (cd.bad)
		cd.detail = g_strdup_printf("%lld more %s, %lld in all",
		    (long long)(count - mark), what, (long long)count);
	ret = settle(lk, &cd, err);
	g_free(cd.detail);
	if (ret == 0 && (!found || count != mark))
		ret = store_alert_mark_set(lk->in->store, kind, count, err);
	return ret;
}

static int
look_outbox(const struct look *lk, struct sd_err *err)
{
	struct sd_opcounts	c;
	struct cond		cd = { .kind = "outbox-late", .subject = "",
	    .urgent = true };
	int64_t			failed;
	int			ret;

	if (store_opcounts(lk->in->store, lk->now, &c, err) == -1)
		return -1;
	cd.bad = c.outbox_oldest != 0 &&
	    lk->now - c.outbox_oldest >= lk->in->conf->admin_alert_after;
	if (cd.bad)
		cd.detail = g_strdup_printf("%lld queued, the oldest for "
		    "%lld s", (long long)c.outbox_queued,
		    (long long)(lk->now - c.outbox_oldest));
	ret = settle(lk, &cd, err);
	g_free(cd.detail);
	if (ret == -1 || store_outbox_given_up(lk->in->store, &failed, err)
	    == -1)
		return -1;
	return look_growth(lk, "outbox-failed", failed,
	    "outgoing mails given up", err);
}

static int
look_quarantine(const struct look *lk, struct sd_err *err)
{
	const struct sd_conf	*c = lk->in->conf;
	int64_t			 held, all = 0;

	for (size_t k = 0; k < c->nmailboxes; k++) {
		if (store_quarantined(lk->in->store, c->mailboxes[k].name,
		    &held, err) == -1)
			return -1;
		all += held;
	}
	return look_growth(lk, "quarantine", all, "mails quarantined", err);
}

/* A mailbox or login no longer configured has nothing left to tell:
 * its incident is closed without a word, and a mailbox's row goes (one
 * added again later starts afresh, not as the failure it was). */
static int
close_orphans(const struct look *lk, struct sd_err *err)
{
	struct sd_incident	*rows;
	struct sd_strv		 logins = { 0 };
	size_t			 n;
	int			 ret = 0;

	if (store_incident_list(lk->in->store, &rows, &n, err) == -1)
		return -1;
	conf_oauth_logins(lk->in->conf, &logins);
	for (size_t k = 0; ret == 0 && k < n; k++) {
		struct sd_incident *i = &rows[k];
		bool mailbox = strcmp(i->kind, "mailbox-down") == 0;
		bool gone = false;

		if (mailbox)
			gone = conf_mailbox(lk->in->conf, i->subject) == NULL;
		else if (strcmp(i->kind, "login-failed") == 0) {
			gone = true;
			for (size_t l = 0; gone && l < logins.n; l++)
				gone = strcmp(logins.v[l], i->subject) != 0;
		}
		if (!gone)
			continue;
		i->closed_at = lk->now;
		ret = store_incident_put(lk->in->store, i, err);
		if (ret == 0 && mailbox)
			ret = store_mbstatus_delete(lk->in->store, i->subject,
			    err);
	}
	strv_free(&logins);
	store_incident_list_free(&rows, n);
	return ret;
}

int
ingest_alerts(const struct sd_ingest *in, sd_time now, bool *busy_r,
    struct sd_err *err)
{
	struct look	lk = { .in = in, .now = now };
	bool		busy = false;

	if (busy_r != NULL)
		*busy_r = false;
	if (store_try_begin(in->store, &busy, err) == -1)
		return -1;
	if (busy && busy_r != NULL) {
		*busy_r = true;
		return 0;
	}
	if (busy && store_begin(in->store, err) == -1)
		return -1;
	if (look_mailboxes(&lk, err) == -1 || look_logins(&lk, err) == -1 ||
	    look_outbox(&lk, err) == -1 || look_quarantine(&lk, err) == -1 ||
	    close_orphans(&lk, err) == -1) {
		store_rollback(in->store);
		return -1;
	}
	return store_commit(in->store, err);
}
