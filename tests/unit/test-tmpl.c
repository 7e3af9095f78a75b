/* SPDX-License-Identifier: MIT */
/* test-tmpl.c - template parsing, checking and rendering; the shipped set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "supportd/tmpl.h"

static void
test_render(void)
{
	static const struct {
		const char *src, *subject, *body;
	} t[] = {
		{ "Subject: {{ticket.tag}} Re: {{ticket.subject}}\n\nHi {{requester.name}}.\n",
		  "[Ticket#7] Re: printer on fire", "Hi Ann.\n" },
		{ "Subject: x\n\n{{#organization.name}}org {{organization.name}}{{/organization.name}}{{^organization.name}}no org{{/organization.name}}\n",
		  "x", "no org\n" },
		{ "Subject: x\n\n{{#requester.name}}[{{requester.name}}]{{/requester.name}}\n",
		  "x", "[Ann]\n" },
		{ "Subject: x\r\n\r\nCRLF {{ ticket.id }}\r\n", "x", "CRLF 7\r\n" },
		{ "Subject: a {{ticket.subject}}\nX-Custom: {{requester.email}}\n\nb\n",
		  "a printer on fire", "b\n" },
		/* Nested sections. */
		{ "Subject: x\n\n{{#ticket.id}}A{{^organization.name}}B{{/organization.name}}C{{/ticket.id}}\n",
		  "x", "ABC\n" },
	};

	test_begin("tmpl: render placeholders and sections");
	for (size_t i = 0; i < nitems(t); i++) {
		struct sd_strv		 errs = { 0 };
		struct sd_tmpl		*tp;
		struct sd_tmpl_vars	*v = tmpl_vars_new();
		struct sd_rendered	 r;

		tmpl_vars_set(v, "ticket.tag", "[Ticket#7]");
		tmpl_vars_set(v, "ticket.id", "7");
		tmpl_vars_set(v, "ticket.subject", "printer on fire");
		tmpl_vars_set(v, "requester.name", "Ann");
		tmpl_vars_set(v, "requester.email", "ann@acme.example");
		tp = tmpl_parse("t", t[i].src, strlen(t[i].src), &errs);
		test_assert_idx(tp != NULL && errs.n == 0, i);
		if (tp != NULL) {
			tmpl_render(tp, v, &r);
			test_assert_streq_idx(r.subject, t[i].subject, i);
			test_assert_streq_idx(r.body, t[i].body, i);
			tmpl_rendered_clear(&r);
		}
		tmpl_free(&tp);
		tmpl_vars_free(&v);
		strv_free(&errs);
	}
	test_end();
}

static void
test_header_injection(void)
{
	const char		*src = "Subject: {{ticket.subject}}\n\nbody\n";
	struct sd_tmpl		*tp = tmpl_parse("t", src, strlen(src), NULL);
	struct sd_tmpl_vars	*v = tmpl_vars_new();
	struct sd_rendered	 r;

	test_begin("tmpl: a value cannot add a header line");
	tmpl_vars_set(v, "ticket.subject", "hi\r\nBcc: victim@example.com");
	tmpl_render(tp, v, &r);
	test_assert(strchr(r.subject, '\n') == NULL);
	test_assert(strchr(r.subject, '\r') == NULL);
	tmpl_rendered_clear(&r);
	tmpl_free(&tp);
	tmpl_vars_free(&v);
	test_end();
}

static void
test_uses(void)
{
	const char		*src = "Subject: {{ticket.tag}}\nX-Due: "
	    "{{ticket.resolution_due}}\n\n{{#ticket.response_due}}by "
	    "{{ticket.response_due}}{{/ticket.response_due}}\n";
	struct sd_tmpl		*tp = tmpl_parse("t", src, strlen(src), NULL);
	struct sd_tmpl_vars	*v = tmpl_vars_new();
	struct sd_rendered	 r;

	test_begin("tmpl: which placeholders a template uses; values by name");
	test_assert(tp != NULL);
	test_assert(tmpl_uses(tp, "ticket.tag"));
	test_assert(tmpl_uses(tp, "ticket.resolution_due"));
	test_assert(tmpl_uses(tp, "ticket.response_due"));
	test_assert(!tmpl_uses(tp, "business_hours"));
	test_assert(!tmpl_uses(tp, "no.such.name"));
	test_assert(!tmpl_uses(NULL, "ticket.tag"));
	/* A value set twice renders the second; an unknown name is
	 * ignored; one never set renders empty. */
	tmpl_vars_set(v, "ticket.tag", "[#1]");
	tmpl_vars_set(v, "ticket.tag", "[#2]");
	tmpl_vars_set(v, "no.such.name", "x");
	tmpl_vars_set(v, "ticket.resolution_due", "Fri");
	tmpl_render(tp, v, &r);
	test_assert_streq(r.subject, "[#2]");
	test_assert(r.headers.n == 1);
	test_assert_streq(r.headers.n ? r.headers.v[0] : NULL, "X-Due: Fri");
	test_assert_streq(r.body, "\n");
	tmpl_rendered_clear(&r);
	tmpl_free(&tp);
	tmpl_vars_free(&v);
	test_end();
}

static void
test_errors(void)
{
	static const struct {
		const char *src, *err;
	} t[] = {
		{ "Subject: x\n\nHello {{ticket.nope}}\n",
		  "f:3: unknown placeholder \"ticket.nope\"" },
		{ "Subject: x\n\nline\n{{#ticket.id}} open\n",
		  "f:4: section \"ticket.id\" is never closed" },
		{ "Subject: x\n\n{{#ticket.id}}a{{/ticket.status}}\n",
		  "f:3: section end \"ticket.status\" does not match the open section" },
		{ "Subject: x\n\n{{/ticket.id}}\n",
		  "f:3: section end \"ticket.id\" without a start" },
		{ "Hello there, no headers\n",
		  "f:1: expected a header line (\"Subject: ...\") before the blank line that starts the body" },
		{ "Subject: x\n\nunclosed {{ticket.id\n",
		  "f:3: unclosed placeholder" },
		{ "Subject: {{ticket.bogus}}\n\nbody\n",
		  "f:1: unknown placeholder \"ticket.bogus\"" },
		{ "X-Only: 1\n\nbody\n",
		  "f:1: missing header block: a template starts with \"Subject: ...\", then a blank line, then the body" },
	};

	test_begin("tmpl: errors name file and line");
	for (size_t i = 0; i < nitems(t); i++) {
		struct sd_strv	 errs = { 0 };
		struct sd_tmpl	*tp = tmpl_parse("f", t[i].src, strlen(t[i].src),
		    &errs);

		test_assert_idx(tp == NULL, i);
		test_assert_idx(errs.n >= 1, i);
		if (errs.n >= 1)
			test_assert_streq_idx(errs.v[0], t[i].err, i);
		tmpl_free(&tp);
		strv_free(&errs);
	}
	test_end();
}

static void
test_shipped(void)
{
	struct sd_strv		 errs = { 0 };
	struct sd_tmpl_set	*set = NULL;
	char			 dir[4096];

	test_begin("tmpl: the sixteen shipped templates load");
	snprintf(dir, sizeof(dir), "%s", test_srcpath("../templates"));
	test_assert(tmpl_set_load(dir, &set, &errs) == 0);
	for (size_t i = 0; i < errs.n; i++)
		printf("# %s\n", errs.v[i]);
	test_assert(tmpl_nnames == 16);
	for (size_t i = 0; set && i < tmpl_nnames; i++)
		test_assert_idx(tmpl_get(set, tmpl_names[i]) != NULL, i);
	tmpl_set_free(&set);
	test_assert(tmpl_set_load("/nonexistent", &set, &errs) == -1);
	test_assert(set == NULL && errs.n == tmpl_nnames);
	strv_free(&errs);
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_render,
	    test_header_injection, test_uses, test_errors, test_shipped, NULL };

	return test_run(tests);
}
