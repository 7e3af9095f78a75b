/* SPDX-License-Identifier: MIT */
/*
 * main.c - supportd: start-up, the loop, signals, reload.  The only code
 * that handles signals or exits.  Every wait is bounded, and the flags
 * set by signal handlers are checked between mails and between sleep
 * slices.
 *
 * Start-up order: config, store (and migrations), templates, then the
 * loop.  A reload (SIGHUP) builds a whole new runtime and swaps it in
 * only if everything in it loaded; otherwise the old one keeps running.
 *
 * --once is one cycle: intake on this thread, sending on a second one
 * (see struct sender), timers at the end.  The daemon serves every
 * mailbox at once on a fixed pool of threads (serve.c), waiting in IDLE
 * (or sleeping poll_interval); a dead or hanging IMAP server only ever
 * holds up its own mailbox.  The runtime they share (config, templates,
 * classifier) is immutable while they run.  Only the main thread sends
 * mail: a pool thread that committed a group of mails writes a byte to
 * a pipe, and the main thread flushes the outbox at once.  Signals are
 * blocked in the other threads and handled by the main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <glib.h>

#include "config.h"
#include "supportd/classify.h"
#include "supportd/conf.h"
#include "supportd/ingest.h"
#include "supportd/intake.h"
#include "supportd/log.h"
#include "supportd/mail.h"
#include "supportd/metrics.h"
#include "supportd/oauth.h"
#include "supportd/outbox.h"
#include "supportd/sla.h"
#include "supportd/store.h"
#include "supportd/tmpl.h"
#include "health.h"
#include "sdnotify.h"
#include "serve.h"

static volatile sig_atomic_t sig_term, sig_hup;
/* Workers write here after committing mail; the main thread polls it. */
static int wake_pipe[2] = { -1, -1 };

#define SENDER_CACHE_KIB 512	/* the --once sender's SQLite page cache */
#define SEARCH_BATCH	500	/* messages the daemon indexes per round */
#define HEARTBEAT_S	10	/* SPEC §16.1 asks for at most 30 */
/* The watchdog is not told past a pool or waiting thread that made no
 * progress this long (contrib/supportd.service: WatchdogSec=10min). */
#define STALL_BOUND_S	300

/* A writer's WAL checkpoints on a thread of its own; without one, SQLite
 * checkpoints in the commits, as before. */
static void
checkpoint_apart(struct sd_store *st)
{
	struct sd_err err;

	sd_err_clear(&err);
	if (store_checkpoint_apart(st, &err) == -1)
		log_warnx("%s; checkpointing on commit", err.msg);
}

/* Everything built from one configuration. */
struct runtime {
	struct sd_conf		*conf;
	struct sd_store		*store;
	struct sd_tmpl_set	*tmpl;
	struct sd_classifier	*classifier;
	struct sd_calendars	*calendars;
	struct sd_outbox	*outbox;
	struct sd_oauth		*oauth;
	struct health		*health;
	struct sd_ingest	 ingest;
};

/* The intake's sink: mail goes to ingest, under the writer lock when
 * the store is shared by several threads; on_commit after each unit
 * that kept mail (its responses can go out at once). */
struct taker {
	const struct sd_ingest		*ingest;
	struct sd_oauth			*oauth;		/* borrowed */
	struct health			*health;	/* borrowed */
	volatile sig_atomic_t		*stop;
	pthread_mutex_t			*writer;	/* or NULL */
	void				(*on_commit)(void *);
	void				*on_commit_arg;
	struct sd_intake_sink		 sink;
};

/* The daemon's intake, started from one runtime: its own writer
 * connection and stop flag, so a generation that is being stopped never
 * sees the flag of the next one. */
struct generation {
	volatile sig_atomic_t	 stop;
	struct sd_store		*store;		/* owned: the one writer */
	struct sd_ingest	 ingest;
	pthread_mutex_t		 writer;
	struct taker		 taker;
	struct serve		*srv;		/* owned */
};

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_term = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: supportd -c FILE [--foreground] [--once] "
	    "[--now ISO8601] [--debug]\n"
	    "       supportd -c FILE -n      check the configuration\n");
}

static void
runtime_free(struct runtime *rt)
{
	health_free(&rt->health);
	outbox_free(&rt->outbox);
	oauth_free(&rt->oauth);
	classify_free(&rt->classifier);
	sla_calendars_free(&rt->calendars);
	tmpl_set_free(&rt->tmpl);
	store_close(&rt->store);
	conf_free(&rt->conf);
	memset(rt, 0, sizeof(*rt));
}

static void
print_errs(const struct sd_strv *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		log_warnx("config: %s", errs->v[i]);
}

/* Loads everything; 0 or an exit code with the reason logged. */
static int
runtime_load(const char *path, struct runtime *rt, bool check_only)
{
	struct sd_strv	errs = { 0 }, warns = { 0 };
	struct sd_err	err;
	int		ret = EX_CONFIG;

	memset(rt, 0, sizeof(*rt));
	sd_err_clear(&err);
	if (conf_load(path, &rt->conf, &errs, &warns) == -1 ||
	    conf_check_files(rt->conf, &errs, &warns) == -1) {
		print_errs(&errs);
		goto out;
	}
	for (size_t i = 0; i < warns.n; i++)
		log_warnx("config: %s", warns.v[i]);
	if (tmpl_set_load(rt->conf->templates_dir, &rt->tmpl, &errs) == -1) {
		print_errs(&errs);
		goto out;
	}
	if ((rt->classifier = classify_new(rt->conf, &err)) == NULL) {
		log_warnx("config: %s", err.msg);
		goto out;
	}
	if ((rt->calendars = sla_calendars_new(rt->conf, &err)) == NULL) {
		log_warnx("config: %s", err.msg);
		goto out;
	}
	if (check_only) {
		ret = 0;
		goto out;
	}
	if (store_open(rt->conf->database, &rt->store, &err) == -1) {
		log_warnx("%s", err.msg);
		ret = err.cls == SD_E_TEMP ? EX_TEMPFAIL : EX_CANTCREAT;
		goto out;
	}
	if ((rt->outbox = outbox_new(rt->conf, &err)) == NULL) {
		log_warnx("%s", err.msg);
		goto out;
	}
	rt->oauth = oauth_new(rt->conf);
	outbox_set_oauth(rt->outbox, rt->oauth);
	rt->health = health_new(rt->conf, g_get_host_name(), rt->store);
	rt->ingest.conf = rt->conf;
	rt->ingest.store = rt->store;
	rt->ingest.tmpl = rt->tmpl;
	rt->ingest.classifier = rt->classifier;
	rt->ingest.calendars = rt->calendars;
	ret = 0;
 out:
	strv_free(&errs);
	strv_free(&warns);
	if (ret != 0 || check_only)
		runtime_free(rt);
	return ret;
}

/*
 * Timers this version or this configuration wants and tickets made
 * before lack (SPEC §14.5): the targets of a ticket open at an upgrade,
 * an update target or a higher cap a reload adds.  With the timers, not
 * at load: a database locked at start delays the mail only once.
 */
static bool
resync(struct runtime *rt)
{
	struct sd_err	err;
	int		n;

	sd_err_clear(&err);
	if (ingest_resync(&rt->ingest, sd_now(), &n, &err) == -1) {
		log_warnx("daemon: timers not looked over: %s", err.msg);
		return false;
	}
	log_debug("daemon: %d missing timers looked at", n);
	return true;
}

/* SIGTERM (or a reload): the mail in hand is finished, then stop. */
static bool
taker_stopping(void *arg)
{
	const struct taker *tk = arg;

	return sig_term || *tk->stop;
}

static int
taker_cursor(void *arg, const char *mailbox, uint32_t *uidvalidity_r,
    uint32_t *last_uid_r, bool *found_r, struct sd_err *err)
{
	const struct taker	*tk = arg;
	int			 r;

	if (tk->writer != NULL)
		pthread_mutex_lock(tk->writer);
	r = ingest_cursor(tk->ingest, mailbox, uidvalidity_r, last_uid_r,
	    found_r, err);
	if (tk->writer != NULL)
		pthread_mutex_unlock(tk->writer);
	return r;
}

static int
taker_take(void *arg, struct sd_fetch_group *g, struct sd_err *err)
{
	struct taker	*tk = arg;
	size_t		 kept;
	int		 r;

	health_fetching(tk->health, g->mailbox);
	if (tk->writer != NULL)
		pthread_mutex_lock(tk->writer);
	r = ingest_group(tk->ingest, g, taker_stopping, tk, &kept, err);
	if (tk->writer != NULL)
		pthread_mutex_unlock(tk->writer);
	if (kept > 0 && tk->on_commit != NULL)
		tk->on_commit(tk->on_commit_arg);
	return r;
}

static int
taker_bearer(void *arg, const char *login, const struct sd_conf_oauth2 *o,
    bool stale, char **token_r, struct sd_err *err)
{
	const struct taker *tk = arg;

	return oauth_bearer(tk->oauth, login, o, stale, token_r, err);
}

static void
taker_init(struct taker *tk, const struct runtime *rt,
    const struct sd_ingest *ingest, volatile sig_atomic_t *stop,
    pthread_mutex_t *writer, void (*on_commit)(void *), void *on_commit_arg)
{
	memset(tk, 0, sizeof(*tk));
	tk->ingest = ingest;
	tk->oauth = rt->oauth;
	tk->health = rt->health;
	tk->sink.bearer = taker_bearer;
	tk->stop = stop;
	tk->writer = writer;
	tk->on_commit = on_commit;
	tk->on_commit_arg = on_commit_arg;
	tk->sink.cursor = taker_cursor;
	tk->sink.take = taker_take;
	tk->sink.parse = ingest_parse;
	tk->sink.parse_free = ingest_parse_free;
	tk->sink.arg = tk;
}

/*
 * --once sends from a second thread while the mail comes in, so the SMTP
 * round trips of the first groups' responses overlap the intake of the
 * next.  It has its own SQLite connection; the intake wakes it after
 * each committed group, and the main thread tells it when everything
 * (intake and timers) is in.
 */
struct sender {
	pthread_t		 th;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	unsigned		 commits;	/* groups committed so far */
	bool			 last;		/* nothing more will come */
	struct sd_outbox	*ob;		/* borrowed */
	struct sd_store		*own;		/* its connection, or NULL */
	struct sd_store		*st;		/* own, or the main one when
						 * no thread could start */
	int			 failed;	/* as cycle() counts */
};

/* Tells the sender a group was committed, or (last) that all is in. */
static void
sender_post(struct sender *s, bool last)
{
	pthread_mutex_lock(&s->mu);
	s->commits++;
	s->last = s->last || last;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void
sender_wake(void *arg)
{
	sender_post(arg, false);
}

static void *
sender_main(void *arg)
{
	struct sender	*s = arg;
	struct sd_err	 err;
	unsigned	 seen = 0;
	bool		 last = false, stopped = false, deferrals = false;
	int		 sent, deferred;

	while (!last) {
		pthread_mutex_lock(&s->mu);
		while (s->commits == seen && !s->last)
			pthread_cond_wait(&s->cv, &s->mu);
		seen = s->commits;
		last = s->last;
		pthread_mutex_unlock(&s->mu);
		/* After a store error or an unreachable relay the rest
		 * waits for the next run, as one flush at the end would
		 * have left it; a row refused with a 4xx waits alone. */
		if (stopped)
			continue;
		sd_err_clear(&err);
		if (outbox_flush(s->ob, s->st, sd_now(), 0, &sent, &deferred,
		    &err) == -1) {
			log_warnx("%s", err.msg);
			s->failed++;
			stopped = true;
			continue;
		}
		if (deferred > 0) {
			/* --once says so.  The flush stops at an unreachable
			 * relay, so this counts the rows tried, not all that
			 * wait. */
			log_warnx("outbox: sending failed (%d tried); queued "
			    "mail could not be sent and will be retried",
			    deferred);
			if (!deferrals)
				s->failed++;
			deferrals = true;
		}
		stopped = outbox_relay_down(s->ob);
	}
	return NULL;
}

/* --once's mailboxes, polled by up to ONCE_POOL threads at once: one
 * that hangs or drips holds up none of the others (issue #19). */
#define ONCE_POOL	8

struct once_pool {
	struct runtime		*rt;
	struct taker		*tk;
	pthread_mutex_t		 mu;
	size_t			 next;		/* the next mailbox to poll */
	int			 failed;
};

static void *
once_worker(void *arg)
{
	struct once_pool	*op = arg;
	const struct sd_conf	*c = op->rt->conf;
	struct sd_intake	*in;
	struct sd_err		 err;
	size_t			 i;
	int			 n;

	for (;;) {
		pthread_mutex_lock(&op->mu);
		i = op->next++;
		pthread_mutex_unlock(&op->mu);
		if (i >= c->nmailboxes || sig_term)
			return NULL;
		/* The daemon's sessions are serve.c's; --once opens one a
		 * mailbox for its one poll. */
		in = intake_new(&c->mailboxes[i], c->max_message_size);

		sd_err_clear(&err);
		health_polling(op->rt->health, &c->mailboxes[i], sd_now());
		if (intake_poll(in, &op->tk->sink, &n, &err) == -1) {
			if (!sig_term) {
				log_warnx("%s", err.msg);
				health_polled(op->rt->health, &c->mailboxes[i],
				    sd_now(), false, &err);
			}
			pthread_mutex_lock(&op->mu);
			op->failed++;
			pthread_mutex_unlock(&op->mu);
		} else {
			health_polled(op->rt->health, &c->mailboxes[i],
			    sd_now(), false, NULL);
			if (n > 0)
				log_info("intake: mailbox=%s mails=%d",
				    c->mailboxes[i].name, n);
		}
		intake_free(&in);
	}
}

/* Polls every mailbox, each on one of up to ONCE_POOL threads (on this
 * one when there is one mailbox).  The number that failed. */
static int
once_poll(struct runtime *rt, struct taker *tk)
{
	struct once_pool	 op = { .rt = rt, .tk = tk };
	pthread_t		 th[ONCE_POOL];
	sigset_t		 all, old;
	size_t			 want = rt->conf->nmailboxes, nth = 0;

	pthread_mutex_init(&op.mu, NULL);
	if (want > 1) {
		/* Signals stay with this thread. */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		while (nth < want && nth < ONCE_POOL && pthread_create(&th[nth],
		    NULL, once_worker, &op) == 0)
			nth++;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (nth == 0)
		(void)once_worker(&op);
	for (size_t k = 0; k < nth; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&op.mu);
	return op.failed;
}

/* One full cycle: every mailbox polled, mail taken in, outbox flushed.
 * Returns the number of mailboxes or steps that failed. */
static int
cycle(struct runtime *rt)
{
	static volatile sig_atomic_t	never;
	struct taker			tk;
	struct sender			snd;
	struct sd_err			err;
	pthread_mutex_t			writer;
	sigset_t			all, old;
	int				failed = 0;
	bool				threaded = false;

	memset(&snd, 0, sizeof(snd));
	pthread_mutex_init(&snd.mu, NULL);
	pthread_cond_init(&snd.cv, NULL);
	snd.ob = rt->outbox;
	/* Without its own connection or thread, it runs at the end on this
	 * thread, as a plain flush. */
	if (store_open(rt->conf->database, &snd.own, &err) == -1)
		log_warnx("%s; sending after the intake", err.msg);
	else {
		/* It reads the outbox's newest rows and writes their
		 * status: a small cache, and the process stays under its
		 * RSS budget (benchmark, end to end: 29.9 MB of 30). */
		if (store_cache_kib(snd.own, SENDER_CACHE_KIB, &err) == -1)
			log_warnx("%s", err.msg);
		snd.st = snd.own;
		/* Signals stay with this thread. */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		threaded = pthread_create(&snd.th, NULL, sender_main, &snd) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!threaded)
			log_warnx("daemon: cannot start the sending thread; "
			    "sending after the intake");
	}
	/* The mailboxes' threads take their mail in through one connection,
	 * one unit at a time. */
	pthread_mutex_init(&writer, NULL);
	taker_init(&tk, rt, &rt->ingest, &never, &writer, threaded ?
	    sender_wake : NULL, &snd);
	failed += once_poll(rt, &tk);
	pthread_mutex_destroy(&writer);
	sd_err_clear(&err);
	if (health_save(rt->health, rt->store, NULL, sd_now(), NULL, &err)
	    == -1)
		log_warnx("daemon: status not written: %s", err.msg);
	else if (ingest_alerts(&rt->ingest, sd_now(), NULL, &err) == -1)
		log_warnx("daemon: alerts not looked at: %s", err.msg);
	(void)resync(rt);
	sd_err_clear(&err);
	if (ingest_tick(&rt->ingest, sd_now(), NULL, &err) == -1) {
		log_warnx("%s", err.msg);
		failed++;
	}
	sender_post(&snd, true);
	if (threaded)
		pthread_join(snd.th, NULL);
	else {
		if (snd.st == NULL)
			snd.st = rt->store;
		(void)sender_main(&snd);
	}
	pthread_cond_destroy(&snd.cv);
	pthread_mutex_destroy(&snd.mu);
	store_close(&snd.own);
	return failed + snd.failed;
}

/* A pool thread committed a group: its responses can go out now, not
 * only when the whole backlog is in. */
static void
wake_main_cb(void *arg)
{
	(void)arg;
	sd_pipe_poke(wake_pipe[1], "daemon: wake pipe");
}

static void
generation_stop(struct generation **genp)
{
	struct generation *gen = *genp;

	if (gen == NULL)
		return;
	gen->stop = 1;
	serve_stop(&gen->srv);
	store_close(&gen->store);
	pthread_mutex_destroy(&gen->writer);
	free(gen);
	*genp = NULL;
}

/* Starts serving rt's mailboxes; NULL when that could not start. */
static struct generation *
generation_start(const struct runtime *rt)
{
	struct generation	*gen = xcalloc(1, sizeof(*gen));
	struct sd_err		 err;

	sd_err_clear(&err);
	pthread_mutex_init(&gen->writer, NULL);
	if (store_open(rt->conf->database, &gen->store, &err) == -1) {
		log_warnx("%s", err.msg);
		pthread_mutex_destroy(&gen->writer);
		free(gen);
		return NULL;
	}
	checkpoint_apart(gen->store);
	gen->ingest = rt->ingest;
	gen->ingest.store = gen->store;
	taker_init(&gen->taker, rt, &gen->ingest, &gen->stop,
	    &gen->writer, wake_main_cb, NULL);
	if ((gen->srv = serve_start(rt->conf, &gen->taker.sink, rt->health,
	    &err)) == NULL) {
		log_warnx("%s", err.msg);
		generation_stop(&gen);
		return NULL;
	}
	log_info("daemon: serving mailboxes=%zu threads=%zu",
	    rt->conf->nmailboxes, serve_threads(gen->srv));
	return gen;
}

/* SPEC §16.1: the daemon's heartbeat and its mailboxes' state, every
 * HEARTBEAT_S or when it stops.  A database another writer holds is
 * not waited for: the next round writes.  False only then (an error is
 * logged and waits for the next heartbeat).  *oc_r gets the counts it
 * read (all 0 when it could not), for the gauges. */
static bool
heartbeat(const struct runtime *rt, struct sd_instance *self, bool stopped,
    struct sd_opcounts *oc_r)
{
	struct sd_err		 err;
	GString			*line = g_string_new(NULL);
	bool			 busy;

	sd_err_clear(&err);
	self->beat_at = sd_now();
	self->stopped = stopped;
	/* What systemctl status and supportctl status show. */
	health_summary(rt->health, line);
	if (store_opcounts(rt->store, self->beat_at, oc_r, &err) == 0)
		g_string_append_printf(line, "; outbox: %lld queued, %lld "
		    "failed", (long long)oc_r->outbox_queued,
		    (long long)oc_r->outbox_failed);
	else
		memset(oc_r, 0, sizeof(*oc_r));
	sd_err_clear(&err);
	free(self->status);
	self->status = g_string_free(line, FALSE);
	if (!stopped)
		sdn_status(self->status);
	busy = false;
	if (health_save(rt->health, rt->store, self, self->beat_at,
	    stopped ? NULL : &busy, &err) == -1)
		log_warnx("daemon: heartbeat not written: %s", err.msg);
	return !busy;
}

/* SPEC §16.2: the endpoint follows metrics.listen across reloads.  One
 * that cannot bind (the port in use) is tried again each heartbeat; the
 * mail goes on meanwhile. */
struct metrics_ep {
	struct sd_metrics_http	*http;
	char			*listen;	/* what http serves, or wants */
	bool			 told;		/* that it cannot bind */
};

static void
metrics_follow(const struct sd_conf *c, struct metrics_ep *ep)
{
	struct sd_err err;

	if (g_strcmp0(c->metrics_listen, ep->listen) != 0) {
		metrics_http_stop(&ep->http);
		free(ep->listen);
		ep->listen = xstrdup(c->metrics_listen);
		ep->told = false;
	}
	if (ep->listen == NULL || ep->http != NULL)
		return;
	sd_err_clear(&err);
	if ((ep->http = metrics_http_start(ep->listen, &err)) == NULL &&
	    !ep->told)
		log_errx("%s; trying again every %d s", err.msg, HEARTBEAT_S);
	ep->told = ep->http == NULL;
}

/* Every mailbox's and priority's series exist from the start. */
static void
metrics_declare_all(const struct sd_conf *c)
{
	for (size_t i = 0; i < c->nmailboxes; i++) {
		metrics_declare(SD_MET_MAILS, c->mailboxes[i].name);
		metrics_declare(SD_MET_TICKETS, c->mailboxes[i].name);
	}
	for (int p = 0; p < c->npriorities; p++) {
		metrics_declare(SD_MET_WARNINGS, c->priorities[p].name);
		metrics_declare(SD_MET_BREACHES, c->priorities[p].name);
	}
}

/* The gauges, from what the heartbeat wrote and counted (oc) and a
 * few counts more. */
static void
metrics_gauges(const struct runtime *rt, const struct sd_instance *self,
    const struct sd_opcounts *oc)
{
	const struct sd_conf	*c = rt->conf;
	struct sd_gauges	*g = metrics_gauges_new();
	struct sd_strv		 logins = { 0 };
	struct sd_token		 t;
	struct sd_err		 err;
	int64_t			 held;
	bool			 found;
	int			 r = 0;

	sd_err_clear(&err);
	health_gauges(rt->health, g, self->beat_at);
	metrics_gauge(g, SD_MET_HEARTBEAT, NULL, (double)self->beat_at);
	metrics_gauge(g, SD_MET_START, NULL, (double)self->started_at);
	metrics_gauge(g, SD_MET_QUEUED, NULL, (double)oc->outbox_queued);
	metrics_gauge(g, SD_MET_GIVEN_UP, NULL, (double)oc->outbox_failed);
	metrics_gauge(g, SD_MET_OLDEST, NULL, oc->outbox_oldest ?
	    (double)(self->beat_at - oc->outbox_oldest) : 0);
	metrics_gauge(g, SD_MET_TIMERS_DUE, NULL, (double)oc->timers_due);
	for (size_t i = 0; r == 0 && i < c->nmailboxes; i++)
		if ((r = store_quarantined(rt->store, c->mailboxes[i].name,
		    &held, &err)) == 0)
			metrics_gauge(g, SD_MET_QUARANTINED,
			    c->mailboxes[i].name, (double)held);
	conf_oauth_logins(c, &logins);
	for (size_t i = 0; r == 0 && i < logins.n; i++)
		if ((r = store_token_get(rt->store, logins.v[i], &t, &found,
		    &err)) == 0) {
			metrics_gauge(g, SD_MET_TOKEN_EXPIRY, logins.v[i],
			    t.access_token != NULL ? (double)t.expires_at : 0);
			store_token_clear(&t);
		}
	strv_free(&logins);
	if (r == -1)
		log_warnx("metrics: %s", err.msg);
	metrics_gauges_publish(&g);
}

/* SPEC §16.3, after each heartbeat.  True when looked at (or failed:
 * the next heartbeat tries again), false when the database was busy. */
static bool
alerts(const struct runtime *rt)
{
	struct sd_err	err;
	bool		busy;

	sd_err_clear(&err);
	if (ingest_alerts(&rt->ingest, sd_now(), &busy, &err) == -1)
		log_warnx("daemon: alerts not looked at: %s", err.msg);
	return !busy;
}

/* The daemon: the pool takes mail in, this thread sends it out.
 * Returns an exit code. */
static int
run(const char *path, struct runtime *rt)
{
	struct generation	*gen;
	struct pollfd		 pfd;
	struct sd_err		 err;
	struct runtime		 next;
	struct sd_instance	 self = {
		.name = (char *)g_get_host_name(),
		.pid = getpid(),
		.version = (char *)PACKAGE_VERSION,
		.started_at = sd_now(),
	};
	struct metrics_ep	 ep = { 0 };
	struct sd_opcounts	 oc;
	uint64_t		 wd_usec = sdn_watchdog_usec();
	gint64			 beat = 0, wd_next = 0;
	bool			 wd_held = false;
	int			 sent, indexed;
	bool			 resynced = false;

	/* This thread handles the signals: it never waits for a
	 * supportctl that is flushing, it tries again in a second. */
	outbox_set_lock_wait(rt->outbox, 0);
	if ((gen = generation_start(rt)) == NULL)
		return EX_OSERR;
	metrics_declare_all(rt->conf);
	sdn_ready("serving");
	while (!sig_term) {
		if (wd_usec != 0 && g_get_monotonic_time() >= wd_next) {
			/* Told only while the threads make progress. */
			bool stalled = serve_stalled(gen->srv,
			    (gint64)STALL_BOUND_S * G_USEC_PER_SEC);

			if (!stalled)
				sdn_watchdog();
			else if (!wd_held)
				log_errx("daemon: the intake threads made no "
				    "progress for %d s; the watchdog is not "
				    "told", STALL_BOUND_S);
			wd_held = stalled;
			wd_next = g_get_monotonic_time() + (gint64)wd_usec / 2;
		}
		if (sig_hup) {
			sig_hup = 0;
			log_info("daemon: reloading config=%s", path);
			sdn_reloading();
			if (runtime_load(path, &next, false) != 0) {
				log_warnx("daemon: reload refused; keeping the "
				    "running configuration");
				sdn_ready("reload refused (see the log); "
				    "running the previous configuration");
			} else {
				generation_stop(&gen);
				runtime_free(rt);
				*rt = next;
				outbox_set_lock_wait(rt->outbox, 0);
				if ((gen = generation_start(rt)) == NULL) {
					metrics_http_stop(&ep.http);
					free(ep.listen);
					free(self.status);
					return EX_OSERR;
				}
				log_info("daemon: reloaded");
				sdn_ready("reloaded");
				metrics_declare_all(rt->conf);
				resynced = false;
			}
		}
		/* Until it worked once for this configuration. */
		if (!resynced)
			resynced = resync(rt);
		if (g_get_monotonic_time() >= beat && heartbeat(rt, &self,
		    false, &oc) && alerts(rt)) {
			beat = g_get_monotonic_time() + HEARTBEAT_S *
			    G_USEC_PER_SEC;
			metrics_follow(rt->conf, &ep);
			if (ep.http != NULL)
				metrics_gauges(rt, &self, &oc);
		}
		sd_err_clear(&err);
		if (ingest_tick(&rt->ingest, sd_now(), NULL, &err) == -1)
			log_warnx("%s", err.msg);
		sd_err_clear(&err);
		if (outbox_flush(rt->outbox, rt->store, sd_now(), 0, &sent,
		    NULL, &err) == -1)
			log_warnx("%s", err.msg);
		/* The search index follows intake here, a batch a round,
		 * never waiting for intake's writers. */
		sd_err_clear(&err);
		if (store_search_index(rt->store, SEARCH_BATCH, false,
		    &indexed, &err) == -1)
			log_warnx("%s", err.msg);
		/* Wake at once for new mail; every second for retries and
		 * signals; at once while the index has more to take. */
		pfd.fd = wake_pipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, indexed == SEARCH_BATCH ? 0 : 1000) > 0)
			sd_pipe_drain(wake_pipe[0]);
	}
	log_info("daemon: stopping");
	sdn_stopping();
	metrics_http_stop(&ep.http);
	free(ep.listen);
	generation_stop(&gen);
	(void)heartbeat(rt, &self, true, &oc);
	free(self.status);
	return 0;
}

/* A thousand mailboxes are a thousand sockets: the soft limit on open
 * files (often 1,024) goes up to the hard one. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("daemon: setrlimit(RLIMIT_NOFILE)");
	}
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'd' },
		{ "once", no_argument, NULL, 'o' },
		{ "now", required_argument, NULL, 'N' },
		{ "debug", no_argument, NULL, 'D' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct runtime	 rt;
	struct sigaction	 sa;
	const char		*path = NULL;
	bool			 fg = false, once = false, debug = false,
				 check = false;
	int			 ch, ret;

	while ((ch = getopt_long(argc, argv, "c:dnhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'd': fg = true; break;
		case 'o': once = true; break;
		case 'D': debug = true; break;
		case 'n': check = true; break;
		case 'N':
			if (sd_clock_set_arg("supportd", optarg) == -1)
				return EX_USAGE;
			break;
		case 'V':
			printf("supportd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	log_init("supportd", fg || once || check, debug);
	mime_init();
	outbox_global_init();
	if (!once && !check)
		sdn_starting();
	if ((ret = runtime_load(path, &rt, check)) != 0 || check) {
		if (check && ret == 0)
			printf("%s: configuration OK\n", path);
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	log_info("daemon: started config=%s mailboxes=%zu once=%d", path,
	    rt.conf->nmailboxes, once);
	if (once) {
		/* Here this connection is the writer; the daemon's is its
		 * generation's, and one checkpointer is enough. */
		checkpoint_apart(rt.store);
		ret = cycle(&rt) == 0 ? 0 : EX_TEMPFAIL;
		goto out_rt;
	}
	if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("daemon: pipe");
		ret = EX_OSERR;
		goto out_rt;
	}
	raise_nofile();
	ret = run(path, &rt);
	log_info("daemon: stopped");
	close(wake_pipe[0]);
	close(wake_pipe[1]);
 out_rt:
	runtime_free(&rt);
 out:
	outbox_global_cleanup();
	mime_shutdown();
	metrics_reset();	/* nothing left for a leak checker to read */
	return ret;
}
