/* SPDX-License-Identifier: MIT */
/*
 * desk.c - notifications to the vendor side (SPEC §13.1), so a team
 * learns of work without polling supportctl list: a new ticket, a
 * customer's reply, an assignment, a reopened ticket.  Each is a
 * template and an event, sent as auto-generated mail, never to a
 * customer: an address that is one of the ticket's participants, or one
 * of our mailboxes, is never a recipient, whatever the config says.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/log.h"

/* Adds addr to rcpts unless it is no address, ours, there already, or
 * one of t's people (a customer). */
static int
add_rcpt(const struct sd_ingest *in, const struct sd_ticket *t,
    struct sd_strv *rcpts, const char *addr, struct sd_err *err)
{
	bool customer = false;

	if (addr == NULL || *addr == '\0' || strv_contains_ci(rcpts, addr) ||
	    ingest_is_our_address(in->conf, addr))
		return 0;
	if (people_is_customer(in, t, addr, &customer, err) == -1)
		return -1;
	if (customer) {
		log_warnx("ingest: ticket=%lld: %s is a participant; no "
		    "notification to it", (long long)t->id, addr);
		return 0;
	}
	strv_push(rcpts, addr);
	return 0;
}

static int
add_team(const struct sd_ingest *in, const struct sd_ticket *t,
    struct sd_strv *rcpts, struct sd_err *err)
{
	for (size_t i = 0; i < in->conf->team_emails.n; i++)
		if (add_rcpt(in, t, rcpts, in->conf->team_emails.v[i],
		    err) == -1)
			return -1;
	return 0;
}

int
desk_notify(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const char *name, const struct sd_mail *cause,
    const char *actor, sd_time now, struct sd_err *err)
{
	const struct sd_conf_org	*org;
	struct sd_strv			 rcpts = { 0 };
	int				 r = 0;

	if (strcmp(name, "notify-new") == 0) {
		if (!in->conf->priorities[ingest_prio(in, t)].notify_new)
			return 0;
		org = conf_org_named(in->conf, t->organization);
		r = add_team(in, t, &rcpts, err) == -1 || (org != NULL &&
		    add_rcpt(in, t, &rcpts, org->contacts[0], err) == -1);
	} else if (strcmp(name, "notify-assigned") == 0) {
		if (actor == NULL || t->assignee == NULL ||
		    g_ascii_strcasecmp(actor, t->assignee) != 0)
			r = add_rcpt(in, t, &rcpts, t->assignee, err);
	} else if (t->assignee != NULL)		/* reply, reopened */
		r = add_rcpt(in, t, &rcpts, t->assignee, err);
	/* No assignee, or none that may be told: the team. */
	if (r == 0 && rcpts.n == 0 && (strcmp(name, "notify-reply") == 0 ||
	    strcmp(name, "notify-reopened") == 0))
		r = add_team(in, t, &rcpts, err);
	if (r == 0)
		r = ingest_queue_notice(in, mb, t, name, &rcpts, cause, now,
		    err);
	strv_free(&rcpts);
	return r;
}

/* The ticket's last mail from a customer, as notify-assigned shows it. */
struct last_in {
	int64_t			 id;
	char			*body, *from, *msgid;
	GArray			*atts;		/* struct sd_attachment */
};

static int
last_in_one(void *arg, const struct sd_msgrec *m)
{
	struct last_in *l = arg;

	l->id = m->id;
	l->body = xstrdup(m->body ? m->body : "");
	l->from = m->from_addr ? xstrdup(m->from_addr) : NULL;
	l->msgid = m->message_id ? xstrdup(m->message_id) : NULL;
	return 0;
}

static int
last_att(void *arg, size_t n, const char *name, const char *type,
    int64_t size, const char *sha256)
{
	struct sd_attachment a;

	(void)n;
	memset(&a, 0, sizeof(a));
	a.name = name ? xstrdup(name) : NULL;
	a.type = xstrdup(type ? type : "application/octet-stream");
	a.size = (size_t)size;
	g_strlcpy(a.sha256, sha256 ? sha256 : "", sizeof(a.sha256));
	g_array_append_val(((struct last_in *)arg)->atts, a);
	return 0;
}

int
desk_notify_assigned(const struct sd_ingest *in,
    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
    const char *actor, sd_time now, struct sd_err *err)
{
	struct last_in	 l;
	struct sd_mail	 cause;
	int		 r = -1;

	memset(&l, 0, sizeof(l));
	l.atts = g_array_new(FALSE, TRUE, sizeof(struct sd_attachment));
	if (store_last_customer_message(in->store, t->id, false, last_in_one,
	    &l, err) == -1 || (l.id != 0 && store_message_attachments(in->store,
	    l.id, last_att, &l, err) == -1))
		goto out;
	memset(&cause, 0, sizeof(cause));
	cause.body = l.body;
	cause.from.addr = l.from;
	cause.message_id = l.msgid;
	cause.attachments = (struct sd_attachment *)(void *)l.atts->data;
	cause.nattachments = l.atts->len;
	r = desk_notify(in, mb, t, "notify-assigned", l.id != 0 ? &cause :
	    NULL, actor, now, err);
 out:
	for (guint i = 0; i < l.atts->len; i++) {
		free(g_array_index(l.atts, struct sd_attachment, i).name);
		free(g_array_index(l.atts, struct sd_attachment, i).type);
	}
	g_array_free(l.atts, TRUE);
	free(l.body);
	free(l.from);
	free(l.msgid);
	return r;
}
