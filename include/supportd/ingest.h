/* SPDX-License-Identifier: MIT */
/*
 * ingest.h - one fetched mail to its ticket, events and queued response,
 * in one database transaction (SPEC §2, §3.5-§3.8).  The IMAP side hands
 * over raw bytes; this module decides, and the store commits.
 */
#ifndef SUPPORTD_INGEST_H
#define SUPPORTD_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supportd/classify.h"
#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/fetched.h"
#include "supportd/sla.h"
#include "supportd/store.h"
#include "supportd/tmpl.h"

/* Everything the pipeline reads; all borrowed. */
struct sd_ingest {
	const struct sd_conf		*conf;
	struct sd_store			*store;
	const struct sd_tmpl_set	*tmpl;
	const struct sd_classifier	*classifier;
	const struct sd_calendars	*calendars;
};

/* What became of a mail, for the caller's log and counters. */
enum sd_outcome {
	SD_IN_NEW_TICKET, SD_IN_THREADED, SD_IN_AUTOMATIC, SD_IN_IGNORED,
	SD_IN_DUPLICATE, SD_IN_QUARANTINED, SD_IN_AGENT, SD_IN_NOTE,
	SD_IN_VENDOR_REFUSED,
};
const char *ingest_outcome_name(enum sd_outcome o);

/*
 * Takes the mails of g in as one unit of work: one transaction holds
 * every mail's ticket, message, events and queued response and the
 * mailbox cursor at the last mail taken in; it commits, and only then
 * are the mails kept (g->keep).  A mail that fails is left out: the
 * unit is rolled back and the mails before it taken in again without it
 * (then -1 with err: the poll stops; SD_E_TEMP, the mail is tried again
 * later).  stopping(arg) (may be NULL) is asked after each mail: true
 * ends the unit there (kept), and -1 is returned with "stopping".
 * *kept_r is the number of mails kept.
 */
int	ingest_group(const struct sd_ingest *in, struct sd_fetch_group *g,
	    bool (*stopping)(void *arg), void *arg, size_t *kept_r,
	    struct sd_err *err);

/* The cursor of mailbox: see struct sd_intake_sink. */
int	ingest_cursor(const struct sd_ingest *in, const char *mailbox,
	    uint32_t *uidvalidity_r, uint32_t *last_uid_r, bool *found_r,
	    struct sd_err *err);

/* The mail parser, for intake's parse-ahead thread (any thread): NULL
 * with errbuf filled when raw cannot be parsed. */
struct sd_mail *ingest_parse(const char *raw, size_t len, char *errbuf,
	    size_t errlen);
void	ingest_parse_free(struct sd_mail **m);

/*
 * Fires every SLA timer due at now (escalations, C1 reminders,
 * auto-close), each in its own transaction with what it sends.  Run by
 * supportd's loop and by `supportctl tick`.  *fired_r may be NULL.
 */
int	ingest_tick(const struct sd_ingest *in, sd_time now, int *fired_r,
	    struct sd_err *err);

/*
 * SPEC §16.3: one look at what can be wrong (mailboxes not polled,
 * OAuth2 logins failing, the outbox, the quarantine), telling
 * admin.emails and oncall.webhook once an incident and once at its
 * recovery, at most admin.max_alerts_per_hour.  One transaction; with
 * busy_r a database another writer holds is not waited for (*busy_r
 * set, nothing done).  Run by the daemon after each heartbeat and by
 * --once after its intake.
 */
int	ingest_alerts(const struct sd_ingest *in, sd_time now, bool *busy_r,
	    struct sd_err *err);

/*
 * At start and reload (SPEC §14.4, §14.5): the open tickets that lack a
 * timer their targets, update or ladder now want (made before a version
 * that had them, or under a configuration without them) get it, in one
 * transaction; a target already past due is history and gets none.
 * *n_r (may be NULL) is how many timers were looked at.
 */
int	ingest_resync(const struct sd_ingest *in, sd_time now, int *n_r,
	    struct sd_err *err);

/*
 * An agent's change (supportctl set, mail commands): field is status,
 * priority, category or assignee.  One transaction with its event and
 * consequences (due times follow the priority; resolving stops
 * escalation and starts auto-close).  -1 with SD_E_PERM for a bad value
 * or an unknown ticket.
 */
int	ingest_ticket_set(const struct sd_ingest *in, int64_t id,
	    const char *field, const char *value, const char *actor, sd_time now,
	    struct sd_err *err);

/* supportctl participants ID add|remove ADDR (SPEC §13.3): one
 * transaction with its event; SD_E_PERM for a bad op or address, the
 * requester, one of our mailboxes or an unknown ticket. */
int	ingest_participant(const struct sd_ingest *in, int64_t id,
	    const char *op, const char *addr, const char *actor, sd_time now,
	    struct sd_err *err);

/*
 * supportctl merge (SPEC §13.6): from's messages, participants and
 * events move to into; from is closed as a Duplicate linked to into,
 * and later mail to from threads onto into.  One transaction; SD_E_PERM
 * for an unknown ticket, the same one twice, or one merged already.
 */
int	ingest_merge(const struct sd_ingest *in, int64_t from, int64_t into,
	    const char *actor, sd_time now, struct sd_err *err);

/* Template name rendered for ticket t of mailbox mb, as the complete
 * message that would be sent to the requester (supportctl templates
 * preview).  Caller owns; NULL with err for an unknown template. */
char	*ingest_preview(const struct sd_ingest *in,
	    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
	    const char *name, struct sd_err *err);

/*
 * An agent's reply to ticket id (supportctl reply, and agents by mail):
 * sent to the requester from the ticket's mailbox with the tag,
 * In-Reply-To and References of the customer's last mail, not marked
 * automatic; agent_response_at is set; atts (read from their fds) go
 * with it, up to max_outgoing_attachments (SD_E_PERM past it).
 * internal: kept on the ticket as
 * a note, sent to nobody.  One transaction.
 */
int	ingest_agent_reply(const struct sd_ingest *in, int64_t id,
	    const char *body, const char *actor, bool internal,
	    struct sd_outatt *atts, size_t natts, sd_time now,
	    struct sd_err *err);

/* Fills the template values for ticket t of mailbox mb (also used by
 * supportctl templates preview); the costly ones only if template tp
 * shows them.  Times render for people in the calendar's zone; with
 * cal NULL, as ISO 8601. */
void	ingest_ticket_vars(const struct sd_conf *conf,
	    const struct sd_calendar *cal, const struct sd_conf_mailbox *mb,
	    const struct sd_ticket *t, const struct sd_tmpl *tp,
	    struct sd_tmpl_vars *v);

#endif
