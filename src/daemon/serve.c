/* SPDX-License-Identifier: MIT */
/*
 * serve.c - the daemon's intake (SPEC §3.1, §17.1).  Every mailbox is a
 * slot: waiting (in IDLE on its descriptor, or until its time comes:
 * the poll interval, the IDLE renewal, a reconnect's backoff), queued,
 * or served by one of a fixed pool of threads.  One thread polls the
 * descriptors of every waiting slot; the pool polls the mailbox (fetch,
 * parse, take in, mark) and puts it back into IDLE.  So the thread
 * count does not grow with the number of mailboxes: a thousand IDLE
 * sessions are a thousand descriptors in one poll(2).
 *
 * A mail is taken in on the pool thread by the sink, which in the
 * daemon holds a writer lock around its one store connection: groups of
 * different mailboxes commit one after another on one connection, and
 * fetching and parsing run in parallel outside it.  A server that hangs
 * or drips holds its pool thread at most the session's bounds (30 s of
 * silence, 60 s to log in, 120 s a command; stream.c, imap.c), and only
 * that one; a mailbox with a large backlog holds one thread until it is
 * taken in, the other threads serve the rest.  A host name is resolved
 * with getaddrinfo(3), which nothing can cut short: use addresses or a
 * local resolver where that matters.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "serve.h"
#include "supportd/log.h"

#define POOL_MAX	8	/* threads that serve mailboxes */
#define BACKOFF_MAX	300	/* seconds between reconnects, at most */
#define LOOP_MAX_MS	60000	/* the waiting thread looks at least so often */

enum slot_state { SLOT_WAIT, SLOT_QUEUED, SLOT_BUSY };

struct slot {
	const struct sd_conf_mailbox	*mb;		/* borrowed */
	struct sd_intake		*in;		/* owned */
	enum slot_state			 state;		/* under mu */
	int				 fd;		/* in IDLE, or -1 */
	gint64				 wake_at;	/* monotonic µs */
	int64_t				 backoff;	/* seconds */
};

struct serve {
	const struct sd_conf	*conf;			/* borrowed */
	const struct sd_intake_sink *sink;		/* borrowed */
	struct sd_intake_sink	 own;			/* sink, noting progress */
	struct health		*health;		/* borrowed */
	GMutex			 mu;
	GCond			 cv;			/* the queue has work */
	GQueue			 queue;			/* struct slot * */
	bool			 stop;
	struct slot		*slots;
	size_t			 n;
	int			 wake[2];		/* wakes the waiting thread */
	int			 cancel[2];		/* written at stop */
	GThread			*waiter;
	GThread			*pool[POOL_MAX];
	size_t			 npool;
	/* Progress, for the watchdog (monotonic µs, under mu): when the
	 * waiting thread last looked; when the pool last did something (a
	 * poll began or ended, a group of mail was taken in); how many pool
	 * threads are polling. */
	gint64			 waiter_at;
	gint64			 progress_at;
	size_t			 busy;
};

static void
wake_waiter(struct serve *srv)
{
	sd_pipe_poke(srv->wake[1], "daemon: wake pipe");
}

/* Called locked. */
static void
enqueue(struct serve *srv, struct slot *sl)
{
	sl->state = SLOT_QUEUED;
	g_queue_push_tail(&srv->queue, sl);
	g_cond_signal(&srv->cv);
}

/* sl failed: it is tried again after a backoff that doubles, so a dead
 * server costs nothing. */
static void
back_off(const struct serve *srv, struct slot *sl, gint64 now,
    const struct sd_err *err)
{
	if (srv->stop)
		return;
	sl->backoff = sl->backoff == 0 ? 1 : sl->backoff * 2;
	if (sl->backoff > BACKOFF_MAX)
		sl->backoff = BACKOFF_MAX;
	log_warnx("%s; retry in %llds", err->msg, (long long)sl->backoff);
	sl->wake_at = now + sl->backoff * G_USEC_PER_SEC;
}

/* Polls sl's mailbox and says when it wants to be served next. */
static void
serve_slot(struct serve *srv, struct slot *sl)
{
	const struct sd_conf_mailbox	*mb = sl->mb;
	struct sd_err			 err;
	gint64				 now;
	bool				 no_idle;
	int				 n, r;

	sd_err_clear(&err);
	health_polling(srv->health, mb, sd_now());
	r = intake_poll(sl->in, &srv->own, &n, &err);
	now = g_get_monotonic_time();
	sl->fd = -1;
	sl->wake_at = now;
	if (n > 0)
		log_info("intake: mailbox=%s mails=%d", mb->name, n);
	if (r == -1) {
		if (!srv->stop)
			health_polled(srv->health, mb, sd_now(), false, &err);
		back_off(srv, sl, now, &err);
		return;
	}
	health_polled(srv->health, mb, sd_now(), intake_connected(sl->in),
	    NULL);
	if (!mb->imap.idle) {
		sl->backoff = 0;
		sl->wake_at = now + srv->conf->poll_interval * G_USEC_PER_SEC;
		return;
	}
	sd_err_clear(&err);
	r = intake_idle_begin(sl->in, &sl->fd, &no_idle, &err);
	/* A server that takes the poll but not the IDLE is retried as one
	 * that failed, not at once again. */
	if (r == -1) {
		if (!srv->stop)
			health_polled(srv->health, mb, sd_now(), false, &err);
		back_off(srv, sl, now, &err);
		return;
	}
	sl->backoff = 0;
	if (r == 0 && no_idle)
		sl->wake_at = now + srv->conf->poll_interval * G_USEC_PER_SEC;
	else if (r == 0)	/* the IDLE is renewed by polling again */
		sl->wake_at = now + mb->imap.idle_renew * G_USEC_PER_SEC;
}

/* The sink's calls, through own: taking mail in is progress. */
static void
progress(struct serve *srv)
{
	g_mutex_lock(&srv->mu);
	srv->progress_at = g_get_monotonic_time();
	g_mutex_unlock(&srv->mu);
}

static int
own_cursor(void *arg, const char *mailbox, uint32_t *uidvalidity_r,
    uint32_t *last_uid_r, bool *found_r, struct sd_err *err)
{
	struct serve *srv = arg;

	return srv->sink->cursor(srv->sink->arg, mailbox, uidvalidity_r,
	    last_uid_r, found_r, err);
}

static int
own_take(void *arg, struct sd_fetch_group *g, struct sd_err *err)
{
	struct serve	*srv = arg;
	int		 r;

	progress(srv);
	r = srv->sink->take(srv->sink->arg, g, err);
	progress(srv);
	return r;
}

static int
own_bearer(void *arg, const char *login, const struct sd_conf_oauth2 *o,
    bool stale, char **token_r, struct sd_err *err)
{
	struct serve *srv = arg;

	return srv->sink->bearer(srv->sink->arg, login, o, stale, token_r,
	    err);
}

static gpointer
pool_main(gpointer arg)
{
	struct serve	*srv = arg;
	struct slot	*sl;

	g_mutex_lock(&srv->mu);
	for (;;) {
		while (!srv->stop && srv->queue.length == 0)
			g_cond_wait(&srv->cv, &srv->mu);
		if (srv->stop)
			break;
		sl = g_queue_pop_head(&srv->queue);
		sl->state = SLOT_BUSY;
		srv->busy++;
		srv->progress_at = g_get_monotonic_time();
		g_mutex_unlock(&srv->mu);
		serve_slot(srv, sl);
		g_mutex_lock(&srv->mu);
		sl->state = SLOT_WAIT;
		srv->busy--;
		srv->progress_at = g_get_monotonic_time();
		wake_waiter(srv);
	}
	g_mutex_unlock(&srv->mu);
	return NULL;
}

/* The waiting thread: one poll(2) over the wake pipe and every slot in
 * IDLE; a slot whose descriptor has news or whose time has come is
 * queued. */
static gpointer
waiter_main(gpointer arg)
{
	struct serve	*srv = arg;
	struct pollfd	*pfd = xcalloc(srv->n + 1, sizeof(*pfd));
	struct slot	**of = xcalloc(srv->n + 1, sizeof(*of));
	gint64		 now, next;
	size_t		 np;
	int		 ms;

	g_mutex_lock(&srv->mu);
	while (!srv->stop) {
		now = g_get_monotonic_time();
		srv->waiter_at = now;
		next = now + (gint64)LOOP_MAX_MS * 1000;
		pfd[0] = (struct pollfd){ .fd = srv->wake[0], .events = POLLIN };
		np = 1;
		for (size_t i = 0; i < srv->n; i++) {
			struct slot *sl = &srv->slots[i];

			if (sl->state != SLOT_WAIT)
				continue;
			if (sl->wake_at <= now) {
				enqueue(srv, sl);
				continue;
			}
			next = MIN(next, sl->wake_at);
			if (sl->fd >= 0) {
				pfd[np] = (struct pollfd){ .fd = sl->fd,
				    .events = POLLIN };
				of[np++] = sl;
			}
		}
		g_mutex_unlock(&srv->mu);
		/* Rounded up: waking a little early would spin. */
		ms = (int)((next - now + 999) / 1000);
		if (poll(pfd, np, ms) == -1 && errno != EINTR)
			log_warn("daemon: poll");
		sd_pipe_drain(srv->wake[0]);
		g_mutex_lock(&srv->mu);
		for (size_t k = 1; k < np; k++)
			if (pfd[k].revents != 0 && of[k]->state == SLOT_WAIT)
				enqueue(srv, of[k]);
	}
	g_mutex_unlock(&srv->mu);
	free(pfd);
	free(of);
	return NULL;
}

static void
serve_free(struct serve *srv)
{
	for (size_t i = 0; i < srv->n; i++)
		intake_free(&srv->slots[i].in);
	free(srv->slots);
	for (int k = 0; k < 2; k++) {
		if (srv->wake[k] >= 0)
			close(srv->wake[k]);
		if (srv->cancel[k] >= 0)
			close(srv->cancel[k]);
	}
	g_queue_clear(&srv->queue);
	g_cond_clear(&srv->cv);
	g_mutex_clear(&srv->mu);
	free(srv);
}

void
serve_stop(struct serve **srvp)
{
	struct serve	*srv = *srvp;

	if (srv == NULL)
		return;
	g_mutex_lock(&srv->mu);
	srv->stop = true;
	g_cond_broadcast(&srv->cv);
	g_mutex_unlock(&srv->mu);
	wake_waiter(srv);
	/* Never read: every session's waits end from now on. */
	sd_pipe_poke(srv->cancel[1], "daemon: cancel pipe");
	if (srv->waiter != NULL)
		g_thread_join(srv->waiter);
	for (size_t k = 0; k < srv->npool; k++)
		g_thread_join(srv->pool[k]);
	serve_free(srv);
	*srvp = NULL;
}

bool
serve_stalled(struct serve *srv, gint64 bound)
{
	gint64	now = g_get_monotonic_time();
	bool	stalled;

	g_mutex_lock(&srv->mu);
	/* The waiting thread looks at least every LOOP_MAX_MS; a poll's
	 * every wait is bounded (30 s of silence, 120 s a command) and a
	 * backlog is taken in a group at a time, so a pool whose every
	 * thread is polling with nothing begun, ended or taken in for
	 * bound is stuck, not slow. */
	stalled = (srv->waiter != NULL && now - srv->waiter_at > bound) ||
	    (srv->npool > 0 && srv->busy == srv->npool &&
	    now - srv->progress_at > bound);
	g_mutex_unlock(&srv->mu);
	return stalled;
}

size_t
serve_threads(const struct serve *srv)
{
	return srv->npool + (srv->waiter != NULL);
}

struct serve *
serve_start(const struct sd_conf *conf, const struct sd_intake_sink *sink,
    struct health *health, struct sd_err *err)
{
	struct serve	*srv = xcalloc(1, sizeof(*srv));
	GError		*ge = NULL;
	size_t		 want;

	srv->conf = conf;
	srv->sink = sink;
	srv->health = health;
	srv->waiter_at = srv->progress_at = g_get_monotonic_time();
	srv->own = *sink;
	srv->own.arg = srv;
	srv->own.cursor = own_cursor;
	srv->own.take = own_take;
	srv->own.bearer = sink->bearer != NULL ? own_bearer : NULL;
	g_mutex_init(&srv->mu);
	g_cond_init(&srv->cv);
	g_queue_init(&srv->queue);
	srv->wake[0] = srv->wake[1] = srv->cancel[0] = srv->cancel[1] = -1;
	if (pipe2(srv->wake, O_NONBLOCK | O_CLOEXEC) == -1 ||
	    pipe2(srv->cancel, O_NONBLOCK | O_CLOEXEC) == -1) {
		sd_err_set(err, SD_E_TEMP, "daemon: pipe: %s", strerror(errno));
		serve_free(srv);
		return NULL;
	}
	srv->n = conf->nmailboxes;
	srv->slots = xcalloc(srv->n, sizeof(*srv->slots));
	for (size_t i = 0; i < srv->n; i++) {
		struct slot *sl = &srv->slots[i];

		sl->mb = &conf->mailboxes[i];
		sl->fd = -1;
		sl->in = intake_new(sl->mb, conf->max_message_size);
		intake_set_cancel(sl->in, srv->cancel[0]);
		/* Every mailbox is polled at once. */
		enqueue(srv, sl);
	}
	want = MIN(srv->n, (size_t)POOL_MAX);
	for (srv->npool = 0; srv->npool < want; srv->npool++)
		if ((srv->pool[srv->npool] = sd_thread_try_new("serve",
		    pool_main, srv, &ge)) == NULL)
			break;
	if (srv->npool > 0 && ge == NULL)
		srv->waiter = sd_thread_try_new("idle", waiter_main, srv, &ge);
	if (ge != NULL) {
		sd_err_set(err, SD_E_TEMP, "daemon: cannot start a thread: %s",
		    ge->message);
		g_error_free(ge);
		serve_stop(&srv);
		return NULL;
	}
	return srv;
}
