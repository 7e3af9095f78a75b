/* SPDX-License-Identifier: MIT */
/*
 * health.h - what the mailboxes are doing (SPEC §16.1): set by the
 * threads that poll them, read by the heartbeat.  Private to
 * src/daemon/.
 */
#ifndef SUPPORTD_HEALTH_H
#define SUPPORTD_HEALTH_H

#include <stdbool.h>

#include <glib.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/metrics.h"
#include "supportd/store.h"

struct health;

/* One entry a mailbox of conf (borrowed until health_free); instance
 * names the writer in the rows.  What st's rows say (the last run's,
 * or before a reload) is where each starts: its last success and
 * error, and whether it was failing. */
struct health *health_new(const struct sd_conf *conf, const char *instance,
	    struct sd_store *st);
void	health_free(struct health **h);

/* A poll of mb begins; it takes mail in; it ended (err NULL: it
 * worked; connected: the session stays logged in). */
void	health_polling(struct health *h, const struct sd_conf_mailbox *mb,
	    sd_time now);
void	health_fetching(struct health *h, const struct sd_conf_mailbox *mb);
void	health_polled(struct health *h, const struct sd_conf_mailbox *mb,
	    sd_time now, bool connected, const struct sd_err *err);

/* "3 mailboxes: 2 idle, 1 backing-off", for systemd's STATUS=. */
void	health_summary(struct health *h, GString *out);

/* Each mailbox's up and last success, for the metrics. */
void	health_gauges(struct health *h, struct sd_gauges *g, sd_time now);

/* Writes every mailbox's row, and self's when not NULL (see
 * store_status_put; busy_r likewise). */
int	health_save(struct health *h, struct sd_store *st,
	    const struct sd_instance *self, sd_time now, bool *busy_r,
	    struct sd_err *err);

#endif
