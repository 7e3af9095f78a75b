/* SPDX-License-Identifier: MIT */
/*
 * intake.h - the IMAP side (SPEC §3.1-§3.4): a source of fetched mail.
 * src/intake/ is the only user of libetpan.  A session belongs to one
 * mailbox and survives across polls; it reconnects by itself after an
 * error.
 *
 * The UID cursor lives with the sink and is the truth: the session asks
 * for it, fetches UIDs above it in groups, hands each group to the sink,
 * which takes it in as one unit of work and says which mails it kept,
 * and only then marks those on the server as the mailbox's `processed`
 * setting says.  Intake knows neither the store nor the mail parser: the
 * sink parses (on intake's parse-ahead thread) and takes in.
 */
#ifndef SUPPORTD_INTAKE_H
#define SUPPORTD_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/fetched.h"

struct sd_intake;
struct sd_mail;

/* Where fetched mail goes; every function but parse gets arg. */
struct sd_intake_sink {
	/* The mailbox's cursor: the UIDVALIDITY and the last UID taken in
	 * (*found_r false: none yet).  0, or -1 with err. */
	int	(*cursor)(void *arg, const char *mailbox, uint32_t *uidvalidity_r,
		    uint32_t *last_uid_r, bool *found_r, struct sd_err *err);
	/* Takes g in as one unit, calling g->keep for each mail kept once
	 * that is committed.  0; or -1 with err: the poll stops (what was
	 * kept is marked all the same). */
	int	(*take)(void *arg, struct sd_fetch_group *g, struct sd_err *err);
	/* Parses a fetched mail, on any thread: NULL with errbuf filled
	 * when it cannot be parsed.  parse_free frees what parse made. */
	struct sd_mail *(*parse)(const char *raw, size_t len, char *errbuf,
		    size_t errlen);
	void	(*parse_free)(struct sd_mail **m);
	/* SPEC §15.2: the bearer token (malloc'd, the session wipes and
	 * frees it) for a mailbox whose imap.auth is oauth2, its login
	 * named "imap:NAME"; stale: the server refused the last one.  0,
	 * or -1 with err.  May be NULL when no mailbox uses OAuth2. */
	int	(*bearer)(void *arg, const char *login,
		    const struct sd_conf_oauth2 *o, bool stale, char **token_r,
		    struct sd_err *err);
	void	*arg;
};

/* mb is borrowed and must outlive the session.  Caller owns;
 * intake_free. */
struct sd_intake *intake_new(const struct sd_conf_mailbox *mb,
	    int64_t max_message_size);
void	intake_free(struct sd_intake **in);

/*
 * One poll: connect and log in if needed (leaving IDLE first), select
 * the folder, check UIDVALIDITY against the sink's cursor, fetch every
 * UID above it and hand the mails to the sink in groups.  Returns 0, or
 * -1 with err (SD_E_TEMP: server down or busy, try later; SD_E_CONFIG:
 * login refused, bad TLS...).  *count_r (may be NULL) is the number of
 * mails the sink kept.
 */
int	intake_poll(struct sd_intake *in, const struct sd_intake_sink *sink,
	    int *count_r, struct sd_err *err);

/*
 * Enters IMAP IDLE (RFC 2177) on a connected session, for a caller that
 * waits on many sessions at once.  Returns 0 when the session is in
 * IDLE: *fd_r is readable when the server has news, and the caller then
 * (or when it wants to renew the IDLE) polls or calls intake_idle_end.
 * Returns 1 when there may be new mail already (poll now: the server
 * announced mail since the last poll's search, or answered IDLE with
 * news; the session is not in IDLE), 0 with *no_idle_r set when the
 * server does not offer IDLE (the caller polls on its interval), -1
 * with err when the session broke (it is dropped; the next poll
 * reconnects).
 */
int	intake_idle_begin(struct sd_intake *in, int *fd_r, bool *no_idle_r,
	    struct sd_err *err);
/* Leaves IDLE (DONE).  0, or -1 with err (the session is dropped).
 * intake_poll does it by itself. */
int	intake_idle_end(struct sd_intake *in, struct sd_err *err);

/* Every wait of the session ends when fd (a pipe's read end, say)
 * becomes readable: the daemon's stop.  -1: none. */
void	intake_set_cancel(struct sd_intake *in, int fd);

/* Whether the session is logged in (for the status). */
bool	intake_connected(const struct sd_intake *in);
/* Logs out and drops the connection (next poll reconnects). */
void	intake_disconnect(struct sd_intake *in);

#endif
