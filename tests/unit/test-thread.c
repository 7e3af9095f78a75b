/* SPDX-License-Identifier: MIT */
/* test-thread.c - ticket tags in subjects, address domains. */
#include <stdlib.h>

#include "harness.h"
#include "supportd/thread.h"
#include "supportd/util.h"

static void
test_tag(void)
{
	static const struct { const char *subj, *tag; int64_t want; } t[] = {
		{ "[Ticket#42] Re: printer", "Ticket", 42 },
		{ "Re: [ticket#42] printer", "Ticket", 42 },
		{ "Re: [Ticket #7] x", "Ticket", 7 },
		{ "Fwd: Re: [ Ticket # 9 ] x", "Ticket", 9 },
		{ "[Case#5] x", "Case", 5 },
		{ "[Case#5] x", "Ticket", 0 },
		{ "Ticket#42 without brackets", "Ticket", 0 },
		{ "[Ticket#] empty", "Ticket", 0 },
		{ "[Ticket#0] zero", "Ticket", 0 },
		{ "[Ticket#12a] junk", "Ticket", 0 },
		{ "[Ticket#99999999999999999999] overflow", "Ticket", 0 },
		{ "[x] [Ticket#3] second bracket", "Ticket", 3 },
		{ "", "Ticket", 0 },
		{ NULL, "Ticket", 0 },
	};

	test_begin("thread: ticket tag in the subject");
	for (size_t i = 0; i < nitems(t); i++)
		test_assert_idx(thread_parse_tag(t[i].subj, t[i].tag) == t[i].want, i);
	test_end();
}

static void
test_format_and_domain(void)
{
	char *s;

	test_begin("thread: tag format round trip, address domain");
	s = thread_format_tag("Ticket", 123);
	test_assert_streq(s, "[Ticket#123]");
	test_assert(thread_parse_tag(s, "Ticket") == 123);
	free(s);
	s = thread_addr_domain("Ann@ACME.Example");
	test_assert_streq(s, "acme.example");
	free(s);
	test_assert(thread_addr_domain("no-at-sign") == NULL);
	test_assert(thread_addr_domain("trailing@") == NULL);
	test_assert(thread_addr_domain(NULL) == NULL);
	test_end();
}

static void
test_note_address(void)
{
	static const char tok[] = "0123456789abcdef";
	static const char mbox[] = "support@vendor.example";
	static const char *const bad[] = {
		"support+note-1-0123456789abcdef@vendor.example.evil",
		"support+note-1-0123456789abcde@vendor.example",
		"support+note-1-0123456789abcdefa@vendor.example",
		"support+note-1-0123456789abcdeg@vendor.example",
		"support+note--0123456789abcdef@vendor.example",
		"support+note-0-0123456789abcdef@vendor.example",
		"support+note-042-0123456789abcdef@vendor.example",
		"support+note-x1-0123456789abcdef@vendor.example",
		"xsupport+note-1-0123456789abcdef@vendor.example",
		"support+note-1234567890123456789-0123456789abcdef@vendor.example",
		"support@vendor.example", "", "+note-1-0123456789abcdef@",
	};
	char	 got[THREAD_TOKEN_LEN + 1], *s;
	struct sd_note_pattern *def = thread_note_compile(NULL, mbox);
	struct sd_note_pattern *other = thread_note_compile(
	    "notes+{ticket}.{token}@desk.example", mbox);

	test_begin("thread: note addresses, made and read back");
	test_assert(def != NULL && other != NULL);
	s = thread_note_format(def, 42, tok);
	test_assert_streq(s, "support+note-42-0123456789abcdef@vendor.example");
	test_assert(thread_note_parse(def, s, got) == 42);
	test_assert_streq(got, tok);
	free(s);
	/* Any case, as mail systems fold it. */
	test_assert(thread_note_parse(def,
	    "SUPPORT+NOTE-42-0123456789ABCDEF@VENDOR.EXAMPLE", got) == 42);
	test_assert_streq(got, tok);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_assert_idx(thread_note_parse(def, bad[i], got) == 0 &&
		    got[0] == '\0', i);
	test_assert(thread_note_parse(def, NULL, got) == 0);
	/* Another pattern. */
	s = thread_note_format(other, 7, tok);
	test_assert_streq(s, "notes+7.0123456789abcdef@desk.example");
	test_assert(thread_note_parse(other, s, got) == 7);
	test_assert(thread_note_parse(def, s, got) == 0);
	free(s);
	thread_note_free(&def);
	thread_note_free(&other);
	test_assert(def == NULL);
	test_assert(thread_note_pattern_ok("n+{ticket}-{token}@x.example"));
	test_assert(!thread_note_pattern_ok("n+{token}-{ticket}@x.example"));
	test_assert(!thread_note_pattern_ok("n+{ticket}{token}@x.example"));
	test_assert(!thread_note_pattern_ok("n+{ticket}-{token}-{token}@x"));
	test_assert(!thread_note_pattern_ok("n+{ticket}-{token}"));
	test_assert(!thread_note_pattern_ok("n {ticket}-{token}@x.example"));
	/* What cannot work compiles to nothing, and makes nothing. */
	test_assert(thread_note_compile("x{ticket}", mbox) == NULL);
	test_assert(thread_note_compile(NULL, "no-at-sign") == NULL);
	test_assert(thread_note_format(NULL, 1, tok) == NULL);
	test_assert(thread_note_parse(NULL, "support+note-1-0123456789abcdef"
	    "@vendor.example", got) == 0);
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_tag, test_format_and_domain,
	    test_note_address, NULL };

	return test_run(tests);
}
