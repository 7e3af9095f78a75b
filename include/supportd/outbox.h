/* SPDX-License-Identifier: MIT */
/*
 * outbox.h - sending what the store has queued (SPEC §8).  src/outbox/ is
 * the only user of libcurl besides src/oauth/'s token requests.  Rows of kind "webhook" are JSON POSTs to the
 * URL in their rcpts (SPEC §6); all others are mail.  Delivery is at
 * least once: a row is marked sent only after the server accepted it, so
 * a crash in between sends it again (the Message-ID, or the webhook's
 * event id, was fixed when it was queued).
 */
#ifndef SUPPORTD_OUTBOX_H
#define SUPPORTD_OUTBOX_H

#include <stdbool.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/store.h"

struct sd_outbox;

/* Global libcurl set-up; once, before anything else. */
void	outbox_global_init(void);
void	outbox_global_cleanup(void);

/* conf is borrowed for the outbox's life.  NULL with err when the SMTP
 * password or the webhook token cannot be read.  Caller owns;
 * outbox_free. */
struct sd_outbox *outbox_new(const struct sd_conf *conf, struct sd_err *err);
void	outbox_free(struct sd_outbox **ob);

/*
 * Sends every row due at now, at most max (0: no limit).  A 4xx or a
 * connection failure schedules a retry (1 min doubling, at most 1 h
 * apart); a 5xx, or a row older than outbox_max_age, is marked failed.
 * Returns 0, or -1 when the store failed.  *sent_r counts accepted rows,
 * *deferred_r (may be NULL) the rows held back by a server that could
 * not be reached or refused us (retried later).
 */
int	outbox_flush(struct sd_outbox *ob, struct sd_store *st, sd_time now,
	    int max, int *sent_r, int *deferred_r, struct sd_err *err);

/* How long outbox_flush waits while another process flushes (holds the
 * sent journal): -1 (the default) as long as it takes, 0 not at all
 * (the flush then sends nothing and returns 0). */
void	outbox_set_lock_wait(struct sd_outbox *ob, int secs);

struct sd_oauth;
/* With smtp.auth = "oauth2", the tokens come from oa (borrowed; SPEC
 * §15.2): a refused one is renewed and the mail tried once more. */
void	outbox_set_oauth(struct sd_outbox *ob, struct sd_oauth *oa);

/* Whether the last flush stopped at a relay it could not reach. */
bool	outbox_relay_down(const struct sd_outbox *ob);

/* The retry delay after the given number of failed attempts (>= 1). */
sd_time	outbox_backoff(int attempts);

#endif
