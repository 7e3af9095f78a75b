/* SPDX-License-Identifier: MIT */
/*
 * http.c - one request to a token endpoint: a form POSTed with libcurl
 * (peer and host verified, no redirects, bounded in time and size) and
 * its JSON answer read strictly (json_read_object).  Nothing of the
 * request is logged: it holds the secret or the refresh token.
 */
#include <string.h>

#include <curl/curl.h>
#include <glib.h>

#include "oauth_int.h"

static char *
member_dup(GHashTable *m, const char *name)
{
	const char *v = g_hash_table_lookup(m, name);

	/* An empty token is no token. */
	return v == NULL || *v == '\0' ? NULL : xstrdup(v);
}

/* A number of seconds, written as a number or (some providers) a
 * string; 0 when absent or absurd. */
static sd_time
member_secs(GHashTable *m, GHashTable *nums, const char *name)
{
	const char	*v = g_hash_table_lookup(nums, name);
	char		*end;
	double		 d;

	if (v == NULL && (v = g_hash_table_lookup(m, name)) == NULL)
		return 0;
	d = g_ascii_strtod(v, &end);
	/* A year at most: nothing issues longer, and sums stay small; a
	 * huge double would not even fit the cast. */
	return *end == '\0' && d >= 1 && d <= 366 * 86400 ? (sd_time)d : 0;
}

void
oauth_answer_clear(struct oauth_answer *a)
{
	char *secret[] = { a->access_token, a->refresh_token, a->device_code };

	for (size_t i = 0; i < nitems(secret); i++)
		if (secret[i] != NULL)
			explicit_bzero(secret[i], strlen(secret[i]));
	free(a->access_token);
	free(a->refresh_token);
	free(a->error);
	free(a->error_description);
	free(a->device_code);
	free(a->user_code);
	free(a->verification_uri);
	memset(a, 0, sizeof(*a));
}

int
oauth_answer_parse(const char *body, size_t len, struct oauth_answer *a,
    struct sd_err *err)
{
	GHashTable	*m, *nums;
	const char	*why;

	memset(a, 0, sizeof(*a));
	if ((m = json_read_object(body, len, &nums, &why)) == NULL)
		return sd_err_set(err, SD_E_TEMP, "answer: %s", why);
	a->access_token = member_dup(m, "access_token");
	a->refresh_token = member_dup(m, "refresh_token");
	a->expires_in = member_secs(m, nums, "expires_in");
	a->error = member_dup(m, "error");
	a->error_description = member_dup(m, "error_description");
	a->device_code = member_dup(m, "device_code");
	a->user_code = member_dup(m, "user_code");
	/* Google says verification_url. */
	if ((a->verification_uri = member_dup(m, "verification_uri")) == NULL)
		a->verification_uri = member_dup(m, "verification_url");
	a->interval = member_secs(m, nums, "interval");
	g_hash_table_destroy(m);
	g_hash_table_destroy(nums);
	return 0;
}

bool
oauth_error_final(const char *error)
{
	static const char *const final[] = {
		"invalid_grant", "invalid_client", "unauthorized_client",
		"invalid_scope", "access_denied", "unsupported_grant_type",
		"expired_token",
	};

	for (size_t i = 0; error != NULL && i < nitems(final); i++)
		if (strcmp(error, final[i]) == 0)
			return true;
	return false;
}

struct body {
	GString	*s;
	bool	 too_big;
};

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;

	if (b->s->len + size * n > OAUTH_BODY_MAX) {
		b->too_big = true;
		return 0;	/* aborts the transfer */
	}
	g_string_append_len(b->s, p, (gssize)(size * n));
	return size * n;
}

int
oauth_post(const char *url, const char *form, const struct sd_conf_oauth2 *o,
    long *status_r, struct oauth_answer *a, struct sd_err *err)
{
	/* Sized for a usual answer: growing leaves copies of tokens. */
	struct body		 b = { g_string_sized_new(16384), false };
	struct curl_slist	*hdr = NULL;
	char			 ebuf[CURL_ERROR_SIZE] = "";
	CURL			*c;
	CURLcode		 rc;
	int			 ret = -1;

	*status_r = 0;
	memset(a, 0, sizeof(*a));
	if ((c = curl_easy_init()) == NULL) {
		g_string_free(b.s, TRUE);
		return sd_err_set(err, SD_E_TEMP, "curl init failed");
	}
	hdr = curl_slist_append(hdr, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)MIN(o->timeout, 15));
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)o->timeout);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "supportd");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status_r);
	if (rc != CURLE_OK) {
		*status_r = b.too_big ? *status_r : 0;
		sd_err_set(err, rc == CURLE_PEER_FAILED_VERIFICATION ?
		    SD_E_CONFIG : SD_E_TEMP, "%s: %s", b.too_big ?
		    "answer over 64 KiB" : curl_easy_strerror(rc),
		    ebuf[0] ? ebuf : "no detail");
		goto out;
	}
	if (oauth_answer_parse(b.s->str, b.s->len, a, err) == -1) {
		/* A 5xx page in HTML: the server's trouble, not ours. */
		sd_err_set(err, SD_E_TEMP, "HTTP %ld, not a token answer",
		    *status_r);
		goto out;
	}
	ret = 0;
 out:
	explicit_bzero(b.s->str, b.s->len);
	g_string_free(b.s, TRUE);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return ret;
}
