/* SPDX-License-Identifier: MIT */
/*
 * fuzz-tmpl.c - libFuzzer target for the reply templates (SPEC §9, §10):
 * tmpl_parse on any bytes, and every template it accepts rendered three
 * ways (every placeholder set, none set, every other one empty) and built
 * into the mail that would go out.  The input up to its first NUL is the
 * template; what follows, if anything, is the value every placeholder
 * gets (else a value carrying CRLF, a Bcc header and "{{...}}").
 * Checks: parse fails exactly when it reports errors, the rendered
 * Subject and headers are one line each, and the built mail has CRLF
 * lines of at most 998 octets and no header a value smuggled in
 * (fuzz-check.h).  Without libFuzzer (-DFUZZ_MAIN) it reads the files
 * named on the command line.
 *
 *   make fuzz && tests/fuzz/run.sh 60 tmpl	(in a configured build tree)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/mail.h"
#include "supportd/tmpl.h"

#include "fuzz-check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The placeholders tmpl.c knows (SPEC §9 and the README's additions),
 * and one it does not, which must be harmless to set. */
static const char *const vars[] = {
	"ticket.id", "ticket.tag", "ticket.subject", "ticket.priority",
	"ticket.category", "ticket.status", "ticket.response_due",
	"ticket.resolution_due", "requester.name", "requester.email",
	"organization.name", "business_hours", "next_business_open",
	"duplicate_of", "escalation.level", "ticket.priority_meaning",
	"ticket.response_target", "ticket.after_hours", "ticket.url",
	"oncall_after_hours", "urgent_markers", "escalation.name",
	"sla.target", "sla.due",
	"ticket.priority_label",
	"ticket.priority_description",
	"mailbox.address", "mailbox.name", "no.such.placeholder",
};

static const char evil[] = "x\r\nBcc: evil@attacker.example\r\n"
    "Sender: a@b\n\n{{ticket.id}}{{#x}}\r\n.\r\n";

static void
check_line(const char *s)
{
	if (s == NULL || strpbrk(s, "\r\n") != NULL)
		abort();
}

static void
render_and_build(const struct sd_tmpl *t, const char *value, int mode)
{
	struct sd_tmpl_vars	*v = tmpl_vars_new();
	struct sd_rendered	 r;
	struct sd_outmail	 om;
	char			*raw;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (mode == 1)
			continue;		/* nothing set */
		tmpl_vars_set(v, vars[i], mode == 2 && i % 2 ? "" : value);
	}
	memset(&r, 0, sizeof(r));
	tmpl_render(t, v, &r);
	check_line(r.subject);
	if (r.body == NULL)
		abort();
	for (size_t i = 0; i < r.headers.n; i++)
		check_line(r.headers.v[i]);

	memset(&om, 0, sizeof(om));
	om.from_name = "Vendor Support";
	om.from_addr = "support@vendor.example";
	om.to_addr = "ann@acme.example";
	om.subject = r.subject;
	om.message_id = "fuzz@vendor.example";
	om.in_reply_to = "orig@acme.example";
	om.body = r.body;
	om.date = 1;
	om.automatic = true;
	om.ticket_id = 42;
	om.extra_headers = &r.headers;
	raw = mime_build(&om);
	fuzz_check_wire(raw);
	fuzz_check_headers(raw, false);
	free(raw);
	tmpl_rendered_clear(&r);
	tmpl_vars_free(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nul = memchr(data, '\0', size);
	size_t		 tlen = nul != NULL ? (size_t)(nul - data) : size;
	struct sd_strv	 errs;
	struct sd_tmpl	*t;
	char		*value;

	memset(&errs, 0, sizeof(errs));
	/* tmpl_parse gets exactly tlen bytes, no terminating NUL: ASan sees
	 * any read past them. */
	t = tmpl_parse("fuzz", (const char *)data, tlen, &errs);
	if ((t == NULL) != (errs.n > 0))
		abort();
	for (size_t i = 0; i < errs.n; i++)
		if (strncmp(errs.v[i], "fuzz:", 5) != 0)
			abort();	/* errors name the file */
	strv_free(&errs);
	if (t == NULL)
		return 0;
	value = nul != NULL ? g_strndup((const char *)nul + 1,
	    size - tlen - 1) : g_strdup(evil);
	for (int mode = 0; mode < 3; mode++)
		render_and_build(t, value, mode);
	g_free(value);
	tmpl_free(&t);
	return 0;
}

#define FUZZ_CLEANUP()	mime_shutdown()
#include "fuzz-main.h"
