/* SPDX-License-Identifier: MIT */
/*
 * test-json.c - the strict reader of flat JSON objects (json_read.c):
 * what a token endpoint or a key file may hold is kept, everything
 * malformed, ambiguous or nested too deep is refused.
 */
#include <string.h>

#include <glib.h>

#include "harness.h"
#include "supportd/json.h"

/* The reader's grammar: what is kept, what is refused. */
static void
test_json_read(void)
{
	static const char *const bad[] = {
		"", "[]", "{", "{}x", "{\"a\":1}{}", "{\"a\" 1}", "{\"a\":}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}",
		"{\"a\":tru}", "{\"a\":\"x\\q\"}", "{\"a\":\"\\u12\"}",
		"{\"a\":\"\\ud83d\"}", "{\"a\":\"\\ude00\"}",
		"{\"a\":\"\\u0000\"}", "{\"a\":\"tab\there\"}",
		"{\"a\":1,\"a\":2}", "{\"a\":\"x\",\"a\":\"y\"}",
		"{\"a\":[1,]}", "{,}", "{\"a\":\"\xff\"}", "{\"a\":\"x\"",
	};
	GHashTable	*m, *n = NULL;
	GString		*deep = g_string_new("{\"a\":");
	const char	*why, *ok;

	test_begin("json: a strict reader of flat objects");
	ok = " {\"s\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\","
	    "\"n\":-0.5e+3,\"t\":true,\"z\":null,"
	    "\"nest\":{\"x\":[1,{\"y\":\"no\"}]},\"k\\u0041\":\"v\"} \n";
	m = json_read_object(ok, strlen(ok), &n, &why);
	test_assert(m != NULL && n != NULL);
	if (m != NULL) {
		test_assert_streq(g_hash_table_lookup(m, "s"),
		    "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
		test_assert_streq(g_hash_table_lookup(n, "n"), "-0.5e+3");
		test_assert(g_hash_table_lookup(m, "n") == NULL);
		test_assert_streq(g_hash_table_lookup(m, "kA"), "v");
		/* Nested values and literals are checked, not kept. */
		test_assert(g_hash_table_size(m) == 2 &&
		    g_hash_table_size(n) == 1);
		g_hash_table_destroy(m);
		g_hash_table_destroy(n);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		why = NULL;
		m = json_read_object(bad[i], strlen(bad[i]), NULL, &why);
		test_assert_idx(m == NULL && why != NULL, i);
		if (m != NULL)
			g_hash_table_destroy(m);
	}
	/* 32 levels are read, 33 are not. */
	for (int i = 0; i < 31; i++)
		g_string_append(deep, "[");
	g_string_append(deep, "1");
	for (int i = 0; i < 31; i++)
		g_string_append(deep, "]");
	g_string_append(deep, "}");
	m = json_read_object(deep->str, deep->len, NULL, &why);
	test_assert(m != NULL);
	if (m != NULL)
		g_hash_table_destroy(m);
	g_string_insert(deep, 5, "[");
	g_string_insert(deep, deep->len - 1, "]");
	test_assert(json_read_object(deep->str, deep->len, NULL, &why) ==
	    NULL);
	g_string_free(deep, TRUE);
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_json_read, NULL };

	return test_run(tests);
}
