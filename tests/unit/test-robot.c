/* SPDX-License-Identifier: MIT */
/* test-robot.c - automatic-mail rules of SPEC §3.7, one table row each. */
#include <string.h>

#include "harness.h"
#include "supportd/robot.h"

static void
test_rules(void)
{
	static const struct {
		const char *from, *subject, *auto_submitted, *precedence,
		    *return_path, *ctype;
		bool list_id, list_unsub, xar, xarsp, xars;
		const char *want;
	} t[] = {
		{ "ann@acme.example", "printer down", NULL, NULL, NULL,
		  "text/plain", 0, 0, 0, 0, 0, NULL },
		{ "ann@acme.example", "x", "auto-replied", NULL, NULL, NULL,
		  0, 0, 0, 0, 0, "auto-submitted" },
		{ "ann@acme.example", "x", "auto-generated", NULL, NULL, NULL,
		  0, 0, 0, 0, 0, "auto-submitted" },
		{ "ann@acme.example", "x", "no", NULL, NULL, NULL,
		  0, 0, 0, 0, 0, NULL },
		{ "ann@acme.example", "x", " No ; comment", NULL, NULL, NULL,
		  0, 0, 0, 0, 0, NULL },
		{ "ann@acme.example", "x", NULL, "bulk", NULL, NULL,
		  0, 0, 0, 0, 0, "precedence" },
		{ "ann@acme.example", "x", NULL, "Junk", NULL, NULL,
		  0, 0, 0, 0, 0, "precedence" },
		{ "ann@acme.example", "x", NULL, "list", NULL, NULL,
		  0, 0, 0, 0, 0, "precedence" },
		{ "ann@acme.example", "x", NULL, "auto_reply", NULL, NULL,
		  0, 0, 0, 0, 0, "precedence" },
		{ "ann@acme.example", "x", NULL, "first-class", NULL, NULL,
		  0, 0, 0, 0, 0, NULL },
		{ "ann@acme.example", "x", NULL, NULL, NULL, NULL,
		  1, 0, 0, 0, 0, "list" },
		{ "ann@acme.example", "x", NULL, NULL, NULL, NULL,
		  0, 1, 0, 0, 0, "list" },
		{ "ann@acme.example", "x", NULL, NULL, NULL, NULL,
		  0, 0, 1, 0, 0, "x-autoreply" },
		{ "ann@acme.example", "x", NULL, NULL, NULL, NULL,
		  0, 0, 0, 1, 0, "x-autoreply" },
		{ "ann@acme.example", "x", NULL, NULL, NULL, NULL,
		  0, 0, 0, 0, 1, "x-autoreply" },
		{ "ann@acme.example", "x", NULL, NULL, "<>", NULL,
		  0, 0, 0, 0, 0, "null-sender" },
		{ "MAILER-DAEMON@mx.example", "x", NULL, NULL, NULL, NULL,
		  0, 0, 0, 0, 0, "robot-sender" },
		{ "postmaster@mx.example", "x", NULL, NULL, NULL, NULL,
		  0, 0, 0, 0, 0, "robot-sender" },
		{ "no-reply@shop.example", "x", NULL, NULL, NULL, NULL,
		  0, 0, 0, 0, 0, "robot-sender" },
		{ "noreply@shop.example", "x", NULL, NULL, NULL, NULL,
		  0, 0, 0, 0, 0, "robot-sender" },
		{ "ann@acme.example", "x", NULL, NULL, NULL, "multipart/report",
		  0, 0, 0, 0, 0, "report" },
		{ "ann@acme.example", "Automatic reply: printer", NULL, NULL,
		  NULL, NULL, 0, 0, 0, 0, 0, "subject" },
		{ "ann@acme.example", "AUTO: Ann is out of the office", NULL,
		  NULL, NULL, NULL, 0, 0, 0, 0, 0, "subject" },
		{ "ann@acme.example", "AutoReply: [Ticket#3] x", NULL, NULL,
		  NULL, NULL, 0, 0, 0, 0, 0, "subject" },
		{ "ann@acme.example", "Out of Office", NULL, NULL, NULL, NULL,
		  0, 0, 0, 0, 0, "subject" },
		{ "ann@acme.example", "Undeliverable: hello", NULL, NULL, NULL,
		  NULL, 0, 0, 0, 0, 0, "subject" },
		{ "ann@acme.example", "Undelivered Mail Returned to Sender",
		  NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, "subject" },
		{ "ann@acme.example", "Delivery Status Notification (Failure)",
		  NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, "subject" },
		{ "ann@acme.example", "Returned mail: see transcript", NULL,
		  NULL, NULL, NULL, 0, 0, 0, 0, 0, "subject" },
		{ "ann@acme.example", "Mail delivery failed: returning", NULL,
		  NULL, NULL, NULL, 0, 0, 0, 0, 0, "subject" },
		/* Upper case outside ASCII: lower-cased as Unicode. */
		{ "ann@acme.example", "R\xc3\x89PONSE AUTOMATIQUE : absent",
		  NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, "subject" },
		{ "ann@acme.example", "\xc3\x9c" "bersicht: OUT OF OFFICE", NULL,
		  NULL, NULL, NULL, 0, 0, 0, 0, 0, "subject" },
		/* People who merely mention such things are people. */
		{ "ann@acme.example", "Automatic backups fail", NULL, NULL,
		  NULL, NULL, 0, 0, 0, 0, 0, NULL },
		{ "ann@acme.example", "C1 System Down", NULL, NULL, NULL,
		  NULL, 0, 0, 0, 0, 0, NULL },
	};

	test_begin("robot: every rule of SPEC 3.7");
	for (size_t i = 0; i < nitems(t); i++) {
		struct sd_mail	 m;
		const char	*got;

		memset(&m, 0, sizeof(m));
		m.from.addr = (char *)t[i].from;
		m.subject = (char *)t[i].subject;
		m.auto_submitted = (char *)t[i].auto_submitted;
		m.precedence = (char *)t[i].precedence;
		m.return_path = (char *)t[i].return_path;
		m.content_type = (char *)t[i].ctype;
		m.has_list_id = t[i].list_id;
		m.has_list_unsubscribe = t[i].list_unsub;
		m.has_x_autoreply = t[i].xar;
		m.has_x_autorespond = t[i].xarsp;
		m.has_x_auto_response_suppress = t[i].xars;
		got = robot_reason(&m);
		test_assert_streq_idx(got, t[i].want, i);
	}
	test_end();
}

/* The markers real robots in tests/fixtures/corpus/ carry and nothing
 * else: senders, subjects, another ticket system's own Message-IDs. */
static void
test_heuristics(void)
{
	static const struct {
		const char *from, *subject, *msgid, *want;
	} t[] = {
		{ "post_master@vtext.example", "Re:Test message", NULL,
		  "robot-sender" },
		{ "kijitora@apple.example", "Auto reply: Nyaan", NULL,
		  "subject" },
		{ "john@domino.example", "AUTO: Smith, John is out of the "
		  "office. (returning 01/02/2009)", NULL, "subject" },
		{ "yahoo@yahoo.example", "Auto Response", NULL, "subject" },
		/* A list owner's notice ("Post to freebsd-hackers denied"). */
		{ "freebsd-hackers+owner@freebsd.example", "Post to "
		  "freebsd-hackers denied", NULL, "robot-sender" },
		{ "owner-linux-kernel@vger.example", "x", NULL, "robot-sender" },
		/* Request Tracker: "Resolved:" carries only its Message-ID. */
		{ "rt-xxx@rt.example", "[support.example #33575] Resolved: FYI",
		  "rt-4.2.8-6644-1530017064-1465.33575-215-0@rt.example",
		  "ticket-system" },
		{ "rt-xxx@rt.example", "[support.example #33575] AutoReply: "
		  "FYI", "rt-4.2.8-22046-1529425595-591.33575-211-0@rt.example",
		  "ticket-system" },
		/* ...but a person replying to RT is a person. */
		{ "ann@acme.example", "Re: [support.example #33575] Resolved: "
		  "FYI", "87bmc6lp3h.fsf@len.workgroup", NULL },
		{ "ann@acme.example", "x", "rt-abc@acme.example", NULL },
		{ "ann@acme.example", "x", "rt-4.2@acme.example", NULL },
		{ "ann@acme.example", "x", "rt-", NULL },
		{ "ann@acme.example", "x", "art-4.2.8-1@acme.example", NULL },
		{ "ann@acme.example", "Resolved: the printer works", NULL,
		  NULL },
	};

	test_begin("robot: heuristics from the corpus");
	for (size_t i = 0; i < nitems(t); i++) {
		struct sd_mail m;

		memset(&m, 0, sizeof(m));
		m.from.addr = (char *)t[i].from;
		m.subject = (char *)t[i].subject;
		m.message_id = (char *)t[i].msgid;
		test_assert_streq_idx(robot_reason(&m), t[i].want, i);
	}
	test_end();
}

/* Delivery failures (recorded on the ticket) against other robots. */
static void
test_bounce(void)
{
	static const struct {
		const char *from, *subject, *ctype, *rtype;
		bool want;
	} t[] = {
		{ "MAILER-DAEMON@mx.example", "Undelivered Mail Returned to "
		  "Sender", "multipart/report", "delivery-status", true },
		{ "MAILER-DAEMON@mx.example", "x", "multipart/report", NULL,
		  true },
		/* A read receipt and a spam complaint are reports, not
		 * delivery failures. */
		{ "ann@acme.example", "Read: invoices", "multipart/report",
		  "disposition-notification", false },
		{ "scomp@aol.example", "Email Feedback Report",
		  "multipart/report", "feedback-report", false },
		{ "postmaster@mx.example", "x", "text/plain", NULL, true },
		{ "post_master@mx.example", "Re:Test message", "multipart/mixed",
		  NULL, true },
		{ "ann@acme.example", "Mail delivery failed: returning message "
		  "to sender", "text/plain", NULL, true },
		{ "ann@acme.example", "Undeliverable: hello", NULL, NULL, true },
		{ "ann@acme.example", "failure notice", NULL, NULL, true },
		{ "ann@acme.example", "Automatic reply: invoices", "text/plain",
		  NULL, false },
		{ "ann@acme.example", "Out of Office: back Monday", NULL, NULL,
		  false },
		{ "noreply@shop.example", "Your order", "text/html", NULL, false },
	};

	test_begin("robot: bounces and delay notices");
	for (size_t i = 0; i < nitems(t); i++) {
		struct sd_mail m;

		memset(&m, 0, sizeof(m));
		m.from.addr = (char *)t[i].from;
		m.subject = (char *)t[i].subject;
		m.content_type = (char *)t[i].ctype;
		m.report_type = (char *)t[i].rtype;
		test_assert_idx(robot_is_bounce(&m) == t[i].want, i);
	}
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_rules, test_heuristics,
	    test_bounce, NULL };

	return test_run(tests);
}
