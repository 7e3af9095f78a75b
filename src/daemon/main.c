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
 * (see struct sender), timers at the end.  The daemon runs one thread per
 * mailbox, each with its own IMAP session and SQLite connection, waiting
 * in IDLE (or sleeping poll_interval); so a dead or hanging IMAP server
 * only ever holds up its own mailbox.  The runtime they share (config,
 * templates, classifier) is immutable while they run.  Only the main
 * thread sends mail: a worker that committed a group of mails writes a
 * byte to a pipe, and the main thread flushes the outbox at once.
 * Signals are blocked in the workers and handled by the main thread.
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

#include "config.h"
#include "supportd/classify.h"
#include "supportd/conf.h"
#include "supportd/ingest.h"
#include "supportd/intake.h"
#include "supportd/log.h"
#include "supportd/mail.h"
#include "supportd/outbox.h"
#include "supportd/sla.h"
#include "supportd/store.h"
#include "supportd/tmpl.h"

static volatile sig_atomic_t sig_term, sig_hup;
/* Workers write here after committing mail; the main thread polls it. */
static int wake_pipe[2] = { -1, -1 };

#define BACKOFF_MAX	300	/* seconds between reconnects, at most */
#define JOIN_WAIT	3	/* seconds a stopping worker may take */
#define SENDER_CACHE_KIB 512	/* the --once sender's SQLite page cache */

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
	struct sd_calendar	*calendar;
	struct sd_intake	**intakes;	/* one per mailbox */
	struct sd_outbox	*outbox;
	struct sd_ingest	 ingest;
};

/* What take_mail needs: where to put the mail, and when to stop. */
struct taker {
	const struct sd_ingest		*ingest;
	volatile sig_atomic_t		*stop;
};

struct workers;

/* A mailbox's thread in the daemon. */
struct worker {
	pthread_t			 th;
	bool				 started;
	struct workers			*gen;		/* borrowed */
	const struct sd_conf_mailbox	*mb;		/* borrowed */
	struct sd_store			*store;		/* owned */
	struct sd_intake		*intake;	/* owned */
	struct sd_ingest		 ingest;
	struct taker			 taker;
};

/* One generation of workers, started from one runtime.  Its stop flag is
 * its own, so a thread abandoned in a hanging read (see workers_join)
 * still stops, and never sees the flag of a later generation. */
struct workers {
	volatile sig_atomic_t	 stop;
	const struct runtime	*rt;		/* borrowed */
	size_t			 n;
	struct worker		*w;		/* owned array */
	struct workers		*next;		/* on the left_behind list */
};

/* Generations with a thread still blocked in I/O, and the runtimes they
 * read.  Kept until the process ends, and kept reachable from here so
 * leak checkers see them as what they are: still in use. */
static struct workers	*left_behind;
static struct runtime	*kept_runtimes[16];
static size_t		 nkept;

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
	if (rt->intakes != NULL && rt->conf != NULL)
		for (size_t i = 0; i < rt->conf->nmailboxes; i++)
			intake_free(&rt->intakes[i]);
	free(rt->intakes);
	outbox_free(&rt->outbox);
	classify_free(&rt->classifier);
	sla_calendar_free(&rt->calendar);
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
	if (conf_load(path, &rt->conf, &errs, &warns) == -1) {
		print_errs(&errs);
		goto out;
	}
	for (size_t i = 0; i < warns.n; i++)
		log_warnx("config: %s", warns.v[i]);
	if (tmpl_set_load(rt->conf->templates_dir, &rt->tmpl, &errs) == -1) {
		print_errs(&errs);
		goto out;
	}
	if ((rt->classifier = classify_new(rt->conf->priorities,
	    rt->conf->default_priority, &err)) == NULL) {
		log_warnx("config: %s", err.msg);
		goto out;
	}
	if ((rt->calendar = sla_calendar_new(&rt->conf->calendar, &err))
	    == NULL) {
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
	checkpoint_apart(rt->store);
	if ((rt->outbox = outbox_new(rt->conf, &err)) == NULL) {
		log_warnx("%s", err.msg);
		goto out;
	}
	rt->intakes = xcalloc(rt->conf->nmailboxes, sizeof(*rt->intakes));
	for (size_t i = 0; i < rt->conf->nmailboxes; i++)
		rt->intakes[i] = intake_new(&rt->conf->mailboxes[i],
		    rt->conf->max_message_size, rt->store);
	rt->ingest.conf = rt->conf;
	rt->ingest.store = rt->store;
	rt->ingest.tmpl = rt->tmpl;
	rt->ingest.classifier = rt->classifier;
	rt->ingest.calendar = rt->calendar;
	ret = 0;
 out:
	strv_free(&errs);
	strv_free(&warns);
	if (ret != 0 || check_only)
		runtime_free(rt);
	return ret;
}

static int
take_mail(void *arg, const struct sd_fetched *f, struct sd_err *err)
{
	const struct taker	*tk = arg;
	enum sd_outcome		 outcome;
	int64_t			 ticket;

	if (ingest_mail(tk->ingest, f, &outcome, &ticket, err) == -1) {
		log_warnx("intake: mailbox=%s uid=%u: %s", f->mailbox->name,
		    f->uid, err->msg);
		return -1;
	}
	if (f->again)
		return 0;
	log_info("intake: mailbox=%s uid=%u outcome=%s ticket=%lld size=%zu",
	    f->mailbox->name, f->uid, ingest_outcome_name(outcome),
	    (long long)ticket, f->len);
	/* SIGTERM: finish the mail in hand, then stop. */
	if (sig_term || *tk->stop) {
		sd_err_set(err, SD_E_TEMP, "stopping on signal");
		return 1;
	}
	return 0;
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

/* One full cycle: every mailbox polled, mail taken in, outbox flushed.
 * Returns the number of mailboxes or steps that failed. */
static int
cycle(struct runtime *rt)
{
	static volatile sig_atomic_t	never;
	struct taker			tk = { &rt->ingest, &never };
	struct sender			snd;
	struct sd_err			err;
	sigset_t			all, old;
	int				failed = 0, n;
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
	for (size_t i = 0; i < rt->conf->nmailboxes && !sig_term; i++) {
		sd_err_clear(&err);
		if (threaded)
			intake_on_commit(rt->intakes[i], sender_wake, &snd);
		if (intake_poll(rt->intakes[i], take_mail, &tk, &n,
		    &err) == -1) {
			if (!sig_term)
				log_warnx("%s", err.msg);
			failed++;
		} else if (n > 0)
			log_info("intake: mailbox=%s mails=%d",
			    rt->conf->mailboxes[i].name, n);
		intake_on_commit(rt->intakes[i], NULL, NULL);
	}
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

static void
wake_main(void)
{
	char c = 1;

	/* Non-blocking: a full pipe already means "wake up". */
	if (write(wake_pipe[1], &c, 1) == -1 && errno != EAGAIN)
		log_warn("daemon: wake pipe");
}

/* A worker committed a group: its responses can go out now, not only
 * when the whole backlog is in. */
static void
wake_main_cb(void *arg)
{
	(void)arg;
	wake_main();
}

/* Sleeps up to secs, returning early when the generation is stopped. */
static void
worker_sleep(const struct workers *gen, int64_t secs)
{
	for (int64_t i = 0; i < secs && !gen->stop; i++)
		sleep(1);
}

static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct workers		*gen = w->gen;
	const struct sd_conf	*conf = gen->rt->conf;
	struct sd_err		 err;
	int64_t			 backoff = 0;
	bool			 no_idle;
	int			 n, r;

	while (!gen->stop) {
		sd_err_clear(&err);
		r = intake_poll(w->intake, take_mail, &w->taker, &n, &err);
		if (n > 0)
			log_info("intake: mailbox=%s mails=%d", w->mb->name, n);
		if (r == -1) {
			if (gen->stop)
				break;
			/* Back off, doubling, so a dead server costs nothing. */
			backoff = backoff == 0 ? 1 : backoff * 2;
			if (backoff > BACKOFF_MAX)
				backoff = BACKOFF_MAX;
			log_warnx("%s; retry in %llds", err.msg,
			    (long long)backoff);
			worker_sleep(gen, backoff);
			continue;
		}
		backoff = 0;
		if (!w->mb->imap.idle) {
			worker_sleep(gen, conf->poll_interval);
			continue;
		}
		r = intake_idle(w->intake, (int)w->mb->imap.idle_renew,
		    &gen->stop, &no_idle, &err);
		if (r == -1)
			log_warnx("%s", err.msg);
		else if (no_idle)
			worker_sleep(gen, conf->poll_interval);
	}
	return NULL;
}

/*
 * Stops a generation.  Returns true when every thread ended and the
 * generation is freed.  A thread still blocked in network I/O after
 * JOIN_WAIT seconds is detached and the generation (and the runtime it
 * points at) is kept: freeing it under the thread would be a
 * use-after-free, and a hanging server must not hold up a stop.
 */
static bool
workers_join(struct workers *gen)
{
	struct timespec	deadline;
	bool		all = true;

	gen->stop = 1;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += JOIN_WAIT;
	for (size_t i = 0; i < gen->n; i++) {
		struct worker *w = &gen->w[i];

		if (!w->started)
			continue;
		if (pthread_timedjoin_np(w->th, NULL, &deadline) != 0) {
			log_warnx("daemon: mailbox=%s: worker still blocked in "
			    "I/O; leaving it behind", w->mb->name);
			pthread_detach(w->th);
			all = false;
		}
		w->started = false;
	}
	if (!all) {
		gen->next = left_behind;
		left_behind = gen;
		return false;
	}
	for (size_t i = 0; i < gen->n; i++) {
		intake_free(&gen->w[i].intake);
		store_close(&gen->w[i].store);
	}
	free(gen->w);
	free(gen);
	return true;
}

/* Starts one thread per mailbox; NULL when one could not start. */
static struct workers *
workers_start(const struct runtime *rt)
{
	struct workers	*gen = xcalloc(1, sizeof(*gen));
	struct sd_err	 err;
	sigset_t	 all, old;
	size_t		 i;

	gen->rt = rt;
	gen->n = rt->conf->nmailboxes;
	gen->w = xcalloc(gen->n, sizeof(*gen->w));
	/* Threads inherit the mask: signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < gen->n; i++) {
		struct worker *w = &gen->w[i];

		w->gen = gen;
		w->mb = &rt->conf->mailboxes[i];
		if (store_open(rt->conf->database, &w->store, &err) == -1) {
			log_warnx("%s", err.msg);
			break;
		}
		checkpoint_apart(w->store);
		w->intake = intake_new(w->mb, rt->conf->max_message_size,
		    w->store);
		intake_on_commit(w->intake, wake_main_cb, NULL);
		w->ingest = rt->ingest;
		w->ingest.store = w->store;
		w->taker.ingest = &w->ingest;
		w->taker.stop = &gen->stop;
		if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
			log_warnx("daemon: mailbox=%s: cannot start a thread",
			    w->mb->name);
			break;
		}
		w->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (i < gen->n) {
		workers_join(gen);
		return NULL;
	}
	return gen;
}

/* The daemon: workers take mail in, this thread sends it out.  Returns
 * an exit code; *keep_r is set when a worker was left behind, so the
 * runtime must not be freed. */
static int
run(const char *path, struct runtime *rt, bool *keep_r)
{
	struct workers	*gen;
	struct pollfd	 pfd;
	struct sd_err	 err;
	struct runtime	 next;
	char		 buf[64];
	int		 sent;

	*keep_r = false;
	/* This thread handles the signals: it never waits for a
	 * supportctl that is flushing, it tries again in a second. */
	outbox_set_lock_wait(rt->outbox, 0);
	if ((gen = workers_start(rt)) == NULL)
		return EX_OSERR;
	while (!sig_term) {
		if (sig_hup) {
			sig_hup = 0;
			log_info("daemon: reloading config=%s", path);
			if (runtime_load(path, &next, false) != 0) {
				log_warnx("daemon: reload refused; keeping the "
				    "running configuration");
			} else {
				/* A left-behind worker still reads the old
				 * runtime: then it is kept, not freed. */
				if (workers_join(gen))
					runtime_free(rt);
				else if (nkept < nitems(kept_runtimes)) {
					kept_runtimes[nkept] = xmalloc(sizeof(*rt));
					*kept_runtimes[nkept++] = *rt;
					gen->rt = kept_runtimes[nkept - 1];
				}
				*rt = next;
				outbox_set_lock_wait(rt->outbox, 0);
				if ((gen = workers_start(rt)) == NULL)
					return EX_OSERR;
				log_info("daemon: reloaded");
			}
		}
		sd_err_clear(&err);
		if (ingest_tick(&rt->ingest, sd_now(), NULL, &err) == -1)
			log_warnx("%s", err.msg);
		sd_err_clear(&err);
		if (outbox_flush(rt->outbox, rt->store, sd_now(), 0, &sent,
		    NULL, &err) == -1)
			log_warnx("%s", err.msg);
		/* Wake at once for new mail; every second for retries and
		 * signals. */
		pfd.fd = wake_pipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) > 0)
			while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
				;
	}
	log_info("daemon: stopping");
	*keep_r = !workers_join(gen);
	return 0;
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
	/* Static: at exit a left-behind worker may still read it. */
	static struct runtime	 rt;
	struct sigaction	 sa;
	const char		*path = NULL;
	bool			 fg = false, once = false, debug = false,
				 check = false, keep = false;
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
		ret = cycle(&rt) == 0 ? 0 : EX_TEMPFAIL;
		goto out_rt;
	}
	if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("daemon: pipe");
		ret = EX_OSERR;
		goto out_rt;
	}
	ret = run(path, &rt, &keep);
	if (keep) {
		/* A worker is still inside a blocking read: exit without
		 * freeing what it uses. */
		log_info("daemon: stopped");
		return ret;
	}
	close(wake_pipe[0]);
	close(wake_pipe[1]);
 out_rt:
	runtime_free(&rt);
 out:
	outbox_global_cleanup();
	mime_shutdown();
	return ret;
}
