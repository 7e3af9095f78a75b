/* SPDX-License-Identifier: MIT */
/*
 * test-mime-build.c - mime_build: wire format (CRLF, lines of at most
 * 998 octets), the promised headers, header injection, edge cases, the
 * round trip through mime_parse, and new Message-IDs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <glib.h>

#include "supportd/mail.h"
#include "harness.h"

/* Every line ends in CRLF and has at most 998 octets before it. */
static bool
wire_ok(const char *raw)
{
	size_t col = 0;

	for (const char *p = raw; *p != '\0'; p++) {
		if (*p == '\r') {
			if (p[1] != '\n')
				return false;
			continue;
		}
		if (*p == '\n') {
			if (p == raw || p[-1] != '\r')
				return false;
			col = 0;
			continue;
		}
		if (++col > 998)
			return false;
	}
	return col == 0;
}

/* Every line of the header block of raw is a "Name: value" field or
 * its folded continuation. */
static bool
fields_ok(const char *raw)
{
	const char *l = raw, *eol, *colon;

	while ((eol = strstr(l, "\r\n")) != NULL && eol != l) {
		if (*l != ' ' && *l != '\t') {
			colon = memchr(l, ':', (size_t)(eol - l));
			if (colon == NULL || colon == l)
				return false;
			for (const char *q = l; q < colon; q++)
				if (!g_ascii_isalnum(*q) && *q != '-')
					return false;
		}
		l = eol + 2;
	}
	return eol != NULL;
}

/* How many header fields called name (any case) start a line of the
 * header block of raw. */
static int
header_count(const char *raw, const char *name)
{
	size_t		 nl = strlen(name);
	const char	*end = strstr(raw, "\r\n\r\n");
	int		 n = 0;

	if (end == NULL)
		end = raw + strlen(raw);
	for (const char *l = raw; l < end; ) {
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':')
			n++;
		if ((l = strstr(l, "\r\n")) == NULL)
			break;
		l += 2;
	}
	return n;
}

/* The first line of header name's value (no unfolding).  Static buffer
 * of the caller. */
static const char *
header_value(const char *raw, const char *name, char *buf, size_t size)
{
	size_t		 nl = strlen(name);
	const char	*end = strstr(raw, "\r\n\r\n");

	for (const char *l = raw; end != NULL && l < end; ) {
		const char *e = strstr(l, "\r\n");

		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			l += nl + 1;
			while (*l == ' ')
				l++;
			snprintf(buf, size, "%.*s", (int)(e - l), l);
			return buf;
		}
		l = e + 2;
	}
	return NULL;
}

static void
test_build_basic(void)
{
	struct sd_strv		 cc = { 0 }, refs = { 0 }, xh = { 0 };
	struct sd_outmail	 om;
	struct sd_mail		*m = NULL;
	struct sd_err		 err;
	char			*raw, *body, hv[1024];
	const char		*subject = "[Ticket#12] Re: Gr\xc3\xbc\xc3\x9f" "e "
				    "\xe2\x80\x93 System Down \xe2\x9c\x93";
	GString			*b = g_string_new("Hello Gr\xc3\xbc\xc3\x9f" "e,\n"
				    "line two\r\n");

	test_begin("mime: build, wire format and round trip");
	for (int i = 0; i < 3000; i++)
		g_string_append_c(b, 'a' + i % 26);
	g_string_append(b, "\n.\nFrom here\n");
	body = g_string_free(b, FALSE);
	strv_push(&cc, "boss@customer.example");
	strv_push(&cc, "team@customer.example");
	for (int i = 0; i < 30; i++) {
		char id[100];

		snprintf(id, sizeof(id), "ref-%d-with-a-long-id@mail.customer."
		    "example", i);
		strv_push(&refs, id);
	}
	strv_push(&xh, "X-Custom: hello");
	strv_push(&xh, "X-Utf: Gr\xc3\xbc\xc3\x9f" "e");

	memset(&om, 0, sizeof(om));
	om.from_name = "Vendor Support";
	om.from_addr = "support@vendor.example";
	om.to_name = "J\xc3\xb6rg M\xc3\xbcller";
	om.to_addr = "joerg@customer.example";
	om.cc = &cc;
	om.subject = subject;
	om.message_id = "abc.def@vendor.example";
	om.in_reply_to = "orig@customer.example";
	om.references = &refs;
	om.body = body;
	om.date = 1794864845;
	om.automatic = true;
	om.ticket_id = 12;
	om.extra_headers = &xh;
	raw = mime_build(&om);

	test_assert(raw != NULL && wire_ok(raw));
	test_assert(header_count(raw, "From") == 1);
	test_assert(header_count(raw, "To") == 1);
	test_assert(header_count(raw, "Subject") == 1);
	test_assert(header_count(raw, "Message-ID") == 1);
	test_assert(header_count(raw, "Date") == 1);
	test_assert_streq(header_value(raw, "Auto-Submitted", hv, sizeof(hv)),
	    "auto-replied");
	test_assert_streq(header_value(raw, "X-Auto-Response-Suppress", hv,
	    sizeof(hv)), "All");
	test_assert_streq(header_value(raw, "X-Supportd-Ticket", hv,
	    sizeof(hv)), "12");
	test_assert_streq(header_value(raw, "MIME-Version", hv, sizeof(hv)),
	    "1.0");
	test_assert_streq(header_value(raw, "Content-Type", hv, sizeof(hv)),
	    "text/plain; charset=UTF-8");
	test_assert_streq(header_value(raw, "Date", hv, sizeof(hv)),
	    "Mon, 16 Nov 2026 21:34:05 +0000");
	test_assert_streq(header_value(raw, "In-Reply-To", hv, sizeof(hv)),
	    "<orig@customer.example>");
	test_assert_streq(header_value(raw, "X-Custom", hv, sizeof(hv)),
	    "hello");
	/* Non-ASCII text is never raw on the wire. */
	for (const char *p = raw; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80) {
			test_assert(!"8-bit byte in built mail");
			break;
		}

	sd_err_clear(&err);
	test_assert(mime_parse(raw, strlen(raw), &m, &err) == 0);
	if (m != NULL) {
		test_assert_streq(m->subject, subject);
		test_assert_streq(m->from.name, "Vendor Support");
		test_assert_streq(m->from.addr, "support@vendor.example");
		test_assert(m->to.n == 1 && m->cc.n == 2);
		test_assert_streq(m->message_id, "abc.def@vendor.example");
		test_assert_streq(m->in_reply_to, "orig@customer.example");
		test_assert(m->references.n == refs.n);
		for (size_t i = 0; i < refs.n && i < m->references.n; i++)
			test_assert_streq_idx(m->references.v[i], refs.v[i], i);
		test_assert(m->date == 1794864845);
		test_assert_streq(m->auto_submitted, "auto-replied");
		test_assert(m->has_x_auto_response_suppress);
		test_assert_streq(m->x_supportd_ticket, "12");
		/* The body comes back with LF line ends. */
		{
			char *want = g_strdup(body), *w = want;

			for (char *r = want; *r != '\0'; r++)
				if (*r != '\r')
					*w++ = *r;
			*w = '\0';
			test_assert_streq(m->body, want);
			g_free(want);
		}
	}
	mail_free(&m);
	free(raw);
	g_free(body);
	strv_free(&cc);
	strv_free(&refs);
	strv_free(&xh);
	test_end();
}

static void
test_build_injection(void)
{
	struct sd_strv		 xh = { 0 }, cc = { 0 };
	struct sd_outmail	 om;
	struct sd_mail		*m = NULL;
	struct sd_err		 err;
	char			*raw;

	test_begin("mime: build, no header injection");
	strv_push(&xh, "X-Inject: a\r\nBcc: victim@evil.example");
	strv_push(&xh, "Bad Name: x");
	strv_push(&xh, "X-Colon\r\nBcc: victim@evil.example");
	strv_push(&xh, "From: evil@evil.example");
	strv_push(&xh, "to: evil@evil.example");
	strv_push(&xh, "Message-ID: <evil@evil.example>");
	strv_push(&xh, "Content-Type: text/html");
	strv_push(&xh, "Auto-Submitted: no");
	strv_push(&xh, "X-Supportd-Ticket: 1");
	strv_push(&xh, "no colon at all");
	strv_push(&xh, ": empty name");
	strv_push(&xh, "X-Fine : spaced");
	strv_push(&cc, "ok@customer.example");
	strv_push(&cc, "x@y>\r\nBcc: victim@evil.example");

	memset(&om, 0, sizeof(om));
	om.from_name = "Support\r\nBcc: victim@evil.example";
	om.from_addr = "support@vendor.example";
	om.to_name = "\"Quote\" <x@y>, z@w";
	om.to_addr = "joe@customer.example";
	om.cc = &cc;
	om.subject = "Hello\r\nBcc: victim@evil.example\r\n\r\nbody";
	om.message_id = "<id\r\nBcc: x@y>";
	om.body = "text\n";
	om.date = 1;
	om.automatic = false;
	om.extra_headers = &xh;
	raw = mime_build(&om);

	test_assert(raw != NULL && wire_ok(raw));
	test_assert(strstr(raw, "\r\n\r\n") != NULL);
	test_assert(header_count(raw, "Bcc") == 0);
	test_assert(header_count(raw, "From") == 1);
	test_assert(header_count(raw, "To") == 1);
	test_assert(header_count(raw, "Message-ID") == 1);
	test_assert(header_count(raw, "Content-Type") == 1);
	test_assert(header_count(raw, "Auto-Submitted") == 0);
	test_assert(header_count(raw, "X-Supportd-Ticket") == 0);
	test_assert(header_count(raw, "X-Auto-Response-Suppress") == 0);
	test_assert(header_count(raw, "X-Inject") == 1);
	test_assert(header_count(raw, "X-Fine") == 1);
	test_assert(header_count(raw, "Bad Name") == 0);
	test_assert(strstr(raw, "evil@evil.example") == NULL);
	test_assert(strstr(raw, "text/html") == NULL);

	sd_err_clear(&err);
	test_assert(mime_parse(raw, strlen(raw), &m, &err) == 0);
	if (m != NULL) {
		test_assert_streq(m->subject,
		    "Hello  Bcc: victim@evil.example    body");
		test_assert_streq(m->body, "text\n");
		test_assert(m->to.n == 1 && strcmp(m->to.v[0],
		    "joe@customer.example") == 0);
		test_assert(m->cc.n == 1);	/* the bad address is refused */
		test_assert_streq(m->message_id, "idBcc:x@y");
		test_assert(m->auto_submitted == NULL);
		test_assert(m->x_supportd_ticket == NULL);
		test_assert_streq(m->from.name,
		    "Support  Bcc: victim@evil.example");
	}
	mail_free(&m);
	free(raw);
	strv_free(&xh);
	strv_free(&cc);
	test_end();
}

static void
test_build_edges(void)
{
	struct sd_outmail	 om;
	struct sd_mail		*m = NULL;
	struct sd_err		 err;
	GString			*s;
	char			*raw, *subj;

	test_begin("mime: build, minimal, long subjects, long words");
	/* Minimal: NULL subject, body, ids; a Message-ID is made up. */
	memset(&om, 0, sizeof(om));
	om.from_addr = "support@vendor.example";
	om.to_addr = "joe@customer.example";
	raw = mime_build(&om);
	test_assert(raw != NULL && wire_ok(raw));
	test_assert(header_count(raw, "Message-ID") == 1);
	test_assert(header_count(raw, "In-Reply-To") == 0);
	test_assert(header_count(raw, "References") == 0);
	test_assert(header_count(raw, "Cc") == 0);
	test_assert(mime_parse(raw, strlen(raw), &m, &err) == 0);
	if (m != NULL) {
		test_assert(m->message_id != NULL &&
		    g_str_has_suffix(m->message_id, "@vendor.example"));
		test_assert(m->date > 0);
		test_assert_streq(m->subject, "");
	}
	mail_free(&m);
	free(raw);
	/* A UTF-8 Message-ID (RFC 6532) cannot go into the headers of a
	 * mail sent without SMTPUTF8: dropped, the others kept (#19). */
	{
		struct sd_strv	refs = { 0 };
		char		hv[256];

		strv_push(&refs, "a.1@customer.example");
		strv_push(&refs, "\xc3\xbc.2@customer.example");
		om.in_reply_to = "\xc3\xbc.2@customer.example";
		om.references = &refs;
		raw = mime_build(&om);
		test_assert(raw != NULL && wire_ok(raw));
		test_assert(header_count(raw, "In-Reply-To") == 0);
		test_assert_streq(header_value(raw, "References", hv,
		    sizeof(hv)), "<a.1@customer.example>");
		om.in_reply_to = NULL;
		om.references = NULL;
		strv_free(&refs);
		free(raw);
	}

	/* Long subjects: 3000 ASCII bytes without a space (cut to fit one
	 * line), and 300 non-ASCII words (folded, round trip intact). */
	for (int k = 0; k < 2; k++) {
		s = g_string_new(NULL);
		for (int i = 0; i < (k == 0 ? 3000 : 300); i++)
			g_string_append(s, k == 0 ? "x" : "\xc3\xa4\xe2\x82\xac ");
		if (k == 1)
			g_string_truncate(s, 899);	/* cap, whole chars */
		subj = g_string_free(s, FALSE);
		memset(&om, 0, sizeof(om));
		om.from_addr = "support@vendor.example";
		om.to_addr = "joe@customer.example";
		om.subject = subj;
		om.message_id = "m@vendor.example";
		om.body = "b\n";
		raw = mime_build(&om);
		test_assert_idx(raw != NULL && wire_ok(raw), k);
		test_assert_idx(mime_parse(raw, strlen(raw), &m, &err) == 0, k);
		if (m != NULL && k == 0)
			test_assert_idx(strlen(m->subject) >= 800 &&
			    strspn(m->subject, "x") == strlen(m->subject), k);
		if (m != NULL && k == 1) {
			g_strchomp(subj);
			test_assert_streq_idx(m->subject, subj, k);
		}
		mail_free(&m);
		free(raw);
		g_free(subj);
	}

	/* A body line of 5000 non-ASCII bytes and one of 5000 ASCII bytes. */
	s = g_string_new(NULL);
	for (int i = 0; i < 2500; i++)
		g_string_append(s, "\xc3\xa4");
	g_string_append_c(s, '\n');
	for (int i = 0; i < 5000; i++)
		g_string_append_c(s, 'y');
	g_string_append_c(s, '\n');
	memset(&om, 0, sizeof(om));
	om.from_addr = "support@vendor.example";
	om.to_addr = "joe@customer.example";
	om.subject = "long lines";
	om.message_id = "m@vendor.example";
	om.body = s->str;
	raw = mime_build(&om);
	test_assert(raw != NULL && wire_ok(raw));
	test_assert(mime_parse(raw, strlen(raw), &m, &err) == 0);
	if (m != NULL)
		test_assert_streq(m->body, s->str);
	mail_free(&m);
	free(raw);
	g_string_free(s, TRUE);

	/* Unbreakable words everywhere a customer's text can reach. */
	{
		char		*longw = g_strnfill(990, 'w');
		char		*longa = g_strdup_printf("%s@x.example", longw);
		struct sd_strv	 refs = { 0 };

		strv_push(&refs, longw);
		strv_push(&refs, "short@x.example");
		memset(&om, 0, sizeof(om));
		om.from_name = longw;
		om.from_addr = "support@vendor.example";
		om.to_name = longw;
		om.to_addr = "joe@customer.example";
		om.subject = longw;
		om.message_id = longw;
		om.in_reply_to = longw;
		om.references = &refs;
		om.body = longw;
		om.cc = &refs;
		raw = mime_build(&om);
		test_assert(raw != NULL && wire_ok(raw));
		test_assert(header_count(raw, "In-Reply-To") == 0);
		test_assert(header_count(raw, "Message-ID") == 1);
		free(raw);
		om.to_addr = longa;
		raw = mime_build(&om);
		test_assert(raw != NULL && wire_ok(raw));
		test_assert(header_count(raw, "To") == 0);
		free(raw);
		strv_free(&refs);
		g_free(longa);
		g_free(longw);
	}

	/* Text that looks like RFC 2047 words goes out encoded and comes
	 * back as written; the first subject is the one fuzz-mime found
	 * GMime's folder breaking into a line that was no field. */
	{
		static const char *const lit[] = {
			"=?NNE?B? EnA=autor\xc3\xbf\xc3\xbf\xc3\xbfpy"
			    "sssssssssssssssssssssssssssssssssssssssssssss"
			    "sssssssssssssssssssssssssssssssssssssssssssss"
			    "ssssssssssssssssssssSEelpyS",
			"=?utf-8?q?abc?= done",
			"Re: =?x?b?YQ==?= \xc3\xa4 and  two  spaces",
		};

		for (size_t i = 0; i < nitems(lit); i++) {
			memset(&om, 0, sizeof(om));
			om.from_name = lit[i];
			om.from_addr = "support@vendor.example";
			om.to_addr = "joe@customer.example";
			om.subject = lit[i];
			om.message_id = "m@vendor.example";
			om.body = "b\n";
			raw = mime_build(&om);
			test_assert_idx(raw != NULL && wire_ok(raw) &&
			    fields_ok(raw), (int)i);
			test_assert_idx(raw != NULL &&
			    header_count(raw, "Subject") == 1, (int)i);
			m = NULL;
			test_assert_idx(raw != NULL && mime_parse(raw,
			    strlen(raw), &m, &err) == 0, (int)i);
			if (m != NULL) {
				test_assert_streq_idx(m->subject, lit[i],
				    (int)i);
				test_assert_streq_idx(m->from.name, lit[i],
				    (int)i);
			}
			mail_free(&m);
			free(raw);
		}
	}

	/* ASCII only: plain 7bit, no encoding needed. */
	memset(&om, 0, sizeof(om));
	om.from_addr = "support@vendor.example";
	om.to_addr = "joe@customer.example";
	om.subject = "plain";
	om.message_id = "m@vendor.example";
	om.body = "just ascii\n";
	raw = mime_build(&om);
	test_assert(raw != NULL && strstr(raw, "\r\n\r\njust ascii\r\n") != NULL);
	free(raw);
	test_end();
}

static void
test_message_id_new(void)
{
	char *a, *b, *c, *d;

	test_begin("mime: mime_message_id_new");
	a = mime_message_id_new("vendor.example");
	b = mime_message_id_new("vendor.example");
	c = mime_message_id_new(NULL);
	d = mime_message_id_new("evil> \r\nBcc: x@y");
	test_assert(a != NULL && g_str_has_suffix(a, "@vendor.example"));
	test_assert(a != NULL && b != NULL && strcmp(a, b) != 0);
	test_assert(a != NULL && strpbrk(a, "<> \r\n") == NULL);
	test_assert(c != NULL && g_str_has_suffix(c, "@supportd.invalid"));
	test_assert(d != NULL && strpbrk(d, "<> \r\n:") == NULL &&
	    g_str_has_suffix(d, "@evilbccxy"));
	free(a);
	free(b);
	free(c);
	free(d);
	test_end();
}

/* n bytes of a pattern.  Caller frees. */
static guchar *
pattern(size_t n, unsigned char seed)
{
	guchar *b = g_malloc(n + 1);

	for (size_t i = 0; i < n; i++)
		b[i] = (guchar)(seed + i * 7 + (i >> 9));
	return b;
}

/* A file of n bytes of a pattern, open for reading at its start. */
static int
att_file(size_t n, unsigned char seed)
{
	char	 path[] = "/tmp/sd-attb-XXXXXX";
	int	 fd = mkstemp(path);
	guchar	*b = pattern(n, seed);

	if (fd >= 0) {
		test_assert(write(fd, b, n) == (ssize_t)n);
		lseek(fd, 0, SEEK_SET);
		unlink(path);
	}
	g_free(b);
	return fd;
}

static void
test_build_attachments(void)
{
	struct sd_outmail	 om;
	struct sd_outatt	 a[3];
	struct sd_mail		*m = NULL;
	struct sd_err		 err;
	char			*raw;
	size_t			 len;
	static const size_t	 sizes[] = { 0, 57 * 1024 + 5, 100000 };

	test_begin("mime: attachments out: multipart/mixed, RFC 2231, base64");
	memset(&om, 0, sizeof(om));
	om.from_addr = "support@vendor.example";
	om.to_addr = "ann@acme.example";
	om.subject = "[Ticket#1] Re: logs";
	om.body = "Here are the files.\n";
	memset(a, 0, sizeof(a));
	a[0].name = "empty.txt";
	a[1].name = "\xe2\x82\xac rates \"2026\".pdf";
	a[1].type = "application/pdf";
	/* A name that tries to start a header of its own. */
	a[2].name = "x.log\r\nBcc: eve@evil.example";
	a[2].type = "text/plain\r\nBcc: eve@evil.example";
	for (int i = 0; i < 3; i++) {
		a[i].fd = att_file(sizes[i], (unsigned char)(i * 31));
		a[i].size = sizes[i] + 1000;	/* a hint; what is read counts */
	}
	om.atts = a;
	om.natts = 3;
	test_assert(mime_build_att(&om, &raw, &len, &err) == 0);
	test_assert(wire_ok(raw));
	test_assert(strlen(raw) == len);
	test_assert(strstr(raw, "\r\nBcc:") == NULL);
	test_assert(strstr(raw, "Content-Type: multipart/mixed; boundary=") !=
	    NULL);
	test_assert(strstr(raw, "filename*=UTF-8''%E2%82%AC%20rates%20%222026%22.pdf")
	    != NULL);
	test_assert(strstr(raw, "filename=\"_ rates _2026_.pdf\"") != NULL);
	test_assert(mime_parse(raw, len, &m, &err) == 0);
	test_assert(m != NULL && m->nattachments == 3);
	if (m != NULL)
		test_assert_streq(m->body, "Here are the files.\n");
	for (size_t i = 0; m != NULL && i < 3 && i < m->nattachments; i++) {
		test_assert_idx(m->attachments[i].size == sizes[i], i);
		guchar	*b = pattern(sizes[i], (unsigned char)(i * 31));
		gchar	*want = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
			    b, sizes[i]);

		test_assert_streq_idx(a[i].sha256, want, i);
		test_assert_streq_idx(m->attachments[i].sha256, want, i);
		test_assert_idx(a[i].size == sizes[i], i);
		g_free(want);
		g_free(b);
		close(a[i].fd);
	}
	if (m != NULL && m->nattachments == 3) {
		test_assert_streq(m->attachments[1].name,
		    "\xe2\x82\xac rates \"2026\".pdf");
		test_assert_streq(m->attachments[1].type, "application/pdf");
		test_assert_streq(m->attachments[2].type,
		    "application/octet-stream");
	}
	mail_free(&m);
	free(raw);
	/* One that cannot be read: an error, nothing built. */
	a[0].fd = -1;
	om.natts = 1;
	test_assert(mime_build_att(&om, &raw, &len, &err) == -1);
	test_assert(raw == NULL && strstr(err.msg, "cannot read") != NULL);
	test_assert_streq(mime_type_for_name("a.PDF"), "application/pdf");
	test_assert_streq(mime_type_for_name("noext"),
	    "application/octet-stream");
	test_end();
}

int
main(void)
{
	static void (*const fns[])(void) = {
		test_build_basic,
		test_build_injection,
		test_build_edges,
		test_build_attachments,
		test_message_id_new,
		NULL,
	};
	int rc;

	mime_init();
	rc = test_run(fns);
	mime_shutdown();
	return rc;
}
