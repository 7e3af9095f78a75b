/* SPDX-License-Identifier: MIT */
/*
 * test-mime-hostile.c - mime_parse on what no mailer should send: every
 * fixture cut at every length, garbage, deep and wide nesting, huge
 * parts, and the limits that cut the work short.  Each mail parsed
 * keeps mail_utf8_ok's promise; each refused one is SD_E_PERM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "harness.h"
#include "mailcheck.h"

static void
test_parse_truncated(void)
{
	static const char *const files[] = {
		"0001-rfc2047-utf8-b.eml", "0002-rfc2047-split-words.eml",
		"0003-rfc2047-iso8859-1-q.eml", "0004-latin1-body-undeclared.eml",
		"0005-html-only.eml", "0006-multipart-alternative.eml",
		"0007-attachment-rfc2231.eml", "0008-forward-rfc822.eml",
		"0009-threading.eml", "0013-broken-boundary.eml",
		"0015-auto-headers.eml", "0018-charset-mislabel.eml",
		"0019-iso2022jp.eml", "0020-raw-8bit-cp1251-subject.eml",
		"0021-nul-and-controls.eml",
	};
	size_t	 parsed = 0, failed = 0;
	bool	 ok = true;

	test_begin("mime: every fixture truncated at every length");
	for (size_t i = 0; i < nitems(files); i++) {
		char	 rel[256];
		char	*buf;
		size_t	 len;

		snprintf(rel, sizeof(rel), "fixtures/mail/%s", files[i]);
		if ((buf = test_slurp(rel, &len)) == NULL) {
			ok = false;
			continue;
		}
		for (size_t n = 0; n <= len; n++) {
			struct sd_mail	*m = NULL;
			struct sd_err	 err;
			/* An exact-size copy, so ASan sees any over-read. */
			char		*cut = xmalloc(n ? n : 1);

			memcpy(cut, buf, n);
			if (mime_parse(cut, n, &m, &err) == 0) {
				ok = ok && m != NULL && mail_utf8_ok(m);
				parsed++;
			} else {
				ok = ok && m == NULL && err.cls == SD_E_PERM;
				failed++;
			}
			mail_free(&m);
			free(cut);
		}
		free(buf);
	}
	printf("# truncated: %zu parsed, %zu refused\n", parsed, failed);
	test_assert(ok);
	test_assert(parsed > 1000);
	test_end();
}

static void
test_parse_hostile(void)
{
	struct sd_mail	*m = NULL;
	struct sd_err	 err;
	GString		*s;
	gint64		 t0;
	int		 rc;

	test_begin("mime: empty, garbage, deep, wide, huge");
	sd_err_clear(&err);
	test_assert(mime_parse("", 0, &m, &err) == -1 && m == NULL &&
	    err.cls == SD_E_PERM);
	test_assert(mime_parse(NULL, 10, &m, &err) == -1 && m == NULL);
	test_assert(mime_parse("\n", 1, &m, &err) == 0 && m != NULL &&
	    m->from.addr == NULL && *m->subject == '\0' && *m->body == '\0');
	mail_free(&m);
	m = parse_fixture("0014-garbage.eml", &rc);
	test_assert(rc == -1 && m == NULL);

	t0 = g_get_monotonic_time();
	/* 3000 nested multiparts: walked to the depth limit only. */
	s = g_string_new("From: a@b.example\nSubject: deep\n");
	for (int i = 0; i < 3000; i++)
		g_string_append_printf(s, "Content-Type: multipart/mixed; "
		    "boundary=b%d\n\n--b%d\n", i, i);
	g_string_append(s, "Content-Type: text/plain\n\ndeep text\n");
	test_assert((m = parse_str(s->str)) != NULL);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* 3000 parts: at most 500 looked at. */
	s = g_string_new("From: a@b.example\nSubject: wide\nContent-Type: "
	    "multipart/mixed; boundary=w\n\n");
	for (int i = 0; i < 3000; i++)
		g_string_append_printf(s, "--w\nContent-Type: application/"
		    "octet-stream; name=f%d\n\nx\n", i);
	g_string_append(s, "--w--\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && m->nattachments == 499);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* 20000 header fields and a 200 KB subject. */
	s = g_string_new("From: a@b.example\n");
	for (int i = 0; i < 20000; i++)
		g_string_append_printf(s, "X-H%d: v\n", i);
	g_string_append(s, "Subject: ");
	for (int i = 0; i < 40000; i++)
		g_string_append(s, "word ");
	g_string_append(s, "\n\nbody\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && strlen(m->subject) <= 998 &&
	    strncmp(m->subject, "word word", 9) == 0);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* 3 MB of unclosed <script> tags and a 3 MB text body. */
	s = g_string_new("From: a@b.example\nSubject: html\nContent-Type: "
	    "text/html\n\n");
	for (int i = 0; i < 300000; i++)
		g_string_append(s, "<script>x ");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && strlen(m->body) <= (1u << 20));
	mail_free(&m);
	g_string_free(s, TRUE);
	s = g_string_new("From: a@b.example\nSubject: big\n\n");
	for (int i = 0; i < 300000; i++)
		g_string_append(s, "\xc3\xa4 23456789");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && strlen(m->body) <= (1u << 20) &&
	    strlen(m->body) > (1u << 19) && g_utf8_validate(m->body, -1, NULL));
	mail_free(&m);
	g_string_free(s, TRUE);
	/* Plain ASCII is kept up to the byte (its fast path). */
	s = g_string_new("From: a@b.example\nSubject: big\n\n");
	for (int i = 0; i < 150000; i++)
		g_string_append(s, "abcdefghi\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && strlen(m->body) == (1u << 20) &&
	    strcmp(m->body + (1u << 20) - 7, "\nabcdef") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);
	printf("# hostile inputs took %.1f s\n",
	    (double)(g_get_monotonic_time() - t0) / 1e6);
	test_end();
}

/* Every bound of the work on one mail is hit, and said (m->limit). */
static void
test_parse_limits(void)
{
	struct sd_mail	*m;
	GString		*s;
	gint64		 t0 = g_get_monotonic_time();

	test_begin("mime: limits cut the work short and say so");
	m = parse_str("From: a@b.example\nSubject: fine\n\nbody\n");
	test_assert(m != NULL && m->limit == NULL);
	mail_free(&m);

	/* 600 parts: the walk stops at 500. */
	s = g_string_new("From: a@b.example\nSubject: wide\nContent-Type: "
	    "multipart/mixed; boundary=w\n\n");
	for (int i = 0; i < 600; i++)
		g_string_append_printf(s, "--w\nContent-Type: application/"
		    "octet-stream; name=f%d\n\nx\n", i);
	g_string_append(s, "--w--\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && m->nattachments == 499);
	test_assert(m != NULL && m->limit != NULL &&
	    strcmp(m->limit, "more than 500 MIME parts") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* 200000 empty parts (GMime alone would take ~300 MB): GMime sees
	 * only the first 5000 boundary lines. */
	s = g_string_new("From: a@b.example\nSubject: many\nContent-Type: "
	    "multipart/mixed; boundary=w\n\n");
	for (int i = 0; i < 200000; i++)
		g_string_append(s, "--w\n\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && m->limit != NULL &&
	    strcmp(m->limit, "more than 5000 MIME boundary lines") == 0);
	test_assert(m != NULL && strcmp(m->subject, "many") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* 6000 header fields: the first 5000 looked at. */
	s = g_string_new("From: a@b.example\nSubject: fields\n");
	for (int i = 0; i < 6000; i++)
		g_string_append_printf(s, "X-H%d: v\n", i);
	g_string_append(s, "Auto-Submitted: auto-replied\n\nbody\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && m->limit != NULL &&
	    strcmp(m->limit, "more than 5000 header fields") == 0);
	test_assert(m != NULL && m->auto_submitted == NULL &&
	    strcmp(m->body, "body\n") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* 300000 header fields: GMime is given the first 50000 lines. */
	s = g_string_new("From: a@b.example\nSubject: flood\n");
	for (int i = 0; i < 300000; i++)
		g_string_append(s, "X-F: v\n");
	g_string_append(s, "\nbody\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && m->limit != NULL &&
	    strcmp(m->limit, "more than 50000 header fields") == 0);
	test_assert(m != NULL && strcmp(m->subject, "flood") == 0 &&
	    strcmp(m->from.addr, "a@b.example") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* 40 levels of nesting: walked to 32. */
	s = g_string_new("From: a@b.example\nSubject: deep\n");
	for (int i = 0; i < 40; i++)
		g_string_append_printf(s, "Content-Type: multipart/mixed; "
		    "boundary=b%d\n\n--b%d\n", i, i);
	g_string_append(s, "Content-Type: text/plain\n\ndeep text\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && m->limit != NULL &&
	    strcmp(m->limit, "MIME nested more than 32 deep") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* 8 MB of base64 text: decoded only as far as the text bound. */
	s = g_string_new("From: a@b.example\nSubject: b64\nContent-Type: "
	    "text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n");
	for (int i = 0; i < 150000; i++)
		g_string_append(s, "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQg"
		    "aGVsbG8gd29y\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && strlen(m->body) <= (1u << 20) &&
	    strncmp(m->body, "hello world hello", 17) == 0);
	mail_free(&m);
	g_string_free(s, TRUE);
	/* Header fields are cut before GMime copies and decodes them
	 * (issue #19: a 16 MB From name cost 1 GB, a 16 MB Subject 718 MB,
	 * a 12 MB folded Subject 19 minutes under ASan). */
	s = g_string_new("From: \"");
	for (int i = 0; i < (16 << 20) / 64; i++)
		g_string_append(s, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAA");
	g_string_append(s, "\" <big@b.example>\nSubject: big name\n\nbody\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && m->limit != NULL &&
	    strcmp(m->limit, "a header field over 64 KB") == 0);
	test_assert(m != NULL && strcmp(m->subject, "big name") == 0 &&
	    strcmp(m->body, "body\n") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);

	s = g_string_new("From: a@b.example\nSubject: =?utf-8?q?x?=");
	for (int i = 0; i < 200000; i++)		/* 12 MB, folded */
		g_string_append(s, "\n =?utf-8?b?w6TDtsO8w6TDtsO8w6TDtsO8?=x"
		    "xxxxxxxxxxxxxxxxxx");
	g_string_append(s, "\nTo: support@vendor.example\n\nbody\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && m->limit != NULL &&
	    strcmp(m->limit, "a header field over 64 KB") == 0);
	test_assert(m != NULL && strncmp(m->subject, "x", 1) == 0 &&
	    strlen(m->subject) <= 998 && m->to.n == 1 &&
	    strcmp(m->body, "body\n") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* 40000 fields of 60 bytes (2.4 MB): GMime sees the first 1 MB. */
	s = g_string_new("From: a@b.example\nSubject: block\n");
	for (int i = 0; i < 40000; i++)
		g_string_append_printf(s, "X-Long-%05d: %046d\n", i, i);
	g_string_append(s, "Auto-Submitted: auto-replied\n\nbody\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && m->limit != NULL &&
	    strcmp(m->limit, "header block over 1 MB") == 0);
	test_assert(m != NULL && m->auto_submitted == NULL &&
	    strcmp(m->from.addr, "a@b.example") == 0 &&
	    strcmp(m->body, "body\n") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);
	/* A field name longer than the field bound: left out, not made the
	 * first line of the body. */
	s = g_string_new("From: a@b.example\nX-");
	for (int i = 0; i < 70000; i++)
		g_string_append_c(s, 'N');
	g_string_append(s, ": v\nSubject: after the long name\n\nbody\n");
	test_assert((m = parse_str(s->str)) != NULL);
	test_assert(m != NULL && strcmp(m->subject, "after the long name") == 0
	    && strcmp(m->body, "body\n") == 0);
	mail_free(&m);
	g_string_free(s, TRUE);

	/* A header fetched in part (over max_message_size) may end in a
	 * field's name: GMime refused all of it. */
	m = parse_str("From: a@b.example\r\nSubject: cut short\r\nX-Fill");
	test_assert(m != NULL && strcmp(m->subject, "cut short") == 0 &&
	    strcmp(m->from.addr, "a@b.example") == 0);
	mail_free(&m);
	m = parse_str("From: a@b.example\nSubject: no newline");
	test_assert(m != NULL && strcmp(m->subject, "no newline") == 0);
	mail_free(&m);
	printf("# limits took %.1f s\n",
	    (double)(g_get_monotonic_time() - t0) / 1e6);
	test_end();
}

/* What a bounce returns: the ids of our mail, however it is returned. */

int
main(void)
{
	static void (*const fns[])(void) = {
		test_parse_truncated,
		test_parse_hostile,
		test_parse_limits,
		NULL,
	};
	int rc;

	mime_init();
	rc = test_run(fns);
	mime_shutdown();
	return rc;
}
