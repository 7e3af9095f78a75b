/* SPDX-License-Identifier: MIT */
/*
 * fuzz-mime.c - libFuzzer target for mime_parse (SPEC §10: every parser
 * of untrusted input has one).  Each input is parsed whole; every string
 * that comes out must be valid UTF-8 and within the limits mail.h
 * promises, the robot rules (robot_reason) must take the result, and the
 * customer's subject, name and Message-IDs must build into a reply with
 * CRLF lines of at most 998 octets and no header of their own
 * (fuzz-check.h).  Without libFuzzer (-DFUZZ_MAIN) it parses the files
 * named on the command line.
 *
 *   make fuzz && tests/fuzz/run.sh 60 mime	(in a configured build tree)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/mail.h"
#include "supportd/robot.h"

#include "fuzz-check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_utf8(const char *s)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL))
		abort();
}

/* One line: subjects and names never carry a line break (mail.h). */
static void
check_line(const char *s)
{
	check_utf8(s);
	if (s != NULL && strpbrk(s, "\r\n") != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_outmail	 om;
	struct sd_mail		*m = NULL;
	struct sd_err		 err;
	char			*raw;

	if (mime_parse((const char *)data, size, &m, &err) == -1)
		return 0;
	if (m->subject == NULL || m->body == NULL)
		abort();
	check_line(m->subject);
	check_utf8(m->body);
	if (strlen(m->body) > 1024 * 1024 || strchr(m->body, '\r') != NULL)
		abort();	/* at most 1 MiB, LF line ends */
	check_line(m->from.name);
	check_utf8(m->from.addr);
	check_line(m->reply_to.name);
	check_utf8(m->reply_to.addr);
	check_utf8(m->message_id);
	check_utf8(m->in_reply_to);
	if (m->references.n > 100 || m->to.n > 1000 || m->cc.n > 1000 ||
	    m->nattachments > 500)
		abort();
	for (size_t i = 0; i < m->references.n; i++)
		check_utf8(m->references.v[i]);
	for (size_t i = 0; i < m->to.n; i++)
		check_utf8(m->to.v[i]);
	for (size_t i = 0; i < m->cc.n; i++)
		check_utf8(m->cc.v[i]);
	for (size_t i = 0; i < m->nattachments; i++) {
		check_line(m->attachments[i].name);
		check_utf8(m->attachments[i].type);
		if (m->attachments[i].name != NULL &&
		    strpbrk(m->attachments[i].name, "/\\") != NULL)
			abort();
	}
	(void)robot_reason(m);

	/* What a customer wrote goes back out in our reply's headers. */
	memset(&om, 0, sizeof(om));
	om.from_name = m->from.name;
	om.from_addr = "support@vendor.example";
	om.to_name = m->from.name;
	om.to_addr = m->from.addr != NULL ? m->from.addr : "x@y.example";
	om.subject = m->subject;
	om.message_id = "fuzz@vendor.example";
	om.in_reply_to = m->message_id;
	om.references = &m->references;
	om.cc = &m->cc;
	om.body = m->body;
	om.date = 1;
	om.automatic = true;
	om.ticket_id = 1;
	raw = mime_build(&om);
	fuzz_check_wire(raw);
	fuzz_check_headers(raw, m->cc.n > 0);
	free(raw);
	mail_free(&m);
	return 0;
}

#define FUZZ_CLEANUP()	mime_shutdown()
#include "fuzz-main.h"
