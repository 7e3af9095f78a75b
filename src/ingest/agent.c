/* SPDX-License-Identifier: MIT */
/*
 * agent.c - what agents write to customers (SPEC §9): a reply goes to
 * the requester from the ticket's mailbox as a person's mail (no
 * Auto-Submitted, the mailbox as envelope sender), threaded on the
 * customer's last mail; an internal note stays on the ticket.  Either
 * counts as the agent writing, for the SLA report and C1 reminders.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest_int.h"
#include "supportd/thread.h"

/* The Message-ID of the customer's last mail on the ticket. */
static int
last_in(void *arg, const struct sd_msgrec *m)
{
	char **id = arg;

	if (strcmp(m->direction, "in") == 0 && m->message_id != NULL &&
	    strcmp(m->disposition, "ticket") == 0) {
		free(*id);
		*id = xstrdup(m->message_id);
	}
	return 0;
}

int
ingest_agent_reply(const struct sd_ingest *in, int64_t id, const char *body,
    const char *actor, bool internal, sd_time now, struct sd_err *err)
{
	const struct sd_conf_mailbox	*mb;
	struct sd_ticket		 t;
	struct sd_queued		 q;
	struct sd_msgrec		 rec;
	struct sd_strv			 refs = { 0 };
	char				*parent = NULL, *tag = NULL, *subject = NULL;
	bool				 found;
	int				 ret = -1;

	if (store_begin(in->store, err) == -1)
		return -1;
	if (store_ticket_get(in->store, id, &t, &found, err) == -1)
		goto fail;
	if (!found) {
		sd_err_set(err, SD_E_PERM, "no ticket %lld", (long long)id);
		goto fail;
	}
	mb = conf_mailbox(in->conf, t.mailbox);
	if (mb == NULL)
		mb = &in->conf->mailboxes[0];
	if (internal) {
		memset(&rec, 0, sizeof(rec));
		rec.ticket_id = id;
		rec.direction = "out";
		rec.mailbox = mb->name;
		rec.from_addr = actor;
		rec.disposition = "internal";
		rec.body = body;
		rec.at = now;
		if (store_message_insert(in->store, &rec, NULL, err) == -1 ||
		    store_event_add(in->store, id, now, actor, "internal-note",
		    NULL, err) == -1)
			goto fail;
	} else {
		if (store_ticket_messages(in->store, id, last_in, &parent,
		    err) == -1)
			goto fail;
		if (parent != NULL)
			strv_push(&refs, parent);
		tag = thread_format_tag(in->conf->ticket_tag, id);
		subject = xasprintf("%s Re: %s", tag, t.subject);
		memset(&q, 0, sizeof(q));
		q.kind = "reply";
		q.subject = subject;
		q.body = body;
		q.to_name = t.requester_name;
		q.to_addr = t.requester_email;
		q.in_reply_to = parent;
		q.references = &refs;
		q.automatic = false;
		q.actor = actor;
		if (ingest_queue_built(in, mb, &t, &q, now, err) == -1 ||
		    store_ticket_agent_wrote(in->store, id, now, err) == -1)
			goto fail;
	}
	if (store_commit(in->store, err) == -1)
		goto out;
	ret = 0;
	goto out;
 fail:
	store_rollback(in->store);
 out:
	store_ticket_clear(&t);
	strv_free(&refs);
	free(parent);
	free(tag);
	free(subject);
	return ret;
}
