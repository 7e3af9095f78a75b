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

/* The default markers and categories, and extra (if not NULL) as one
 * more C1 marker and one more category's tag. */
static struct sd_classifier *
classifier(const char *extra)
{
	static char *const names[4] = { "C1", "C2", "C3", "C4" };
	static const char *const def[4][3] = {
		{ "C1", "System Down", NULL }, { "C2", NULL },
		{ "C3", NULL }, { "C4", NULL },
	};
	static char *const cats[] = { "BUG", "General Support", "Fuzzed" };
	struct sd_conf_category	 cat[3];
	struct sd_conf		 c;
	struct sd_classifier	*cl;
	struct sd_err		 err;

	memset(&c, 0, sizeof(c));
	memset(cat, 0, sizeof(cat));
	c.npriorities = 4;
	c.default_priority = 2;
	for (int i = 0; i < 4; i++) {
		c.priorities[i].name = names[i];
		for (int k = 0; def[i][k] != NULL; k++)
			strv_push(&c.priorities[i].markers, def[i][k]);
	}
	for (int i = 0; i < 3; i++) {
		cat[i].name = cats[i];
		if (i < 2)
			strv_push(&cat[i].tags, cats[i]);
	}
	if (extra != NULL) {
		strv_push(&c.priorities[0].markers, extra);
		strv_push(&cat[2].tags, extra);
	}
	c.categories = cat;
	c.ncategories = 3;
	c.default_category = cats[1];
	cl = classify_new(&c, &err);
	for (int i = 0; i < 4; i++)
		strv_free(&c.priorities[i].markers);
	for (int i = 0; i < 3; i++)
		strv_free(&cat[i].tags);
	return cl;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sd_classifier	*def;
	struct sd_classifier		*own;
	char				*s = g_strndup((const char *)data, size);
	bool				 matched;
	int				 p;

	if (def == NULL && (def = classifier(NULL)) == NULL)
		abort();
	p = classify_priority(def, s, &matched);
	if (p < 0 || p > 3 || (!matched && p != 2))
		abort();
	if (classify_category(def, s) == NULL)
		abort();
	if ((own = classifier(s)) != NULL) {
		/* Any marker or tag that compiles must also match safely. */
		(void)classify_priority(own, s, NULL);
		if (classify_category(own, s) == NULL)
			abort();
		classify_free(&own);
	}
	g_free(s);
	return 0;
}

#include "fuzz-main.h"
