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
	const struct sd_calendar	*calendar;
};

/* What became of a mail, for the caller's log and counters. */
enum sd_outcome {
	SD_IN_NEW_TICKET, SD_IN_THREADED, SD_IN_AUTOMATIC, SD_IN_IGNORED,
	SD_IN_DUPLICATE, SD_IN_QUARANTINED, SD_IN_AGENT,
};
const char *ingest_outcome_name(enum sd_outcome o);

/*
 * Takes f in: the ticket, message, events and queued response together,
 * in one unit of the intake's group transaction (whose commit also
 * moves the mailbox cursor; see intake.h).  Returns 0 when done, with
 * *outcome_r and *ticket_r (0 when none); -1 when it failed: the unit
 * is rolled back, which spoils a group (SD_E_TEMP: try the mail again
 * later).
 */
int	ingest_mail(const struct sd_ingest *in, const struct sd_fetched *f,
	    enum sd_outcome *outcome_r, int64_t *ticket_r, struct sd_err *err);

/*
 * Fires every SLA timer due at now (escalations, C1 reminders,
 * auto-close), each in its own transaction with what it sends.  Run by
 * supportd's loop and by `supportctl tick`.  *fired_r may be NULL.
 */
int	ingest_tick(const struct sd_ingest *in, sd_time now, int *fired_r,
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
 * automatic; agent_response_at is set.  internal: kept on the ticket as
 * a note, sent to nobody.  One transaction.
 */
int	ingest_agent_reply(const struct sd_ingest *in, int64_t id,
	    const char *body, const char *actor, bool internal, sd_time now,
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
