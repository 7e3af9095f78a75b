/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - what a monitor scrapes (SPEC §16.2).  The registry
 * (src/common/metrics.c) holds this process's counters, which the
 * modules add to as things happen, and the gauges the daemon's
 * heartbeat publishes; metrics_render writes them in the Prometheus
 * text exposition format.  The HTTP endpoint (src/metrics/) is the only
 * user of libmicrohttpd.  A label is a mailbox's name, a priority's, or
 * an OAuth2 login's ("imap:NAME", "smtp"): configuration, never
 * anything a mail says.
 */
#ifndef SUPPORTD_METRICS_H
#define SUPPORTD_METRICS_H

#include "supportd/err.h"

enum sd_metric {
	/* Counters. */
	SD_MET_MAILS,		/* mails taken in {mailbox} */
	SD_MET_TICKETS,		/* tickets created {mailbox} */
	SD_MET_SENT,		/* outgoing mails the relay took */
	SD_MET_FAILED,		/* outgoing mails given up */
	SD_MET_WARNINGS,	/* SLA warnings {priority} */
	SD_MET_BREACHES,	/* SLA breaches {priority} */
	SD_MET_PAGES,		/* on-call pages */
	/* Gauges, published whole by each heartbeat. */
	SD_MET_UP,		/* the mailbox polls {mailbox} */
	SD_MET_LAST_SUCCESS,	/* its last successful poll {mailbox} */
	SD_MET_QUARANTINED,	/* mails held {mailbox} */
	SD_MET_QUEUED,		/* outbox depth */
	SD_MET_OLDEST,		/* the oldest queued mail's age */
	SD_MET_GIVEN_UP,	/* failed rows in the outbox */
	SD_MET_TIMERS_DUE,	/* SLA timers due */
	SD_MET_TOKEN_EXPIRY,	/* an access token's expiry {login} */
	SD_MET_HEARTBEAT,	/* the last heartbeat */
	SD_MET_START,		/* when this process started */
	SD_MET__COUNT
};

/* Adds n to counter m's series label (NULL: the one series). */
void	metrics_add(enum sd_metric m, const char *label, double n);
/* Makes the series exist (at 0) before anything is counted, so a
 * monitor sees every mailbox and priority from the start. */
void	metrics_declare(enum sd_metric m, const char *label);

/* The gauges, built apart and published at once. */
struct sd_gauges;
struct sd_gauges *metrics_gauges_new(void);
void	metrics_gauge(struct sd_gauges *g, enum sd_metric m, const char *label,
	    double v);
/* Replaces every gauge by g's, and frees g. */
void	metrics_gauges_publish(struct sd_gauges **g);

/* The exposition: "# HELP", "# TYPE" and the samples of every family,
 * series sorted by label.  Caller owns (g_free). */
char	*metrics_render(void);
/* Forgets everything (tests). */
void	metrics_reset(void);

/* The endpoint: GET /metrics on listen ("ADDRESS:PORT"), from a thread
 * of its own that never waits for the rest of the daemon; a bounded
 * number of connections, each with a timeout.  NULL with err when it
 * cannot bind. */
struct sd_metrics_http;
struct sd_metrics_http *metrics_http_start(const char *listen,
	    struct sd_err *err);
void	metrics_http_stop(struct sd_metrics_http **h);

#endif
