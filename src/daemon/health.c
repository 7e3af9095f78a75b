/* SPDX-License-Identifier: MIT */
/*
 * health.c - each mailbox's state as its polls go (SPEC §16.1).  The
 * threads that poll set it under one mutex; the heartbeat copies it out
 * and writes it, so no poll waits for the database.
 */
#include <string.h>

#include <glib.h>

#include "health.h"
#include "supportd/log.h"
#include "supportd/util.h"

struct health {
	const struct sd_conf	*conf;		/* borrowed */
	GMutex			 mu;
	struct sd_mbstatus	*mb;		/* one a mailbox, under mu */
};

/* Where m starts: the row's last success and error, and its failure
 * while that lasts (a start or reload is no recovery). */
static void
seed(struct sd_mbstatus *m, struct sd_store *st)
{
	struct sd_mbstatus	row;
	struct sd_err		err;
	bool			found;

	sd_err_clear(&err);
	if (store_mbstatus_get(st, m->mailbox, &row, &found, &err) == -1) {
		log_warnx("daemon: mailbox=%s: %s", m->mailbox, err.msg);
		return;
	}
	if (!found)
		return;
	m->last_success = row.last_success;
	m->first_try = row.first_try;
	m->error_at = row.error_at;
	m->last_error = row.last_error;
	row.last_error = NULL;
	if (row.state == SD_MB_BACKOFF || row.state == SD_MB_AUTHFAIL)
		m->state = row.state;
	store_mbstatus_clear(&row);
}

struct health *
health_new(const struct sd_conf *conf, const char *instance,
    struct sd_store *st)
{
	struct health *h = xcalloc(1, sizeof(*h));

	h->conf = conf;
	g_mutex_init(&h->mu);
	h->mb = xcalloc(conf->nmailboxes + 1, sizeof(*h->mb));
	for (size_t i = 0; i < conf->nmailboxes; i++) {
		h->mb[i].mailbox = xstrdup(conf->mailboxes[i].name);
		h->mb[i].instance = xstrdup(instance);
		h->mb[i].state = SD_MB_POLLING;	/* each is polled at once */
		if (st != NULL)
			seed(&h->mb[i], st);
	}
	return h;
}

void
health_free(struct health **hp)
{
	struct health *h = *hp;

	if (h == NULL)
		return;
	for (size_t i = 0; i < h->conf->nmailboxes; i++)
		store_mbstatus_clear(&h->mb[i]);
	free(h->mb);
	g_mutex_clear(&h->mu);
	free(h);
	*hp = NULL;
}

static struct sd_mbstatus *
entry(struct health *h, const struct sd_conf_mailbox *mb)
{
	size_t i = (size_t)(mb - h->conf->mailboxes);

	g_assert(i < h->conf->nmailboxes);
	return &h->mb[i];
}

void
health_polling(struct health *h, const struct sd_conf_mailbox *mb,
    sd_time now)
{
	struct sd_mbstatus *m = entry(h, mb);

	g_mutex_lock(&h->mu);
	/* A mailbox that failed stays so through its retries, until one
	 * works: it is not well while it tries. */
	if (m->state != SD_MB_BACKOFF && m->state != SD_MB_AUTHFAIL)
		m->state = SD_MB_POLLING;
	m->polling_since = now;
	if (m->first_try == 0)
		m->first_try = now;
	g_mutex_unlock(&h->mu);
}

void
health_fetching(struct health *h, const struct sd_conf_mailbox *mb)
{
	struct sd_mbstatus *m = entry(h, mb);

	g_mutex_lock(&h->mu);
	m->state = SD_MB_FETCHING;
	g_mutex_unlock(&h->mu);
}

void
health_polled(struct health *h, const struct sd_conf_mailbox *mb,
    sd_time now, bool connected, const struct sd_err *err)
{
	struct sd_mbstatus *m = entry(h, mb);

	g_mutex_lock(&h->mu);
	m->polling_since = 0;
	if (err == NULL) {
		m->state = SD_MB_IDLE;
		m->last_success = now;
	} else {
		/* The operator must act: a refused login or certificate. */
		m->state = err->cls == SD_E_CONFIG ? SD_MB_AUTHFAIL :
		    SD_MB_BACKOFF;
		free(m->last_error);
		m->last_error = xstrdup(err->msg);
		m->error_at = now;
	}
	if (!connected)
		m->connected_since = 0;
	else if (m->connected_since == 0)
		m->connected_since = now;
	g_mutex_unlock(&h->mu);
}

/* A session waiting in IDLE is alive as far as anyone can tell until
 * its renewal (imap.idle_renew) polls again. */
static sd_time
last_success(const struct sd_mbstatus *m, sd_time now)
{
	return m->state == SD_MB_IDLE && m->connected_since != 0 ? now :
	    m->last_success;
}

void
health_summary(struct health *h, GString *out)
{
	size_t	n[SD_MB__COUNT] = { 0 };
	bool	first = true;

	g_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->conf->nmailboxes; i++)
		n[h->mb[i].state]++;
	g_mutex_unlock(&h->mu);
	g_string_append_printf(out, "%zu mailbox%s:", h->conf->nmailboxes,
	    h->conf->nmailboxes == 1 ? "" : "es");
	for (int s = 0; s < SD_MB__COUNT; s++)
		if (n[s] > 0) {
			g_string_append_printf(out, "%s %zu %s", first ? "" :
			    ",", n[s], sd_mb_state_names[s]);
			first = false;
		}
}

void
health_gauges(struct health *h, struct sd_gauges *g, sd_time now)
{
	g_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->conf->nmailboxes; i++) {
		const struct sd_mbstatus *m = &h->mb[i];
		bool up = m->state != SD_MB_BACKOFF &&
		    m->state != SD_MB_AUTHFAIL && m->last_success != 0;

		metrics_gauge(g, SD_MET_UP, m->mailbox, up);
		metrics_gauge(g, SD_MET_LAST_SUCCESS, m->mailbox,
		    (double)last_success(m, now));
	}
	g_mutex_unlock(&h->mu);
}

int
health_save(struct health *h, struct sd_store *st,
    const struct sd_instance *self, sd_time now, bool *busy_r,
    struct sd_err *err)
{
	size_t			 n = h->conf->nmailboxes;
	struct sd_mbstatus	*copy = xcalloc(n + 1, sizeof(*copy));
	int			 r;

	g_mutex_lock(&h->mu);
	for (size_t i = 0; i < n; i++) {
		copy[i] = h->mb[i];
		copy[i].last_error = xstrdup(h->mb[i].last_error);
		copy[i].updated_at = now;
		copy[i].last_success = last_success(&h->mb[i], now);
	}
	g_mutex_unlock(&h->mu);
	r = store_status_put(st, self, copy, n, busy_r, err);
	for (size_t i = 0; i < n; i++)
		free(copy[i].last_error);
	free(copy);
	return r;
}
