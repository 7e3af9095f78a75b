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

int
main(void)
{
	static void (*const tests[])(void) = { test_tag, test_format_and_domain,
	    NULL };

	return test_run(tests);
}
