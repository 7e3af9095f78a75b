/* SPDX-License-Identifier: MIT */
/*
 * test-conf-values.c - the configuration's value readers (conf_values.c):
 * durations, sizes and priority names from tables; loopback servers and
 * the defaults that depend on them; secrets read from password files.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/util.h"

#include "harness.h"

static void
test_durations(void)
{
	static const struct {
		const char		*s;
		bool			 allow_none;
		int			 ret;
		enum sd_dur_kind	 kind;
		int64_t			 n;
	} t[] = {
		{ "30s",	false,	0,	SD_DUR_WALL,	30 },
		{ "30m",	false,	0,	SD_DUR_WALL,	1800 },
		{ "2h",		false,	0,	SD_DUR_WALL,	7200 },
		{ "3d",		false,	0,	SD_DUR_WALL,	259200 },
		{ "14d",	false,	0,	SD_DUR_WALL,	1209600 },
		{ "4bh",	false,	0,	SD_DUR_BH,	14400 },
		{ "1bd",	false,	0,	SD_DUR_BD,	1 },
		{ "10bd",	false,	0,	SD_DUR_BD,	10 },
		{ "0s",		false,	0,	SD_DUR_WALL,	0 },
		{ "007m",	false,	0,	SD_DUR_WALL,	420 },
		{ "none",	true,	0,	SD_DUR_NONE,	0 },
		{ "3650d",	false,	0,	SD_DUR_WALL,	3650 * 86400LL },
		{ "3650bd",	false,	0,	SD_DUR_BD,	3650 },
		{ "none",	false,	-1,	0, 0 },	/* only for SLA targets */
		{ "None",	true,	-1,	0, 0 },
		{ "",		false,	-1,	0, 0 },
		{ "5x",		false,	-1,	0, 0 },
		{ "m",		false,	-1,	0, 0 },
		{ "bh",		false,	-1,	0, 0 },
		{ "30",		false,	-1,	0, 0 },	/* a unit is required */
		{ "-5m",	false,	-1,	0, 0 },
		{ "+5m",	false,	-1,	0, 0 },
		{ " 5m",	false,	-1,	0, 0 },
		{ "5m ",	false,	-1,	0, 0 },
		{ "5 m",	false,	-1,	0, 0 },
		{ "1.5h",	false,	-1,	0, 0 },
		{ "1h30m",	false,	-1,	0, 0 },
		{ "5M",		false,	-1,	0, 0 },	/* units are lower case */
		{ "5H",		false,	-1,	0, 0 },
		{ "5b",		false,	-1,	0, 0 },
		{ "5bhx",	false,	-1,	0, 0 },
		{ "5bw",	false,	-1,	0, 0 },
		{ "3651d",	false,	-1,	0, 0 },	/* over 10 years */
		{ "3651bd",	false,	-1,	0, 0 },
		{ "99999999999999999999999s", false, -1, 0, 0 },
	};
	struct sd_dur d;

	test_begin("conf: durations");
	for (size_t i = 0; i < nitems(t); i++) {
		d.kind = SD_DUR_NONE;
		d.n = -42;
		test_assert_idx(conf_parse_duration(t[i].s, t[i].allow_none,
		    &d) == t[i].ret, i);
		if (t[i].ret == 0)
			test_assert_idx(d.kind == t[i].kind && d.n == t[i].n,
			    i);
		else
			test_assert_idx(d.n == -42, i);	/* untouched */
	}
	test_assert(conf_parse_duration(NULL, true, &d) == -1);
	test_end();
}

static void
test_sizes(void)
{
	static const struct {
		const char	*s;
		int		 ret;
		int64_t		 n;
	} t[] = {
		{ "1000",	0,	1000 },
		{ "0",		0,	0 },
		{ "512K",	0,	524288 },
		{ "512k",	0,	524288 },
		{ "25M",	0,	26214400 },
		{ "1G",		0,	1073741824 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "",		-1,	0 },
		{ "K",		-1,	0 },
		{ "25MB",	-1,	0 },
		{ "25 M",	-1,	0 },
		{ " 25M",	-1,	0 },
		{ "-1",		-1,	0 },
		{ "1.5M",	-1,	0 },
		{ "25T",	-1,	0 },
		{ "9223372036854775808", -1, 0 },
		{ "9999999999G", -1,	0 },
	};
	int64_t n;

	test_begin("conf: sizes");
	for (size_t i = 0; i < nitems(t); i++) {
		n = -42;
		test_assert_idx(conf_parse_size(t[i].s, &n) == t[i].ret, i);
		test_assert_idx(n == (t[i].ret == 0 ? t[i].n : -42), i);
	}
	test_assert(conf_parse_size(NULL, &n) == -1);
	test_end();
}

static void
test_prio_names(void)
{
	static char *names[] = { "C1", "C2", "C3", "C4" };
	static char *sev[] = { "Severity 1", "Severity 2" };
	static const struct {
		const char	*s;
		int		 want;
	} t[] = {
		{ "C1", T_C1 }, { "c2", T_C2 }, { "C3", T_C3 },
		{ "c4", T_C4 }, { "C5", -1 }, { "C0", -1 }, { "C", -1 },
		{ "C12", -1 }, { " C1", -1 }, { "", -1 }, { NULL, -1 },
	};
	struct sd_conf	 c, s;

	test_begin("conf: priority names, any case, of the configuration");
	memset(&c, 0, sizeof(c));
	c.npriorities = T_NPRIO;
	c.default_priority = T_C3;
	for (int p = 0; p < T_NPRIO; p++)
		c.priorities[p].name = names[p];
	for (size_t i = 0; i < nitems(t); i++)
		test_assert_idx(conf_prio_index(&c, t[i].s) == t[i].want, i);
	for (int p = 0; p < T_NPRIO; p++)
		test_assert_idx(conf_prio_index(&c, conf_prio_name(&c, p)) ==
		    p, p);
	test_assert_streq(conf_prio_name(&c, T_C1), "C1");
	test_assert_streq(conf_prio_name(&c, T_C4), "C4");
	test_assert_streq(conf_prio_name(&c, 4), "?");
	test_assert_streq(conf_prio_name(&c, -1), "?");
	/* A stored name no longer configured: the default priority. */
	test_assert(conf_prio_of(&c, "Severity 1") == T_C3);
	test_assert(conf_prio_of(&c, "c1") == T_C1);

	memset(&s, 0, sizeof(s));
	s.npriorities = 2;
	s.default_priority = 1;
	s.priorities[0].name = sev[0];
	s.priorities[1].name = sev[1];
	test_assert(conf_prio_index(&s, "severity 1") == 0);
	test_assert(conf_prio_index(&s, "Severity  1") == -1);
	test_assert(conf_prio_index(&s, "C1") == -1);
	test_assert(conf_prio_of(&s, "C1") == 1);
	{
		char *list = conf_prio_names(&s);

		test_assert_streq(list, "Severity 1, Severity 2");
		free(list);
	}
	test_end();
}

static void
test_loopback(void)
{
	struct sd_strv			 errs = { 0 }, warns = { 0 };
	struct sd_conf			*c = NULL;
	const struct sd_conf_mailbox	*m;
	char				*path;
	char				*dir, *want;

	path = xstrdup(test_srcpath("fixtures/conf/good-loopback.conf"));
	test_begin("conf: loopback servers and dependent defaults");
	test_assert(conf_load(path, &c, &errs, &warns) == 0);
	test_assert(errs.n == 0 && warns.n == 0);
	if (c == NULL)
		goto out;
	/* Relative paths are taken from the file's directory. */
	dir = realpath(test_srcpath("fixtures/conf"), NULL);
	want = xasprintf("%s/state/supportd.db", dir);
	test_assert_streq(c->database, want);
	free(want);
	want = xasprintf("%s/support.pass", dir);
	test_assert_streq(c->mailboxes[0].imap.password_file, want);
	free(want);
	want = xasprintf("%s/ca.pem", dir);
	test_assert_streq(c->mailboxes[2].imap.ca_file, want);
	free(want);
	free(dir);

	m = conf_mailbox(c, "support");
	test_assert(m != NULL && m->processed == SD_PROC_MOVE);
	test_assert_streq(m ? m->move_folder : NULL, "Done/Support");
	test_assert(m != NULL && m->imap.port == 10143 &&
	    m->imap.tls == SD_TLS_NONE && !m->imap.allow_plaintext);
	m = conf_mailbox(c, "sales");
	test_assert(m != NULL && m->processed == SD_PROC_DELETE &&
	    m->move_folder == NULL && m->imap.port == 143 && !m->imap.idle);
	m = conf_mailbox(c, "billing");
	test_assert(m != NULL && m->imap.tls == SD_TLS_STARTTLS &&
	    m->imap.port == 143);
	test_assert(c->smtp.tls == SD_TLS_IMAPS);	/* from smtps:// */
	test_assert(c->smtp.timeout == 120);
	test_assert_streq(c->calendar.timezone, "Europe/Berlin");
	test_assert(c->calendar.days == (1u << 0 | 1u << 1 | 1u << 5));
	test_assert(c->calendar.open == 510 && c->calendar.close == 1440);
	test_assert(c->priorities[T_C3].markers.n == 2);
	test_assert_streq(c->priorities[T_C3].markers.v[0], "Normal");
	test_assert(c->priorities[T_C3].escalation_window.n == 8 * 3600);
	test_assert(c->priorities[T_C1].markers.n == 2);
	test_assert_streq(c->oncall_webhook, "http://127.0.0.1:9999/hook");
	test_assert(c->oncall_max_pages_per_hour == 0);
	test_assert(c->max_message_size == 1000);
	test_assert(c->autoreply_limit == 0);
 out:
	conf_free(&c);
	strv_free(&errs);
	strv_free(&warns);
	free(path);
	test_end();
}

static void
test_read_secret(void)
{
	static const struct {
		const char	*content;	/* NULL: no such file */
		const char	*want;		/* NULL: an error */
	} t[] = {
		{ "s3cret\n",		"s3cret" },
		{ "s3cret\r\n",		"s3cret" },
		{ "s3cret",		"s3cret" },
		{ "first\nsecond\n",	"first" },
		{ "  spaced  \n",	"  spaced  " },
		{ "",			NULL },
		{ "\n",			NULL },
		{ NULL,			NULL },
	};
	struct sd_err	 err;
	char		*dir, *path, *got, *big;

	test_begin("conf: conf_read_secret");
	if ((dir = g_dir_make_tmp("test-conf.XXXXXX", NULL)) == NULL) {
		test_assert(dir != NULL);
		test_end();
		return;
	}
	for (size_t i = 0; i < nitems(t); i++) {
		path = t[i].content ? test_write_tmp(dir, "secret", t[i].content,
		    0600) : xasprintf("%s/missing", dir);
		sd_err_clear(&err);
		got = conf_read_secret(NULL, path, &err);
		test_assert_streq_idx(got, t[i].want, i);
		if (t[i].want == NULL) {
			test_assert_idx(err.cls == SD_E_CONFIG, i);
			test_assert_idx(strstr(err.msg, path) != NULL, i);
		}
		free(got);
		unlink(path);
		free(path);
	}

	/* The inline value wins; nothing at all is an error. */
	got = conf_read_secret("inline", "/nonexistent", &err);
	test_assert_streq(got, "inline");
	free(got);
	sd_err_clear(&err);
	test_assert(conf_read_secret(NULL, NULL, &err) == NULL &&
	    err.cls == SD_E_CONFIG);

	/* A huge first line is refused without echoing it. */
	big = xmalloc(6000);
	memset(big, 'x', 5999);
	big[5999] = '\0';
	path = test_write_tmp(dir, "big", big, 0600);
	test_assert(conf_read_secret(NULL, path, &err) == NULL);
	test_assert(strstr(err.msg, "xxxxxxxx") == NULL);
	unlink(path);
	free(path);
	free(big);
	rmdir(dir);
	g_free(dir);
	test_end();
}

int
main(void)
{
	static void (*const fns[])(void) = {
		test_durations,
		test_sizes,
		test_prio_names,
		test_loopback,
		test_read_secret,
		NULL
	};

	return test_run(fns);
}
