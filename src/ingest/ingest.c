/* SPDX-License-Identifier: MIT */
/*
 * ingest.c - the path of one mail (SPEC §2): parse, classify, thread or
 * create, queue the first response, all in the intake's group
 * transaction, which also moves the mailbox cursor.  A crash before
 * the commit means the mail is fetched again; after it, the dedupe key
 * recognises it.  Either way nothing is lost and nothing is made twice.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/log.h"
#include "supportd/mail.h"
#include "supportd/robot.h"
#include "supportd/sla.h"
#include "supportd/thread.h"

#define RECEIVED_MAX_AGE	(7 * 86400)

const char *
ingest_outcome_name(enum sd_outcome o)
{
	switch (o) {
	case SD_IN_NEW_TICKET:	return "new-ticket";
	case SD_IN_THREADED:	return "threaded";
	case SD_IN_AUTOMATIC:	return "automatic";
	case SD_IN_IGNORED:	return "ignored";
	case SD_IN_DUPLICATE:	return "duplicate";
	case SD_IN_QUARANTINED:	return "quarantined";
	case SD_IN_AGENT:	return "agent";
	case SD_IN_NOTE:	return "note";
	case SD_IN_VENDOR_REFUSED: return "vendor-refused";
	}
	return "unknown";
}

/* SPEC §3.4: the clock starts at INTERNALDATE, clamped into [now-7d, now]. */
static sd_time
received_time(sd_time internaldate, sd_time now)
{
	if (internaldate <= 0 || internaldate > now)
		return now;
	if (internaldate < now - RECEIVED_MAX_AGE)
		return now - RECEIVED_MAX_AGE;
	return internaldate;
}

/* A mail with a Message-ID is recognised by it (messages_msgid): a
 * dedupe key of its own was a second index entry at a random place of
 * a large table (benchmark, 1,000,000 tickets).  Others: the raw mail's
 * SHA-256. */
static const char *
mail_msgid(const struct sd_mail *m)
{
	return m != NULL && m->message_id != NULL && *m->message_id != '\0' ?
	    m->message_id : NULL;
}

static char *
dedupe_key(const struct sd_mail *m, const struct sd_fetched *f)
{
	gchar	*sum;
	char	*key;

	if (mail_msgid(m) != NULL)
		return NULL;
	sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
	    (const guchar *)f->raw, f->len);
	key = xasprintf("sha256:%s", sum);
	g_free(sum);
	return key;
}

/* SPEC §3.8 step 1: a tag counts only from a participant, the vendor
 * side or someone of the ticket's organization; anyone else starts a
 * new ticket. */
static int
tag_allowed(const struct sd_ingest *in, const struct sd_ticket *t,
    const char *sender, bool *ok_r, struct sd_err *err)
{
	const struct sd_conf_org	*org;
	char				*dom;

	*ok_r = false;
	if (sender == NULL)
		return 0;
	/* The vendor side's mail is routed as vendor mail (route.c). */
	if (conf_is_vendor(in->conf, sender)) {
		*ok_r = true;
		return 0;
	}
	if (store_participant_is(in->store, t->id, sender, false, ok_r,
	    err) == -1)
		return -1;
	if (*ok_r || t->organization == NULL)
		return 0;
	dom = thread_addr_domain(sender);
	org = dom ? conf_org_for_domain(in->conf, dom) : NULL;
	*ok_r = org != NULL && strcmp(org->name, t->organization) == 0;
	free(dom);
	return 0;
}

/* Loads ticket id (or the one it was merged into) into t (*found_r)
 * when it exists and, with check, sender may thread onto it
 * (tag_allowed); how says what named it, for the log. */
static int
thread_load(const struct sd_ingest *in, int64_t id, bool check,
    const char *sender, const char *how, struct sd_ticket *t, bool *found_r,
    struct sd_err *err)
{
	bool ok = false;

	if (store_ticket_get(in->store, id, t, found_r, err) == -1)
		return -1;
	/* A merged ticket's mail goes where it was merged (merge refuses
	 * chains; a later merge of the target makes one hop more). */
	for (int hops = 0; *found_r && ingest_is_merged(t) && hops < 8;
	    hops++) {
		int64_t into = t->linked_to;

		log_info("ingest: ticket=%lld was merged into ticket=%lld",
		    (long long)t->id, (long long)into);
		store_ticket_clear(t);
		if (store_ticket_get(in->store, into, t, found_r, err) == -1)
			return -1;
	}
	if (!*found_r || !check)
		return 0;
	if (tag_allowed(in, t, sender, &ok, err) == -1)
		return -1;
	if (!ok) {
		log_info("ingest: %s ticket=%lld from=%s: sender is no "
		    "participant; starting a new ticket", how, (long long)id,
		    sender);
		store_ticket_clear(t);
		*found_r = false;
	}
	return 0;
}

/*
 * The ticket this mail belongs to (§3.8 steps 1-2), loaded into t
 * (*found_r).  The tag rule holds for In-Reply-To and References too:
 * knowing a Message-ID of a ticket does not make a stranger one of its
 * people.  Automatic mail (check false) changes nothing; it is recorded
 * where it belongs when it answers a mail we sent, whose Message-ID no
 * stranger can guess.  Clear t after.
 */
static int
find_thread(const struct sd_ingest *in, const struct sd_mail *m, bool check,
    struct sd_ticket *t, bool *found_r, struct sd_err *err)
{
	int64_t id;

	memset(t, 0, sizeof(*t));
	*found_r = false;
	if ((id = thread_parse_tag(m->subject, in->conf->ticket_tag)) > 0) {
		/* A tag is text anyone can write: checked for robots too. */
		if (thread_load(in, id, true, m->from.addr, "tag", t, found_r,
		    err) == -1)
			return -1;
		if (*found_r)
			return 0;
	}
	id = 0;
	if (m->in_reply_to != NULL &&
	    store_ticket_by_message_id(in->store, m->in_reply_to, !check, &id,
	    err) == -1)
		return -1;
	/* Newest reference first: it is the nearest ancestor. */
	for (size_t i = m->references.n; id == 0 && i > 0; i--)
		if (store_ticket_by_message_id(in->store, m->references.v[i - 1],
		    !check, &id, err) == -1)
			return -1;
	if (id == 0)
		return 0;
	return thread_load(in, id, check, m->from.addr, "reply to", t, found_r,
	    err);
}

static void
msgrec_from_mail(struct sd_msgrec *rec, const struct sd_fetched *f,
    const struct sd_mail *m, const char *key, sd_time at)
{
	memset(rec, 0, sizeof(*rec));
	rec->direction = SD_DIR_IN;
	rec->mailbox = f->mailbox->name;
	rec->uidvalidity = f->uidvalidity;
	rec->uid = f->uid;
	rec->dedupe_key = key;
	rec->at = at;
	rec->raw = f->raw;
	rec->rawlen = f->len;
	if (m != NULL) {
		rec->message_id = m->message_id;
		rec->in_reply_to = m->in_reply_to;
		rec->from_addr = m->from.addr;
		rec->subject = m->subject;
		rec->body = m->body;
		/* A mail read only in part says so (SPEC §3.7a). */
		rec->reason = m->limit;
		rec->atts = m->attachments;
		rec->natts = m->nattachments;
	}
}

/*
 * SPEC §3.8 C1 grouping: a new C1 from an organization that has an
 * unresolved C1 created within c1_duplicate_window joins that incident.
 * The sender becomes a participant and gets ack-duplicate naming it.
 * Returns 0 with *joined_r, or -1.
 */
static int
join_c1_incident(const struct sd_ingest *in, const struct sd_fetched *f,
    const struct sd_mail *m, int prio, const char *key,
    sd_time received, sd_time now, bool *joined_r, int64_t *ticket_r,
    struct sd_err *err)
{
	const struct sd_conf_org	*org;
	struct sd_ticket		 t, shown;
	struct sd_msgrec		 rec;
	const char			*to_name, *to_addr;
	char				*dom, *tag;
	int64_t				 id = 0;
	bool				 found = false;
	int				 ret = -1;

	*joined_r = false;
	if (prio != SD_PRIO_TOP)
		return 0;
	dom = thread_addr_domain(m->from.addr);
	org = dom ? conf_org_for_domain(in->conf, dom) : NULL;
	free(dom);
	if (org == NULL)	/* strangers are never grouped */
		return 0;
	if (store_open_c1_of_org(in->store, org->name,
	    conf_prio_name(in->conf, prio), received -
	    in->conf->c1_duplicate_window, received, &id, err) == -1)
		return -1;
	if (id == 0)
		return 0;
	if (store_ticket_get(in->store, id, &t, &found, err) == -1)
		return -1;
	if (!found)
		return 0;
	msgrec_from_mail(&rec, f, m, key, received);
	rec.ticket_id = id;
	rec.disposition = "ticket";
	tag = thread_format_tag(in->conf->ticket_tag, id);
	if (store_message_insert(in->store, &rec, NULL, err) == -1 ||
	    store_participant_add(in->store, id, m->from.addr, "joined",
	    err) == -1 || people_from_mail(in, &t, m, false, err) == -1 ||
	    store_event_add(in->store, id, now, m->from.addr, "duplicate-c1",
	    m->subject, err) == -1)
		goto out;
	/* ack-duplicate names the incident ({{duplicate_of}} is the tag of
	 * the ticket it links to, here the incident itself) and greets the
	 * colleague who wrote, not the incident's requester. */
	shown = t;
	shown.linked_to = id;
	shown.requester_name = m->from.name;
	shown.requester_email = m->from.addr;
	ingest_answer_to(in->conf, m, &to_name, &to_addr);
	if (ingest_acknowledge(in, f->mailbox, &shown, "ack-duplicate",
	    to_name, to_addr, m, now, false, err) == -1 ||
	    desk_notify(in, f->mailbox, &t, "notify-reply", m, NULL, now,
	    err) == -1)
		goto out;
	log_info("ingest: C1 from %s joins incident %s", m->from.addr, tag);
	*joined_r = true;
	*ticket_r = id;
	ret = 0;
 out:
	free(tag);
	store_ticket_clear(&t);
	return ret;
}

static int
new_ticket(const struct sd_ingest *in, const struct sd_fetched *f,
    const struct sd_mail *m, int prio, const char *key,
    sd_time received, sd_time now, int64_t linked_to, int64_t *ticket_r,
    struct sd_err *err)
{
	const struct sd_conf		*c = in->conf;
	const struct sd_conf_org	*org;
	const struct sd_calendar	*cal;
	struct sd_ticket		 t;
	struct sd_msgrec		 rec;
	char				*dom, *sender, *detail;
	const char			*reply_name, *reply_addr, *tname;
	int				 ret = -1;

	sender = sd_strdup_lower(m->from.addr);
	dom = thread_addr_domain(sender);
	org = dom ? conf_org_for_domain(c, dom) : NULL;

	memset(&t, 0, sizeof(t));
	t.mailbox = f->mailbox->name;
	t.subject = m->subject;
	t.status = SD_ST_OPEN;
	t.priority = (char *)conf_prio_name(c, prio);
	t.category = (char *)classify_category(in->classifier, m->subject);
	t.requester_email = sender;
	t.requester_name = m->from.name;
	t.organization = org ? org->name : NULL;
	t.tier = org ? org->tier : (char *)"default";
	t.created_at = received;
	t.escalation_level = 1;
	t.linked_to = linked_to;
	/* SPEC §5, §6: the clock starts when the server got the mail, or
	 * at the next opening when the tier has no on-call for it (§14.2). */
	cal = ingest_calendar(in, &t);
	t.after_hours = !sla_in_hours(cal, received);
	sla_due_times(c, cal, t.tier, prio, ingest_clock_start(in, &t), NULL,
	    &t.response_due, &t.resolution_due);
	if (store_ticket_insert(in->store, &t, err) == -1 ||
	    timers_ticket_created(in, &t, err) == -1)
		goto out;
	*ticket_r = t.id;
	if (store_participant_add(in->store, t.id, sender, "requester",
	    err) == -1 || people_from_mail(in, &t, m, true, err) == -1)
		goto out;
	msgrec_from_mail(&rec, f, m, key, received);
	rec.ticket_id = t.id;
	rec.disposition = "ticket";
	if (store_message_insert(in->store, &rec, NULL, err) == -1)
		goto out;
	detail = xasprintf("priority=%s category=%s tier=%s%s%s",
	    t.priority, t.category, t.tier, linked_to ? " follow-up-of=" : "",
	    linked_to ? "(linked)" : "");
	ret = store_event_add(in->store, t.id, now, "customer", "created",
	    detail, err);
	free(detail);
	if (ret == -1)
		goto out;
	ret = -1;
	if (f->headers_only && store_event_add(in->store, t.id, now, "system",
	    "too-large", "mail larger than max_message_size: headers only",
	    err) == -1)
		goto out;
	if (m->limit != NULL && store_event_add(in->store, t.id, now, "system",
	    "parse-limit", m->limit, err) == -1)
		goto out;

	ingest_answer_to(c, m, &reply_name, &reply_addr);
	tname = sla_ack_template(prio, t.after_hours,
	    sla_wakes(c, t.tier, org != NULL, prio), linked_to != 0);
	if (ingest_acknowledge(in, f->mailbox, &t, tname, reply_name,
	    reply_addr, m, now, true, err) == -1)
		goto out;
	if (notify_new_ticket(in, f->mailbox, &t, m, now, err) == -1)
		goto out;
	ret = 0;
 out:
	free(sender);
	free(dom);
	return ret;
}

/* Whether the first non-blank line of body is word (SPEC §4: "#close"). */
static bool
first_line_is(const char *body, const char *word)
{
	size_t n = strlen(word);

	while (*body == ' ' || *body == '\t' || *body == '\n' || *body == '\r')
		body++;
	if (g_ascii_strncasecmp(body, word, n) != 0)
		return false;
	body += n;
	while (*body == ' ' || *body == '\t' || *body == '\r')
		body++;
	return *body == '\n' || *body == '\0';
}

/*
 * A customer's mail on an existing ticket: recorded, no acknowledgement;
 * its sender joins the ticket's people.  "#close" counts only from the
 * requester or a Cc of the mail that made the ticket (not from one who
 * joined by writing: a forged colleague could write twice), and, with
 * trusted_authserv_id set, only from an authenticated From domain.
 */
static int
thread_onto(const struct sd_ingest *in, const struct sd_fetched *f,
    const struct sd_mail *m, const char *key, sd_time received, sd_time now,
    struct sd_ticket *t, struct sd_err *err)
{
	struct sd_msgrec	 rec;
	const char		*why = NULL, *notice;
	bool			 close, was = false;
	int			 r;

	close = first_line_is(m->body, "#close");
	if (close && store_participant_is(in->store, t->id, m->from.addr, true,
	    &was, err) == -1)
		return -1;
	if (close && !was)
		why = "only the requester or a Cc of the first mail may close "
		    "the ticket";
	else if (close && in->conf->trusted_authserv_id != NULL)
		why = ingest_unauthenticated(in->conf, m);
	msgrec_from_mail(&rec, f, m, key, received);
	rec.ticket_id = t->id;
	rec.disposition = "ticket";
	if (store_message_insert(in->store, &rec, NULL, err) == -1 ||
	    store_participant_add(in->store, t->id, m->from.addr, "joined",
	    err) == -1 || people_from_mail(in, t, m, false, err) == -1 ||
	    store_event_add(in->store, t->id, now, "customer", "mail-in",
	    m->from.addr, err) == -1 ||
	    (m->limit != NULL && store_event_add(in->store, t->id, now,
	    "system", "parse-limit", m->limit, err) == -1))
		return -1;
	/* SPEC §13.1: the assignee (else the team) hears of it, after the
	 * status moved, so the notice shows the status it has now. */
	notice = t->status == SD_ST_RESOLVED && !(close && why == NULL) ?
	    "notify-reopened" : "notify-reply";
	/* SPEC §4: "#close" as the first line closes; customer mail on
	 * waiting-on-customer or resolved reopens. */
	if (close && why != NULL) {
		log_info("ingest: ticket=%lld from=%s: #close refused: %s",
		    (long long)t->id, m->from.addr, why);
		if (store_event_add(in->store, t->id, now, m->from.addr,
		    "close-refused", why, err) == -1)
			return -1;
	}
	if (close && why == NULL)
		r = timers_set_status(in, t, SD_ST_CLOSED, m->from.addr, now,
		    err);
	else if (t->status == SD_ST_WAITING_CUST ||
	    t->status == SD_ST_RESOLVED)
		r = timers_set_status(in, t, SD_ST_OPEN, m->from.addr, now,
		    err);
	else
		r = store_ticket_touch(in->store, t->id, now, err);
	return r == -1 ? -1 : desk_notify(in, f->mailbox, t, notice, m, NULL,
	    now, err);
}

/*
 * Mail from the vendor side on ticket t (SPEC §13.2), or to its note
 * address (note).  An agent's goes through agent_mail; anyone else's is
 * an internal note, when sent to the note address or authenticated as
 * agents' mail must be (§9), and otherwise changes nothing: kept as
 * refused, and its sender told why.  Never customer mail.
 */
static int
vendor_mail(const struct sd_ingest *in, const struct sd_fetched *f,
    const struct sd_mail *m, const char *key, sd_time received, sd_time now,
    struct sd_ticket *t, bool note, enum sd_outcome *outcome_r,
    struct sd_err *err)
{
	struct sd_msgrec	 rec;
	const char		*why = NULL;
	bool			 agent = strv_contains_ci(&in->conf->agents,
				    m->from.addr);

	if (!agent && !note && in->conf->agents_require_auth)
		why = ingest_unauthenticated(in->conf, m);
	msgrec_from_mail(&rec, f, m, key, received);
	rec.ticket_id = t->id;
	rec.disposition = note ? "note" : agent ? "agent" : why ? "refused" :
	    "note";
	rec.reason = why;
	*outcome_r = note || (!agent && why == NULL) ? SD_IN_NOTE : agent ?
	    SD_IN_AGENT : SD_IN_VENDOR_REFUSED;
	if (store_message_insert(in->store, &rec, NULL, err) == -1)
		return -1;
	if (agent)
		return agent_mail(in, t, m, f->raw, f->len, note, now, err);
	if (why != NULL)
		return agent_refuse(in, t, m, why, now, err);
	return store_event_add(in->store, t->id, now, m->from.addr, "note",
	    NULL, err);
}

static int
quarantine(const struct sd_ingest *in, const struct sd_fetched *f,
    const struct sd_mail *m, const char *key, sd_time now, const char *why,
    struct sd_err *err)
{
	struct sd_msgrec rec;

	msgrec_from_mail(&rec, f, m, key, now);
	rec.disposition = "quarantined";
	rec.reason = why;
	return store_message_insert(in->store, &rec, NULL, err);
}

/*
 * Automatic mail (SPEC §3.7): never answered.  A bounce of one of our
 * mails is found through the returned message it carries and recorded
 * on that ticket as a delivery failure; an auto-reply to a ticket is
 * recorded and changes nothing; anything else is kept as ignored.
 */
static int
robot_onto(const struct sd_ingest *in, const struct sd_fetched *f,
    const struct sd_mail *m, const char *key, sd_time received, sd_time now,
    const char *robot, int64_t tid, enum sd_outcome *outcome_r,
    int64_t *ticket_r, struct sd_err *err)
{
	struct sd_msgrec	 rec;
	bool			 bounce = robot_is_bounce(m);
	bool			 known;

	/* A bounce quotes our mail: its Message-ID names the ticket.  Not
	 * X-Supportd-Ticket, or any other text a sender can write. */
	for (size_t i = 0; tid == 0 && i < m->embedded_ids.n; i++)
		if (store_ticket_by_message_id(in->store, m->embedded_ids.v[i],
		    true, &tid, err) == -1 || (tid == 0 &&
		    store_vendor_mail_ticket(in->store, m->embedded_ids.v[i],
		    &tid, err) == -1))
			return -1;
	/* A message's ticket_id references a ticket (a foreign key). */
	known = tid != 0;
	msgrec_from_mail(&rec, f, m, key, received);
	rec.ticket_id = known ? tid : 0;
	rec.disposition = !known ? "ignored" : bounce ? "bounce" : "automatic";
	rec.reason = robot;
	*outcome_r = known ? SD_IN_AUTOMATIC : SD_IN_IGNORED;
	*ticket_r = known ? tid : 0;
	if (store_message_insert(in->store, &rec, NULL, err) == -1)
		return -1;
	if (!known)
		return 0;
	return store_event_add(in->store, tid, now, "system", bounce ?
	    "delivery-failure" : "automatic-mail", bounce ? m->subject : robot,
	    err);
}

int
ingest_mail(const struct sd_ingest *in, const struct sd_fetched *f,
    enum sd_outcome *outcome_r, int64_t *ticket_r, struct sd_err *err)
{
	const struct sd_mail	*m = f->mail;	/* intake's; not freed here */
	struct sd_ticket	 t;
	struct sd_msgrec	 probe;
	const char		*robot;
	char			*key = NULL;
	sd_time			 now = sd_now(), received;
	int64_t			 tid = 0;
	bool			 known, found;
	int			 ret = -1;

	*ticket_r = 0;
	received = received_time(f->internaldate, now);
	key = dedupe_key(m, f);
	msgrec_from_mail(&probe, f, m, key, received);
	probe.message_id = mail_msgid(m);
	if (store_message_known(in->store, &probe, &known, err) == -1)
		goto out;
	if (known) {
		*outcome_r = SD_IN_DUPLICATE;
	} else if (m == NULL || m->from.addr == NULL) {
		*outcome_r = SD_IN_QUARANTINED;
		if (quarantine(in, f, m, key, now, m != NULL ?
		    "no sender address (From)" : f->parse_err != NULL ?
		    f->parse_err : "unparsable", err) == -1)
			goto out;
	} else {
		int64_t note = 0;

		robot = robot_reason(m);
		memset(&t, 0, sizeof(t));
		found = false;
		/* A reply to a notification names its ticket by the note
		 * address it was sent to (SPEC §13.2). */
		if (robot == NULL && (ingest_note_ticket(in, m, &note,
		    err) == -1 || (note != 0 && thread_load(in, note, false,
		    m->from.addr, "note to", &t, &found, err) == -1))) {
			store_ticket_clear(&t);
			goto out;
		}
		if (!found && find_thread(in, m, robot == NULL, &t, &found,
		    err) == -1) {
			store_ticket_clear(&t);
			goto out;
		}
		if (!found)
			note = 0;
		tid = found ? t.id : 0;
		if (robot != NULL) {
			/* Never answered; kept on its ticket when it has one. */
			if (robot_onto(in, f, m, key, received, now, robot,
			    tid, outcome_r, &tid, err) == -1) {
				store_ticket_clear(&t);
				goto out;
			}
		} else if (found && (note != 0 ||
		    conf_is_vendor(in->conf, m->from.addr))) {
			/* The vendor side working the ticket (SPEC §9, §13.2). */
			if (vendor_mail(in, f, m, key, received, now, &t,
			    note != 0, outcome_r, err) == -1) {
				store_ticket_clear(&t);
				goto out;
			}
		} else if (found && t.status != SD_ST_CLOSED) {
			*outcome_r = SD_IN_THREADED;
			if (thread_onto(in, f, m, key, received, now, &t,
			    err) == -1) {
				store_ticket_clear(&t);
				goto out;
			}
		} else {
			int		prio = classify_priority(in->classifier,
			    m->subject, NULL);
			bool		joined = false;

			/* A new C1 may join its organization's incident. */
			if (!found && join_c1_incident(in, f, m, prio, key,
			    received, now, &joined, &tid, err) == -1)
				goto out;
			*outcome_r = joined ? SD_IN_THREADED : SD_IN_NEW_TICKET;
			/* New, or a reply to a closed ticket: a follow-up. */
			if (!joined && new_ticket(in, f, m, prio, key, received,
			    now, found ? t.id : 0, &tid, err) == -1) {
				store_ticket_clear(&t);
				goto out;
			}
		}
		store_ticket_clear(&t);
		*ticket_r = *outcome_r == SD_IN_IGNORED ? 0 : tid;
	}
	ret = 0;
 out:
	free(key);
	return ret;
}
