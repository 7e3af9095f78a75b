/* SPDX-License-Identifier: MIT */
/*
 * fuzz-authres.c - libFuzzer target for the Authentication-Results
 * parser (SPEC §10, issue #19): any bytes as a header value.  A parse
 * that succeeds has an authserv-id and, for every result, a lower-case
 * method and result and complete properties; the pass check then runs
 * on it for the authserv-id it found.  Without libFuzzer (-DFUZZ_MAIN)
 * it reads the files named on the command line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/authres.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_lower(const char *s)
{
	if (s == NULL || *s == '\0')
		abort();
	for (; *s != '\0'; s++)
		if (g_ascii_isupper(*s))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: the parser takes a length, not a NUL. */
	char			*buf = malloc(size ? size : 1);
	struct sd_authres	 ar;

	memcpy(buf, data, size);
	if (authres_parse(buf, size, &ar) == 0) {
		if (ar.authserv_id == NULL || *ar.authserv_id == '\0')
			abort();
		for (size_t i = 0; i < ar.nresults; i++) {
			check_lower(ar.results[i].method);
			check_lower(ar.results[i].result);
			for (size_t k = 0; k < ar.results[i].nprops; k++)
				if (ar.results[i].props[k].ptype == NULL ||
				    ar.results[i].props[k].property == NULL ||
				    ar.results[i].props[k].value == NULL)
					abort();
		}
		(void)authres_passes(&ar, ar.authserv_id, "vendor.example");
	} else if (ar.authserv_id != NULL || ar.nresults != 0)
		abort();		/* nothing is kept from a refusal */
	authres_clear(&ar);
	free(buf);
	return 0;
}

#include "fuzz-main.h"
