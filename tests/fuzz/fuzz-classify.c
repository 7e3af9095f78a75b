/* SPDX-License-Identifier: MIT */
/*
 * fuzz-classify.c - libFuzzer target for the subject rules (SPEC §10):
 * any bytes as a subject against the default markers, as a category tag,
 * and as a configured marker of their own (compiled, then matched
 * against themselves).  Without libFuzzer (-DFUZZ_MAIN) it reads the
 * files named on the command line.
 *
 *   clang -D_GNU_SOURCE -g -fsanitize=fuzzer,address,undefined -Iinclude \
 *     src/common/[a-z]*.c src/classify/classify.c tests/fuzz/fuzz-classify.c \
 *     $(pkg-config --cflags --libs glib-2.0) -o fuzz-classify
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/classify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sd_classifier *
classifier(const char *c1_extra)
{
	static const char *const def[SD_NPRIO][3] = {
		{ "C1", "System Down", NULL }, { "C2", NULL },
		{ "C3", NULL }, { "C4", NULL },
	};
	struct sd_conf_priority	 p[SD_NPRIO];
	struct sd_classifier	*cl;
	struct sd_err		 err;

	memset(p, 0, sizeof(p));
	for (int i = 0; i < SD_NPRIO; i++)
		for (int k = 0; def[i][k] != NULL; k++)
			strv_push(&p[i].markers, def[i][k]);
	if (c1_extra != NULL)
		strv_push(&p[SD_C1].markers, c1_extra);
	cl = classify_new(p, SD_C3, &err);
	for (int i = 0; i < SD_NPRIO; i++)
		strv_free(&p[i].markers);
	return cl;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sd_classifier	*def;
	struct sd_classifier		*own;
	char				*s = g_strndup((const char *)data, size);
	bool				 matched;
	enum sd_prio			 p;

	if (def == NULL && (def = classifier(NULL)) == NULL)
		abort();
	p = classify_priority(def, s, &matched);
	if (p > SD_C4 || (!matched && p != SD_C3))
		abort();
	if (classify_category(s) == NULL)
		abort();
	if ((own = classifier(s)) != NULL) {
		/* Any marker that compiles must also match safely. */
		(void)classify_priority(own, s, NULL);
		classify_free(&own);
	}
	g_free(s);
	return 0;
}

#include "fuzz-main.h"
