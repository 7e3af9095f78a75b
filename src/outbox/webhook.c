/* SPDX-License-Identifier: MIT */
/*
 * webhook.c - JSON events POSTed to the on-call webhook (SPEC §6, §8).
 * They travel through the outbox like mail, so they are queued in the
 * transaction that caused them and retried with the same backoff.  The
 * event id goes along as X-Supportd-Event so a receiver can drop the
 * duplicate that at-least-once delivery may produce.
 */
#include <stdlib.h>
#include <string.h>

#include "outbox_int.h"

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

int
webhook_post(struct sd_outbox *ob, const struct sd_outrow *o, long *status_r,
    struct sd_err *err)
{
	CURL			*c = ob->curl;
	struct curl_slist	*h = NULL;
	char			*auth = NULL, *id;
	CURLcode		 rc;
	long			 status = 0;
	int			 ret = -1;

	*status_r = 0;
	h = curl_slist_append(h, "Content-Type: application/json");
	id = xasprintf("X-Supportd-Event: %s", o->message_id);
	h = curl_slist_append(h, id);
	free(id);
	if (ob->webhook_token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", ob->webhook_token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_reset(c);
	ob->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, o->rcpts);
	/* The config allows http:// only to a loopback host. */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->raw);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->rawlen);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ob->errbuf);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	*status_r = status;
	if (rc == CURLE_OK && status >= 200 && status < 300)
		ret = 0;
	else if (rc != CURLE_OK)
		sd_err_set(err, rc == CURLE_PEER_FAILED_VERIFICATION ?
		    SD_E_CONFIG : SD_E_TEMP, "outbox: id=%lld: webhook: %s%s%s",
		    (long long)o->id, curl_easy_strerror(rc),
		    ob->errbuf[0] ? ": " : "", ob->errbuf);
	else
		sd_err_set(err, status == 429 || status >= 500 ? SD_E_TEMP :
		    SD_E_PERM, "outbox: id=%lld: webhook: HTTP %ld",
		    (long long)o->id, status);
	curl_slist_free_all(h);
	secret_free(&auth);
	return ret;
}
