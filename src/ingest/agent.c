/* SPDX-License-Identifier: MIT */
/*
 * agent.c - what agents write to customers (SPEC §9): a reply goes to
 * the requester from the ticket's mailbox as a person's mail (no
 * Auto-Submitted, the mailbox as envelope sender), threaded on the
 * customer's last mail; an internal note stays on the ticket.  Either
 * counts as the agent writing, for the SLA report and C1 reminders.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/authres.h"
#include "supportd/log.h"
#include "supportd/thread.h"

/* The Message-ID of the customer's last mail on the ticket. */
static int
last_in(void *arg, const struct sd_msgrec *m)
{
	char **id = arg;

	*id = xstrdup(m->message_id);
	return 0;
}

/* SPEC §13.2: what the customer gets from an agent ends with his
 * signature, else his name, when the config gives one.  Caller owns;
 * NULL when it gives neither. */
static char *
signed_body(const struct sd_conf *c, const char *actor, const char *body)
{
	for (size_t i = 0; actor != NULL && i < c->nagent_info; i++) {
		const struct sd_conf_agent	*a = &c->agent_info[i];
		const char			*end = a->signature ?
						    a->signature : a->name;
		char				*text, *out;

		if (end == NULL || g_ascii_strcasecmp(a->email, actor) != 0)
			continue;
		text = g_strchomp(xstrdup(body));
		out = xasprintf("%s\n\n%s\n", text, end);
		free(text);
		return out;
	}
	return NULL;
}

static int
reply_locked(const struct sd_ingest *in, struct sd_ticket *t,
    const char *body, const char *actor, bool internal,
    struct sd_outatt *atts, size_t natts, sd_time now, struct sd_err *err)
{
	const struct sd_conf_mailbox	*mb = conf_mailbox(in->conf, t->mailbox);
	struct sd_queued		 q;
	struct sd_msgrec		 rec;
	struct sd_strv			 refs = { 0 };
	struct sd_strv			 cc = { 0 };
	char				*parent = NULL, *tag, *subject, *sig;
	int				 ret = -1;

	if (mb == NULL)
		mb = &in->conf->mailboxes[0];
	if (internal) {
		memset(&rec, 0, sizeof(rec));
		rec.ticket_id = t->id;
		rec.direction = SD_DIR_OUT;
		rec.mailbox = mb->name;
		rec.from_addr = actor;
		rec.disposition = "internal";
		rec.body = body;
		rec.at = now;
		return store_message_insert(in->store, &rec, NULL, err) == -1 ||
		    store_event_add(in->store, t->id, now, actor,
		    "internal-note", NULL, err) == -1 ? -1 : 0;
	}
	if (store_last_customer_message(in->store, t->id, true, last_in,
	    &parent, err) == -1 ||
	    people_copies(in, t, t->requester_email, &cc, err) == -1) {
		free(parent);
		strv_free(&cc);
		return -1;
	}
	if (parent != NULL)
		strv_push(&refs, parent);
	tag = thread_format_tag(in->conf->ticket_tag, t->id);
	subject = xasprintf("%s Re: %s", tag, t->subject);
	sig = signed_body(in->conf, actor, body);
	memset(&q, 0, sizeof(q));
	q.kind = "reply";
	q.subject = subject;
	q.body = sig ? sig : body;
	q.to_name = t->requester_name;
	q.to_addr = t->requester_email;
	q.cc = &cc;
	q.atts = atts;
	q.natts = natts;
	q.in_reply_to = parent;
	q.references = &refs;
	q.automatic = false;
	q.actor = actor;
	if (ingest_queue_built(in, mb, t, &q, now, err) == 0 &&
	    store_ticket_agent_wrote(in->store, t->id, now, err) == 0)
		ret = 0;
	strv_free(&refs);
	strv_free(&cc);
	free(parent);
	free(tag);
	free(subject);
	free(sig);
	return ret;
}

struct reply_args {
	const char	*body, *actor;
	bool		 internal;
	struct sd_outatt *atts;
	size_t		 natts;
	sd_time		 now;
};

static int
reply_fn(const struct sd_ingest *in, struct sd_ticket *t, void *arg,
    struct sd_err *err)
{
	struct reply_args *a = arg;

	return reply_locked(in, t, a->body, a->actor, a->internal, a->atts,
	    a->natts, a->now, err);
}

int
ingest_agent_reply(const struct sd_ingest *in, int64_t id, const char *body,
    const char *actor, bool internal, struct sd_outatt *atts, size_t natts,
    sd_time now, struct sd_err *err)
{
	struct reply_args a = { body, actor, internal, atts, natts, now };
	size_t total = 0;

	for (size_t i = 0; i < natts; i++)
		total += atts[i].size;
	if (internal && natts > 0)
		return sd_err_set(err, SD_E_PERM, "an internal note carries no "
		    "attachments");
	if ((int64_t)total > in->conf->max_outgoing_attachments)
		return sd_err_set(err, SD_E_PERM, "the attachments are %zu "
		    "bytes, over max_outgoing_attachments (%lld)", total,
		    (long long)in->conf->max_outgoing_attachments);

	return ingest_on_ticket(in, id, reply_fn, &a, err);
}

/* ---- agents by mail ------------------------------------------------ */

/*
 * Only the topmost Authentication-Results header is read: our MX adds it
 * last, so anything below it came from the sender and may be forged, and
 * one from another authserv-id is someone else's claim.
 */
const char *
ingest_unauthenticated(const struct sd_conf *c, const struct sd_mail *m)
{
	const char		*domain = strrchr(m->from.addr, '@');
	const char		*why = NULL;
	struct sd_authres	 ar;

	if (c->trusted_authserv_id == NULL)
		return "no trusted_authserv_id is configured";
	if (m->auth_results.n == 0)
		return "the mail has no Authentication-Results header";
	if (authres_parse(m->auth_results.v[0], strlen(m->auth_results.v[0]),
	    &ar) == -1)
		why = "the topmost Authentication-Results header cannot be "
		    "read (RFC 8601)";
	else if (g_ascii_strcasecmp(ar.authserv_id, c->trusted_authserv_id)
	    != 0)
		why = "the topmost Authentication-Results header is not from "
		    "the trusted authserv-id";
	else if (!authres_passes(&ar, c->trusted_authserv_id,
	    domain ? domain + 1 : NULL))
		why = "no dkim=pass, spf=pass or dmarc=pass for your domain in "
		    "the trusted Authentication-Results header";
	authres_clear(&ar);
	return why;
}

/* SPEC §9: an agent's commands count only from a mail that passes. */
static const char *
auth_refusal(const struct sd_conf *c, const struct sd_mail *m)
{
	if (!c->agents_require_auth)
		return NULL;
	if (c->trusted_authserv_id == NULL)
		return "agents_require_auth is on but no trusted_authserv_id "
		    "is configured";
	return ingest_unauthenticated(c, m);
}

struct commands {
	const char	*status;
	const char	*priority;
	const char	*category;
	char		*assignee;	/* owned */
	char		*due;		/* owned: a time or "none" */
	bool		 internal;
	bool		 reply;		/* #reply: a note's text to the customer */
	struct sd_strv	 cc_ops;	/* "add" or "remove", and ... */
	struct sd_strv	 cc_addrs;	/* ... the address of each */
	const char	*rest;		/* borrowed: the text after them */
	char		*error;		/* owned: why nothing applies */
};

/* The static entry of list equal to v (any case), or NULL: commands keep
 * canonical names, not pointers into the mail. */
static const char *
one_of(const char *const *list, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (g_ascii_strcasecmp(v, list[i]) == 0)
			return list[i];
	return NULL;
}

/* Reads the #command lines at the top of body; all or nothing. */
static void
parse_commands(const struct sd_conf *c, const char *body,
    struct commands *cm)
{
	const char *p = body;

	memset(cm, 0, sizeof(*cm));
	for (;;) {
		const char	*nl, *v;
		char		*line;
		size_t		 n;
		bool		 bad = false;

		while (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
			p++;
		if (*p != '#')
			break;
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		line = g_strstrip(xstrndup(p, n));
		p += n;
		v = strchr(line, ' ');
		v = v ? v + 1 : "";
		while (*v == ' ')
			v++;
		if (g_ascii_strncasecmp(line, "#status ", 8) == 0)
			bad = (cm->status = one_of(sd_status_names,
			    SD_ST__COUNT, v)) == NULL;
		else if (g_ascii_strncasecmp(line, "#priority ", 10) == 0) {
			int pr = conf_prio_index(c, v);

			bad = pr < 0;
			if (!bad)
				cm->priority = conf_prio_name(c, pr);
		} else if (g_ascii_strncasecmp(line, "#category ", 10) == 0)
			bad = (cm->category = conf_category(c, v)) == NULL;
		else if (g_ascii_strncasecmp(line, "#assign ", 8) == 0) {
			bad = !sd_addr_plain(v) &&
			    g_ascii_strcasecmp(v, "none") != 0;
			if (!bad) {
				free(cm->assignee);
				cm->assignee = sd_strdup_lower(v);
			}
		} else if (g_ascii_strncasecmp(line, "#due ", 5) == 0) {
			sd_time when;

			bad = g_ascii_strcasecmp(v, "none") != 0 &&
			    sd_time_parse(v, &when) == -1;
			if (!bad) {
				free(cm->due);
				cm->due = xstrdup(v);
			}
		} else if (g_ascii_strcasecmp(line, "#internal") == 0)
			cm->internal = true;
		else if (g_ascii_strcasecmp(line, "#reply") == 0)
			cm->reply = true;
		else if (g_ascii_strncasecmp(line, "#cc ", 4) == 0) {
			bool add = g_ascii_strncasecmp(v, "add ", 4) == 0;

			bad = (!add && g_ascii_strncasecmp(v, "remove ", 7) != 0) ||
			    cm->cc_ops.n >= 20;
			if (!bad) {
				strv_push(&cm->cc_ops, add ? "add" : "remove");
				strv_push(&cm->cc_addrs, g_strchug((char *)v +
				    (add ? 4 : 7)));
			}
		}
		else if (g_ascii_strcasecmp(line, "#close") == 0)
			cm->status = sd_status_names[SD_ST_CLOSED];
		else
			bad = true;
		if (bad && cm->error == NULL) {
			char *prios = conf_prio_names(c);
			char *cats = conf_category_names(c);

			cm->error = xasprintf("cannot apply \"%s\" (#status, "
			    "#priority %s, #category %s, #assign ADDRESS, "
			    "#due TIME|none, #cc add|remove ADDRESS, #internal, "
			    "#reply, #close)", line, prios, cats);
			free(prios);
			free(cats);
		}
		free(line);
	}
	cm->rest = p;
}

int
agent_refuse(const struct sd_ingest *in, struct sd_ticket *t,
    const struct sd_mail *m, const char *why, sd_time now, struct sd_err *err)
{
	const struct sd_conf_mailbox	*mb = conf_mailbox(in->conf, t->mailbox);
	struct sd_queued		 q;
	const char			*held;
	char				*tag, *subject, *body;
	int				 r;

	if (store_event_add(in->store, t->id, now, m->from.addr,
	    "agent-refused", why, err) == -1 ||
	    ingest_address_limited(in, m->from.addr, now, &held, err) == -1)
		return -1;
	if (held != NULL) {
		log_info("ingest: ticket=%lld: no agent-refused notice to %s: "
		    "%s", (long long)t->id, m->from.addr, held);
		return 0;
	}
	tag = thread_format_tag(in->conf->ticket_tag, t->id);
	subject = xasprintf("%s Not applied: your commands", tag);
	body = xasprintf("Nothing in your mail about %s was applied and "
	    "nothing was sent to the customer:\n\n  %s\n\nFix that and "
	    "send it again.\n", tag, why);
	memset(&q, 0, sizeof(q));
	q.kind = "agent-refused";
	q.subject = subject;
	q.body = body;
	q.to_addr = m->from.addr;
	q.in_reply_to = m->message_id;
	q.automatic = true;
	r = ingest_queue_built(in, mb ? mb : &in->conf->mailboxes[0], t, &q,
	    now, err) == -1;
	free(tag);
	free(subject);
	free(body);
	return r ? -1 : 0;
}

/* The attachments of the agent's mail raw, each decoded into a file of
 * its own (never into memory) for the reply to carry; *n_r of them.  One
 * the walk cannot find again (an empty forwarded mail) is left out, as
 * is, from a note, a forwarded mail (a notification attached as the
 * original would carry internal text).  -1 when a file fails. */
static int
relay_attachments(const struct sd_mail *m, const char *raw, size_t len,
    bool note, struct sd_outatt *atts, size_t *n_r, struct sd_err *err)
{
	size_t	 k = m->nattachments, n = 0;
	int	*fds = g_new(int, k);
	bool	*found = g_new0(bool, k);
	int	 ret = -1;

	for (size_t i = 0; i < k; i++) {
		FILE *f;

		fds[i] = -1;
		if (note && m->attachments[i].type != NULL &&
		    strcmp(m->attachments[i].type, "message/rfc822") == 0)
			continue;
		if ((f = tmpfile()) == NULL || (fds[i] = dup(fileno(f))) == -1) {
			sd_err_set(err, SD_E_TEMP, "agent: a file for an "
			    "attachment: %s", g_strerror(errno));
			if (f != NULL)
				fclose(f);
			goto out;
		}
		fclose(f);
	}
	/* One walk writes them all. */
	if (mime_attachments_write(raw, len, fds, k, found, err) == -1)
		goto out;
	for (size_t i = 0; i < k; i++) {
		if (fds[i] == -1)
			continue;
		if (!found[i]) {
			log_warnx("agent: attachment %zu cannot be read again; "
			    "left out", i + 1);
			continue;
		}
		if (lseek(fds[i], 0, SEEK_SET) == -1) {
			sd_err_set(err, SD_E_TEMP, "agent: an attachment: %s",
			    g_strerror(errno));
			goto out;
		}
		atts[n].fd = fds[i];
		atts[n].name = m->attachments[i].name;
		atts[n].type = m->attachments[i].type;
		atts[n].size = m->attachments[i].size;
		fds[i] = -1;	/* the caller's now */
		n++;
	}
	ret = 0;
 out:
	for (size_t i = 0; i < k; i++)
		if (fds[i] != -1)
			close(fds[i]);
	*n_r = n;
	g_free(fds);
	g_free(found);
	return ret;
}

int
agent_mail(const struct sd_ingest *in, struct sd_ticket *t,
    const struct sd_mail *m, const char *raw, size_t rawlen, bool note,
    sd_time now, struct sd_err *err)
{
	struct commands	 cm;
	struct sd_outatt *atts = NULL;
	const char	*why = NULL, *actor = m->from.addr;
	char		*text = NULL, *ccwhy = NULL, *bigwhy = NULL;
	char		*asswhy = NULL;
	size_t		 total = 0, natts = 0;
	bool		 internal, acts;
	int		 r = 0;

	parse_commands(in->conf, m->body, &cm);
	/* In a note the text stays internal unless #reply; on the
	 * customer's thread it goes out unless #internal. */
	internal = note ? !cm.reply : cm.internal;
	/* The token says where a note belongs, not who wrote it: it goes
	 * to lists, pagers and assignees, and a From is easily forged.  A
	 * note that only adds text needs nothing more; one that acts
	 * (commands, #reply) is an agent's mail as any other (§9). */
	acts = cm.status || cm.priority || cm.category || cm.assignee ||
	    cm.due || cm.cc_ops.n > 0 || cm.reply;
	if (!note || acts)
		why = auth_refusal(in->conf, m);
	if (why == NULL)
		why = cm.error;
	/* All or nothing: every #cc is checked before any is applied. */
	for (size_t i = 0; why == NULL && i < cm.cc_ops.n; i++)
		why = ccwhy = people_refusal(in->conf, t, cm.cc_ops.v[i],
		    cm.cc_addrs.v[i]);
	/* What goes to the customer carries the agent's attachments, up to
	 * max_outgoing_attachments all together. */
	for (size_t i = 0; !internal && i < m->nattachments; i++)
		total += m->attachments[i].size;
	if (why == NULL && cm.assignee != NULL &&
	    g_ascii_strcasecmp(cm.assignee, "none") != 0) {
		struct sd_err aerr;

		sd_err_clear(&aerr);
		if (timers_assignee_refused(in, t, cm.assignee, &aerr)) {
			if (aerr.cls != SD_E_PERM) {
				*err = aerr;
				r = -1;
				goto out;
			}
			why = asswhy = xstrdup(aerr.msg);
		}
	}
	if (why == NULL && (int64_t)total > in->conf->max_outgoing_attachments)
		why = bigwhy = xasprintf("the attachments are %zu bytes, over "
		    "max_outgoing_attachments (%lld); send them some other "
		    "way", total,
		    (long long)in->conf->max_outgoing_attachments);
	if (why != NULL) {
		r = agent_refuse(in, t, m, why, now, err);
		goto out;
	}
	if (!internal && m->nattachments > 0) {
		atts = xcalloc(m->nattachments, sizeof(*atts));
		if ((r = relay_attachments(m, raw, rawlen, note, atts, &natts,
		    err)) == -1)
			goto out;
	}
	if ((cm.priority && timers_ticket_set(in, t, "priority", cm.priority,
	    actor, now, err) == -1) ||
	    (cm.category && timers_ticket_set(in, t, "category", cm.category,
	    actor, now, err) == -1) ||
	    (cm.assignee && timers_ticket_set(in, t, "assignee", cm.assignee,
	    actor, now, err) == -1) ||
	    (cm.due && timers_ticket_set(in, t, "due", cm.due, actor, now,
	    err) == -1)) {
		r = -1;
		goto out;
	}
	for (size_t i = 0; i < cm.cc_ops.n; i++)
		if ((r = people_change(in, t, cm.cc_ops.v[i], cm.cc_addrs.v[i],
		    actor, now, err)) == -1)
			goto out;
	/* The text goes out before a status change, so "#close" with a
	 * last word still sends the word.  The customer gets the agent's
	 * new text, without what it quotes (SPEC §13.4); a note is kept
	 * whole, as the mail is. */
	if (!internal)
		text = mail_new_text(cm.rest, NULL);
	if (note && internal)
		r = store_event_add(in->store, t->id, now, actor, "note",
		    NULL, err);
	/* Nothing of the agent's own (he only quoted): nothing is sent. */
	else if ((text != NULL ? *text != '\0' : *cm.rest != '\0') ||
	    natts > 0)
		r = reply_locked(in, t, text ? text : cm.rest, actor,
		    internal, atts, natts, now, err);
	if (r == -1)
		goto out;
	if (cm.status && timers_ticket_set(in, t, "status", cm.status, actor,
	    now, err) == -1)
		r = -1;
 out:
	for (size_t i = 0; i < natts; i++)
		close(atts[i].fd);
	free(atts);
	g_free(text);
	free(bigwhy);
	free(asswhy);
	free(ccwhy);
	strv_free(&cm.cc_ops);
	strv_free(&cm.cc_addrs);
	free(cm.assignee);
	free(cm.due);
	free(cm.error);
	return r;
}
