/* SPDX-License-Identifier: MIT */
/*
 * test-oauth.c - the parts of SPEC §15 that need no server: token
 * answers (hostile ones too), when a token is renewed, the backoff of a
 * failing endpoint, which errors are final, and the RS256 assertion of
 * a Google service account, verified with the key's public half.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "harness.h"
#include "supportd/json.h"
#include "supportd/oauth.h"

#define ANSWER(json, a)	oauth_answer_parse((json), strlen(json), (a), &err)

static void
test_answers(void)
{
	static const char *const hostile[] = {
		"", "null", "[]", "\"access_token\"", "{", "{\"access_token\":",
		"<html><body>502 Bad Gateway</body></html>",
		"{\"access_token\": 12}",
	};
	struct oauth_answer	a;
	struct sd_err		err;

	test_begin("oauth: token answers, good and hostile");
	test_assert(ANSWER("{\"access_token\":\"at\",\"token_type\":\"Bearer\","
	    "\"expires_in\":3599,\"refresh_token\":\"rt\"}", &a) == 0);
	test_assert_streq(a.access_token, "at");
	test_assert_streq(a.refresh_token, "rt");
	test_assert(a.expires_in == 3599 && a.error == NULL);
	oauth_answer_clear(&a);
	test_assert(a.access_token == NULL);
	/* Some providers write numbers as strings. */
	test_assert(ANSWER("{\"access_token\":\"at\",\"expires_in\":\"60\"}",
	    &a) == 0 && a.expires_in == 60);
	oauth_answer_clear(&a);
	/* Absurd lifetimes are no lifetime (the default applies). */
	test_assert(ANSWER("{\"access_token\":\"at\",\"expires_in\":-5}", &a)
	    == 0 && a.expires_in == 0);
	oauth_answer_clear(&a);
	test_assert(ANSWER("{\"access_token\":\"at\",\"expires_in\":"
	    "99999999999999}", &a) == 0 && a.expires_in == 0);
	oauth_answer_clear(&a);
	test_assert(ANSWER("{\"access_token\":\"at\",\"expires_in\":1e308,"
	    "\"interval\":-1e308}", &a) == 0 && a.expires_in == 0 &&
	    a.interval == 0);
	oauth_answer_clear(&a);
	/* An empty token is none. */
	test_assert(ANSWER("{\"access_token\":\"\",\"refresh_token\":\"\"}",
	    &a) == 0 && a.access_token == NULL && a.refresh_token == NULL);
	oauth_answer_clear(&a);
	test_assert(ANSWER("{\"error\":\"invalid_grant\",\"error_description\":"
	    "\"AADSTS70008: expired\"}", &a) == 0);
	test_assert_streq(a.error, "invalid_grant");
	test_assert_streq(a.error_description, "AADSTS70008: expired");
	oauth_answer_clear(&a);
	/* RFC 8628 and Google's spelling of it. */
	test_assert(ANSWER("{\"device_code\":\"dc\",\"user_code\":\"UC\","
	    "\"verification_url\":\"https://g.example/device\","
	    "\"interval\":5,\"expires_in\":1800}", &a) == 0);
	test_assert_streq(a.verification_uri, "https://g.example/device");
	test_assert(a.interval == 5 && a.expires_in == 1800);
	oauth_answer_clear(&a);
	for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++) {
		int r = ANSWER(hostile[i], &a);

		test_assert_idx(a.access_token == NULL, i);
		test_assert_idx(r == -1 || i == G_N_ELEMENTS(hostile) - 1, i);
		oauth_answer_clear(&a);
	}
	test_end();
}

static void
test_final_errors(void)
{
	test_begin("oauth: which errors are final (RFC 6749 §5.2, 8628)");
	test_assert(oauth_error_final("invalid_grant"));
	test_assert(oauth_error_final("invalid_client"));
	test_assert(oauth_error_final("unauthorized_client"));
	test_assert(oauth_error_final("expired_token"));
	test_assert(!oauth_error_final("temporarily_unavailable"));
	test_assert(!oauth_error_final("server_error"));
	test_assert(!oauth_error_final("authorization_pending"));
	test_assert(!oauth_error_final(NULL));
	test_end();
}

static void
test_timing(void)
{
	sd_time	t = 0;
	int	n = 0;

	test_begin("oauth: renewal at 80 %, backoff of a failing endpoint");
	test_assert(!oauth_due(1000, 4600, 1000));
	test_assert(!oauth_due(1000, 4600, 3879));
	test_assert(oauth_due(1000, 4600, 3880));	/* 80 % of 3600 s */
	test_assert(oauth_due(1000, 4600, 9999));
	test_assert(oauth_due(1000, 1000, 1000));	/* no life at all */
	test_assert(oauth_backoff(1) == 5);
	test_assert(oauth_backoff(2) == 10);
	test_assert(oauth_backoff(7) == 300);
	test_assert(oauth_backoff(1000) == 300);
	/* An endpoint down for ten minutes is asked seven times, not in a
	 * loop: at 0, 5, 15, 35, 75, 155 and 315 s. */
	while (t < 600) {
		n++;
		t += oauth_backoff(n);
	}
	test_assert(n == 7);
	test_end();
}

/* base64url into bytes; caller frees. */
static guchar *
unb64url(const char *s, size_t len, gsize *out_len)
{
	GString	*b = g_string_new_len(s, (gssize)len);
	guchar	*out;

	for (size_t i = 0; i < b->len; i++)
		b->str[i] = b->str[i] == '-' ? '+' : b->str[i] == '_' ? '/' :
		    b->str[i];
	while (b->len % 4 != 0)
		g_string_append_c(b, '=');
	out = g_base64_decode(b->str, out_len);
	g_string_free(b, TRUE);
	return out;
}

static void
test_jwt(void)
{
	gnutls_x509_privkey_t	 xk;
	gnutls_privkey_t	 pk;
	gnutls_pubkey_t		 pub;
	gnutls_datum_t		 pem = { NULL, 0 }, data, sig;
	struct sd_err		 err;
	GString			*key = g_string_new("{");
	char			*jwt = NULL, *iss = NULL, *claims;
	const char		*dot1, *dot2, *junk;
	guchar			*raw;
	gsize			 rawlen;
	bool			 first = true;

	test_begin("oauth: RS256 assertion of a service account (RFC 7523)");
	test_assert(gnutls_x509_privkey_init(&xk) == 0);
	test_assert(gnutls_x509_privkey_generate(xk, GNUTLS_PK_RSA, 2048, 0)
	    == 0);
	test_assert(gnutls_x509_privkey_export2_pkcs8(xk, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN, &pem) == 0);
	json_kv_str(key, &first, "type", "service_account");
	json_kv_str(key, &first, "client_email", "sd@proj.iam.example");
	json_kv_str(key, &first, "private_key_id", "k1");
	json_key(key, &first, "private_key");
	g_string_append_len(key, "\"", 1);
	for (unsigned i = 0; i < pem.size; i++)
		g_string_append(key, pem.data[i] == '\n' ? "\\n" :
		    (char[]){ (char)pem.data[i], 0 });
	g_string_append(key, "\"}");

	test_assert(oauth_jwt_assertion(key->str, key->len,
	    "https://oauth2.googleapis.com/token", "https://mail.google.com/",
	    "support@vendor.example", 1700000000, &jwt, &iss, &err) == 0);
	test_assert_streq(iss, "sd@proj.iam.example");
	dot1 = jwt ? strchr(jwt, '.') : NULL;
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	test_assert(dot2 != NULL);
	if (dot2 != NULL) {
		raw = unb64url(jwt, (size_t)(dot1 - jwt), &rawlen);
		test_assert(rawlen == strlen("{\"alg\":\"RS256\",\"typ\":\"JWT\","
		    "\"kid\":\"k1\"}") && memcmp(raw, "{\"alg\":\"RS256\"",
		    14) == 0);
		g_free(raw);
		raw = unb64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), &rawlen);
		claims = g_strndup((char *)raw, rawlen);
		test_assert(strstr(claims, "\"iss\":\"sd@proj.iam.example\""));
		test_assert(strstr(claims, "\"sub\":\"support@vendor.example\""));
		test_assert(strstr(claims,
		    "\"aud\":\"https://oauth2.googleapis.com/token\""));
		test_assert(strstr(claims, "\"scope\":\"https://mail.google.com/\""));
		test_assert(strstr(claims, "\"iat\":1700000000"));
		test_assert(strstr(claims, "\"exp\":1700003600"));
		g_free(claims);
		g_free(raw);
		/* The signature is the key's, over header.claims. */
		raw = unb64url(dot2 + 1, strlen(dot2 + 1), &rawlen);
		test_assert(gnutls_privkey_init(&pk) == 0);
		test_assert(gnutls_privkey_import_x509(pk, xk, 0) == 0);
		test_assert(gnutls_pubkey_init(&pub) == 0);
		test_assert(gnutls_pubkey_import_privkey(pub, pk, 0, 0) == 0);
		data.data = (unsigned char *)jwt;
		data.size = (unsigned)(dot2 - jwt);
		sig.data = raw;
		sig.size = (unsigned)rawlen;
		test_assert(gnutls_pubkey_verify_data2(pub,
		    GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig) >= 0);
		/* And only over that. */
		data.size--;
		test_assert(gnutls_pubkey_verify_data2(pub,
		    GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig) < 0);
		gnutls_pubkey_deinit(pub);
		gnutls_privkey_deinit(pk);
		g_free(raw);
	}
	free(jwt);
	free(iss);
	/* Not a service account's key: an error, no crash. */
	test_assert(oauth_jwt_assertion("{\"type\":\"user\"}", 15, "a", NULL,
	    NULL, 0, &jwt, &iss, &err) == -1 && jwt == NULL);
	junk = "{\"private_key\":\"junk\",\"client_email\":\"x\"}";
	test_assert(oauth_jwt_assertion(junk, strlen(junk), "a", NULL, NULL, 0,
	    &jwt, &iss, &err) == -1 && jwt == NULL);
	/* GnuTLS said no to the key, not the reader to the JSON. */
	test_assert(strncmp(err.msg, "private_key:", 12) == 0);
	test_assert(oauth_jwt_assertion("not json", 8, "a", NULL, NULL, 0,
	    &jwt, &iss, &err) == -1);
	gnutls_free(pem.data);
	gnutls_x509_privkey_deinit(xk);
	g_string_free(key, TRUE);
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_answers,
	    test_final_errors, test_timing, test_jwt, NULL };

	return test_run(tests);
}
