/* SPDX-License-Identifier: MIT */
/*
 * serve.h - the daemon's intake: every mailbox served at once by a
 * fixed number of threads, whatever the number of mailboxes (SPEC
 * §17.1).  Private to src/daemon/.
 */
#ifndef SUPPORTD_SERVE_H
#define SUPPORTD_SERVE_H

#include <stdbool.h>

#include <glib.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/intake.h"
#include "health.h"

struct serve;

/*
 * Starts serving conf's mailboxes: their mail goes to sink, from the
 * pool's threads (the sink serializes what must be); each poll is told
 * to health.  conf, sink and health are borrowed until serve_stop.
 * NULL with err when a thread could not start.
 */
struct serve *serve_start(const struct sd_conf *conf,
	    const struct sd_intake_sink *sink, struct health *health,
	    struct sd_err *err);

/* Stops: every wait on a server ends at once, the mail in hand is
 * finished, the threads are joined and the sessions closed. */
void	serve_stop(struct serve **srv);

/* Whether the waiting thread or the whole pool has made no progress
 * for bound (monotonic µs): what the watchdog is not told past. */
bool	serve_stalled(struct serve *srv, gint64 bound);

/* Threads the pool runs besides the caller's (for the benchmark and
 * the log). */
size_t	serve_threads(const struct serve *srv);

#endif
