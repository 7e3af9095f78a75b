/* SPDX-License-Identifier: MIT */
/*
 * test-mime.c - mime_parse on the fixtures in tests/fixtures/mail/ (one
 * table of expected fields, then the details: attachments, threading,
 * automatic-mail headers), HTML to text.  Truncated and hostile input
 * are test-mime-hostile.c's, mime_build test-mime-build.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <glib.h>

#include "harness.h"
#include "mailcheck.h"
/* The run helpers of mime_text.c, checked against a byte loop. */
#include "../../src/mime/mime_int.h"

/* In the expectation table: do not check this field. */
static const char SKIP[] = "(skip)";

static void
test_parse_fixtures(void)
{
	static const struct {
		const char	*file;
		int		 rc;
		const char	*subject, *from_name, *from_addr;
		const char	*message_id, *in_reply_to;
		int64_t		 date;		/* -1: skip */
		const char	*ctype, *body;
		int		 natt;		/* -1: skip */
	} t[] = {
		{ "0001-rfc2047-utf8-b.eml", 0, "System Down", "Ops Team",
		  "ops@customer.example", "0001@customer.example", NULL,
		  1794864845, "text/plain", "Production is down.\n", 0 },
		{ "0002-rfc2047-split-words.eml", 0,
		  "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln - C1 \xe2\x9c\x93",
		  "Bj\xc3\xb6rn", "bjoern@customer.example", SKIP, NULL,
		  1794884645, "text/plain", "Hello.\n", 0 },
		{ "0003-rfc2047-iso8859-1-q.eml", 0,
		  "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e",
		  "J\xc3\xb6rg M\xc3\xbcller", "joerg@customer.example", SKIP,
		  NULL, 0, "text/plain",
		  "Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen\n", 0 },
		{ "0004-latin1-body-undeclared.eml", 0, "undeclared 8-bit body",
		  "Anne", "anne@customer.example", SKIP, NULL, -1, "text/plain",
		  "Gr\xc3\xbc\xc3\x9f" "e, \xe2\x80\x9cquoted\xe2\x80\x9d costs "
		  "\xe2\x82\xac 5\n", 0 },
		{ "0005-html-only.eml", 0, "HTML only", "Web Form",
		  "form@customer.example", SKIP, NULL, -1, "text/html",
		  "Dear support,\n\nthe printer is \"broken\" & smoking "
		  "<again>.\nLine two \xe2\x98\xba \xe2\x98\x83 \xe2\x82\xac" "5 "
		  "\xc2\xa9 &bogus; AT&T\n\nSteps:\n* one\n* two\na b\nc d\n\n"
		  "  keep   this\n    spacing\n\nRegards,\nEve\n", 0 },
		{ "0006-multipart-alternative.eml", 0, "alternative", "Bob",
		  "bob@customer.example", SKIP, NULL, -1,
		  "multipart/alternative",
		  "The plain text \xe2\x80\x93 preferred.\n", 0 },
		{ "0007-attachment-rfc2231.eml", 0, "with attachments", "Carol",
		  "carol@customer.example", SKIP, NULL, -1, "multipart/mixed",
		  "See the attached rates.\n", 4 },
		{ "0008-forward-rfc822.eml", 0, "Fwd: Original problem", "Dave",
		  "dave@customer.example", SKIP, NULL, -1, "multipart/mixed",
		  "See the forwarded mail below.\n", 1 },
		{ "0009-threading.eml", 0, "Re: [Ticket#7] printer",
		  "Frank, Jr.", "frank@customer.example", "own@customer.example",
		  "parent@vendor.example", 1794864845, "text/plain",
		  "Thanks.\n", 0 },
		{ "0010-no-message-id.eml", 0, "no id, no date", NULL,
		  "grace@customer.example", NULL, NULL, 0, "text/plain",
		  "Body.\n", 0 },
		{ "0011-no-from.eml", 0, "who am I", NULL, NULL,
		  "0011@customer.example", NULL, 0, "text/plain",
		  "Nobody sent this.\n", 0 },
		{ "0012-empty-body.eml", 0, "empty", "Heidi",
		  "heidi@customer.example", SKIP, NULL, 0, "text/plain", "", 0 },
		{ "0013-broken-boundary.eml", 0, "broken boundary", "Ivan",
		  "ivan@customer.example", SKIP, NULL, -1, "multipart/mixed",
		  "The real text.\n", 1 },
		{ "0014-garbage.eml", -1, SKIP, SKIP, SKIP, SKIP, SKIP, -1, SKIP,
		  SKIP, -1 },
		{ "0015-auto-headers.eml", 0, "Automatic reply: hello", "Mailer",
		  "MAILER-DAEMON@customer.example", SKIP, NULL, 0,
		  "multipart/report", "I am away.", 1 },
		{ "0016-mbox-from-line.eml", 0, "saved from mbox", "Ken",
		  "ken@customer.example", "0016@customer.example", NULL, -1,
		  "text/plain", "Body.\n", 0 },
		{ "0017-empty-plain-with-html.eml", 0, "empty plain part", "Lena",
		  "lena@customer.example", SKIP, NULL, -1,
		  "multipart/alternative", "Only the HTML has text.\n", 0 },
		{ "0018-charset-mislabel.eml", 0, "mislabelled", "Mia",
		  "mia@customer.example", SKIP, NULL, -1, "multipart/mixed",
		  "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe7\xb3\xbb\xe7\xbb\x9f"
		  "\xe6\x95\x85\xe9\x9a\x9c", 0 },
		{ "0019-iso2022jp.eml", 0, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		  "Nao", "nao@customer.example", SKIP, NULL, -1, "text/plain",
		  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n", 0 },
		{ "0020-raw-8bit-cp1251-subject.eml", 0,
		  "\xd0\xa1\xd0\xb8\xd1\x81\xd1\x82\xd0\xb5\xd0\xbc\xd0\xb0 "
		  "\xd0\xbd\xd0\xb5 \xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82"
		  "\xd0\xb0\xd0\xb5\xd1\x82",
		  "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", "ivan@customer.example",
		  SKIP, NULL, -1, "text/plain",
		  "\xd0\xa1\xd0\xb8\xd1\x81\xd1\x82\xd0\xb5\xd0\xbc\xd0\xb0\n", 0 },
		{ "0021-nul-and-controls.eml", 0, "tab here bell", "Olga",
		  "olga@customer.example", SKIP, NULL, -1, "text/plain",
		  "beforeafter\nnext line\n\xef\xbb\xbf\n", 0 },
	};

	test_begin("mime: parse fixtures (fields)");
	for (size_t i = 0; i < nitems(t); i++) {
		struct sd_mail	*m;
		int		 rc;

		m = parse_fixture(t[i].file, &rc);
		test_assert_idx(rc == t[i].rc, i);
		if (m == NULL)
			continue;
		test_assert_idx(mail_utf8_ok(m), i);
#define CHECK(field, want) \
		if ((want) != SKIP) test_assert_streq_idx(m->field, want, i)
		CHECK(subject, t[i].subject);
		CHECK(from.name, t[i].from_name);
		CHECK(from.addr, t[i].from_addr);
		CHECK(message_id, t[i].message_id);
		CHECK(in_reply_to, t[i].in_reply_to);
		CHECK(content_type, t[i].ctype);
		CHECK(body, t[i].body);
#undef CHECK
		if (t[i].date >= 0)
			test_assert_idx(m->date == t[i].date, i);
		if (t[i].natt >= 0)
			test_assert_idx(m->nattachments == (size_t)t[i].natt, i);
		mail_free(&m);
		test_assert_idx(m == NULL, i);
	}
	mail_free(NULL);
	test_end();
}

static void
test_parse_attachments(void)
{
	static const struct { const char *name, *type; size_t size; } a7[] = {
		{ "\xe2\x82\xac rates.pdf", "application/pdf", 1040 },	/* RFC 2231 */
		{ "evil.exe", "application/x-msdownload", 2 },		/* path cut */
		{ NULL, "image/png", 108 },				/* inline, no name */
		{ "log.txt", "text/plain", 8 },				/* has a name */
	};
	struct sd_mail	*m;
	int		 rc;

	test_begin("mime: attachments (RFC 2231, paths, inline, rfc822)");
	m = parse_fixture("0007-attachment-rfc2231.eml", &rc);
	test_assert(m != NULL && m->nattachments == nitems(a7));
	for (size_t i = 0; m != NULL && i < nitems(a7) &&
	    i < m->nattachments; i++) {
		test_assert_streq_idx(m->attachments[i].name, a7[i].name, i);
		test_assert_streq_idx(m->attachments[i].type, a7[i].type, i);
		test_assert_idx(m->attachments[i].size == a7[i].size, i);
	}
	/* Each one written out again, all in one walk, is what was counted
	 * and hashed; one there is not (the tenth) is not found. */
	{
		char	*buf, *got, paths[10][24];
		size_t	 len, glen, n = m != NULL ? m->nattachments : 0;
		int	 fds[10];
		bool	 found[10];
		struct sd_err err;

		buf = test_slurp("fixtures/mail/0007-attachment-rfc2231.eml",
		    &len);
		test_assert(n < 9);
		for (size_t i = 0; i < 10; i++) {
			strcpy(paths[i], "/tmp/sd-att-XXXXXX");
			fds[i] = i < n || i == 9 ? mkstemp(paths[i]) : -1;
			test_assert_idx(i >= n && i != 9 ? fds[i] == -1 :
			    fds[i] >= 0, i);
		}
		test_assert(buf != NULL && mime_attachments_write(buf, len,
		    fds, 10, found, &err) == 0);
		test_assert(!found[9]);
		for (size_t i = 0; i < 10; i++) {
			gchar *sum;

			if (fds[i] == -1)
				continue;
			close(fds[i]);
			test_assert(g_file_get_contents(paths[i], &got, &glen,
			    NULL));
			unlink(paths[i]);
			if (i < n) {
				test_assert_idx(found[i], i);
				test_assert_idx(glen == m->attachments[i].size, i);
				sum = g_compute_checksum_for_data(
				    G_CHECKSUM_SHA256, (const guchar *)got, glen);
				test_assert_streq_idx(sum,
				    m->attachments[i].sha256, i);
				g_free(sum);
			} else
				test_assert(glen == 0);
			g_free(got);
		}
		free(buf);
	}
	mail_free(&m);

	/* The forward is one attachment; its inner zip is not listed. */
	m = parse_fixture("0008-forward-rfc822.eml", &rc);
	test_assert(m != NULL && m->nattachments == 1);
	if (m != NULL && m->nattachments == 1) {
		test_assert_streq(m->attachments[0].name, "Original problem.eml");
		test_assert_streq(m->attachments[0].type, "message/rfc822");
		test_assert(m->attachments[0].size > 200);
	}
	mail_free(&m);

	/* A boundary that is not the declared one is still found. */
	m = parse_fixture("0013-broken-boundary.eml", &rc);
	test_assert(m != NULL && m->nattachments == 1);
	if (m != NULL && m->nattachments == 1) {
		test_assert_streq(m->attachments[0].name, "data.bin");
		test_assert(m->attachments[0].size == 6);
	}
	mail_free(&m);

	/* An attached mail with no text of its own: its text is the body. */
	m = parse_str("From: a@b.example\nSubject: fwd\nContent-Type: "
	    "multipart/mixed; boundary=x\n\n--x\nContent-Type: message/rfc822\n"
	    "\nSubject: inner/../x\nContent-Type: text/html\n\n<p>inner "
	    "&amp; html</p>\n--x--\n");
	test_assert(m != NULL);
	if (m != NULL) {
		test_assert_streq(m->body, "inner & html\n");
		test_assert(m->nattachments == 1);
		if (m->nattachments == 1)
			test_assert_streq(m->attachments[0].name, "x.eml");
	}
	mail_free(&m);
	test_end();
}

static void
test_parse_threading(void)
{
	static const char *const refs[] = {
		"root@customer.example", "mid@vendor.example",
		"parent@vendor.example",	/* own id left out */
	};
	static const char *const to[] = {
		"support@vendor.example", "other@vendor.example",
	};
	struct sd_mail	*m;
	int		 rc;

	test_begin("mime: Message-ID, In-Reply-To, References, To, Cc");
	m = parse_fixture("0009-threading.eml", &rc);
	test_assert(m != NULL);
	if (m != NULL) {
		test_assert(m->references.n == nitems(refs));
		for (size_t i = 0; i < nitems(refs) && i < m->references.n; i++)
			test_assert_streq_idx(m->references.v[i], refs[i], i);
		test_assert(m->to.n == nitems(to));
		for (size_t i = 0; i < nitems(to) && i < m->to.n; i++)
			test_assert_streq_idx(m->to.v[i], to[i], i);
		test_assert(m->cc.n == 1 && m->cc.v[0] != NULL &&
		    strcmp(m->cc.v[0], "boss@customer.example") == 0);
	}
	mail_free(&m);

	/* A very long References chain keeps its root and newest ids. */
	{
		GString *s = g_string_new("From: a@b.example\nMessage-ID: <me@x>\n"
		    "References:");

		for (int i = 0; i < 500; i++)
			g_string_append_printf(s, " <r%d@x>", i);
		g_string_append(s, "\n\nbody\n");
		m = parse_str(s->str);
		g_string_free(s, TRUE);
		test_assert(m != NULL && m->references.n == 100);
		if (m != NULL && m->references.n == 100) {
			test_assert_streq(m->references.v[0], "r0@x");
			test_assert_streq(m->references.v[1], "r401@x");
			test_assert_streq(m->references.v[99], "r499@x");
		}
		mail_free(&m);
	}
	test_end();
}

static void
test_parse_auto_headers(void)
{
	struct sd_mail	*m;
	int		 rc;

	test_begin("mime: headers that mark automatic mail");
	m = parse_fixture("0015-auto-headers.eml", &rc);
	test_assert(m != NULL);
	if (m != NULL) {
		test_assert_streq(m->auto_submitted, "auto-replied");
		test_assert_streq(m->precedence, "bulk");
		test_assert_streq(m->return_path, "<>");
		test_assert_streq(m->x_supportd_ticket, "42");
		test_assert(m->has_list_id && m->has_list_unsubscribe);
		test_assert(m->has_x_autoreply && m->has_x_autorespond);
		test_assert(m->has_x_auto_response_suppress);
		test_assert(m->auth_results.n == 2);
		if (m->auth_results.n == 2) {
			test_assert(strncmp(m->auth_results.v[0],
			    "mx.vendor.example;", 18) == 0);
			test_assert(strstr(m->auth_results.v[1],
			    "smtp.mailfrom=customer.example") != NULL);
			test_assert(strpbrk(m->auth_results.v[1], "\r\n") == NULL);
		}
		test_assert_streq(m->reply_to.addr, "judy@customer.example");
		test_assert_streq(m->reply_to.name, "Judy");
		test_assert(m->to.n == 0);		/* an empty group */
		test_assert(m->cc.n == 3);
	}
	mail_free(&m);
	/* Authentication-Results is kept raw: an encoded word a sender
	 * put there is not decoded into ";dkim=pass" (issue #19). */
	m = parse_str("Authentication-Results: mx.vendor.example; spf=pass\n"
	    " smtp.helo==?utf-8?q?x=3B_dkim=3Dpass?=\n"
	    "From: a@b.example\nSubject: s\n\nbody\n");
	test_assert(m != NULL && m->auth_results.n == 1);
	if (m != NULL && m->auth_results.n == 1) {
		test_assert(strstr(m->auth_results.v[0],
		    "=?utf-8?q?x=3B_dkim=3Dpass?=") != NULL);
		test_assert(strchr(m->auth_results.v[0], '\n') == NULL);
	}
	mail_free(&m);
	/* One too long to keep whole is kept empty, in its place: cut, it
	 * could end in the middle of a domain. */
	{
		GString *s = g_string_new("Authentication-Results: mx.v.example;"
		    " dkim=pass header.d=vendor.example");

		for (int i = 0; i < 800; i++)	/* 24 KB */
			g_string_append(s, "\n dkim=pass header.s=selector");
		g_string_append(s, "\nAuthentication-Results: mx.v.example;"
		    " spf=pass smtp.mailfrom=x@vendor.example\nFrom: a@b.example"
		    "\nSubject: s\n\nbody\n");
		m = parse_str(s->str);
		test_assert(m != NULL && m->auth_results.n == 2);
		if (m != NULL && m->auth_results.n == 2)
			test_assert(strcmp(m->auth_results.v[0], "") == 0 &&
			    strncmp(m->auth_results.v[1], "mx.v.example;", 13) == 0);
		mail_free(&m);
		g_string_free(s, TRUE);
	}

	/* A person's mail: nothing set. */
	m = parse_fixture("0001-rfc2047-utf8-b.eml", &rc);
	test_assert(m != NULL);
	if (m != NULL) {
		test_assert(m->auto_submitted == NULL && m->precedence == NULL &&
		    m->return_path == NULL && m->x_supportd_ticket == NULL);
		test_assert(!m->has_list_id && !m->has_list_unsubscribe &&
		    !m->has_x_autoreply && !m->has_x_autorespond &&
		    !m->has_x_auto_response_suppress && m->auth_results.n == 0);
	}
	mail_free(&m);

	/* ezmlm's list markers, and Apple's vacation responder. */
	m = parse_str("From: a@b.example\nSubject: s\nDelivered-To: mailing "
	    "list internals@lists.php.net\n\nb\n");
	test_assert(m != NULL && m->has_list_id);
	mail_free(&m);
	m = parse_str("From: a@b.example\nSubject: s\nMailing-List: contact "
	    "internals-help@lists.php.net; run by ezmlm\n\nb\n");
	test_assert(m != NULL && m->has_list_id);
	mail_free(&m);
	m = parse_str("From: a@b.example\nSubject: s\nDelivered-To: "
	    "ann@acme.example\nX-Apple-Action: VACATION\n\nb\n");
	test_assert(m != NULL && !m->has_list_id && m->has_x_autoreply);
	mail_free(&m);

	/* From as a group: its first mailbox. */
	m = parse_str("From: Team: Alice <alice@x.example>, bob@x.example;\n"
	    "Subject: s\n\nb\n");
	test_assert(m != NULL);
	if (m != NULL) {
		test_assert_streq(m->from.addr, "alice@x.example");
		test_assert_streq(m->from.name, "Alice");
	}
	mail_free(&m);
	test_end();
}

/*
 * Fields that occur more than once are read as GMime's message reads
 * them: the addresses of every From, Reply-To, To and Cc in order (the
 * first From mailbox is the sender), the last Subject, Message-ID and
 * Date.  A leading mbox line skip_leading_junk leaves is skipped too.
 */
static void
test_parse_repeated(void)
{
	static const char *const leading[] = {
		"From  two@spaces Mon Jan  1 00:00:00 2026\n",
		">From x@y.example Mon Jan  1 00:00:00 2026\n",
	};
	struct sd_mail	*m;
	char		*s;

	test_begin("mime: repeated fields and a leading mbox line");
	m = parse_str("From: First <first@a.example>\n"
	    "To: t1@a.example, t2@a.example\nSubject: one\n"
	    "Cc: c1@a.example\nMessage-ID: <one@a.example>\n"
	    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
	    "From: second@a.example\nTo: t3@a.example\nCc: c2@a.example\n"
	    "Subject: =?UTF-8?Q?zw=C3=B6lf?=\nMessage-ID: <two@a.example>\n"
	    "Date: Tue, 24 Nov 2026 10:00:00 +0000\n"
	    "Reply-To: r1@a.example\nReply-To: r2@a.example\n"
	    "Content-Type: text/plain; charset=utf-8\n\nhello\n");
	test_assert(m != NULL);
	if (m != NULL) {
		test_assert_streq(m->from.addr, "first@a.example");
		test_assert_streq(m->from.name, "First");
		test_assert_streq(m->reply_to.addr, "r1@a.example");
		test_assert(m->to.n == 3 && m->cc.n == 2);
		if (m->to.n == 3 && m->cc.n == 2) {
			test_assert_streq(m->to.v[0], "t1@a.example");
			test_assert_streq(m->to.v[2], "t3@a.example");
			test_assert_streq(m->cc.v[1], "c2@a.example");
		}
		test_assert_streq(m->subject, "zw\xc3\xb6lf");
		test_assert_streq(m->message_id, "two@a.example");
		test_assert(m->date == 1795514400);	/* the 24th */
		test_assert_streq(m->content_type, "text/plain");
		test_assert_streq(m->body, "hello\n");
	}
	mail_free(&m);

	for (size_t i = 0; i < nitems(leading); i++) {
		s = g_strconcat(leading[i], "From: a@b.example\nSubject: s\n"
		    "\nhello\n", NULL);
		m = parse_str(s);
		test_assert(m != NULL);
		if (m != NULL) {
			test_assert_streq(m->from.addr, "a@b.example");
			test_assert_streq(m->subject, "s");
			test_assert_streq(m->body, "hello\n");
		}
		mail_free(&m);
		g_free(s);
	}
	test_end();
}

/* Each transfer encoding is undone; uuencoded text from its begin line. */
static void
test_parse_encodings(void)
{
	static const struct { const char *cte, *body; } t[] = {
		{ "base64", "aGVsbG8gd8O2cmxkLCBhIGxpbmUgbG9uZyBlbm91Z2ggdG8gbWF0"
		  "dGVyCg==\n" },
		{ "quoted-printable", "hello w=C3=B6rld, a line long =\n"
		  "enough to matter\n" },
		{ "x-uuencode", "junk before the begin line\nbegin 644 t.txt\n"
		  "K:&5L;&\\@=\\.V<FQD+\"!A(&QI;F4@;&]N9R!E;F]U9V@@=&\\@;6%T"
		  "=&5R\"@  \n`\nend\n" },
		{ "8bit", "hello w\xc3\xb6rld, a line long enough to matter\n" },
	};
	struct sd_mail	*m;
	char		*s;

	test_begin("mime: base64, quoted-printable, uuencode undone");
	for (size_t i = 0; i < nitems(t); i++) {
		s = g_strdup_printf("From: a@b.example\nSubject: s\n"
		    "Content-Type: text/plain; charset=utf-8\n"
		    "Content-Transfer-Encoding: %s\n\n%s", t[i].cte, t[i].body);
		m = parse_str(s);
		test_assert_idx(m != NULL, i);
		if (m != NULL)
			test_assert_idx(strcmp(m->body, "hello w\xc3\xb6rld, "
			    "a line long enough to matter\n") == 0, i);
		mail_free(&m);
		g_free(s);
	}
	test_end();
}

/*
 * The word-at-a-time run lengths against a byte-at-a-time reference, on
 * buffers made of the bytes at each class's edges, at every alignment.
 */
static size_t
ref_run(const unsigned char *p, size_t len, int kind)
{
	size_t i = 0;

	for (; i < len; i++) {
		unsigned char c = p[i];
		bool ok = kind == 0 ? c < 0x80 : kind == 1 ? c >= 1 && c < 0x80 :
		    (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t';

		if (!ok)
			break;
	}
	return i;
}

static void
test_text_runs(void)
{
	static const unsigned char edge[] = {
		0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x41, 0x7e, 0x7f,
		0x80, 0xc3, 0xff,
	};
	unsigned char	 buf[64];
	GRand		*r = g_rand_new_with_seed(20261123);
	int		 bad = 0;

	test_begin("mime: text runs, eight bytes at a time");
	for (int n = 0; n < 200000; n++) {
		size_t off = (size_t)g_rand_int_range(r, 0, 8);
		size_t len = (size_t)g_rand_int_range(r, 0, 40);
		/* Mostly plain text, so runs cross whole words. */
		for (size_t i = 0; i < off + len; i++)
			buf[i] = g_rand_int_range(r, 0, 4) != 0 ?
			    (unsigned char)g_rand_int_range(r, 0x20, 0x7f) :
			    edge[g_rand_int_range(r, 0, (gint32)sizeof(edge))];
		const char *p = (const char *)buf + off;

		if (mt_run_7bit(p, len) != ref_run(buf + off, len, 0) ||
		    mt_run_ascii(p, len) != ref_run(buf + off, len, 1) ||
		    mt_run_plain(p, len) != ref_run(buf + off, len, 2))
			bad++;
	}
	test_assert(bad == 0);
	g_rand_free(r);
	test_end();
}

static void
test_parse_rfc2047_runs(void)
{
	static const struct { const char *hdr, *want; } t[] = {
		/* GMime 3.2.13 alone stops after the first padded word. */
		{ "Subject: =?UTF-8?B?w6Q=?= =?UTF-8?B?w7Y=?=",
		  "\xc3\xa4\xc3\xb6" },
		{ "Subject: x =?UTF-8?B?w6Q=?=\n =?UTF-8?B?ww==?=\n\t"
		  "=?UTF-8?B?tg==?= y", "x \xc3\xa4\xc3\xb6 y" },
		{ "Subject: =?utf-8?B?w6Q=?= =?UTF-8?B?w7Y=?= end",
		  "\xc3\xa4\xc3\xb6 end" },
		{ "Subject: =?UTF-8?B?w6TD?= =?UTF-8?B?tg==?=",
		  "\xc3\xa4\xc3\xb6" },
		{ "Subject: =?UTF-8?B?w6Q=?= plain =?UTF-8?B?w7Y=?=",
		  "\xc3\xa4 plain \xc3\xb6" },
		{ "Subject: =?ISO-8859-1?B?5A==?= =?ISO-8859-1?B?9g==?= C1",
		  "\xc3\xa4\xc3\xb6 C1" },
		{ "Subject: =?UTF-8?B?U3lzdGVtIERvd24=?= =?UTF-8?B?ICEhIQ==?=",
		  "System Down !!!" },
		{ "From: =?UTF-8?B?w6Q=?= =?UTF-8?B?w7Y=?= <x@y.example>",
		  "\xc3\xa4\xc3\xb6" },
		{ "Subject: =?UTF-8?B?broken?= =?UTF-8?B?=?= =?UTF-8?B?" "?=", NULL },
	};

	test_begin("mime: runs of padded base64 encoded-words");
	for (size_t i = 0; i < nitems(t); i++) {
		char		*s = g_strdup_printf("%s%s\n\nb\n", t[i].hdr,
				    strncmp(t[i].hdr, "From", 4) == 0 ? "" :
				    "\nFrom: a@b.example");
		struct sd_mail	*m = parse_str(s);

		test_assert_idx(m != NULL && mail_utf8_ok(m), i);
		if (m != NULL && t[i].want != NULL)
			test_assert_streq_idx(strncmp(t[i].hdr, "From", 4) == 0 ?
			    m->from.name : m->subject, t[i].want, i);
		mail_free(&m);
		g_free(s);
	}
	test_end();
}

static void
test_parse_html(void)
{
	static const struct { const char *html, *want; } t[] = {
		{ "<p>a</p><p>b</p>", "a\n\nb\n" },
		{ "a<br>b<br/>c<BR >d", "a\nb\nc\nd\n" },
		{ "a<br><br><br><br>b", "a\n\nb\n" },	/* blank lines collapse */
		{ "<div>a</div><div>b</div>", "a\nb\n" },
		{ "  a \n\t b  ", "a b\n" },
		{ "<SCRIPT>x<p>y</p></script >z", "z\n" },
		{ "<style>unclosed a", "unclosed a\n" },	/* no end tag: keep text */
		{ "a<!-- never closed", "a\n" },
		{ "a<!doctype html>b<?xml x?>c", "abc\n" },
		{ "1 < 2 and 3 > 2", "1 < 2 and 3 > 2\n" },
		{ "a <b>bold</b> c", "a bold c\n" },
		{ "<a href=\"x>y\">link</a> text", "link text\n" },
		{ "<img alt=don't>after", "after\n" },
		{ "&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#X43;", "&<>\"'ABC\n" },
		{ "&#0;&#xD800;&#1114112;x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx\n" },
		{ "&auml;&Ouml;&szlig;&eacute;&euro;&hellip;", "\xc3\xa4\xc3\x96"
		    "\xc3\x9f\xc3\xa9\xe2\x82\xac\xe2\x80\xa6\n" },
		{ "&nbsp;&nbsp;x", "  x\n" },
		{ "&unknown; & &; &#;", "&unknown; & &; &#;\n" },
		{ "<pre>a\n  b</pre>c", "a\n  b\n\nc\n" },
		{ "<ul><li>x<li>y</ul>", "* x\n* y\n" },
		{ "<table><tr><td>1</td><td>2</td></tr></table>", "1 2\n" },
		{ "<head><title>t</title></head><body>b</body>", "b\n" },
		{ "<title>t</title>b", "b\n" },
		{ "", "" },
		{ "<p></p><div></div>", "" },
		{ "<unclosed tag", "" },
		{ "x<", "x<\n" },
	};
	GString *s;

	test_begin("mime: HTML to text");
	for (size_t i = 0; i < nitems(t); i++) {
		struct sd_mail *m;

		s = g_string_new("From: a@b.example\nSubject: h\nContent-Type: "
		    "text/html; charset=utf-8\n\n");
		g_string_append(s, t[i].html);
		m = parse_str(s->str);
		g_string_free(s, TRUE);
		test_assert_idx(m != NULL, i);
		if (m != NULL)
			test_assert_streq_idx(m->body, t[i].want, i);
		mail_free(&m);
	}
	test_end();
}

/* Every fixture cut at every length: no crash, all output valid. */
static void
test_parse_returned(void)
{
	static const char dsn[] =
	    "From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail\n"
	    "Content-Type: multipart/report; report-type=Delivery-Status;\n"
	    " boundary=B\n\n--B\nContent-Type: text/plain\n\nsorry\n"
	    "--B\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; ann@acme.example\nAction: failed\n"
	    "--B\nContent-Type: text/rfc822-headers\n\n"
	    "From: Support <support@vendor.example>\nMessage-ID:\n"
	    " <abc.1@vendor.example>\nX-Supportd-Ticket: 12\n--B--\n";
	static const char whole[] =
	    "From: postmaster@mx.example\nSubject: DSN\n"
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=B\n\n--B\n\nfailed\n--B\nContent-Type: message/rfc822"
	    "\n\nFrom: support@vendor.example\nMessage-ID: <w.2@vendor."
	    "example>\nX-Supportd-Ticket: 7\nSubject: x\n\nhello\n--B--\n";
	static const char exim[] =
	    "From: Mail Delivery System <Mailer-Daemon@mx.example>\n"
	    "Subject: Mail delivery failed: returning message to sender\n\n"
	    "This message was created automatically.\n\n"
	    "------ This is a copy of the message, including all the headers."
	    "\n\n  From: support@vendor.example\n"
	    "  Message-Id: <e.3@vendor.example>\n"
	    "> X-Supportd-Ticket: 9\n";
	static const char mdn[] =
	    "From: ann@acme.example\nSubject: Read: x\nContent-Type: "
	    "multipart/report; report-type=disposition-notification; "
	    "boundary=B\n\n--B\n\nread\n--B--\n";
	struct sd_mail *m;

	test_begin("mime: the mail a bounce returns");
	m = parse_str(dsn);
	test_assert(m != NULL);
	if (m != NULL) {
		test_assert_streq(m->report_type, "delivery-status");
		test_assert(m->embedded_ids.n == 1);
		if (m->embedded_ids.n == 1)
			test_assert_streq(m->embedded_ids.v[0],
			    "abc.1@vendor.example");
	}
	mail_free(&m);
	m = parse_str(whole);
	test_assert(m != NULL && m->embedded_ids.n == 1 &&
	    strcmp(m->embedded_ids.v[0], "w.2@vendor.example") == 0);
	mail_free(&m);
	m = parse_str(exim);
	test_assert(m != NULL && m->report_type == NULL &&
	    m->embedded_ids.n == 1 &&
	    strcmp(m->embedded_ids.v[0], "e.3@vendor.example") == 0);
	mail_free(&m);
	m = parse_str(mdn);
	test_assert(m != NULL);
	if (m != NULL)
		test_assert_streq(m->report_type, "disposition-notification");
	mail_free(&m);
	/* A person's mail returns nothing. */
	m = parse_str("From: a@b.example\nSubject: s\n\nhello\n");
	test_assert(m != NULL && m->embedded_ids.n == 0 &&
	    m->report_type == NULL);
	mail_free(&m);
	test_end();
}

int
main(void)
{
	static void (*const fns[])(void) = {
		test_parse_fixtures,
		test_parse_attachments,
		test_parse_threading,
		test_parse_auto_headers,
		test_parse_repeated,
		test_parse_encodings,
		test_text_runs,
		test_parse_rfc2047_runs,
		test_parse_html,
		test_parse_returned,
		NULL,
	};
	int rc;

	mime_init();
	mime_init();		/* idempotent */
	rc = test_run(fns);
	mime_shutdown();
	mime_shutdown();	/* idempotent */
	return rc;
}

