/* SPDX-License-Identifier: MIT */
/*
 * fuzz-note.c - libFuzzer target for the reply-address parser (SPEC
 * §13.2, issue #20): the note address a mail was sent to decides that
 * it stays internal, so its parser reads whatever a sender writes in To
 * and Cc.  The input's first line is a reply_address pattern (empty:
 * the mailbox's default), the rest an address.  An address read as a
 * note must be exactly the one the pattern makes for its ticket and
 * token (in any case), so nothing else is ever taken for one.  Without
 * libFuzzer (-DFUZZ_MAIN) it reads the files named on the command line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/thread.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*in = g_strndup((const char *)data, size);
	char		*nl = strchr(in, '\n'), *addr, *made;
	const char	*pattern = NULL;
	char		 tok[THREAD_TOKEN_LEN + 1];
	struct sd_note_pattern *np;
	int64_t		 id;

	if (nl != NULL) {
		*nl = '\0';
		pattern = *in != '\0' ? in : NULL;
		addr = nl + 1;
	} else
		addr = in;
	if (pattern != NULL && !thread_note_pattern_ok(pattern)) {
		g_free(in);
		return 0;
	}
	np = thread_note_compile(pattern, "support@vendor.example");
	if (np == NULL)
		abort();	/* a pattern that is ok compiles */
	id = thread_note_parse(np, addr, tok);
	if (id < 0)
		abort();
	if (id > 0) {
		if (strlen(tok) != THREAD_TOKEN_LEN)
			abort();
		made = thread_note_format(np, id, tok);
		/* The same address, up to case. */
		if (made == NULL || g_ascii_strcasecmp(made, addr) != 0)
			abort();
		free(made);
	} else if (tok[0] != '\0')
		abort();
	thread_note_free(&np);
	g_free(in);
	return 0;
}

#include "fuzz-main.h"
