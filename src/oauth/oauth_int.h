/* SPDX-License-Identifier: MIT */
/* oauth_int.h - private to src/oauth/. */
#ifndef SUPPORTD_OAUTH_INT_H
#define SUPPORTD_OAUTH_INT_H

#include "supportd/json.h"
#include "supportd/oauth.h"

/* What a token endpoint may answer, at most; a JSON key file too. */
#define OAUTH_BODY_MAX	(64 * 1024)

/*
 * POSTs form (application/x-www-form-urlencoded) to url and parses the
 * JSON answer into a.  *status_r is the HTTP status (0: no answer).
 * -1 with err (SD_E_TEMP) when no parsable answer came; an answer with
 * an error code is 0 with a->error set.
 */
int	oauth_post(const char *url, const char *form,
	    const struct sd_conf_oauth2 *o, long *status_r,
	    struct oauth_answer *a, struct sd_err *err);

#endif
