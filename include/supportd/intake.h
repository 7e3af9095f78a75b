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
 * Waits in IMAP IDLE (RFC 2177) until the folder changes, max_secs pass,
 * or *stop becomes non-zero; *stop is checked every second.  Returns 1
 * when there may be new mail (poll now; at once, without IDLE, when the
 * server announced mail since the last poll's search), 0 on timeout or
 * stop, and 0 with *no_idle_r set when the server does not offer IDLE
 * (the caller polls on its interval).  -1 with err when the session
 * broke (it is dropped; the next poll reconnects).  Call after
 * intake_poll, on a connected session.
 */
int	intake_idle(struct sd_intake *in, int max_secs,
	    volatile const sig_atomic_t *stop, bool *no_idle_r,
	    struct sd_err *err);

/* fn(arg) is called (on the polling thread) each time a group of mails
 * has been committed, before they are marked on the server: their
 * responses can go out while the next group comes in. */
void	intake_on_commit(struct sd_intake *in, void (*fn)(void *arg),
	    void *arg);
/* Logs out and drops the connection (next poll reconnects). */
void	intake_disconnect(struct sd_intake *in);

#endif
