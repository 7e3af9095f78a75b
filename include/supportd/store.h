/* SPDX-License-Identifier: MIT */
/*
 * store.h - the database.  src/store/ is the only user of <sqlite3.h> and
 * holds all SQL: schema, migrations (PRAGMA user_version), prepared
 * statements and transactions.  Times are UTC seconds; 0 means NULL.
 *
 * A unit of work is one transaction: store_begin, the writes,
 * store_commit (or store_rollback).  Every write runs inside BEGIN
 * IMMEDIATE so a concurrent supportctl makes us wait (busy timeout)
 * instead of failing half-way.  Transactions do not nest: a begin inside
 * one is an error (SD_E_BUG), never a silent no-op, so a caller's commit
 * always commits.  Whoever owns the unit decides what it holds (intake:
 * the mails of one fetch, ingest_group; timers: a batch).
 */
#ifndef SUPPORTD_STORE_H
#define SUPPORTD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/mail.h"
#include "supportd/util.h"

struct sd_store;

/* The status named s exactly, or -1. */
int	store_status_parse(const char *s);

/* Which way a stored mail went. */
enum sd_dir { SD_DIR_IN, SD_DIR_OUT, SD_DIR__COUNT };
extern const char *const sd_dir_names[SD_DIR__COUNT];

/* An outbox row's state (GUIDE §3.7): queued → sending → sent | failed. */
enum sd_out_status {
	SD_OUT_QUEUED, SD_OUT_SENDING, SD_OUT_SENT, SD_OUT_FAILED,
	SD_OUT__COUNT
};
extern const char *const sd_out_status_names[SD_OUT__COUNT];

struct sd_ticket {
	int64_t	 id;
	char	*mailbox;		/* owned */
	char	*subject;
	enum sd_status status;
	char	*priority;		/* its name */
	char	*category;
	char	*requester_email;
	char	*requester_name;	/* or NULL */
	char	*organization;		/* or NULL */
	char	*tier;
	char	*assignee;		/* or NULL */
	sd_time	 created_at;
	sd_time	 updated_at;
	sd_time	 first_response_at;	/* 0 = not yet */
	sd_time	 agent_response_at;
	sd_time	 response_due;
	sd_time	 resolution_due;
	int	 escalation_level;
	bool	 after_hours;
	int64_t	 linked_to;		/* 0 = none */
	int64_t	 nmessages;		/* filled by get/list */
	sd_time	 resolved_at;		/* when it last became resolved */
	sd_time	 last_agent_at;		/* an agent last wrote to the customer */
	bool	 due_by_agent;		/* resolution_due is an agent's date */
	/* SPEC §14.4: the escalation and resolution clocks stand still
	 * since paused_at (0: running); before, they stood paused_wall
	 * seconds, paused_bh of them business time. */
	sd_time	 paused_at;
	int64_t	 paused_wall;
	int64_t	 paused_bh;
	/* SPEC §14.6: its SLA period, 1 until a priority change, and when
	 * that began (0: the clock's start). */
	int	 period;
	sd_time	 period_start;
	/* SPEC §14.5: the warnings and breaches of the current period
	 * already sent (SD_SENT_*), and when the clocks last ran again. */
	unsigned sla_sent;
	sd_time	 resumed_at;
};
#define SD_SENT_RESPONSE_WARN		0x1
#define SD_SENT_RESPONSE_BREACH		0x2
#define SD_SENT_RESOLUTION_WARN		0x4
#define SD_SENT_RESOLUTION_BREACH	0x8
void	store_ticket_clear(struct sd_ticket *t);	/* frees the strings */

/* A stored mail, incoming or outgoing. */
struct sd_msgrec {
	int64_t		 id;
	int64_t		 ticket_id;	/* 0: no ticket (ignored, quarantined) */
	enum sd_dir	 direction;
	const char	*mailbox;
	uint32_t	 uidvalidity;	/* incoming only */
	uint32_t	 uid;
	const char	*dedupe_key;	/* incoming without a Message-ID:
					 * sha256 of raw; else NULL */
	const char	*message_id;	/* without <>, or NULL */
	const char	*in_reply_to;
	const char	*from_addr;
	const char	*subject;
	const char	*disposition;	/* "ticket" "ignored" "quarantined" "duplicate" "response" */
	const char	*reason;	/* or NULL */
	const char	*body;		/* text, or NULL */
	sd_time		 at;		/* received or queued */
	const void	*raw;		/* kept whole */
	size_t		 rawlen;
	/* Its attachments, recorded with it (SPEC §13.5); or none. */
	const struct sd_attachment *atts;
	size_t		 natts;
};

/* An outgoing mail in the outbox (GUIDE §3.7: queued → sending → sent|failed). */
struct sd_outrow {
	int64_t	 id;
	int64_t	 ticket_id;
	char	*kind;		/* owned: template name, "reply", ... */
	enum sd_out_status status;
	char	*mail_from;	/* "" for the null sender */
	char	*rcpts;		/* newline-separated addresses */
	char	*message_id;
	char	*raw;		/* CRLF message */
	size_t	 rawlen;
	/* A message over STORE_RAW_APART is kept in parts (raw is ""):
	 * store_outbox_read reads them. */
	bool	 raw_apart;
	size_t	 raw_size;	/* the message's length */
	int	 attempts;
	sd_time	 next_attempt_at;
	sd_time	 created_at;
	sd_time	 sent_at;
	char	*last_error;
	bool	 first_response;	/* sending it sets first_response_at / pending */
};
void	store_outrow_clear(struct sd_outrow *o);
#define STORE_RAW_APART	(1 << 20)

/* Opens (creating and migrating) path.  Caller owns; store_close. */
int	store_open(const char *path, struct sd_store **st_r, struct sd_err *err);
void	store_close(struct sd_store **st);
/* The value of the integer PRAGMA name, a name from the code (never
 * input): it is put into the statement as it is. */
int	store_pragma_int(struct sd_store *st, const char *name, int *v_r,
	    struct sd_err *err);
/* Sets the connection's page cache to kib KiB (store_open: 4096). */
int	store_cache_kib(struct sd_store *st, int kib, struct sd_err *err);
/* Checkpoints the WAL on a thread of its own (the daemon's writers);
 * store_checkpoints: how many of its checkpoints succeeded. */
int	store_checkpoint_apart(struct sd_store *st, struct sd_err *err);
unsigned store_checkpoints(struct sd_store *st);
/* Schema version this code writes. */
int	store_schema_version(void);

/* BEGIN IMMEDIATE; -1 with SD_E_BUG inside a transaction. */
int	store_begin(struct sd_store *st, struct sd_err *err);
/* store_begin that does not wait: *busy_r set (and 0 returned) when
 * another connection is writing. */
int	store_try_begin(struct sd_store *st, bool *busy_r, struct sd_err *err);
/* -1 when nothing was kept: the commit failed, or a failed statement
 * (SQLITE_FULL, I/O) had already ended the transaction. */
int	store_commit(struct sd_store *st, struct sd_err *err);
void	store_rollback(struct sd_store *st);
/* For tests: calls cb for each statement the mail path runs whose plan
 * reads a whole table (EXPLAIN QUERY PLAN "SCAN") or that builds a
 * temporary B-tree each run (OpenEphemeral); returns how many. */
int	store_plan_scans(struct sd_store *st,
	    void (*cb)(void *arg, const char *sql, const char *detail),
	    void *arg);

/* IMAP cursors.  get: 0 and values, or 0 with *found_r false. */
int	store_cursor_get(struct sd_store *st, const char *mailbox,
	    uint32_t *uidvalidity_r, uint32_t *last_uid_r, bool *found_r,
	    struct sd_err *err);
int	store_cursor_set(struct sd_store *st, const char *mailbox,
	    uint32_t uidvalidity, uint32_t last_uid, struct sd_err *err);

/* Whether incoming mail m is stored already: by its dedupe key, or by
 * its Message-ID (when not NULL) with the same sender and text, so that
 * another mail reusing a Message-ID is not taken for a redelivery.  The
 * check and the insert share a write transaction, so nothing can come
 * between them. */
int	store_message_known(struct sd_store *st, const struct sd_msgrec *m,
	    bool *known_r, struct sd_err *err);
int	store_message_insert(struct sd_store *st, const struct sd_msgrec *m,
	    int64_t *id_r, struct sd_err *err);
/* Mail to the vendor side about ticket (SPEC §13.2): its Message-ID
 * recorded; the ticket a recorded one is about, or 0. */
int	store_vendor_mail_add(struct sd_store *st, const char *message_id,
	    int64_t ticket, struct sd_err *err);
int	store_vendor_mail_ticket(struct sd_store *st, const char *message_id,
	    int64_t *ticket_r, struct sd_err *err);

/* The attachments of stored mail msg, in order.  Strings valid during
 * the callback. */
typedef int (*store_att_cb)(void *arg, size_t n, const char *name,
	    const char *type, int64_t size, const char *sha256);
int	store_message_attachments(struct sd_store *st, int64_t msg,
	    store_att_cb cb, void *arg, struct sd_err *err);
/* The raw mail of stored mail msg (caller owns, g_free) and its ticket;
 * *raw_r NULL when there is no such mail or it has no raw. */
int	store_message_raw(struct sd_store *st, int64_t msg, int64_t *ticket_r,
	    void **raw_r, size_t *len_r, struct sd_err *err);

/* The ticket holding a mail with this Message-ID, one we sent when
 * ours (else in or out); 0 if none. */
int	store_ticket_by_message_id(struct sd_store *st, const char *message_id,
	    bool ours, int64_t *ticket_r, struct sd_err *err);

int	store_ticket_insert(struct sd_store *st, struct sd_ticket *t,
	    struct sd_err *err);		/* sets t->id */
/* 0 with *found_r; t filled when found (store_ticket_clear after). */
int	store_ticket_get(struct sd_store *st, int64_t id, struct sd_ticket *t,
	    bool *found_r, struct sd_err *err);
int	store_ticket_set_status(struct sd_store *st, int64_t id,
	    enum sd_status status, sd_time at, struct sd_err *err);
int	store_ticket_touch(struct sd_store *st, int64_t id, sd_time at,
	    struct sd_err *err);

/* Filters for listing; NULL fields (a status of -1, a time of 0)
 * match everything.  The due time is the response's until the first
 * response, then the resolution's. */
enum sd_ticket_order {
	SD_ORDER_ID, SD_ORDER_DUE, SD_ORDER_CREATED, SD_ORDER_UPDATED
};
struct sd_ticket_filter {
	int		 status;	/* enum sd_status, or -1 */
	const char	*priority;	/* a name */
	const char	*assignee;	/* "" for none */
	const char	*organization;
	const char	*tier;
	const char	*category;
	sd_time		 since;		/* created at or after */
	sd_time		 due_before;
	sd_time		 breached_at;	/* due before this and not done */
	enum sd_ticket_order order;
	int		 limit;		/* 0: all */
};
typedef int (*store_ticket_cb)(void *arg, const struct sd_ticket *t);
int	store_ticket_list(struct sd_store *st, const struct sd_ticket_filter *f,
	    store_ticket_cb cb, void *arg, struct sd_err *err);

typedef int (*store_msg_cb)(void *arg, const struct sd_msgrec *m);
int	store_ticket_messages(struct sd_store *st, int64_t ticket,
	    store_msg_cb cb, void *arg, struct sd_err *err);

/* The customer's last mail on ticket (direction in, disposition
 * ticket), and only one with a Message-ID when with_msgid: cb is
 * called once, or not when there is none. */
int	store_last_customer_message(struct sd_store *st, int64_t ticket,
	    bool with_msgid, store_msg_cb cb, void *arg, struct sd_err *err);

/* Every quarantined mail (SPEC §3.7a), oldest first; body is NULL. */
int	store_quarantine_list(struct sd_store *st, store_msg_cb cb, void *arg,
	    struct sd_err *err);

/* Adds email to ticket's people unless there (in any role, "removed"
 * included: an agent's remove sticks).  Roles: "requester", "cc" (a Cc
 * of the first mail, or added by an agent), "joined" (wrote or was
 * copied later), "removed". */
int	store_participant_add(struct sd_store *st, int64_t ticket,
	    const char *email, const char *role, struct sd_err *err);
/* Sets email's role on ticket, adding it if need be. */
int	store_participant_set(struct sd_store *st, int64_t ticket,
	    const char *email, const char *role, struct sd_err *err);
/* Each participant of ticket, in the order they came; role "removed"
 * too.  Strings valid during the callback. */
typedef int (*store_part_cb)(void *arg, const char *email, const char *role);
int	store_participants(struct sd_store *st, int64_t ticket,
	    store_part_cb cb, void *arg, struct sd_err *err);
/* Whether email is a participant of ticket (not one removed); with
 * first, only as the
 * requester or a Cc of the mail that made it (role "requester" or "cc",
 * not "joined": one who wrote to it later). */
int	store_participant_is(struct sd_store *st, int64_t ticket,
	    const char *email, bool first, bool *is_r, struct sd_err *err);

struct sd_event {
	int64_t		 id;
	int64_t		 ticket_id;
	sd_time		 at;
	const char	*actor;		/* "system", an agent's address, "customer" */
	const char	*kind;		/* "created", "status", "mail-in", ... */
	const char	*detail;	/* free text, may be NULL */
};
int	store_event_add(struct sd_store *st, int64_t ticket, sd_time at,
	    const char *actor, const char *kind, const char *detail,
	    struct sd_err *err);
/* How many events of ticket are of kind with detail (NULL: none). */
int	store_event_count(struct sd_store *st, int64_t ticket,
	    const char *kind, const char *detail, int64_t *n_r,
	    struct sd_err *err);
/* How many on-call pages ("page" events) were sent since `since` for
 * the tickets of organization org (NULL: of no organization). */
int	store_pages_since(struct sd_store *st, const char *org,
	    sd_time since, int64_t *n_r, struct sd_err *err);
typedef int (*store_event_cb)(void *arg, const struct sd_event *e);
int	store_ticket_events(struct sd_store *st, int64_t ticket,
	    store_event_cb cb, void *arg, struct sd_err *err);

/* Outbox. queue sets o->id. */
int	store_outbox_queue(struct sd_store *st, struct sd_outrow *o,
	    struct sd_err *err);
/* Queues a webhook row: body (JSON) POSTed to url, its event id the
 * row's message_id, for ticket (0: none). */
int	store_outbox_queue_webhook(struct sd_store *st, int64_t ticket,
	    const char *url, const char *id, const GString *body, sd_time now,
	    struct sd_err *err);
/* The next queued row due at now (status queued, next_attempt_at <= now)
 * with id > after; *found_r false when none.  o filled (clear after). */
int	store_outbox_next(struct sd_store *st, sd_time now, int64_t after,
	    struct sd_outrow *o, bool *found_r, struct sd_err *err);
/* The same, of the webhooks only. */
int	store_outbox_next_webhook(struct sd_store *st, sd_time now,
	    int64_t after, struct sd_outrow *o, bool *found_r,
	    struct sd_err *err);
/* Row id, whatever its status, without its message (o->raw is ""): for
 * marking it sent once the relay took it. */
int	store_outbox_get(struct sd_store *st, int64_t id, struct sd_outrow *o,
	    bool *found_r, struct sd_err *err);
/* The relay accepted row o at `at`: the row is sent, its ticket (if
 * any) gets a "mail-sent" event, and a first response sets the ticket's
 * first_response_at and moves it from open to pending (only the first
 * one counts).  Within the caller's transaction. */
int	store_outbox_sent(struct sd_store *st, const struct sd_outrow *o,
	    sd_time at, struct sd_err *err);
/* Up to n bytes of row id's message from offset off into buf; *got_r
 * how many (0 at its end).  Outside a transaction is fine. */
int	store_outbox_read(struct sd_store *st, int64_t id, size_t off,
	    void *buf, size_t n, size_t *got_r, struct sd_err *err);
int	store_outbox_mark_retry(struct sd_store *st, int64_t id, int attempts,
	    sd_time next_at, const char *error, struct sd_err *err);
int	store_outbox_mark_failed(struct sd_store *st, int64_t id,
	    const char *error, struct sd_err *err);
typedef int (*store_outbox_cb)(void *arg, const struct sd_outrow *o);
int	store_outbox_list(struct sd_store *st, bool include_sent,
	    store_outbox_cb cb, void *arg, struct sd_err *err);

/* SLA timers: one per ticket and kind ("escalate", "c1-reminder",
 * "auto-close"); setting one again moves it. */
struct sd_timer {
	int64_t	 id;
	int64_t	 ticket_id;
	char	 kind[32];
	sd_time	 due_at;
	int64_t	 arg;		/* escalate: the level it raises to */
};
int	store_timer_set(struct sd_store *st, int64_t ticket, const char *kind,
	    sd_time due_at, int64_t arg, struct sd_err *err);
/* kind NULL: every timer of the ticket. */
int	store_timer_delete(struct sd_store *st, int64_t ticket,
	    const char *kind, struct sd_err *err);
/* The earliest timer due at now; *found_r false when none. */
int	store_timer_next(struct sd_store *st, sd_time now, struct sd_timer *t,
	    bool *found_r, struct sd_err *err);

/* Ticket fields an agent may set besides the status. */
enum sd_field { SD_F_PRIORITY = 1, SD_F_CATEGORY, SD_F_ASSIGNEE };
int	store_ticket_set_field(struct sd_store *st, int64_t id,
	    enum sd_field f, const char *value, sd_time at, struct sd_err *err);
/* 0 stores NULL (no target). */
int	store_ticket_set_due(struct sd_store *st, int64_t id,
	    sd_time response_due, sd_time resolution_due, struct sd_err *err);
/* Moves ticket from's messages, participants (its requester as a Cc)
 * and events to into, drops from's timers, and marks from a Duplicate
 * linked to into; its status is the caller's.  In the caller's
 * transaction. */
int	store_ticket_merge(struct sd_store *st, int64_t from, int64_t into,
	    struct sd_err *err);
/* An agent's resolution due date (by_agent), or the SLA's again. */
int	store_ticket_set_agent_due(struct sd_store *st, int64_t id, sd_time due,
	    bool by_agent, sd_time at, struct sd_err *err);
int	store_ticket_set_level(struct sd_store *st, int64_t id, int level,
	    sd_time at, struct sd_err *err);
/* at 0 clears it (reopened). */
int	store_ticket_set_resolved(struct sd_store *st, int64_t id, sd_time at,
	    struct sd_err *err);
/* A closed SLA period of a ticket (SPEC §14.6): the targets it had and
 * their outcome ("met", "breached", "met-by-downgrade", "open" when cut
 * short before due, "none" without a target). */
struct sd_sla_period {
	const char	*priority;
	const char	*tier;
	sd_time		 started_at;
	sd_time		 ended_at;
	sd_time		 response_due;	/* 0: none */
	sd_time		 resolution_due;
	const char	*response;
	const char	*resolution;
};
/* The tickets not resolved or closed that have no timer of kind, by
 * id. */
typedef int (*store_id_cb)(void *arg, int64_t id);
int	store_open_without_timer(struct sd_store *st, const char *kind,
	    store_id_cb cb, void *arg, struct sd_err *err);
/* Records p as period t->period of t, and starts t's next one at
 * p->ended_at. */
int	store_period_close(struct sd_store *st, const struct sd_sla_period *p,
	    const struct sd_ticket *t, struct sd_err *err);
/* Stores t's paused_at, paused_wall, paused_bh, resumed_at and
 * sla_sent. */
int	store_ticket_set_clocks(struct sd_store *st, const struct sd_ticket *t,
	    struct sd_err *err);
/* An agent wrote to the customer: last_agent_at, and agent_response_at
 * the first time. */
int	store_ticket_agent_wrote(struct sd_store *st, int64_t id, sd_time at,
	    struct sd_err *err);

/* Automatic mails queued since `since` to rcpt, or acknowledgements on
 * ticket (SPEC §3.7 rate limits). */
int	store_autoreplies_to(struct sd_store *st, const char *rcpt,
	    sd_time since, int64_t *n_r, struct sd_err *err);
int	store_autoreplies_ticket(struct sd_store *st, int64_t ticket,
	    sd_time since, int64_t *n_r, struct sd_err *err);
/* A counter of fixed windows: store_rate_get gives key's count in the
 * window that began at since (0 for another window), store_rate_add
 * counts one more in it (the first of a new window starts it at 1). */
int	store_rate_get(struct sd_store *st, const char *key, sd_time since,
	    int64_t *n_r, struct sd_err *err);
int	store_rate_add(struct sd_store *st, const char *key, sd_time since,
	    struct sd_err *err);
/* The oldest unresolved ticket of org of priority (a name: the most
 * urgent one's, C1) created in [since, until], or 0. */
int	store_open_c1_of_org(struct sd_store *st, const char *org,
	    const char *priority, sd_time since, sd_time until, int64_t *id_r,
	    struct sd_err *err);

/* The secret name (schema-made, e.g. "note-key") into buf, at most
 * size bytes; *len_r its length, 0 when there is none. */
int	store_secret(struct sd_store *st, const char *name, void *buf,
	    size_t size, size_t *len_r, struct sd_err *err);

/*
 * An OAuth2 login's tokens (SPEC §15.3), by name: "imap:MAILBOX" or
 * "smtp".  Times are the real clock's (a provider's, not --now's).
 */
struct sd_token {
	char	*name;
	char	*issuer;	/* "TOKEN_URL CLIENT": whose tokens these are */
	char	*access_token;	/* or NULL */
	sd_time	 expires_at;
	sd_time	 obtained_at;
	char	*refresh_token;	/* or NULL */
	char	*last_error;	/* or NULL; never a token or secret */
	sd_time	 error_at;
	int	 failures;	/* failed requests in a row */
	bool	 dead;		/* refused for good: a login is needed */
	sd_time	 next_try;	/* no request before (backoff) */
	bool	 alerted;	/* this run of failures was told */
};

void	store_token_clear(struct sd_token *t);
/* *found_r false (t cleared) when there is no row of that name. */
int	store_token_get(struct sd_store *st, const char *name,
	    struct sd_token *t, bool *found_r, struct sd_err *err);
/* Writes the whole row in one statement (its own transaction unless
 * one is open). */
int	store_token_put(struct sd_store *st, const struct sd_token *t,
	    struct sd_err *err);
/* Every row, by name: *rows_r (n_r of them) is the caller's to free
 * with store_token_list_free. */
int	store_token_list(struct sd_store *st, struct sd_token **rows_r,
	    size_t *n_r, struct sd_err *err);
void	store_token_list_free(struct sd_token **rows, size_t n);

/*
 * SPEC §16.1: what a daemon says of itself (its heartbeat) and of each
 * mailbox it serves, for supportctl status, the metrics and the admin
 * alerts.  Times are sd_now()'s.
 */
struct sd_instance {
	char	*name;		/* the host it runs on */
	int64_t	 pid;
	char	*version;
	sd_time	 started_at;
	sd_time	 beat_at;	/* the last heartbeat */
	bool	 stopped;	/* it said so when it stopped */
	char	*status;	/* what it told systemd last, or NULL */
};

enum sd_mb_state {
	SD_MB_IDLE,		/* waiting: in IDLE, or for its next poll */
	SD_MB_POLLING,		/* connecting, selecting, searching */
	SD_MB_FETCHING,		/* taking mail in */
	SD_MB_BACKOFF,		/* failed; tried again after a backoff (and
				 * so while it is tried) */
	SD_MB_AUTHFAIL,		/* login or certificate refused; likewise */
	SD_MB__COUNT
};
extern const char *const sd_mb_state_names[SD_MB__COUNT];

struct sd_mbstatus {
	char		*mailbox;
	char		*instance;	/* which instance wrote it */
	enum sd_mb_state state;
	sd_time		 connected_since;	/* 0: not connected */
	sd_time		 last_success;		/* 0: never */
	sd_time		 first_try;		/* the first poll ever */
	char		*last_error;		/* or NULL */
	sd_time		 error_at;
	sd_time		 updated_at;
	sd_time		 polling_since;	/* the poll under way began; 0: none */
};

void	store_instance_clear(struct sd_instance *in);
void	store_mbstatus_clear(struct sd_mbstatus *m);
/* Writes the heartbeat (self, or NULL for --once) and the mailboxes'
 * rows in one transaction; a mailbox's last_success, first_try and
 * last error never go back in time.  With busy_r, a database another
 * writer holds is not waited for: *busy_r set, nothing written. */
int	store_status_put(struct sd_store *st, const struct sd_instance *self,
	    const struct sd_mbstatus *mbs, size_t n, bool *busy_r,
	    struct sd_err *err);
/* Every instance's row, by name: *rows_r (n_r) freed with
 * store_instance_list_free. */
int	store_instance_list(struct sd_store *st, struct sd_instance **rows_r,
	    size_t *n_r, struct sd_err *err);
void	store_instance_list_free(struct sd_instance **rows, size_t n);
/* Forgets a mailbox taken out of the configuration. */
int	store_mbstatus_delete(struct sd_store *st, const char *mailbox,
	    struct sd_err *err);
/* *found_r false (m cleared) when the mailbox has no row yet. */
int	store_mbstatus_get(struct sd_store *st, const char *mailbox,
	    struct sd_mbstatus *m, bool *found_r, struct sd_err *err);

/* Counts for monitoring, each read through an index. */
struct sd_opcounts {
	int64_t	 outbox_queued;
	int64_t	 outbox_failed;
	sd_time	 outbox_oldest;		/* created_at; 0: none queued */
	int64_t	 timers_due;		/* due at now or before */
	sd_time	 timers_oldest;		/* the earliest due; 0: none */
	int64_t	 db_bytes;
};
int	store_opcounts(struct sd_store *st, sd_time now, struct sd_opcounts *c,
	    struct sd_err *err);
/* Failed outbox rows but the alerts' own (SPEC §16.3: an alert nobody
 * could take is no news to alert of). */
int	store_outbox_given_up(struct sd_store *st, int64_t *n_r,
	    struct sd_err *err);
/* Mails held in quarantine from mailbox. */
int	store_quarantined(struct sd_store *st, const char *mailbox,
	    int64_t *n_r, struct sd_err *err);

/* SPEC §16.3: an incident, open (closed_at 0) from the first time its
 * condition is seen until it clears; kind and subject ("mailbox-down",
 * "support") name it. */
struct sd_incident {
	int64_t	 id;		/* 0: not stored yet */
	char	*kind;
	char	*subject;	/* "" when the kind has none */
	sd_time	 opened_at;
	sd_time	 seen_at;	/* the condition was last seen */
	sd_time	 alerted_at;	/* 0: not told yet */
	sd_time	 closed_at;
	bool	 held;		/* the hourly cap held its alert back */
	char	*detail;	/* for people, or NULL */
};

void	store_incident_clear(struct sd_incident *i);
/* The open incident of kind and subject; *found_r false (i cleared)
 * when there is none. */
int	store_incident_get(struct sd_store *st, const char *kind,
	    const char *subject, struct sd_incident *i, bool *found_r,
	    struct sd_err *err);
/* Inserts i (id 0: sets it) or writes it whole. */
int	store_incident_put(struct sd_store *st, struct sd_incident *i,
	    struct sd_err *err);
/* The open incidents, oldest first: *rows_r (n_r) freed with
 * store_incident_list_free. */
int	store_incident_list(struct sd_store *st, struct sd_incident **rows_r,
	    size_t *n_r, struct sd_err *err);
void	store_incident_list_free(struct sd_incident **rows, size_t n);
/* The count kind's last look saw; *found_r false: none yet. */
int	store_alert_mark_get(struct sd_store *st, const char *kind,
	    int64_t *n_r, bool *found_r, struct sd_err *err);
int	store_alert_mark_set(struct sd_store *st, const char *kind, int64_t n,
	    struct sd_err *err);

/* HMAC-SHA256 of msg under the note key, as hex into out (65 bytes);
 * keyed once a connection, copied per call. */
int	store_note_hmac(struct sd_store *st, const char *msg, size_t len,
	    char out[65], struct sd_err *err);

/* Full-text search (SPEC §13.6) over the subjects and text of every
 * ticket's mails.  query is what an agent typed: its words must all
 * occur (any case, accents ignored), a word ending in '*' is a prefix;
 * nothing in it is search syntax.  One hit per ticket, its best-ranked
 * mail, best first; strings borrowed, valid during the callback. */
struct sd_search_hit {
	int64_t		 ticket_id;
	int64_t		 message_id;
	const char	*snippet;	/* matches in [brackets] */
	double		 score;		/* bm25: lower is better */
	const char	*subject;	/* the ticket's */
	enum sd_status	 status;
	const char	*priority;
};
typedef int (*store_search_cb)(void *arg, const struct sd_search_hit *h);
/* Indexes up to max messages stored since the last call, in a
 * transaction of its own; *n_r says how many (fewer than max: it caught
 * up).  With wait false, *n_r is 0 when another connection is writing.
 * The daemon calls it between rounds; store_search catches up first. */
int	store_search_index(struct sd_store *st, int max, bool wait, int *n_r,
	    struct sd_err *err);
/* SD_E_PERM when query has no word. */
int	store_search(struct sd_store *st, const char *query, int limit,
	    store_search_cb cb, void *arg, struct sd_err *err);

/* The SLA facts of one ticket, for supportctl report.  Strings borrowed,
 * valid during the callback. */
struct sd_report_row {
	int64_t		 id;
	const char	*priority;
	const char	*tier;
	sd_time		 created_at;
	sd_time		 first_response_at;
	sd_time		 agent_response_at;
	sd_time		 response_due;
	bool		 after_hours;
	int		 escalation_level;
	int64_t		 pages;
	sd_time		 resolution_due;
	sd_time		 resolved_at;	/* 0: not resolved or closed */
	const char	*organization;	/* or NULL */
	int		 period;	/* its current SLA period, from 1 */
	sd_time		 period_start;	/* 0: the clock's start */
	unsigned	 sla_sent;	/* SD_SENT_* of that period */
	int64_t		 update_breaches;	/* silences too long */
};
typedef int (*store_report_cb)(void *arg, const struct sd_report_row *r);
/* Every ticket created at or after since, oldest first. */
int	store_report(struct sd_store *st, sd_time since, store_report_cb cb,
	    void *arg, struct sd_err *err);
/* The closed SLA periods (SPEC §14.6) of those tickets; strings
 * borrowed, valid during the callback. */
struct sd_report_period {
	int64_t			 ticket_id;
	const char		*organization;	/* or NULL */
	struct sd_sla_period	 p;
	int			 seq;
};
typedef int (*store_period_cb)(void *arg, const struct sd_report_period *r);
int	store_report_periods(struct sd_store *st, sd_time since,
	    store_period_cb cb, void *arg, struct sd_err *err);
/* The sla-breach events at or after since. */
typedef int (*store_breach_cb)(void *arg, sd_time at);
int	store_report_breaches(struct sd_store *st, sd_time since,
	    store_breach_cb cb, void *arg, struct sd_err *err);

#endif
