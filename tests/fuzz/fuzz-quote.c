/* SPDX-License-Identifier: MIT */
/*
 * fuzz-quote.c - libFuzzer target for the new-text extractor (SPEC
 * §13.4, issue #20): any bytes, made valid UTF-8 as every stored body
 * is, as a mail body.  The new text only leaves lines out, so it is
 * never longer than the body and is valid UTF-8.  Without libFuzzer
 * (-DFUZZ_MAIN) it reads the files named on the command line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/mail.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Lines with something but spaces, tabs and CR in them. */
static size_t
content_lines(const char *s)
{
	size_t	n = 0;
	bool	seen = false;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			n += seen;
			seen = false;
		} else if (*s != ' ' && *s != '\t' && *s != '\r')
			seen = true;
	}
	return n + seen;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gchar	*body = g_utf8_make_valid((const gchar *)data, (gssize)size);
	bool	 cut;
	char	*text = mail_new_text(body, &cut);

	/* Nothing said left out: every line with text is still there. */
	if (!cut && content_lines(text) != content_lines(body))
		abort();
	if (strlen(text) > strlen(body) + 1 ||
	    !g_utf8_validate(text, -1, NULL))
		abort();
	g_free(text);
	g_free(body);
	return 0;
}

#include "fuzz-main.h"
