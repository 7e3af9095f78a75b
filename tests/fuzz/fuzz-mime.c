/* SPDX-License-Identifier: MIT */
/*
 * fuzz-mime.c - libFuzzer target for mime_parse (SPEC §10: every parser
 * of untrusted input has one).  Each input is parsed whole; every string
 * that comes out must be valid UTF-8, and a subject taken from it must
 * build into a mail with CRLF lines of at most 998 octets.  Without
 * libFuzzer (-DFUZZ_MAIN) it parses the files named on the command line.
 *
 *   clang -D_GNU_SOURCE -g -fsanitize=fuzzer,address,undefined -Iinclude \
 *     src/common/[a-z]*.c src/mime/[a-z]*.c tests/fuzz/fuzz-mime.c \
 *     $(pkg-config --cflags --libs gmime-3.0 glib-2.0) -o fuzz-mime
 *   mkdir new; ./fuzz-mime -max_len=65536 new tests/fixtures/mail \
 *     tests/fixtures/corpus/[a-z]*	(new inputs go to the first directory)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/mail.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_utf8(const char *s)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL))
		abort();
}

static void
check_wire(const char *raw)
{
	size_t col = 0;

	for (const char *p = raw; *p != '\0'; p++) {
		if (*p == '\n' && (p == raw || p[-1] != '\r'))
			abort();
		if (*p == '\r' || *p == '\n')
			col = 0;
		else if (++col > 998)
			abort();
	}
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
	check_utf8(m->subject);
	check_utf8(m->body);
	check_utf8(m->from.name);
	check_utf8(m->from.addr);
	check_utf8(m->message_id);
	for (size_t i = 0; i < m->references.n; i++)
		check_utf8(m->references.v[i]);
	for (size_t i = 0; i < m->nattachments; i++) {
		check_utf8(m->attachments[i].name);
		if (m->attachments[i].name != NULL &&
		    strpbrk(m->attachments[i].name, "/\\") != NULL)
			abort();
	}

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
	om.body = m->body;
	om.date = 1;
	om.automatic = true;
	om.ticket_id = 1;
	raw = mime_build(&om);
	check_wire(raw);
	free(raw);
	mail_free(&m);
	return 0;
}

#ifdef FUZZ_MAIN
int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		gchar	*buf;
		gsize	 len;

		if (!g_file_get_contents(argv[i], &buf, &len, NULL))
			continue;
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		g_free(buf);
	}
	mime_shutdown();
	return 0;
}
#endif
