/* SPDX-License-Identifier: MIT */
/*
 * outbox.c - SMTP delivery of queued mail with libcurl.  One easy handle
 * per outbox so the connection to the relay is reused between rows.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <glib.h>

#include "outbox_int.h"
#include "supportd/log.h"

#define BACKOFF_FIRST	60
#define BACKOFF_MAX	3600


struct reader {
	const char	*p;
	size_t		 left;
};

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
	if (conf->smtp.user != NULL && (ob->password = conf_read_secret(
	    conf->smtp.password, conf->smtp.password_file, err)) == NULL)
		goto fail;
	if (conf->oncall_webhook_token_file != NULL &&
	    (ob->webhook_token = conf_read_secret(NULL,
	    conf->oncall_webhook_token_file, err)) == NULL)
		goto fail;
	if ((ob->curl = curl_easy_init()) == NULL) {
		sd_err_set(err, SD_E_BUG, "outbox: curl_easy_init failed");
		goto fail;
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
	if (ob->password) {
		explicit_bzero(ob->password, strlen(ob->password));
		free(ob->password);
	}
	if (ob->webhook_token) {
		explicit_bzero(ob->webhook_token, strlen(ob->webhook_token));
		free(ob->webhook_token);
	}
	free(ob);
	*obp = NULL;
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
	struct reader	*r = arg;
	size_t		 n = size * nmemb;

	if (n > r->left)
		n = r->left;
	memcpy(buf, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

/* Sends one row.  0 accepted; -1 with err (TEMP: retry, PERM: give up).
 * *reply_r is the server's last reply code, 0 if it never answered. */
static int
smtp_send(struct sd_outbox *ob, const struct sd_outrow *o, long *reply_r,
    struct sd_err *err)
{
	CURL			*c = ob->curl;
	struct curl_slist	*rcpts = NULL;
	struct reader		 rd = { o->raw, o->rawlen };
	char			*from, **list;
	CURLcode		 rc;
	long			 code = 0;
	int			 ret = -1;

	from = xasprintf("<%s>", o->mail_from ? o->mail_from : "");
	list = g_strsplit(o->rcpts, "\n", -1);
	for (size_t i = 0; list[i] != NULL; i++) {
		char *r;

		if (*list[i] == '\0')
			continue;
		r = xasprintf("<%s>", list[i]);
		rcpts = curl_slist_append(rcpts, r);
		free(r);
	}
	g_strfreev(list);
	if (rcpts == NULL) {
		sd_err_set(err, SD_E_PERM, "outbox: id=%lld: no recipient",
		    (long long)o->id);
		goto out;
	}
	/* Reset per row but keep the connection cache of the handle. */
	curl_easy_reset(c);
	ob->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, ob->smtp->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, ob->smtp->tls == SD_TLS_NONE ?
	    (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	if (ob->smtp->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, ob->smtp->ca_file);
	if (ob->smtp->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, ob->smtp->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, ob->password);
	}
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)ob->smtp->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ob->errbuf);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)o->rawlen);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	*reply_r = code;
	if (rc == CURLE_OK) {
		ret = 0;
		goto out;
	}
	sd_err_set(err, code >= 500 && code < 600 ? SD_E_PERM :
	    rc == CURLE_LOGIN_DENIED || rc == CURLE_PEER_FAILED_VERIFICATION ?
	    SD_E_CONFIG : SD_E_TEMP,
	    "outbox: id=%lld: SMTP %s%s%s (reply %ld)", (long long)o->id,
	    curl_easy_strerror(rc), ob->errbuf[0] ? ": " : "", ob->errbuf, code);
 out:
	curl_slist_free_all(rcpts);
	free(from);
	return ret;
}

static int
record_sent(struct sd_store *st, const struct sd_outrow *o, sd_time now,
    struct sd_err *err)
{
	if (store_begin(st, err) == -1)
		return -1;
	if (store_outbox_mark_sent(st, o->id, now, err) == -1 ||
	    (o->ticket_id && store_event_add(st, o->ticket_id, now, "system",
	    "mail-sent", o->kind, err) == -1) ||
	    (o->first_response && o->ticket_id &&
	    store_ticket_first_response(st, o->ticket_id, now, err) == -1)) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

int
outbox_flush(struct sd_outbox *ob, struct sd_store *st, sd_time now, int max,
    int *sent_r, int *deferred_r, struct sd_err *err)
{
	struct sd_outrow	 o;
	struct sd_err		 serr;
	int64_t			 after = 0;
	long			 reply;
	bool			 found;
	int			 n = 0, r;

	if (sent_r)
		*sent_r = 0;
	if (deferred_r)
		*deferred_r = 0;
	while (max == 0 || n < max) {
		if (store_outbox_next(st, now, after, &o, &found, err) == -1)
			return -1;
		if (!found)
			break;
		after = o.id;
		n++;
		sd_err_clear(&serr);
		reply = 0;
		if ((strcmp(o.kind, OUTBOX_KIND_WEBHOOK) == 0 ?
		    webhook_post(ob, &o, &reply, &serr) :
		    smtp_send(ob, &o, &reply, &serr)) == 0) {
			log_info("outbox: id=%lld ticket=%lld kind=%s rcpt=%s: "
			    "sent", (long long)o.id, (long long)o.ticket_id,
			    o.kind, o.rcpts);
			r = record_sent(st, &o, now, err);
			if (r == 0 && sent_r)
				(*sent_r)++;
		} else if (serr.cls == SD_E_PERM ||
		    now - o.created_at > ob->max_age) {
			log_warnx("outbox: id=%lld ticket=%lld: failed for good: %s",
			    (long long)o.id, (long long)o.ticket_id, serr.msg);
			r = store_outbox_mark_failed(st, o.id, serr.msg, err);
		} else {
			sd_time next = now + outbox_backoff(o.attempts + 1);

			log_warnx("outbox: id=%lld ticket=%lld attempt=%d: %s; "
			    "retry in %llds", (long long)o.id,
			    (long long)o.ticket_id, o.attempts + 1, serr.msg,
			    (long long)(next - now));
			r = store_outbox_mark_retry(st, o.id, o.attempts + 1,
			    next, serr.msg, err);
			if (deferred_r)
				(*deferred_r)++;
		}
		store_outrow_clear(&o);
		if (r == -1)
			return -1;
		/* Relay unreachable: the other rows would fail the same way. */
		if (serr.cls == SD_E_TEMP && reply == 0)
			break;
	}
	return 0;
}
