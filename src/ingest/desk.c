/* SPDX-License-Identifier: MIT */
/*
 * desk.c - notifications to the vendor side (SPEC §13.1), so a team
 * learns of work without polling supportctl list: a new ticket, a
 * customer's reply, an assignment, a reopened ticket.  Each is a
 * template and an event, sent as auto-generated mail, never to a
 * customer: an address that is one of the ticket's participants, or one
 * of our mailboxes, is never a recipient, whatever the config says.
 */
#include <string.h>

#include "ingest_int.h"
#include "supportd/log.h"

static const struct sd_conf_org *
org_of(const struct sd_conf *c, const struct sd_ticket *t)
{
	for (size_t i = 0; t->organization != NULL && i < c->norgs; i++)
		if (strcmp(c->orgs[i].name, t->organization) == 0)
			return &c->orgs[i];
	return NULL;
}

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
	/* The vendor side is never one of a ticket's people (people.c);
	 * only an address of no role of ours (an assignee) is looked up. */
	if (g_ascii_strcasecmp(addr, t->requester_email) == 0)
		customer = true;
	else if (!ingest_is_vendor(in->conf, addr) &&
	    store_participant_is(in->store, t->id, addr, false, &customer,
	    err) == -1)
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
		if (!in->conf->priorities[t->priority].notify_new)
			return 0;
		org = org_of(in->conf, t);
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
