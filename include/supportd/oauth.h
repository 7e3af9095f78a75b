/* SPDX-License-Identifier: MIT */
/*
 * oauth.h - OAuth2 bearer tokens for IMAP and SMTP logins (SPEC §15).
 * A login is named "imap:MAILBOX" or "smtp"; its tokens live in the
 * store (one row a login), its settings in an oauth2 group of the
 * configuration.  Token requests go through libcurl with the peer
 * verified, bounded by the group's timeout; a failed request is not
 * repeated before its backoff has passed, and a refusal for good
 * (invalid_grant and the like) is logged at error level and posted to
 * the on-call webhook once, until a login or a new secret mends it.
 * Times here are the real clock's: a provider's tokens expire in real
 * time whatever --now says.
 */
#ifndef SUPPORTD_OAUTH_H
#define SUPPORTD_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/util.h"

struct sd_oauth;

/* Tokens for conf's logins, kept in conf->database through a connection
 * of the manager's own (opened on first use).  conf is borrowed.  Safe
 * to use from several threads. */
struct sd_oauth *oauth_new(const struct sd_conf *conf);
void	oauth_free(struct sd_oauth **oa);

/*
 * The access token for the login (NUL-terminated, the caller's to free
 * with secret_free).  A token past 80 % of its life is renewed
 * first.  stale: the server refused the last one; a newer one is got
 * (once: the caller retries once).  -1 with err: SD_E_TEMP (the token
 * endpoint is down or busy: try later), SD_E_CONFIG (refused for good
 * or never logged in: an administrator must act).
 */
int	oauth_bearer(struct sd_oauth *oa, const char *login,
	    const struct sd_conf_oauth2 *o, bool stale, char **token_r,
	    struct sd_err *err);

/* The oauth2 group of a login of conf, or NULL when it has none. */
const struct sd_conf_oauth2 *oauth_settings(const struct sd_conf *conf,
	    const char *login);

/* Seconds to wait after the n-th failed request in a row (n >= 1). */
sd_time	oauth_backoff(int n);

/* Whether a token obtained at `obtained` that expires at `expires` is
 * to be renewed at now (80 % of its life gone). */
bool	oauth_due(sd_time obtained, sd_time expires, sd_time now);

/*
 * A token endpoint's JSON answer, parsed.  Strings are owned; tokens
 * are wiped by oauth_answer_clear.  0, or -1 with err when body is not
 * a JSON object.
 */
struct oauth_answer {
	char	*access_token;
	char	*refresh_token;
	sd_time	 expires_in;		/* 0: not said */
	char	*error;			/* "invalid_grant", ... */
	char	*error_description;
	/* The device authorization endpoint's (RFC 8628 §3.2). */
	char	*device_code;
	char	*user_code;
	char	*verification_uri;
	sd_time	 interval;
};
int	oauth_answer_parse(const char *body, size_t len,
	    struct oauth_answer *a, struct sd_err *err);
void	oauth_answer_clear(struct oauth_answer *a);

/* Whether an error code means the grant will never work again as it
 * is (RFC 6749 §5.2). */
bool	oauth_error_final(const char *error);

/*
 * supportctl oauth login (RFC 8628): asks the device authorization
 * endpoint for a code, says on out where to enter it, polls the token
 * endpoint as told (pending, slow_down) until the user has, and stores
 * the tokens.  0, or -1 with err.
 */
int	oauth_device_login(struct sd_oauth *oa, const char *login,
	    const struct sd_conf_oauth2 *o, FILE *out, struct sd_err *err);

/* Stores a refresh token got elsewhere (Google's Gmail scope is not
 * offered to device sign-ins) for a login whose grant is refresh_token;
 * the access token is got at first use.  0, or -1 with err. */
int	oauth_store_refresh(struct sd_oauth *oa, const char *login,
	    const struct sd_conf_oauth2 *o, const char *refresh_token,
	    struct sd_err *err);

/* RS256 JWT assertion for a Google service account (RFC 7523): key_json
 * is the account's JSON key.  The caller frees *jwt_r.  0, or -1. */
int	oauth_jwt_assertion(const char *key_json, size_t len,
	    const char *aud, const char *scope, const char *subject,
	    sd_time now, char **jwt_r, char **issuer_r, struct sd_err *err);

#endif
