/* SPDX-License-Identifier: MIT */
/*
 * intake.h - the IMAP side (SPEC §3.1-§3.4).  src/intake/ is the only
 * user of libetpan.  A session belongs to one mailbox and survives across
 * polls; it reconnects by itself after an error.
 *
 * The UID cursor lives in the store and is the truth: the session asks
 * for it, fetches UIDs above it in groups, hands each mail to the
 * callback inside one transaction per group (a failing mail: the group
 * is rolled back and the mails before it taken in again), commits the
 * group with the cursor at its last mail taken in, and only then marks
 * the mails on the server as the mailbox's `processed` setting says.
 */
#ifndef SUPPORTD_INTAKE_H
#define SUPPORTD_INTAKE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/fetched.h"
#include "supportd/store.h"

struct sd_intake;

/* Returns 0 when f was taken in (kept when the group commits; then it
 * may be marked on the server), 1 when it was taken in and the poll is
 * to stop (err says why), -1 when it failed: the poll stops, its writes
 * are undone and it will be fetched again (err says why). */
typedef int (*intake_mail_cb)(void *arg, const struct sd_fetched *f,
	    struct sd_err *err);

/* mb and st are borrowed and must outlive the session.  Caller owns;
 * intake_free. */
struct sd_intake *intake_new(const struct sd_conf_mailbox *mb,
	    int64_t max_message_size, struct sd_store *st);
void	intake_free(struct sd_intake **in);

/*
 * One poll: connect and log in if needed, select the folder, check
 * UIDVALIDITY against the stored cursor, fetch every UID above it and
 * hand each mail to cb.  Returns 0, or -1 with err (SD_E_TEMP: server
 * down or busy, try later; SD_E_CONFIG: login refused, bad TLS...).
 * *count_r (may be NULL) is the number of mails committed.
 */
int	intake_poll(struct sd_intake *in, intake_mail_cb cb, void *arg,
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
/* The store is shared with other sessions' threads: writer is held
 * around every use of it (a group of mails is taken in under it). */
void	intake_share_store(struct sd_intake *in, pthread_mutex_t *writer);

/* fn(arg) is called (on the polling thread) each time a group of mails
 * has been committed, before they are marked on the server: their
 * responses can go out while the next group comes in. */
void	intake_on_commit(struct sd_intake *in, void (*fn)(void *arg),
	    void *arg);
/* Logs out and drops the connection (next poll reconnects). */
void	intake_disconnect(struct sd_intake *in);

#endif
