/* SPDX-License-Identifier: MIT */
/*
 * fuzz-oauth.c - libFuzzer target for what a token endpoint answers
 * (SPEC §15.3): any bytes as the JSON body.  Whatever parses, an empty
 * token is never taken for one, lifetimes stay within a year, and
 * everything is freed.  The same bytes go in as a service account's key
 * file, which must be refused or signed, never crash.  Without
 * libFuzzer (-DFUZZ_MAIN) it reads the files named on the command line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supportd/oauth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth_answer	a;
	struct sd_err		err;
	char			*jwt = NULL, *iss = NULL;

	if (oauth_answer_parse((const char *)data, size, &a, &err) == 0) {
		if ((a.access_token != NULL && *a.access_token == '\0') ||
		    (a.refresh_token != NULL && *a.refresh_token == '\0') ||
		    a.expires_in < 0 || a.expires_in > 366 * 86400 ||
		    a.interval < 0 || a.interval > 366 * 86400)
			abort();
		(void)oauth_error_final(a.error);
		oauth_answer_clear(&a);
	}
	if (oauth_jwt_assertion((const char *)data, size, "aud", "scope",
	    "sub", 0, &jwt, &iss, &err) == 0) {
		if (jwt == NULL || iss == NULL || strchr(jwt, '.') == NULL)
			abort();
	} else if (jwt != NULL)
		abort();
	free(jwt);
	free(iss);
	return 0;
}

#include "fuzz-main.h"
