/* SPDX-License-Identifier: MIT */
/*
 * main.c - supportd: start-up, the loop, signals, reload.  The only code
 * that handles signals or exits.  Single process, single thread: every
 * wait is bounded and the flags set by signal handlers are checked
 * between mails and between sleep slices.
 *
 * Start-up order: config, store (and migrations), templates, then the
 * loop.  A reload (SIGHUP) builds a whole new runtime and swaps it in
 * only if everything in it loaded; otherwise the old one keeps running.
 */
#include <getopt.h>
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
#include "supportd/store.h"
#include "supportd/tmpl.h"

static volatile sig_atomic_t sig_term, sig_hup;

/* Everything built from one configuration. */
struct runtime {
	struct sd_conf		*conf;
	struct sd_store		*store;
	struct sd_tmpl_set	*tmpl;
	struct sd_classifier	*classifier;
	struct sd_intake	**intakes;	/* one per mailbox */
	struct sd_outbox	*outbox;
	struct sd_ingest	 ingest;
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
	if (rt->intakes != NULL && rt->conf != NULL)
		for (size_t i = 0; i < rt->conf->nmailboxes; i++)
			intake_free(&rt->intakes[i]);
	free(rt->intakes);
	outbox_free(&rt->outbox);
	classify_free(&rt->classifier);
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
	if (check_only) {
		ret = 0;
		goto out;
	}
	if (store_open(rt->conf->database, &rt->store, &err) == -1) {
		log_warnx("%s", err.msg);
		ret = err.cls == SD_E_TEMP ? EX_TEMPFAIL : EX_CANTCREAT;
		goto out;
	}
	if ((rt->outbox = outbox_new(&rt->conf->smtp,
	    rt->conf->outbox_max_age, &err)) == NULL) {
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
	struct runtime	*rt = arg;
	enum sd_outcome	 outcome;
	int64_t		 ticket;

	if (ingest_mail(&rt->ingest, f, &outcome, &ticket, err) == -1) {
		log_warnx("intake: mailbox=%s uid=%u: %s", f->mailbox->name,
		    f->uid, err->msg);
		return -1;
	}
	log_info("intake: mailbox=%s uid=%u outcome=%s ticket=%lld size=%zu",
	    f->mailbox->name, f->uid, ingest_outcome_name(outcome),
	    (long long)ticket, f->len);
	/* SIGTERM: finish the mail in hand, then stop. */
	if (sig_term)
		return sd_err_set(err, SD_E_TEMP, "stopping on signal");
	return 0;
}

/* One full cycle: every mailbox polled, mail taken in, outbox flushed.
 * Returns the number of mailboxes or steps that failed. */
static int
cycle(struct runtime *rt)
{
	struct sd_err	err;
	int		failed = 0, n, sent;

	for (size_t i = 0; i < rt->conf->nmailboxes && !sig_term; i++) {
		sd_err_clear(&err);
		if (intake_poll(rt->intakes[i], take_mail, rt, &n, &err) == -1) {
			if (!sig_term)
				log_warnx("%s", err.msg);
			failed++;
		} else if (n > 0)
			log_info("intake: mailbox=%s mails=%d",
			    rt->conf->mailboxes[i].name, n);
	}
	sd_err_clear(&err);
	if (outbox_flush(rt->outbox, rt->store, sd_now(), 0, &sent, &err) == -1) {
		log_warnx("%s", err.msg);
		failed++;
	}
	return failed;
}

static void
reload(const char *path, struct runtime *rt)
{
	struct runtime next;

	log_info("daemon: reloading config=%s", path);
	if (runtime_load(path, &next, false) != 0) {
		log_warnx("daemon: reload refused; keeping the running "
		    "configuration");
		return;
	}
	runtime_free(rt);
	*rt = next;
	log_info("daemon: reloaded");
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
	struct runtime		 rt;
	struct sigaction	 sa;
	const char		*path = NULL;
	bool			 fg = false, once = false, debug = false,
				 check = false;
	sd_time			 now;
	int			 ch, ret;

	while ((ch = getopt_long(argc, argv, "c:dnhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'd': fg = true; break;
		case 'o': once = true; break;
		case 'D': debug = true; break;
		case 'n': check = true; break;
		case 'N':
			if (sd_time_parse(optarg, &now) == -1) {
				fprintf(stderr, "supportd: --now: not an ISO 8601 "
				    "time: %s\n", optarg);
				return EX_USAGE;
			}
			sd_clock_set(now);
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
	while (!sig_term) {
		if (sig_hup) {
			sig_hup = 0;
			reload(path, &rt);
		}
		cycle(&rt);
		/* Sleep in one-second slices so signals are seen at once. */
		for (int64_t s = 0; s < rt.conf->poll_interval && !sig_term &&
		    !sig_hup; s++)
			sleep(1);
	}
	log_info("daemon: stopping");
	ret = 0;
 out_rt:
	runtime_free(&rt);
 out:
	outbox_global_cleanup();
	mime_shutdown();
	return ret;
}
