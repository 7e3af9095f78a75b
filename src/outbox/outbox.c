/* SPDX-License-Identifier: MIT */
/*
 * outbox.c - SMTP delivery of queued mail with libcurl.  One easy handle
 * per outbox so the connection to the relay is reused between rows.
 * What the relay accepted goes to the sent journal (journal.c) first;
 * the store records what a sent row means for its ticket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outbox_int.h"
#include "supportd/log.h"
#include "supportd/metrics.h"

#define BACKOFF_FIRST	60
#define BACKOFF_MAX	3600
#define FOLD_ROWS	64	/* accepted rows marked sent per transaction */
#define WEBHOOKS_WHILE_DOWN 10	/* posted a flush while the relay is down, */
#define WEBHOOKS_WHILE_DOWN_S 30	/* begun within so many seconds */

static void	slot_setup(struct sd_outbox *ob, struct smtp_slot *sl);


void
outbox_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
outbox_global_cleanup(void)
{
	curl_global_cleanup();
}

struct sd_outbox *
outbox_new(const struct sd_conf *conf, struct sd_err *err)
{
	struct sd_outbox *ob = xcalloc(1, sizeof(*ob));

	ob->smtp = &conf->smtp;
	ob->max_age = conf->outbox_max_age;
	if (conf->smtp.user != NULL && conf->smtp.auth == SD_AUTH_PASSWORD &&
	    (ob->password = conf_read_secret(
	    conf->smtp.password, conf->smtp.password_file, err)) == NULL)
		goto fail;
	if (conf->oncall_webhook_token_file != NULL &&
	    (ob->webhook_token = conf_read_secret(NULL,
	    conf->oncall_webhook_token_file, err)) == NULL)
		goto fail;
	journal_init(&ob->journal, conf->database);
	ob->lock_wait = -1;
	ob->nslots = conf->smtp.connections > 0 ? conf->smtp.connections : 1;
	ob->slots = xcalloc((size_t)ob->nslots, sizeof(*ob->slots));
	if ((ob->curl = curl_easy_init()) == NULL ||
	    (ob->multi = curl_multi_init()) == NULL) {
		sd_err_set(err, SD_E_BUG, "outbox: curl init failed");
		goto fail;
	}
	for (int i = 0; i < ob->nslots; i++) {
		if ((ob->slots[i].c = curl_easy_init()) == NULL) {
			sd_err_set(err, SD_E_BUG, "outbox: curl init failed");
			goto fail;
		}
		slot_setup(ob, &ob->slots[i]);
	}
	return ob;
 fail:
	outbox_free(&ob);
	return NULL;
}

void
outbox_free(struct sd_outbox **obp)
{
	struct sd_outbox *ob = *obp;

	if (ob == NULL)
		return;
	if (ob->curl)
		curl_easy_cleanup(ob->curl);
	for (int i = 0; i < ob->nslots; i++)
		if (ob->slots[i].c)
			curl_easy_cleanup(ob->slots[i].c);
	free(ob->slots);
	journal_free(&ob->journal);
	if (ob->multi)
		curl_multi_cleanup(ob->multi);
	secret_free(&ob->password);
	secret_free(&ob->webhook_token);
	free(ob);
	*obp = NULL;
}

void
outbox_set_lock_wait(struct sd_outbox *ob, int secs)
{
	ob->lock_wait = secs;
}

void
outbox_set_oauth(struct sd_outbox *ob, struct sd_oauth *oa)
{
	ob->oauth = oa;
}

/* Gives every slot the SMTP login's token (a fresh one when stale).
 * -1 with err when there is none to give: the relay is as good as
 * down. */
static int
set_bearer(struct sd_outbox *ob, bool stale, struct sd_err *err)
{
	char *tok;

	if (ob->oauth == NULL)
		return sd_err_set(err, SD_E_BUG, "outbox: no token source "
		    "for OAuth2");
	if (oauth_bearer(ob->oauth, "smtp", &ob->smtp->oauth2, stale, &tok,
	    err) == -1)
		return -1;
	/* libcurl keeps its own copy. */
	for (int i = 0; i < ob->nslots; i++)
		curl_easy_setopt(ob->slots[i].c, CURLOPT_XOAUTH2_BEARER, tok);
	secret_free(&tok);
	ob->bearer_set = true;
	return 0;
}

bool
outbox_relay_down(const struct sd_outbox *ob)
{
	return ob->relay_down;
}

sd_time
outbox_backoff(int attempts)
{
	sd_time d = BACKOFF_FIRST;

	for (int i = 1; i < attempts && d < BACKOFF_MAX; i++)
		d *= 2;
	return d > BACKOFF_MAX ? BACKOFF_MAX : d;
}

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct smtp_slot	*sl = arg;
	struct sd_err		 err;
	size_t			 n = size * nmemb;

	if (n > sl->left)
		n = sl->left;
	/* A large message comes from the store a buffer at a time. */
	if (sl->o.raw_apart) {
		int rr = store_outbox_read(sl->st, sl->o.id, sl->off, buf, n,
		    &n, &err);

		if (rr == -1 || (n == 0 && sl->left > 0)) {
			/* Never a mail cut short: a missing part aborts. */
			g_strlcpy(sl->errbuf, rr == -1 ? err.msg : "outbox: a "
			    "part of the mail is missing", sizeof(sl->errbuf));
			return CURL_READFUNC_ABORT;
		}
		sl->off += n;
		sl->left -= n;
		return n;
	}
	memcpy(buf, sl->p, n);
	sl->p += n;
	sl->left -= n;
	return n;
}

static void
slot_release(struct smtp_slot *sl)
{
	curl_slist_free_all(sl->rcpts);
	sl->rcpts = NULL;
	free(sl->from);
	sl->from = NULL;
	store_outrow_clear(&sl->o);
	sl->busy = false;
	sl->auth_wait = false;
}

/* The options every row of slot sl shares, set once at start-up; the
 * multi handle keeps the connections to the relay. */
static void
slot_setup(struct sd_outbox *ob, struct smtp_slot *sl)
{
	CURL *c = sl->c;

	curl_easy_setopt(c, CURLOPT_URL, ob->smtp->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, ob->smtp->tls == SD_TLS_NONE ?
	    (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	if (ob->smtp->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, ob->smtp->ca_file);
	if (ob->smtp->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, ob->smtp->user);
		/* OAuth2: the bearer is set per flush (set_bearer); libcurl
		 * then offers OAUTHBEARER or XOAUTH2, as the relay lists. */
		if (ob->smtp->auth == SD_AUTH_PASSWORD)
			curl_easy_setopt(c, CURLOPT_PASSWORD, ob->password);
	}
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)ob->smtp->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, sl->errbuf);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, sl);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_PRIVATE, sl);
	/* One refused Cc (SPEC §13.3) must not keep a mail from the
	 * requester: the mail goes when any recipient is accepted. */
#if LIBCURL_VERSION_NUM >= 0x080200
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#else
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
}

/* Starts the SMTP transaction of sl->o on sl's handle.  -1 with err
 * (SD_E_PERM) when the row cannot be sent at all. */
static int
smtp_start(struct sd_outbox *ob, struct smtp_slot *sl, struct sd_err *err)
{
	const struct sd_outrow	*o = &sl->o;
	CURL			*c = sl->c;
	char			**list;

	sl->from = xasprintf("<%s>", o->mail_from ? o->mail_from : "");
	list = g_strsplit(o->rcpts, "\n", -1);
	for (size_t i = 0; list[i] != NULL; i++) {
		char *r;

		if (*list[i] == '\0')
			continue;
		r = xasprintf("<%s>", list[i]);
		sl->rcpts = curl_slist_append(sl->rcpts, r);
		free(r);
	}
	g_strfreev(list);
	if (sl->rcpts == NULL)
		return sd_err_set(err, SD_E_PERM, "outbox: id=%lld: no "
		    "recipient", (long long)o->id);
	sl->p = o->raw;
	sl->left = o->raw_apart ? o->raw_size : o->rawlen;
	sl->off = 0;
	/* Only what differs per row; slot_setup set the rest once. */
	sl->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, sl->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, sl->rcpts);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sl->left);
	if (curl_multi_add_handle(ob->multi, c) != CURLM_OK)
		return sd_err_set(err, SD_E_BUG, "outbox: id=%lld: "
		    "curl_multi_add_handle failed", (long long)o->id);
	sl->busy = true;
	return 0;
}

/* Sends sl's row again on its handle, from the start. */
static int
smtp_restart(struct sd_outbox *ob, struct smtp_slot *sl, struct sd_err *err)
{
	sl->p = sl->o.raw;
	sl->left = sl->o.raw_apart ? sl->o.raw_size : sl->o.rawlen;
	sl->off = 0;
	sl->errbuf[0] = '\0';
	if (curl_multi_add_handle(ob->multi, sl->c) != CURLM_OK)
		return sd_err_set(err, SD_E_BUG, "outbox: id=%lld: "
		    "curl_multi_add_handle failed", (long long)sl->o.id);
	return 0;
}

/* The outcome of a finished transaction: 0 accepted; -1 with err
 * (TEMP: retry, PERM: give up). */
static int
smtp_result(struct smtp_slot *sl, CURLcode rc, long *reply_r,
    struct sd_err *err)
{
	long code = 0;

	curl_easy_getinfo(sl->c, CURLINFO_RESPONSE_CODE, &code);
	*reply_r = code;
	if (rc == CURLE_OK)
		return 0;
	/* A refused login (535) says nothing of the mail: it waits. */
	return sd_err_set(err, rc == CURLE_LOGIN_DENIED ||
	    rc == CURLE_PEER_FAILED_VERIFICATION ? SD_E_CONFIG :
	    code >= 500 && code < 600 ? SD_E_PERM : SD_E_TEMP,
	    "outbox: id=%lld: SMTP %s%s%s (reply %ld)", (long long)sl->o.id,
	    curl_easy_strerror(rc), sl->errbuf[0] ? ": " : "", sl->errbuf,
	    code);
}

struct flush {
	struct sd_outbox	*ob;
	struct sd_store		*st;
	sd_time			 now;
	int			 sent, deferred;
	bool			 relay_down;	/* stop taking rows */
	bool			 in_txn;	/* see txn_need */
	bool			 auth_retried;	/* a refused token renewed */
	int			 nwait;		/* slots waiting for it */
	bool			 hook_down;	/* an endpoint did not answer:
						 * no more webhooks */
};

/* Opens the store transaction of a batch of outcomes on its first
 * write: outcomes that only go to the journal need none. */
static int
txn_need(struct flush *fl, struct sd_err *err)
{
	if (fl->in_txn)
		return 0;
	if (store_begin(fl->st, err) == -1)
		return -1;
	fl->in_txn = true;
	return 0;
}

/* Ends it: commit when ret is 0, else roll back.  Returns ret, or -1. */
static int
txn_end(struct flush *fl, int ret, struct sd_err *err)
{
	if (!fl->in_txn)
		return ret;
	fl->in_txn = false;
	if (ret == 0)
		return store_commit(fl->st, err);
	store_rollback(fl->st);
	return -1;
}

/* Row o was accepted: logged, counted and journaled.  -1 when it is not
 * in the journal and must be marked sent in the store now. */
static int
accepted(struct flush *fl, const struct sd_outrow *o)
{
	log_info("outbox: id=%lld ticket=%lld kind=%s rcpt=%s: sent",
	    (long long)o->id, (long long)o->ticket_id, o->kind, o->rcpts);
	fl->sent++;
	if (strcmp(o->kind, OUTBOX_KIND_WEBHOOK) != 0)
		metrics_add(SD_MET_SENT, NULL, 1);
	return journal_add(&fl->ob->journal, o, fl->now);
}

/* Records the outcome of row o (serr cleared when it was accepted):
 * accepted rows go to the journal, the rest into the batch's store
 * transaction.  -1 on a database error. */
static int
settle(struct flush *fl, const struct sd_outrow *o, long reply,
    const struct sd_err *serr, struct sd_err *err)
{
	int r;

	if (serr->cls == SD_E_NONE) {
		if (accepted(fl, o) == 0)
			return 0;
		if (txn_need(fl, err) == -1)
			return -1;
		return store_outbox_sent(fl->st, o, fl->now, err);
	}
	if (txn_need(fl, err) == -1)
		return -1;
	if (serr->cls == SD_E_PERM ||
	    fl->now - o->created_at > fl->ob->max_age) {
		log_warnx("outbox: id=%lld ticket=%lld: failed for good: %s",
		    (long long)o->id, (long long)o->ticket_id, serr->msg);
		r = store_outbox_mark_failed(fl->st, o->id, serr->msg, err);
		if (strcmp(o->kind, OUTBOX_KIND_WEBHOOK) != 0)
			metrics_add(SD_MET_FAILED, NULL, 1);
	} else {
		sd_time next = fl->now + outbox_backoff(o->attempts + 1);

		log_warnx("outbox: id=%lld ticket=%lld attempt=%d: %s; "
		    "retry in %llds", (long long)o->id, (long long)o->ticket_id,
		    o->attempts + 1, serr->msg, (long long)(next - fl->now));
		r = store_outbox_mark_retry(fl->st, o->id, o->attempts + 1,
		    next, serr->msg, err);
		fl->deferred++;
	}
	/* Relay unreachable, or refusing our login: the other mail would
	 * fail the same way.  An endpoint that does not answer holds up
	 * the other webhooks (each may take its timeout on the thread that
	 * handles the signals), not the mail. */
	if ((serr->cls == SD_E_TEMP && reply == 0) ||
	    serr->cls == SD_E_CONFIG) {
		if (strcmp(o->kind, OUTBOX_KIND_WEBHOOK) != 0)
			fl->relay_down = true;
		else
			fl->hook_down = true;
	}
	return r;
}

/* settle() in a transaction of its own. */
static int
settle_one(struct flush *fl, const struct sd_outrow *o, long reply,
    const struct sd_err *serr, struct sd_err *err)
{
	return txn_end(fl, settle(fl, o, reply, serr, err), err);
}

/*
 * Settles every finished SMTP transaction at once, before any slot is
 * reused: a crash repeats at most the rows in flight (one per
 * connection).  -1 on a database error.
 */
static int
reap(struct flush *fl, struct sd_err *err)
{
	struct smtp_slot	*done[64];
	CURLMsg			*msg;
	int			 left, n = 0, ret = 0;

	while ((msg = curl_multi_info_read(fl->ob->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && n < (int)nitems(done)) {
			struct smtp_slot *sl = NULL;

			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&sl);
			sl->result = msg->data.result;
			curl_multi_remove_handle(fl->ob->multi, sl->c);
			done[n++] = sl;
		}
	for (int i = 0; i < n; i++) {
		struct sd_err	serr;
		long		reply = 0;

		sd_err_clear(&serr);
		/* SPEC §15.3: a refused token is renewed and the mail
		 * tried once more, once a flush; retry_auth does it when
		 * nothing is in flight and this batch is committed. */
		if (done[i]->result == CURLE_LOGIN_DENIED &&
		    fl->ob->smtp->auth == SD_AUTH_OAUTH2 && !fl->auth_retried &&
		    ret == 0) {
			done[i]->auth_wait = true;
			fl->nwait++;
			continue;
		}
		(void)smtp_result(done[i], done[i]->result, &reply, &serr);
		if (ret == 0) {
			if (settle(fl, &done[i]->o, reply, &serr, err) == -1)
				ret = -1;
		} else if (serr.cls == SD_E_NONE &&
		    accepted(fl, &done[i]->o) == -1)
			log_warnx("outbox: id=%lld: accepted, but neither the "
			    "journal nor the database says so: it will be sent "
			    "again", (long long)done[i]->o.id);
		slot_release(done[i]);
	}
	return txn_end(fl, ret, err);
}

/* Whether a transaction is in flight (a slot waiting for a new token
 * is not). */
static bool
in_flight(const struct sd_outbox *ob)
{
	for (int i = 0; i < ob->nslots; i++)
		if (ob->slots[i].busy && !ob->slots[i].auth_wait)
			return true;
	return false;
}

/*
 * The relay refused the token of the slots waiting: a new one is got
 * (the token endpoint may take its timeout: nothing is in flight to
 * time out meanwhile) and their mail sent again; without one they
 * wait like mail to a relay that is down.  *restarted_r: one is in
 * flight again.  -1 on a database error.
 */
static int
retry_auth(struct flush *fl, bool *restarted_r, struct sd_err *err)
{
	struct sd_outbox	*ob = fl->ob;
	struct sd_err		 terr;
	long			 reply;
	int			 ret = 0;

	fl->auth_retried = true;
	fl->nwait = 0;
	sd_err_clear(&terr);
	/* Another slot found the relay down: no token would help. */
	if (!fl->relay_down && set_bearer(ob, true, &terr) == 0)
		log_info("outbox: the relay refused the token; renewed, "
		    "trying once more");
	for (int i = 0; i < ob->nslots; i++) {
		struct smtp_slot	*sl = &ob->slots[i];
		struct sd_err		 serr = terr;

		if (!sl->auth_wait)
			continue;
		sl->auth_wait = false;
		reply = 0;
		if (!fl->relay_down && serr.cls == SD_E_NONE &&
		    smtp_restart(ob, sl, &serr) == 0) {
			*restarted_r = true;
			continue;
		}
		/* Its own refusal, unless the token or restart failed. */
		if (serr.cls == SD_E_NONE)
			(void)smtp_result(sl, sl->result, &reply, &serr);
		if (ret == 0 && settle_one(fl, &sl->o, reply, &serr, err) == -1)
			ret = -1;
		slot_release(sl);
	}
	return ret;
}

static bool
any_busy(const struct sd_outbox *ob)
{
	for (int i = 0; i < ob->nslots; i++)
		if (ob->slots[i].busy)
			return true;
	return false;
}

static struct smtp_slot *
free_slot(struct sd_outbox *ob)
{
	for (int i = 0; i < ob->nslots; i++)
		if (!ob->slots[i].busy)
			return &ob->slots[i];
	return NULL;
}

/*
 * Sends what is due: webhooks one at a time on their own handle, mail
 * on up to smtp.connections transactions at once.  Each outcome is
 * written as soon as it is known.
 */
int
outbox_flush(struct sd_outbox *ob, struct sd_store *st, sd_time now, int max,
    int *sent_r, int *deferred_r, struct sd_err *err)
{
	struct flush		 fl = { .ob = ob, .st = st, .now = now };
	struct smtp_slot	*sl;
	struct sd_outrow	 o, hold;
	struct sd_err		 serr;
	int64_t			 after = 0;
	long			 reply;
	bool			 found, more = true, holding = false;
	gint64			 t0;
	int			 n = 0, running = 0, ret = 0;
	enum jstate		 js = J_NONE;

	if (sent_r)
		*sent_r = 0;
	if (deferred_r)
		*deferred_r = 0;
	ob->relay_down = false;
	ob->bearer_set = false;		/* renewed when due, once a flush */
	if (journal_open(&ob->journal, ob->lock_wait, &js, err) == -1)
		return -1;
	if (js == J_BUSY) {
		log_debug("outbox: another process is flushing; not this time");
		return 0;
	}
	/* Rows an earlier run had sent are marked first, or they would
	 * be sent again. */
	if (js == J_READY && (journal_load(&ob->journal, err) == -1 ||
	    journal_fold(&ob->journal, st, true, err) == -1)) {
		journal_unlock(&ob->journal);
		return -1;
	}
	for (;;) {
		/* Fill the free slots while rows are due. */
		while (ret == 0 && more && !fl.relay_down && fl.nwait == 0 &&
		    (max == 0 || n < max || holding) &&
		    (sl = free_slot(ob)) != NULL) {
			/* A webhook blocks this thread for up to 30 s: it is
			 * posted only with no SMTP transaction in flight, or
			 * their replies would wait and time out after the
			 * relay had accepted the mail (sent twice). */
			if (holding) {
				if (any_busy(ob))
					break;
				holding = false;
				if (fl.hook_down) {	/* still due */
					store_outrow_clear(&hold);
					continue;
				}
				(void)webhook_post(ob, &hold, &reply, &serr);
				if (settle_one(&fl, &hold, reply, &serr,
				    err) == -1)
					ret = -1;
				store_outrow_clear(&hold);
				continue;
			}
			if (store_outbox_next(st, now, after, &o, &found,
			    err) == -1) {
				ret = -1;
				break;
			}
			if (!found) {
				more = false;
				break;
			}
			after = o.id;
			n++;
			sd_err_clear(&serr);
			reply = 0;
			if (strcmp(o.kind, OUTBOX_KIND_WEBHOOK) == 0) {
				hold = o;
				holding = true;
				continue;
			}
			sl->o = o;
			sl->st = st;
			if ((ob->smtp->auth == SD_AUTH_OAUTH2 &&
			    !ob->bearer_set && set_bearer(ob, false,
			    &serr) == -1) || smtp_start(ob, sl, &serr) == -1) {
				if (settle_one(&fl, &sl->o, 0, &serr, err) == -1)
					ret = -1;
				slot_release(sl);
			}
		}
		if (curl_multi_perform(ob->multi, &running) != CURLM_OK) {
			sd_err_set(err, SD_E_BUG, "outbox: curl_multi_perform "
			    "failed");
			ret = -1;
		}
		/* Folded a batch at a time (and at the end, below): a
		 * commit per accepted mail was a sixth of the sending
		 * thread's time (benchmark, end to end), and each took the
		 * write lock from the intake. */
		if (reap(&fl, ret == 0 ? err : NULL) == -1 ||
		    (ret == 0 && ob->journal.rows->len >= FOLD_ROWS &&
		    journal_fold(&ob->journal, st, false, err) == -1))
			ret = -1;
		if (ret == 0 && fl.nwait > 0 && !in_flight(ob)) {
			bool restarted = false;

			if (retry_auth(&fl, &restarted, err) == -1)
				ret = -1;
			if (restarted)
				running = 1;	/* round again: in flight */
		}
		/* Nothing in flight (reap has freed every slot) and nothing
		 * more to start. */
		if (running == 0 && (!holding || ret == -1 ||
		    fl.relay_down) && (ret == -1 || !more || fl.relay_down ||
		    (max != 0 && n >= max)))
			break;
		if (running > 0)
			curl_multi_poll(ob->multi, NULL, 0, 1000, NULL);
	}
	if (holding)		/* not posted: still due, taken below or next time */
		store_outrow_clear(&hold);
	/* A relay that is down holds up no webhook: pages and admin alerts
	 * are how anyone hears of it.  What was accepted is marked sent
	 * first, or it would be posted again; then a few a flush, for a
	 * few seconds, and none after one whose endpoint did not answer. */
	if (ret == 0 && fl.relay_down && journal_fold(&ob->journal, st, true,
	    err) == -1)
		ret = -1;
	after = 0;
	t0 = g_get_monotonic_time();
	for (int k = 0; ret == 0 && fl.relay_down && !fl.hook_down &&
	    k < WEBHOOKS_WHILE_DOWN && g_get_monotonic_time() - t0 <
	    WEBHOOKS_WHILE_DOWN_S * G_USEC_PER_SEC && (max == 0 || n < max);
	    k++, n++) {
		if (store_outbox_next_webhook(st, now, after, &o, &found,
		    err) == -1) {
			ret = -1;
			break;
		}
		if (!found)
			break;
		after = o.id;
		sd_err_clear(&serr);
		reply = 0;
		(void)webhook_post(ob, &o, &reply, &serr);
		if (settle_one(&fl, &o, reply, &serr, err) == -1)
			ret = -1;
		store_outrow_clear(&o);
	}
	/* Left waiting for a token by a database error: still due. */
	for (int i = 0; i < ob->nslots; i++)
		if (ob->slots[i].auth_wait)
			slot_release(&ob->slots[i]);
	if (journal_fold(&ob->journal, st, true, ret == 0 ? err : NULL) == -1)
		ret = -1;
	if (js == J_READY)
		journal_unlock(&ob->journal);
	ob->relay_down = fl.relay_down;
	if (sent_r)
		*sent_r = fl.sent;
	if (deferred_r)
		*deferred_r = fl.deferred;
	return ret;
}
