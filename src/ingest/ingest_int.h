/* SPDX-License-Identifier: MIT */
/* ingest_int.h - private to src/ingest/. */
#ifndef SUPPORTD_INGEST_INT_H
#define SUPPORTD_INGEST_INT_H

#include "supportd/ingest.h"
#include "supportd/mail.h"

/*
 * Takes f in, in the caller's open transaction (ingest_group's unit):
 * the ticket, message, events and queued response.  Returns 0 when
 * done, with *outcome_r and *ticket_r (0 when none); -1 when it failed,
 * its writes half done: the caller rolls the unit back.
 */
int	ingest_mail(const struct sd_ingest *in, const struct sd_fetched *f,
	    enum sd_outcome *outcome_r, int64_t *ticket_r, struct sd_err *err);

/* queue.c: the domain of a mailbox's address, for Message-IDs. */
const char *ingest_domain_of(const char *addr);

/* NULL when m's topmost Authentication-Results header is from
 * trusted_authserv_id and shows dkim, spf or dmarc passing for the From
 * domain (authres_passes); else why not, for people. */
const char *ingest_unauthenticated(const struct sd_conf *c,
	    const struct sd_mail *m);

/* timers.c (SPEC §14).  The calendar t runs on (its organization's, else
 * its tier's); when its clock started; whether it may wake people after
 * hours (sla_wakes). */
const struct sd_calendar *ingest_calendar(const struct sd_ingest *in,
	    const struct sd_ticket *t);
/* The ticket's priority as an index (conf_prio_of). */
int	ingest_prio(const struct sd_ingest *in, const struct sd_ticket *t);
sd_time	ingest_clock_start(const struct sd_ingest *in, const struct sd_ticket *t);
bool	ingest_wakes(const struct sd_ingest *in, const struct sd_ticket *t);

/* route.c (SPEC §13.2).  The note address of ticket for mailbox mb, with its token.  Caller
 * owns *addr_r (NULL when mb's pattern cannot make one). */
int	ingest_note_address(const struct sd_ingest *in,
	    const struct sd_conf_mailbox *mb, int64_t ticket, char **addr_r,
	    struct sd_err *err);
/* The ticket of the first note address with a right token among m's To
 * and Cc, or of the mail to the vendor side m answers (In-Reply-To,
 * References), else 0. */
int	ingest_note_ticket(const struct sd_ingest *in, const struct sd_mail *m,
	    int64_t *ticket_r, struct sd_err *err);

/* people.c (SPEC §13.3).  The To and Cc of customer mail m on t who may
 * join it ("cc" when first, the mail that made it, else "joined"). */
int	people_from_mail(const struct sd_ingest *in, const struct sd_ticket *t,
	    const struct sd_mail *m, bool first, struct sd_err *err);
/* Appends to cc the people a response to t's customer is copied to,
 * but not to (the To address); none when cc_participants is off. */
int	people_copies(const struct sd_ingest *in, const struct sd_ticket *t,
	    const char *to, struct sd_strv *cc, struct sd_err *err);
/* Whether addr is one of t's customers: its requester, or (unless of
 * the vendor side, which never joins) a participant. */
int	people_is_customer(const struct sd_ingest *in, const struct sd_ticket *t,
	    const char *addr, bool *is_r, struct sd_err *err);
/* Why op ("add", "remove") of addr on t cannot be, or NULL.  Caller
 * owns. */
char	*people_refusal(const struct sd_conf *c, const struct sd_ticket *t,
	    const char *op, const char *addr);
/* An agent's "add" or "remove" of addr on t, as an event (#cc). */
int	people_change(const struct sd_ingest *in, const struct sd_ticket *t,
	    const char *op, const char *addr, const char *actor, sd_time now,
	    struct sd_err *err);

/* Whether addr is one of our mailboxes' addresses, or has the shape of
 * one of their note addresses (any token). */
bool	ingest_is_our_address(const struct sd_conf *c, const char *addr);
/* *why_r set when addr has had autoreply_limit automatic mails within
 * autoreply_window (SPEC §3.7), else NULL. */
int	ingest_address_limited(const struct sd_ingest *in, const char *addr,
	    sd_time now, const char **why_r, struct sd_err *err);
/* Whom an automatic reply to m goes to (answer.c): Reply-To only for a
 * sender of a known organization, within From's domain or that
 * organization; else From.  Borrowed from m. */
void	ingest_answer_to(const struct sd_conf *c, const struct sd_mail *m,
	    const char **name_r, const char **addr_r);
/*
 * Queues template name for t to to_addr as an automatic reply to cause
 * (ingest_queue_mail), unless to_addr is ours or a limit holds it back
 * (then the ticket gets an ack-suppressed event).  A stranger's ticket
 * (no organization) is shown in it only as an excerpt.
 */
int	ingest_acknowledge(const struct sd_ingest *in,
	    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
	    const char *name, const char *to_name, const char *to_addr,
	    const struct sd_mail *cause, sd_time now, bool first_response,
	    struct sd_err *err);

/* One outgoing mail of a ticket, all borrowed. */
struct sd_queued {
	const char		*kind;		/* template name, "reply", ... */
	const char		*subject;
	const char		*body;
	const struct sd_strv	*extra_headers;	/* "Name: value", or NULL */
	const char		*to_name;
	const char		*to_addr;
	const struct sd_strv	*cc;		/* or NULL */
	const char		*in_reply_to;	/* or NULL */
	const struct sd_strv	*references;	/* or NULL */
	bool			 automatic;	/* Auto-Submitted, null sender */
	/* A notification to the vendor side (SPEC §13.1): automatic,
	 * Auto-Submitted: auto-generated, but the mailbox as envelope
	 * sender, so that it counts in no customer's rate limit and its
	 * bounces come back to the ticket. */
	bool			 vendor;
	const char		*reply_to;	/* or NULL */
	struct sd_outatt	*atts;		/* multipart/mixed; or NULL */
	size_t			 natts;
	bool			 first_response;
	const char		*actor;		/* for the event; NULL: system */
};

/* Builds q, queues it in the outbox and records it on the ticket (in the
 * caller's transaction). */
int	ingest_queue_built(const struct sd_ingest *in,
	    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
	    const struct sd_queued *q, sd_time now, struct sd_err *err);

/*
 * Renders template name for ticket t, queues it in the outbox (in the
 * caller's transaction) and records it as an outgoing message of the
 * ticket, so a reply that carries only its Message-ID threads back.  It
 * goes to to_addr, plus cc (may be NULL), with the null envelope sender
 * and Auto-Submitted; a template to the vendor side (notify-*, pages,
 * escalations, reminders) goes as vendor mail (struct sd_queued) with
 * the ticket's note address as Reply-To.  cause (may be NULL) is the
 * mail it answers.
 * first_response: its delivery sets first_response_at (SPEC §5).
 */
int	ingest_queue_mail(const struct sd_ingest *in,
	    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
	    const char *name, const char *to_name, const char *to_addr,
	    const struct sd_strv *cc, const struct sd_mail *cause, sd_time now,
	    bool first_response, struct sd_err *err);

/*
 * Queues name (a template to the vendor side: notify-*, oncall-page,
 * ...) about t to rcpts, the first in To, the others in Cc
 * (ingest_queue_mail); nothing when rcpts is empty.
 */
int	ingest_queue_notice(const struct sd_ingest *in,
	    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
	    const char *name, const struct sd_strv *rcpts,
	    const struct sd_mail *cause, sd_time now, struct sd_err *err);
/* The same with extra placeholders: name, value pairs, NULL-ended. */
int	ingest_queue_notice_vars(const struct sd_ingest *in,
	    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
	    const char *name, const struct sd_strv *rcpts,
	    const char *const *extra, const struct sd_mail *cause, sd_time now,
	    struct sd_err *err);

/*
 * Notifications (desk.c, SPEC §13.1) of kind name about t, caused by
 * cause (may be NULL): notify-new to the team and the organization's
 * level-1 contact (per priority, notify_new), notify-reply and
 * notify-reopened to the assignee else the team, notify-assigned to
 * the new assignee (not when actor assigned himself).  Never to one of
 * the ticket's participants, an address of ours, or twice to one.
 */
int	desk_notify(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
	    const struct sd_ticket *t, const char *name,
	    const struct sd_mail *cause, const char *actor, sd_time now,
	    struct sd_err *err);

/* notify-assigned to t's new assignee, showing the ticket's last mail
 * from a customer (its text and attachments). */
int	desk_notify_assigned(const struct sd_ingest *in,
	    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
	    const char *actor, sd_time now, struct sd_err *err);

/*
 * Tells the people who must know about a new ticket (SPEC §6): a C1
 * after hours pages on-call (mail and webhook) unless the sender is of no
 * known organization or the organization was paged too often this hour;
 * and every new ticket, a C1 in business hours too, gets notify-new
 * (desk_notify).  Queued in the caller's transaction.
 */
int	notify_new_ticket(const struct sd_ingest *in,
	    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
	    const struct sd_mail *cause, sd_time now, struct sd_err *err);

/* Queues a JSON event about t for oncall.webhook (nothing when unset). */
int	notify_webhook(const struct sd_ingest *in, const struct sd_ticket *t,
	    const char *event, sd_time now, struct sd_err *err);

/* Schedules the SLA timers of a ticket just created (escalation, and the
 * C1 update reminder).  In the caller's transaction. */
int	timers_ticket_created(const struct sd_ingest *in,
	    const struct sd_ticket *t, struct sd_err *err);
/* Changes the status of t (loaded, in the caller's transaction) with
 * its consequences: an event, resolved_at, and the timers (resolving
 * stops escalation and starts the auto-close clock; reopening undoes
 * that).  t->status is updated. */
int	timers_set_status(const struct sd_ingest *in, struct sd_ticket *t,
	    enum sd_status status, const char *actor, sd_time now,
	    struct sd_err *err);

/* Whether t was merged into another (merge.c): closed, a Duplicate,
 * linked to it. */
bool	ingest_is_merged(const struct sd_ticket *t);

/* Runs fn on ticket id, loaded, inside one BEGIN IMMEDIATE transaction
 * that commits when fn returns 0.  SD_E_PERM for an unknown ticket. */
typedef int (*ingest_ticket_fn)(const struct sd_ingest *in,
	    struct sd_ticket *t, void *arg, struct sd_err *err);
int	ingest_on_ticket(const struct sd_ingest *in, int64_t id,
	    ingest_ticket_fn fn, void *arg, struct sd_err *err);

/* Whether value may not be t's assignee (err says why, SD_E_PERM): no
 * plain address, our mailbox, or one of t's customers.  true with
 * another class when the store failed. */
bool	timers_assignee_refused(const struct sd_ingest *in,
	    const struct sd_ticket *t, const char *value, struct sd_err *err);

/* ingest_ticket_set inside the caller's transaction, on a loaded t. */
int	timers_ticket_set(const struct sd_ingest *in, struct sd_ticket *t,
	    const char *field, const char *value, const char *actor,
	    sd_time now, struct sd_err *err);

/*
 * An agent's mail on ticket t (SPEC §9): #commands at the top applied,
 * the rest relayed to the requester (or kept, with #internal), all only
 * when the mail is authenticated; otherwise nothing is applied and the
 * agent is told why.  A note (note: sent to the ticket's note address
 * with a right token, SPEC §13.2) keeps its text internal unless
 * #reply, and needs authentication only to act (commands, #reply).  In the caller's transaction; the mail itself is
 * stored by the caller.
 */
int	agent_mail(const struct sd_ingest *in, struct sd_ticket *t,
	    const struct sd_mail *m, const char *raw, size_t rawlen, bool note,
	    sd_time now, struct sd_err *err);
/* Tells the sender of m why nothing of it was applied or sent, as an
 * automatic notice within autoreply_limit (its From may be forged: one
 * could have us mail-bomb an agent); an event records it. */
int	agent_refuse(const struct sd_ingest *in, struct sd_ticket *t,
	    const struct sd_mail *m, const char *why, sd_time now,
	    struct sd_err *err);

#endif
