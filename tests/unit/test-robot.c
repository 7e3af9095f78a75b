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

int
main(void)
{
	static void (*const tests[])(void) = { test_rules, NULL };

	return test_run(tests);
}
