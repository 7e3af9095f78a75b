/* SPDX-License-Identifier: MIT */
/*
 * jwt.c - the RS256 assertion of a Google service account (RFC 7523,
 * JWT bearer grant), signed with GnuTLS.  The key file is the account's
 * JSON key as Google hands it out: its private_key (PKCS #8 PEM) signs,
 * its client_email is the issuer.
 */
#include <string.h>

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "oauth_int.h"

/* base64url without padding (RFC 7515 §2). */
static void
b64url(GString *out, const void *data, size_t len)
{
	gchar *b = g_base64_encode(data, len);

	for (gchar *p = b; *p != '\0' && *p != '='; p++)
		g_string_append_c(out, *p == '+' ? '-' : *p == '/' ? '_' : *p);
	g_free(b);
}

int
oauth_jwt_assertion(const char *key_json, size_t len, const char *aud,
    const char *scope, const char *subject, sd_time now, char **jwt_r,
    char **issuer_r, struct sd_err *err)
{
	GHashTable		*o;
	GString			*jwt = NULL, *claims = NULL;
	gnutls_privkey_t	 pk = NULL;
	gnutls_datum_t		 pem, data, sig = { NULL, 0 };
	const char		*key, *email, *kid, *why;
	bool			 first = true;
	int			 r, ret = -1;

	*jwt_r = NULL;
	*issuer_r = NULL;
	if ((o = json_read_object(key_json, len, NULL, &why)) == NULL) {
		sd_err_set(err, SD_E_CONFIG, "not a JSON key: %s", why);
		goto out;
	}
	key = g_hash_table_lookup(o, "private_key");
	email = g_hash_table_lookup(o, "client_email");
	kid = g_hash_table_lookup(o, "private_key_id");
	if (key == NULL || email == NULL) {
		sd_err_set(err, SD_E_CONFIG, "no private_key or client_email: "
		    "not a service account's JSON key");
		goto out;
	}
	if ((r = gnutls_privkey_init(&pk)) < 0)
		goto tls_fail;
	pem.data = (unsigned char *)(uintptr_t)key;
	pem.size = (unsigned)strlen(key);
	if ((r = gnutls_privkey_import_x509_raw(pk, &pem, GNUTLS_X509_FMT_PEM,
	    NULL, 0)) < 0)
		goto tls_fail;
	if (gnutls_privkey_get_pk_algorithm(pk, NULL) != GNUTLS_PK_RSA) {
		sd_err_set(err, SD_E_CONFIG, "private_key is not an RSA key");
		goto out;
	}

	/* Sized never to move: a move would leave a copy behind. */
	jwt = g_string_sized_new(4096);
	claims = g_string_new("{\"alg\":\"RS256\",\"typ\":\"JWT\"");
	first = false;
	if (kid != NULL)
		json_kv_str(claims, &first, "kid", kid);
	g_string_append(claims, "}");
	b64url(jwt, claims->str, claims->len);
	g_string_assign(claims, "{");
	first = true;
	json_kv_str(claims, &first, "iss", email);
	if (scope != NULL)
		json_kv_str(claims, &first, "scope", scope);
	json_kv_str(claims, &first, "aud", aud);
	if (subject != NULL)
		json_kv_str(claims, &first, "sub", subject);
	json_kv_int(claims, &first, "iat", now);
	/* Google takes an hour at most. */
	json_kv_int(claims, &first, "exp", now + 3600);
	g_string_append(claims, "}");
	g_string_append_c(jwt, '.');
	b64url(jwt, claims->str, claims->len);

	data.data = (unsigned char *)jwt->str;
	data.size = (unsigned)jwt->len;
	/* RSASSA-PKCS1-v1_5 with SHA-256 is RS256 (RFC 7518 §3.3). */
	if ((r = gnutls_privkey_sign_data(pk, GNUTLS_DIG_SHA256, 0, &data,
	    &sig)) < 0)
		goto tls_fail;
	g_string_append_c(jwt, '.');
	b64url(jwt, sig.data, sig.size);
	*jwt_r = xstrdup(jwt->str);
	*issuer_r = xstrdup(email);
	ret = 0;
	goto out;
 tls_fail:
	sd_err_set(err, SD_E_CONFIG, "private_key: %s", gnutls_strerror(r));
 out:
	gnutls_free(sig.data);
	if (pk != NULL)
		gnutls_privkey_deinit(pk);
	/* The assertion is a credential for an hour. */
	if (jwt != NULL) {
		explicit_bzero(jwt->str, jwt->len);
		g_string_free(jwt, TRUE);
	}
	if (claims != NULL)
		g_string_free(claims, TRUE);
	if (o != NULL)
		g_hash_table_destroy(o);
	return ret;
}
