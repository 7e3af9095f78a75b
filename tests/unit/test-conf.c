/* SPDX-License-Identifier: MIT */
/*
 * test-conf.c - the configuration module (src/conf): the defaults of a
 * minimal file; the SPEC §12
 * shape and the annotated example, which must load to the same values;
 * the tier rule; and every tests/fixtures/conf/bad-*.conf against its
 * .expect, which holds the exact error lines with the path written FILE.
 * Dropping a new bad-*.conf and .expect into the directory adds a case.
 * The value parsers are test-conf-values.c's.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/util.h"

#include "harness.h"

static char	*srcpath(const char *rel);
static char	*dump_conf(const struct sd_conf *c);
static char	*dur_str(struct sd_dur d);
static bool	 dur_eq(struct sd_dur a, struct sd_dur b);
static void	 dump_strv(FILE *fp, const char *key, const struct sd_strv *sv);
static int	 cmp_str(const void *a, const void *b);
static char	*joined(const struct sd_strv *sv, const char *path);
static struct sd_strv list_fixtures(const char *prefix);
static void	 assert_lines(const char *got, const char *want,
		    const char *what, int line);

static const char minimal_text[] =
	"mailboxes = (\n"
	"  { name = \"support\"; address = \"support@vendor.example\";\n"
	"    imap = { host = \"imap.vendor.example\"; user = \"support\";\n"
	"             password = \"hunter2\"; }; }\n"
	");\n"
	"smtp = { url = \"smtp://127.0.0.1:25\"; tls = \"none\"; };\n"
	"database = \"state/supportd.db\";\n";

/*
 * Helpers.
 */

/* test_srcpath returns a static buffer; callers here keep several. */
static char *
srcpath(const char *rel)
{
	return xstrdup(test_srcpath(rel));
}

/* Field by field: the struct has padding, so no memcmp. */
static bool
dur_eq(struct sd_dur a, struct sd_dur b)
{
	return a.kind == b.kind && a.n == b.n;
}

static char *
dur_str(struct sd_dur d)
{
	switch (d.kind) {
	case SD_DUR_NONE:
		return xstrdup("none");
	case SD_DUR_WALL:
		return xasprintf("%llds", (long long)d.n);
	case SD_DUR_BH:
		return xasprintf("%lldbh-seconds", (long long)d.n);
	case SD_DUR_BD:
		return xasprintf("%lldbd", (long long)d.n);
	}
	return xstrdup("?");
}

static void
dump_strv(FILE *fp, const char *key, const struct sd_strv *sv)
{
	fprintf(fp, "%s=[", key);
	for (size_t i = 0; i < sv->n; i++)
		fprintf(fp, "%s%s", i ? "," : "", sv->v[i]);
	fprintf(fp, "]\n");
}

#define S(x)	((x) ? (x) : "(null)")

/* Every field, one per line, for comparing two configs. */
static char *
dump_conf(const struct sd_conf *c)
{
	char	*buf = NULL, *a, *b;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	fprintf(fp, "database=%s\ntemplates_dir=%s\nticket_tag=%s\n",
	    c->database, c->templates_dir, c->ticket_tag);
	fprintf(fp, "default_priority=%s\npoll=%lld\nmax_size=%lld\n",
	    conf_prio_name(c, c->default_priority), (long long)c->poll_interval,
	    (long long)c->max_message_size);
	fprintf(fp, "autoreply=%d/%lld\nauto_close=%lld\nc1dup=%lld\n",
	    c->autoreply_limit, (long long)c->autoreply_window,
	    (long long)c->auto_close_after, (long long)c->c1_duplicate_window);
	fprintf(fp, "c1upd=%lld\noutbox=%lld\n",
	    (long long)c->c1_update_interval, (long long)c->outbox_max_age);
	dump_strv(fp, "agents", &c->agents);
	fprintf(fp, "require_auth=%d\nauthserv=%s\n", c->agents_require_auth,
	    S(c->trusted_authserv_id));
	for (size_t i = 0; i < c->nmailboxes; i++) {
		const struct sd_conf_mailbox *m = &c->mailboxes[i];

		fprintf(fp, "mb=%s|%s|%s|%d|%s\n", m->name, m->address,
		    m->display_name, m->processed, S(m->move_folder));
		fprintf(fp, " imap=%s|%d|%d|%s|%s|%s|%s|%d|%s|%d\n",
		    m->imap.host, m->imap.port, m->imap.tls, m->imap.user,
		    S(m->imap.password), S(m->imap.password_file),
		    m->imap.folder, m->imap.idle, S(m->imap.ca_file),
		    m->imap.allow_plaintext);
	}
	fprintf(fp, "smtp=%s|%d|%s|%s|%s|%s|%d\n", c->smtp.url, c->smtp.tls,
	    S(c->smtp.user), S(c->smtp.password), S(c->smtp.password_file),
	    S(c->smtp.ca_file), c->smtp.timeout);
	fprintf(fp, "cal=%s|%#x|%d-%d\n", c->calendar.timezone,
	    c->calendar.days, c->calendar.open, c->calendar.close);
	dump_strv(fp, "holidays", &c->calendar.holidays);
	for (int p = 0; p < c->npriorities; p++) {
		const struct sd_conf_priority *pr = &c->priorities[p];

		a = dur_str(pr->escalation_window);
		fprintf(fp, "prio%d=%s|%s|%s|%s|%d|%d|", p + 1, pr->name,
		    pr->label, pr->description, a, pr->clock, pr->notify_new);
		dump_strv(fp, "markers", &c->priorities[p].markers);
		free(a);
	}
	for (size_t i = 0; i < c->ncategories; i++) {
		fprintf(fp, "category=%s|", c->categories[i].name);
		dump_strv(fp, "tags", &c->categories[i].tags);
	}
	fprintf(fp, "default_category=%s\n", c->default_category);
	for (size_t i = 0; i < c->ntiers; i++) {
		fprintf(fp, "tier=%s", c->tiers[i].name);
		for (int p = 0; p < c->npriorities; p++) {
			a = dur_str(c->tiers[i].response[p]);
			b = dur_str(c->tiers[i].resolution[p]);
			fprintf(fp, " %s:%s/%s%s", c->priorities[p].name, a, b,
			    c->tiers[i].oncall[p] ? "/oncall" : "");
			free(a);
			free(b);
		}
		fprintf(fp, "\n");
	}
	for (size_t i = 0; i < c->norgs; i++) {
		fprintf(fp, "org=%s|%s|%s|%s|%s|", c->orgs[i].name,
		    c->orgs[i].tier, S(c->orgs[i].contacts[0]),
		    S(c->orgs[i].contacts[1]), S(c->orgs[i].contacts[2]));
		dump_strv(fp, "domains", &c->orgs[i].domains);
	}
	fprintf(fp, "escalation=%s|%s|%s\n", S(c->escalation[0]),
	    S(c->escalation[1]), S(c->escalation[2]));
	dump_strv(fp, "team", &c->team_emails);
	dump_strv(fp, "oncall", &c->oncall_emails);
	fprintf(fp, "webhook=%s|%s|%d|%d\n", S(c->oncall_webhook),
	    S(c->oncall_webhook_token_file), c->oncall_page_unknown_senders,
	    c->oncall_max_pages_per_hour);
	fclose(fp);
	return buf;
}

/* The lines of sv, each ending in \n, with path written FILE. */
static char *
joined(const struct sd_strv *sv, const char *path)
{
	GString	*s = g_string_new(NULL);
	char	*out;

	for (size_t i = 0; i < sv->n; i++) {
		g_string_append(s, sv->v[i]);
		g_string_append_c(s, '\n');
	}
	if (path != NULL) {
		char *dir = g_path_get_dirname(path);

		g_string_replace(s, path, "FILE", 0);
		g_string_replace(s, dir, "DIR", 0);
		g_free(dir);
	}
	out = xstrdup(s->str);
	g_string_free(s, TRUE);
	return out;
}

/* Compares line by line, so that a difference is one TAP comment line. */
static void
assert_lines(const char *got, const char *want, const char *what, int line)
{
	char	**g = g_strsplit(got ? got : "", "\n", -1);
	char	**w = g_strsplit(want ? want : "", "\n", -1);
	guint	  ng = g_strv_length(g), nw = g_strv_length(w);

	for (guint i = 0; i < MAX(ng, nw); i++)
		test_assert_at(test_streq(i < ng ? g[i] : NULL,
		    i < nw ? w[i] : NULL), what, __FILE__, line, (long)i + 1);
	g_strfreev(g);
	g_strfreev(w);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of fixtures/conf/PREFIX*.conf. */
static struct sd_strv
list_fixtures(const char *prefix)
{
	struct sd_strv	 sv = { NULL, 0 };
	struct dirent	*de;
	char		*dir = srcpath("fixtures/conf");
	DIR		*d = opendir(dir);
	size_t		 len;

	while (d != NULL && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    len > 5 && strcmp(de->d_name + len - 5, ".conf") == 0)
			strv_push(&sv, de->d_name);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	if (sv.n > 1)
		qsort(sv.v, sv.n, sizeof(*sv.v), cmp_str);
	return sv;
}

/*
 * Parsers.
 */

/*
 * Good files.
 */

static void
test_minimal_defaults(void)
{
	struct sd_strv			 errs = { 0 }, warns = { 0 };
	struct sd_conf			*c = NULL;
	const struct sd_conf_mailbox	*m;
	const struct sd_conf_tier	*t;
	char				*path;

	path = srcpath("fixtures/conf/good-minimal.conf");
	test_begin("conf: a minimal file gets every default");
	test_assert(conf_load(path, &c, &errs, &warns) == 0);
	test_assert(errs.n == 0 && warns.n == 0);
	if (c == NULL)
		goto out;
	test_assert_streq(c->path, path);
	test_assert_streq(c->database, "/var/lib/supportd/supportd.db");
	test_assert_streq(c->templates_dir, "/etc/supportd/templates");
	test_assert_streq(c->ticket_tag, "Ticket");
	test_assert(c->default_priority == T_C3);
	test_assert(c->poll_interval == 60);
	test_assert(c->max_message_size == 25 * 1024 * 1024);
	test_assert(c->autoreply_limit == 5);
	test_assert(c->autoreply_window == 3600);
	test_assert(c->auto_close_after == 14 * 86400);
	test_assert(c->c1_duplicate_window == 2 * 3600);
	test_assert(c->c1_update_interval == 15 * 60);
	test_assert(c->outbox_max_age == 3 * 86400);
	test_assert(c->agents.n == 0);
	test_assert(c->agents_require_auth);
	test_assert(c->trusted_authserv_id == NULL);

	test_assert(c->nmailboxes == 1);
	m = &c->mailboxes[0];
	test_assert_streq(m->name, "support");
	test_assert_streq(m->address, "support@vendor.example");
	test_assert_streq(m->display_name, "support");
	test_assert(m->processed == SD_PROC_SEEN && m->move_folder == NULL);
	test_assert_streq(m->imap.host, "imap.vendor.example");
	test_assert(m->imap.port == 993);
	test_assert(m->imap.tls == SD_TLS_IMAPS);
	test_assert_streq(m->imap.user, "support");
	test_assert(m->imap.password == NULL);
	test_assert_streq(m->imap.password_file, "/etc/supportd/support.pass");
	test_assert_streq(m->imap.folder, "INBOX");
	test_assert(m->imap.idle);
	test_assert(m->imap.ca_file == NULL);
	test_assert(!m->imap.allow_plaintext);

	test_assert_streq(c->smtp.url, "smtp://smtp.vendor.example:587");
	test_assert(c->smtp.tls == SD_TLS_STARTTLS);
	test_assert(c->smtp.user == NULL && c->smtp.password == NULL &&
	    c->smtp.password_file == NULL && c->smtp.ca_file == NULL);
	test_assert(c->smtp.timeout == 30);

	test_assert_streq(c->calendar.timezone, "Asia/Kolkata");
	test_assert(c->calendar.days == 0x1f);		/* Mon-Fri */
	test_assert(c->calendar.open == 600 && c->calendar.close == 1080);
	test_assert(c->calendar.holidays.n == 0);

	/* SPEC §14.3: the defaults are today's. */
	test_assert(c->npriorities == 4);
	test_assert_streq(c->priorities[T_C1].label, "C1");
	test_assert_streq(c->priorities[T_C4].description,
	    "low: a cosmetic issue or a request");
	test_assert(c->ncategories == 7);
	test_assert_streq(c->categories[0].name, "BUG");
	test_assert(c->categories[6].tags.n == 0);	/* Duplicate */
	test_assert_streq(c->default_category, "General Support");
	test_assert(c->priorities[T_C1].markers.n == 2);
	test_assert_streq(c->priorities[T_C1].markers.v[0], "C1");
	test_assert_streq(c->priorities[T_C1].markers.v[1], "System Down");
	test_assert(c->priorities[T_C1].clock == SD_CLOCK_WALL);
	test_assert(c->priorities[T_C1].escalation_window.kind ==
	    SD_DUR_WALL && c->priorities[T_C1].escalation_window.n == 1800);
	for (int p = T_C2; p <= T_C4; p++) {
		static const int64_t win[] = {
			1800, 3600, 8 * 3600, 16 * 3600
		};

		test_assert_idx(c->priorities[p].markers.n == 1, p);
		test_assert_streq_idx(c->priorities[p].markers.v[0],
		    conf_prio_name(c, p), p);
		test_assert_idx(c->priorities[p].clock == SD_CLOCK_BUSINESS, p);
		test_assert_idx(c->priorities[p].escalation_window.n == win[p],
		    p);
	}

	/* SPEC §5. */
	test_assert(c->ntiers == 4);
	test_assert_streq(c->tiers[0].name, "default");
	test_assert_streq(c->tiers[1].name, "premium");
	test_assert_streq(c->tiers[2].name, "standard");
	test_assert_streq(c->tiers[3].name, "basic");
	t = conf_tier(c, "default");
	test_assert(t != NULL && t->response[T_C1].kind == SD_DUR_WALL &&
	    t->response[T_C1].n == 7200);
	test_assert(t != NULL && t->response[T_C2].kind == SD_DUR_BH &&
	    t->response[T_C2].n == 4 * 3600);
	test_assert(t != NULL && t->response[T_C3].kind == SD_DUR_BD &&
	    t->response[T_C3].n == 1);
	test_assert(t != NULL && t->resolution[T_C1].n == 6 * 3600);
	test_assert(t != NULL && t->resolution[T_C2].n == 24 * 3600);
	test_assert(t != NULL && t->resolution[T_C4].kind == SD_DUR_BD &&
	    t->resolution[T_C4].n == 10);
	t = conf_tier(c, "standard");
	test_assert(t != NULL && t->response[T_C1].n == 4 * 3600 &&
	    t->response[T_C4].kind == SD_DUR_BD && t->response[T_C4].n == 3);
	test_assert(t != NULL && t->resolution[T_C3].kind == SD_DUR_BD &&
	    t->resolution[T_C3].n == 5);
	t = conf_tier(c, "basic");
	for (int p = 0; t != NULL && p < T_NPRIO; p++)
		test_assert_idx(t->response[p].kind == SD_DUR_NONE &&
		    t->resolution[p].kind == SD_DUR_NONE, p);

	test_assert(c->norgs == 0 && c->orgs == NULL);
	test_assert(c->escalation[0] == NULL && c->escalation[2] == NULL);
	test_assert(c->team_emails.n == 0 && c->oncall_emails.n == 0);
	test_assert(c->oncall_webhook == NULL &&
	    c->oncall_webhook_token_file == NULL);
	test_assert(!c->oncall_page_unknown_senders);
	test_assert(c->oncall_max_pages_per_hour == 3);
 out:
	conf_free(&c);
	test_assert(c == NULL);
	strv_free(&errs);
	strv_free(&warns);
	free(path);
	test_end();
}

static void
test_spec12(void)
{
	struct sd_strv			 errs = { 0 }, warns = { 0 };
	struct sd_conf			*c = NULL;
	const struct sd_conf_tier	*t, *d;
	const struct sd_conf_org	*o;
	char				*path;

	path = srcpath("fixtures/conf/good-spec12.conf");
	test_begin("conf: the SPEC §12 shape");
	test_assert(conf_load(path, &c, &errs, &warns) == 0);
	test_assert(errs.n == 0);
	test_assert(warns.n == 0);
	/* The vendor side, any case: agents, team, on-call, escalation
	 * contacts global and an organization's; nobody else. */
	test_assert(c != NULL && conf_is_vendor(c, "Bob@Vendor.Example"));
	test_assert(c != NULL && conf_is_vendor(c, "support-team@vendor.example"));
	test_assert(c != NULL && conf_is_vendor(c, "oncall@vendor.example"));
	test_assert(c != NULL && conf_is_vendor(c, "csm@vendor.example"));
	test_assert(c != NULL && conf_is_vendor(c, "am-acme@vendor.example"));
	test_assert(c != NULL && !conf_is_vendor(c, "ann@acme.example"));
	test_assert(c != NULL && !conf_is_vendor(c, "support@vendor.example"));
	test_assert(c != NULL && !conf_is_vendor(c, NULL));
	if (c == NULL)
		goto out;
	test_assert(c->agents.n == 2);
	test_assert_streq(c->agents.v[1], "bob@vendor.example");
	test_assert_streq(c->trusted_authserv_id, "mx.vendor.example");
	test_assert(c->nmailboxes == 1);
	test_assert_streq(c->mailboxes[0].display_name, "Vendor Support");
	test_assert(c->mailboxes[0].imap.port == 993);
	test_assert(c->mailboxes[0].imap.idle);
	test_assert_streq(c->smtp.user, "support@vendor.example");
	test_assert_streq(c->smtp.password_file, "/etc/supportd/smtp.pass");
	test_assert(c->smtp.tls == SD_TLS_STARTTLS);
	test_assert(c->calendar.holidays.n == 2);
	test_assert_streq(c->calendar.holidays.v[1], "2027-01-26");

	/* premium gives response only: resolution comes from default. */
	test_assert(c->ntiers == 4);
	d = conf_tier(c, "default");
	t = conf_tier(c, "premium");
	test_assert(t != NULL && d != NULL);
	if (t != NULL && d != NULL) {
		test_assert(t->response[T_C1].kind == SD_DUR_WALL &&
		    t->response[T_C1].n == 3600);
		test_assert(t->response[T_C2].kind == SD_DUR_WALL &&
		    t->response[T_C2].n == 4 * 3600);
		for (int p = 0; p < T_NPRIO; p++)
			test_assert_idx(dur_eq(t->resolution[p],
			    d->resolution[p]), p);
	}
	t = conf_tier(c, "basic");
	test_assert(t != NULL && t->response[T_C1].kind == SD_DUR_NONE &&
	    t->resolution[T_C4].kind == SD_DUR_NONE);

	o = conf_org_for_domain(c, "acme.example");
	test_assert(o != NULL);
	if (o != NULL) {
		test_assert_streq(o->name, "Acme Retail");
		test_assert_streq(o->tier, "premium");
		test_assert_streq(o->contacts[0], "am-acme@vendor.example");
		test_assert(o->contacts[1] == NULL);
	}
	test_assert_streq(c->escalation[2], "head-of-product@vendor.example");
	test_assert(c->team_emails.n == 1 && c->oncall_emails.n == 1);
	test_assert_streq(c->oncall_webhook,
	    "https://pager.vendor.example/hooks/supportd");
	test_assert_streq(c->oncall_webhook_token_file,
	    "/etc/supportd/pager.token");
	test_assert(c->oncall_max_pages_per_hour == 3);
 out:
	conf_free(&c);
	strv_free(&errs);
	strv_free(&warns);
	free(path);
	test_end();
}

/* The annotated example says everything §12 says, and nothing else. */
static void
test_example(void)
{
	struct sd_strv	 errs = { 0 }, warns = { 0 };
	struct sd_conf	*ex = NULL, *spec = NULL;
	char		*p1 = srcpath("../conf/supportd.conf.example");
	char		*p2 = srcpath("fixtures/conf/good-spec12.conf");
	char		*d1, *d2;

	test_begin("conf: the annotated example loads as SPEC §12");
	test_assert(conf_load(p1, &ex, &errs, &warns) == 0);
	test_assert(errs.n == 0);
	test_assert(warns.n == 0);
	if (errs.n > 0)
		printf("# %s\n", errs.v[0]);
	test_assert(conf_load(p2, &spec, NULL, NULL) == 0);
	if (ex != NULL && spec != NULL) {
		d1 = dump_conf(ex);
		d2 = dump_conf(spec);
		assert_lines(d1, d2, "example vs §12, line", __LINE__);
		free(d1);
		free(d2);
	}
	conf_free(&ex);
	conf_free(&spec);
	strv_free(&errs);
	strv_free(&warns);
	free(p1);
	free(p2);
	test_end();
}

static void
test_tier_rule(void)
{
	struct sd_conf			*c = NULL;
	const struct sd_conf_tier	*t;
	char				*path;
	struct sd_dur			 none = { SD_DUR_NONE, 0 };
	static const struct {
		const char	*tier;
		int		 prio;
		bool		 resolution;
		enum sd_dur_kind kind;
		int64_t		 n;
	} want[] = {
		/* "default" gives C2 response; the rest is built in. */
		{ "default", T_C1, false, SD_DUR_WALL, 2 * 3600 },
		{ "default", T_C2, false, SD_DUR_BH, 8 * 3600 },
		{ "default", T_C3, false, SD_DUR_BD, 1 },
		{ "default", T_C1, true, SD_DUR_WALL, 6 * 3600 },
		{ "default", T_C4, true, SD_DUR_BD, 10 },
		/* "gold": C1 and C4 response; the rest from this default. */
		{ "gold", T_C1, false, SD_DUR_WALL, 1800 },
		{ "gold", T_C2, false, SD_DUR_BH, 8 * 3600 },
		{ "gold", T_C3, false, SD_DUR_BD, 1 },
		{ "gold", T_C4, false, SD_DUR_NONE, 0 },
		{ "gold", T_C2, true, SD_DUR_WALL, 24 * 3600 },
		/* "silver": resolution C3 only. */
		{ "silver", T_C2, false, SD_DUR_BH, 8 * 3600 },
		{ "silver", T_C3, true, SD_DUR_BD, 10 },
		{ "silver", T_C4, true, SD_DUR_BD, 10 },
		{ "silver", T_C1, true, SD_DUR_WALL, 6 * 3600 },
	};

	path = srcpath("fixtures/conf/good-tiers.conf");
	test_begin("conf: the tier rule");
	test_assert(conf_load(path, &c, NULL, NULL) == 0);
	if (c == NULL)
		goto out;
	test_assert(c->ntiers == 4);	/* no built-in default added */
	for (size_t i = 0; i < nitems(want); i++) {
		const struct sd_dur *d;

		t = conf_tier(c, want[i].tier);
		test_assert_idx(t != NULL, i);
		if (t == NULL)
			continue;
		d = want[i].resolution ? &t->resolution[want[i].prio] :
		    &t->response[want[i].prio];
		test_assert_idx(d->kind == want[i].kind && d->n == want[i].n,
		    i);
	}
	/* Best effort pages nobody unless it says so (SPEC §14.2). */
	test_assert(conf_tier_oncall(c, "gold", T_C1));
	test_assert(!conf_tier_oncall(c, "free", T_C1));
	/* "free" gives neither group: best effort. */
	t = conf_tier(c, "free");
	for (int p = 0; t != NULL && p < T_NPRIO; p++)
		test_assert_idx(dur_eq(t->response[p], none) &&
		    dur_eq(t->resolution[p], none), p);
	test_assert(t != NULL);

	/* Lookups. */
	test_assert(conf_tier(c, "platinum") == NULL);
	test_assert(conf_tier(c, NULL) == NULL);
	test_assert(conf_tier(NULL, "gold") == NULL);
	test_assert(conf_org_for_domain(c, "ACME.example") != NULL);
	test_assert(conf_org_for_domain(c, "acme-corp.example") ==
	    conf_org_for_domain(c, "acme.example"));
	test_assert_streq(c->orgs[0].domains.v[0], "acme.example");
	test_assert(conf_org_for_domain(c, "mail.acme.example") == NULL);
	test_assert(conf_org_for_domain(c, "example") == NULL);
	test_assert(conf_org_for_domain(c, NULL) == NULL);
	test_assert_streq(conf_org_for_domain(c, "initech.example")->tier,
	    "default");
	test_assert(conf_mailbox(c, "support") == &c->mailboxes[0]);
	test_assert(conf_mailbox(c, "Support") == NULL);
	test_assert(conf_mailbox(NULL, "support") == NULL);
 out:
	conf_free(&c);
	free(path);
	test_end();
}

/* Tiers in a file without "default" get the built-in one. */
static void
test_tier_default_added(void)
{
	struct sd_conf			*c = NULL;
	const struct sd_conf_tier	*t;
	char				*dir, *path, *text;

	test_begin("conf: built-in default tier added; update targets");
	dir = g_dir_make_tmp("test-conf.XXXXXX", NULL);
	test_assert(dir != NULL);
	if (dir == NULL) {
		test_end();
		return;
	}
	text = xasprintf("%s%s", minimal_text,
	    "tiers = ( { name = \"gold\"; response = { C1 = \"1h\"; }; } );\n");
	path = test_write_tmp(dir, "t.conf", text, 0600);
	test_assert(conf_load(path, &c, NULL, NULL) == 0);
	test_assert(c != NULL && c->ntiers == 2);
	t = conf_tier(c, "default");
	test_assert(t != NULL && t->response[T_C2].kind == SD_DUR_BH);
	t = conf_tier(c, "gold");
	test_assert(t != NULL && t->response[T_C1].n == 3600 &&
	    t->response[T_C2].kind == SD_DUR_BH &&
	    t->resolution[T_C3].kind == SD_DUR_BD &&
	    t->resolution[T_C3].n == 5);
	/* SPEC §14.5: the update target, built in C1's c1_update_interval
	 * only; the warning at 80 %. */
	test_assert(t != NULL && t->update[T_C1].kind == SD_DUR_WALL &&
	    t->update[T_C1].n == 900 && t->update[T_C2].kind == SD_DUR_NONE);
	test_assert(c != NULL && c->warn_at == 80);
	conf_free(&c);
	unlink(path);
	free(path);
	free(text);

	/* c1_update_interval after the tiers still makes the built-in
	 * update target; a tier's own update; best effort has none. */
	text = xasprintf("%s%s", minimal_text,
	    "tiers = ( { name = \"gold\"; update = { C2 = \"1h\"; }; },\n"
	    "  { name = \"free\"; } );\n"
	    "c1_update_interval = \"10m\";\n"
	    "sla = { warn_at = \"75%\"; };\n");
	path = test_write_tmp(dir, "t.conf", text, 0600);
	test_assert(conf_load(path, &c, NULL, NULL) == 0);
	t = c ? conf_tier(c, "gold") : NULL;
	test_assert(t != NULL && t->update[T_C1].n == 600 &&
	    t->update[T_C2].n == 3600 && t->update[T_C3].kind == SD_DUR_NONE);
	t = c ? conf_tier(c, "free") : NULL;
	test_assert(t != NULL && t->update[T_C1].kind == SD_DUR_NONE);
	test_assert(c != NULL && c->warn_at == 75);
	conf_free(&c);
	unlink(path);
	rmdir(dir);
	g_free(dir);
	free(path);
	free(text);
	test_end();
}

/* @include names a file beside the config; errors name that file. */
static void
test_include(void)
{
	struct sd_strv	 errs = { 0 };
	struct sd_conf	*c = NULL;
	char		*dir, *real, *path, *inc, *want, *got;

	test_begin("conf: @include");
	if ((dir = g_dir_make_tmp("test-conf.XXXXXX", NULL)) == NULL) {
		test_assert(dir != NULL);
		test_end();
		return;
	}
	real = realpath(dir, NULL);
	path = test_write_tmp(dir, "main.conf", "@include \"inc.conf\"\n"
	    "smtp = { url = \"smtp://127.0.0.1\"; tls = \"none\"; };\n",
	    0600);
	inc = test_write_tmp(dir, "inc.conf", "mailboxes = ( { name = \"m\";\n"
	    "  address = \"m@x.example\"; imap = { host = \"h\";\n"
	    "  user = \"u\"; password_file = \"p\"; }; } );\n", 0600);
	test_assert(conf_load(path, &c, &errs, NULL) == 0 && c != NULL);
	test_assert(c != NULL && c->nmailboxes == 1);
	test_assert(errs.n == 0);
	conf_free(&c);
	strv_free(&errs);
	free(inc);

	inc = test_write_tmp(dir, "inc.conf", "\npoll_interval = \"1y\";\n", 0600);
	test_assert(conf_load(path, &c, &errs, NULL) == -1);
	want = xasprintf("%s/inc.conf:2: poll_interval: bad duration \"1y\" "
	    "(use s, m, h, d, bh, bd)\n%s: mailboxes: required setting "
	    "missing\n", real, path);
	got = joined(&errs, NULL);
	assert_lines(got, want, "include", __LINE__);
	free(got);
	free(want);
	strv_free(&errs);
	free(inc);

	inc = test_write_tmp(dir, "inc.conf", "poll_interval = ;\n", 0600);
	test_assert(conf_load(path, &c, &errs, NULL) == -1);
	want = xasprintf("%s/inc.conf:1: syntax error\n", real);
	got = joined(&errs, NULL);
	test_assert_streq(got, want);
	free(got);
	free(want);
	strv_free(&errs);

	unlink(inc);
	unlink(path);
	rmdir(dir);
	g_free(dir);
	free(real);
	free(inc);
	free(path);
	test_end();
}

static void
test_good_fixtures(void)
{
	struct sd_strv	 names = list_fixtures("good-");
	struct sd_strv	 errs = { 0 };
	struct sd_conf	*c = NULL;
	char		*rel, *path;

	test_begin("conf: every good-*.conf loads");
	test_assert(names.n >= 4);
	for (size_t i = 0; i < names.n; i++) {
		rel = xasprintf("fixtures/conf/%s", names.v[i]);
		path = srcpath(rel);
		test_assert_idx(conf_load(path, &c, &errs, NULL) == 0, i);
		test_assert_idx(c != NULL && errs.n == 0, i);
		if (errs.n > 0)
			printf("# %s\n", errs.v[0]);
		conf_free(&c);
		strv_free(&errs);
		free(path);
		free(rel);
	}
	strv_free(&names);
	test_end();
}

/* SPEC §14, issue #21 point 9: the five contracts of conf/examples. */
static void
test_examples(void)
{
	static const char *const names[] = { "commerceup", "bettercommerce",
	    "advendio", "connectsoft", "demandware" };
	struct sd_strv	 errs = { 0 };
	struct sd_conf	*c[nitems(names)];
	char		*rel, *path;

	test_begin("conf: the five contracts of conf/examples load");
	for (size_t i = 0; i < nitems(names); i++) {
		rel = xasprintf("../conf/examples/%s.conf", names[i]);
		path = srcpath(rel);
		c[i] = NULL;
		test_assert_idx(conf_load(path, &c[i], &errs, NULL) == 0, i);
		for (size_t e = 0; e < errs.n; e++)
			printf("# %s\n", errs.v[e]);
		strv_free(&errs);
		free(path);
		free(rel);
	}
	if (c[0] != NULL)	/* Commerceup: C1 reduced to C2 within 6 h */
		test_assert(c[0]->priorities[T_C1].met_by ==
		    SD_MET_BY_DOWNGRADE && c[0]->tiers[0].resolution[T_C1].n ==
		    6 * 3600 && c[0]->tiers[0].oncall[T_C1] &&
		    !c[0]->tiers[0].oncall[T_C2]);
	if (c[1] != NULL)	/* BetterCommerce: 15-minute updates */
		test_assert(c[1]->tiers[0].update[0].n == 900 &&
		    c[1]->auto_close_after == 14 * 86400 && c[1]->nlevels == 3 &&
		    c[1]->ncategories == 7);
	if (c[2] != NULL)	/* ADvendio: case reasons, nobody paged */
		test_assert(c[2]->ncategories == 5 && c[2]->npriorities == 4 &&
		    !conf_tier_oncall(c[2], "default", 0) &&
		    strcmp(c[2]->priorities[0].label, "Critical") == 0);
	if (c[3] != NULL)	/* ConnectSoft: 4 levels, 3-4 enterprise */
		test_assert(c[3]->nlevels == 4 &&
		    conf_escalation_top(c[3], "standard") == 2 &&
		    conf_escalation_top(c[3], "premium") == 4 &&
		    conf_tier_oncall(c[3], "premium", 0) &&
		    !conf_tier_oncall(c[3], "standard", 0) &&
		    conf_tier(c[3], "basic")->response[0].kind ==
		    SD_DUR_NONE);
	if (c[4] != NULL)	/* Demandware: L1, L2, L3 */
		test_assert(c[4]->nlevels == 3 &&
		    strcmp(c[4]->escalation_names[2], "L3 Product Support") ==
		    0 && c[4]->escalation[0] == NULL);
	for (size_t i = 0; i < nitems(names); i++)
		conf_free(&c[i]);
	test_end();
}

/*
 * Bad files.
 */

static void
test_bad_fixtures(void)
{
	static struct sd_conf sentinel;
	struct sd_strv	 names = list_fixtures("bad-");
	struct sd_strv	 errs = { 0 }, warns = { 0 };
	struct sd_conf	*c;
	char		*rel, *path, *exp_path, *got, *want;
	size_t		 len;

	test_begin("conf: every bad-*.conf gives its .expect");
	test_assert(names.n >= 21);
	for (size_t i = 0; i < names.n; i++) {
		rel = xasprintf("fixtures/conf/%s", names.v[i]);
		path = srcpath(rel);
		len = strlen(path);
		exp_path = xasprintf("%.*s.expect", (int)(len - 5), path);
		want = NULL;
		test_assert_idx(g_file_get_contents(exp_path, &want, NULL,
		    NULL), i);
		c = &sentinel;		/* conf_load must reset it */
		test_assert_idx(conf_load(path, &c, &errs, &warns) == -1, i);
		test_assert_idx(c == NULL, i);
		test_assert_idx(errs.n > 0, i);
		got = joined(&errs, path);
		assert_lines(got, want, names.v[i], __LINE__);
		free(got);
		g_free(want);
		strv_free(&errs);
		strv_free(&warns);
		free(exp_path);
		free(path);
		free(rel);
	}
	strv_free(&names);
	test_end();
}

static void
test_unreadable(void)
{
	struct sd_strv	 errs = { 0 };
	struct sd_conf	*c = NULL;
	char		*path = srcpath("fixtures/conf/no-such-file.conf");
	char		*dir = srcpath("fixtures/conf");
	char		*want, *got;

	test_begin("conf: a file that cannot be read");
	test_assert(conf_load(path, &c, &errs, NULL) == -1 && c == NULL);
	want = xasprintf("%s: cannot read: No such file or directory\n", path);
	got = joined(&errs, NULL);
	test_assert_streq(got, want);
	free(got);
	free(want);
	strv_free(&errs);
	test_assert(conf_load(dir, &c, &errs, NULL) == -1 && c == NULL);
	want = xasprintf("%s: cannot read: Is a directory\n", dir);
	got = joined(&errs, NULL);
	test_assert_streq(got, want);
	free(got);
	free(want);
	strv_free(&errs);
	/* errs may be NULL. */
	test_assert(conf_load(path, &c, NULL, NULL) == -1);
	free(path);
	free(dir);
	test_end();
}

/* An inline password is fine in a private file, warned about in a
 * readable one, and the warning never carries the password. */
static void
test_inline_password(void)
{
	struct sd_strv	 errs = { 0 }, warns = { 0 };
	struct sd_conf	*c = NULL;
	char		*dir, *path, *want, *got, *real;

	test_begin("conf: inline password warning");
	if ((dir = g_dir_make_tmp("test-conf.XXXXXX", NULL)) == NULL) {
		test_assert(dir != NULL);
		test_end();
		return;
	}
	path = test_write_tmp(dir, "private.conf", minimal_text, 0600);
	test_assert(conf_load(path, &c, &errs, &warns) == 0);
	test_assert(warns.n == 0);
	test_assert_streq(c ? c->mailboxes[0].imap.password : NULL, "hunter2");
	/* A relative path is taken from the file's directory. */
	real = realpath(dir, NULL);
	want = xasprintf("%s/state/supportd.db", real);
	test_assert_streq(c ? c->database : NULL, want);
	free(want);
	free(real);
	conf_free(&c);
	chmod(path, 0640);
	test_assert(conf_load(path, &c, &errs, &warns) == 0 && c != NULL);
	test_assert(errs.n == 0);
	got = joined(&warns, path);
	want = xstrdup("FILE:4: mailboxes.[0].imap.password: password inline "
	    "in a file others can read; use password_file\n");
	test_assert_streq(got, want);
	test_assert(strstr(got, "hunter2") == NULL);
	free(got);
	free(want);
	conf_free(&c);
	unlink(path);
	rmdir(dir);
	g_free(dir);
	free(path);
	strv_free(&errs);
	strv_free(&warns);
	test_end();
}

/* Warnings do not fail the load.  Files are private (0600), so the
 * inline-password warning stays out of these. */
static void
test_warnings(void)
{
	static const char base[] =
	    "mailboxes = (\n"
	    "  { name = \"support\"; address = \"support@vendor.example\";\n"
	    "    imap = { host = \"imap.vendor.example\"; user = \"s\";\n"
	    "             password_file = \"s.pass\"; }; }\n"
	    ");\n";
	static const struct {
		const char	*text;
		const char	*want;
	} t[] = {
		{ "smtp = { url = \"smtp://127.0.0.1:25\"; tls = \"none\"; };\n",
		  "" },
		{ "smtp = { url = \"smtp://mx.example:25\"; tls = \"none\"; };\n",
		  "FILE:6: smtp.tls: mail goes to mx.example in clear\n" },
		{ "smtp = { url = \"smtp://[::1]:25\"; tls = \"none\";\n"
		  "  user = \"u\"; password = \"pw\"; };\n",
		  "" },
		{ "smtp = { url = \"smtp://10.0.0.1\"; tls = \"none\";\n"
		  "  user = \"u\"; password_file = \"pw\"; };\n",
		  "FILE:6: smtp.tls: mail, and the password, goes to 10.0.0.1 "
		  "in clear\n" },
		{ "smtp = { url = \"smtps://mx.example\"; };\n"
		  "agents = [ \"Alice@Vendor.example\" ];\n",
		  "FILE:7: agents: agents_require_auth is on but "
		  "trusted_authserv_id is not set: no agent command sent by "
		  "mail will be applied\n" },
		{ "smtp = { url = \"smtps://mx.example\"; };\n"
		  "agents = [ \"Alice@Vendor.example\" ];\n"
		  "agents_require_auth = false;\n",
		  "" },
	};
	struct sd_strv	 errs = { 0 }, warns = { 0 };
	struct sd_conf	*c = NULL;
	char		*dir, *path, *text, *got;

	test_begin("conf: warnings");
	if ((dir = g_dir_make_tmp("test-conf.XXXXXX", NULL)) == NULL) {
		test_assert(dir != NULL);
		test_end();
		return;
	}
	for (size_t i = 0; i < nitems(t); i++) {
		text = xasprintf("%s%s", base, t[i].text);
		path = test_write_tmp(dir, "w.conf", text, 0600);
		test_assert_idx(conf_load(path, &c, &errs, &warns) == 0, i);
		test_assert_idx(errs.n == 0, i);
		got = joined(&warns, path);
		test_assert_streq_idx(got, t[i].want, i);
		if (c != NULL && c->agents.n > 0)
			test_assert_streq_idx(c->agents.v[0],
			    "alice@vendor.example", i);
		free(got);
		conf_free(&c);
		strv_free(&errs);
		strv_free(&warns);
		unlink(path);
		free(path);
		free(text);
	}
	rmdir(dir);
	g_free(dir);
	test_end();
}

static void
test_free_null(void)
{
	struct sd_conf *c = NULL;

	test_begin("conf: conf_free is NULL-safe");
	conf_free(NULL);
	conf_free(&c);
	test_assert(c == NULL);
	test_end();
}

/* SPEC §14.1-§14.2: named calendars, tiers and organizations on them. */
/* SPEC §14.3: priorities and categories of one's own. */
static void
test_vocabulary(void)
{
	struct sd_conf			*c = NULL;
	const struct sd_conf_priority	*pr;
	const struct sd_conf_tier	*t;
	struct sd_strv			 errs = { 0 }, warns = { 0 };
	char				*path;

	path = srcpath("fixtures/conf/good-vocabulary.conf");
	test_begin("conf: priorities and categories of one's own");
	test_assert(conf_load(path, &c, &errs, &warns) == 0);
	for (size_t i = 0; i < errs.n; i++)
		printf("# %s\n", errs.v[i]);
	if (c == NULL)
		goto out;
	test_assert(c->npriorities == 5);
	pr = &c->priorities[0];
	test_assert_streq(pr->name, "Severity 1");
	test_assert_streq(pr->label, "Critical");
	test_assert_streq(pr->description, "the system cannot be used");
	test_assert(pr->markers.n == 2);
	test_assert_streq(pr->markers.v[1], "P1");
	/* Left out: the defaults of the built-in priority in its place. */
	test_assert(pr->clock == SD_CLOCK_WALL &&
	    pr->escalation_window.n == 1800);
	pr = &c->priorities[1];
	test_assert_streq(pr->label, "Urgent");
	test_assert_streq(pr->description,
	    "high: a major function is impaired");
	test_assert(pr->markers.n == 1);
	test_assert_streq(pr->markers.v[0], "Severity 2");
	test_assert(pr->clock == SD_CLOCK_BUSINESS &&
	    pr->escalation_window.n == 3600);
	pr = &c->priorities[4];		/* the fifth: C4's */
	test_assert_streq(pr->label, "Severity 5");
	test_assert(pr->escalation_window.kind == SD_DUR_BD &&
	    pr->escalation_window.n == 2);
	test_assert_streq(pr->description,
	    "low: a cosmetic issue or a request");
	test_assert(c->default_priority == 2);		/* the third */
	test_assert(conf_prio_index(c, "SEVERITY 5") == 4);
	test_assert(conf_prio_index(c, "C1") == -1);

	/* Categories: given tags, the name, or none; "Duplicate" added;
	 * the default is the first, as "General Support" is not one. */
	test_assert(c->ncategories == 5);
	test_assert(c->categories[0].tags.n == 2);
	test_assert_streq(c->categories[0].tags.v[1], "Fehler");
	test_assert(c->categories[1].tags.n == 1);
	test_assert(c->categories[3].tags.n == 0);
	test_assert_streq(c->categories[4].name, "Duplicate");
	test_assert_streq(c->default_category, "Bug");
	test_assert_streq(conf_category(c, "question ABOUT handling"),
	    "Question about handling");
	test_assert(conf_category(c, "General Support") == NULL);

	/* Targets keyed by setting name; on-call by name. */
	t = conf_tier(c, "default");
	test_assert(t != NULL && t->response[0].n == 7200 &&
	    t->response[1].kind == SD_DUR_BH && t->response[3].n == 2 &&
	    t->response[4].kind == SD_DUR_NONE);
	test_assert(t != NULL && t->oncall[0] && t->oncall[1] && !t->oncall[2]);
	/* The file's default gave no resolution: the built-in one's, by
	 * place, the fifth taking C4's. */
	test_assert(t != NULL && t->resolution[0].n == 6 * 3600 &&
	    t->resolution[4].kind == SD_DUR_BD && t->resolution[4].n == 10);
	t = conf_tier(c, "gold");
	test_assert(t != NULL && t->response[0].n == 3600 &&
	    t->response[1].kind == SD_DUR_BH && t->oncall[0] &&
	    !t->oncall[1]);
	test_assert(conf_tier_oncall(c, "default", 1));
	test_assert(!conf_tier_oncall(c, "default", 5));
	conf_free(&c);

	/* What names them may come first in the file. */
	free(path);
	path = srcpath("fixtures/conf/good-vocabulary-order.conf");
	test_assert(conf_load(path, &c, &errs, &warns) == 0);
	for (size_t i = 0; i < errs.n; i++)
		printf("# %s\n", errs.v[i]);
	if (c == NULL)
		goto out;
	test_assert(c->npriorities == 2 && c->default_priority == 1);
	test_assert_streq(c->default_category, "Question about handling");
	t = conf_tier(c, "default");
	test_assert(t != NULL && t->response[0].n == 3600 && t->oncall[1]);
	/* "DUPLICATE" is written as grouping and merges write it. */
	test_assert(c->ncategories == 3);
	test_assert_streq(c->categories[2].name, "Duplicate");
 out:
	conf_free(&c);
	strv_free(&errs);
	strv_free(&warns);
	free(path);
	test_end();
}

/* SPEC §15.1: the providers' presets. */
static void
test_oauth2(void)
{
	struct sd_conf			*c = NULL;
	struct sd_strv			 errs = { 0 };
	const struct sd_conf_oauth2	*o;
	char				*path;

	test_begin("conf: OAuth2 logins and the providers' presets");
	path = srcpath("fixtures/conf/good-oauth2.conf");
	test_assert(conf_load(path, &c, &errs, NULL) == 0);
	for (size_t i = 0; i < errs.n; i++)
		printf("# %s\n", errs.v[i]);
	if (c == NULL)
		goto out;
	test_assert(c->mailboxes[0].imap.auth == SD_AUTH_OAUTH2);
	o = &c->mailboxes[0].imap.oauth2;
	test_assert(o->grant == SD_GRANT_CLIENT_CREDENTIALS);
	test_assert_streq(o->token_url, "https://login.microsoftonline.com/"
	    "0d3f6b2a-1c5e-4b7a-9e8d-2f4c6a8b0e1d/oauth2/v2.0/token");
	test_assert_streq(o->scope, "https://outlook.office365.com/.default");
	test_assert(o->timeout == 30);
	o = &c->mailboxes[1].imap.oauth2;
	test_assert(o->grant == SD_GRANT_JWT_BEARER);	/* a key: delegation */
	test_assert_streq(o->token_url, "https://oauth2.googleapis.com/token");
	test_assert_streq(o->scope, "https://mail.google.com/");
	test_assert_streq(o->subject, "help@vendor.example");
	o = &c->mailboxes[2].imap.oauth2;
	test_assert(o->grant == SD_GRANT_REFRESH_TOKEN);
	test_assert_streq(o->device_url, "https://login.microsoftonline.com/"
	    "vendor.example/oauth2/v2.0/devicecode");
	test_assert(strstr(o->scope, "offline_access") != NULL);
	test_assert(c->smtp.auth == SD_AUTH_OAUTH2 && c->smtp.oauth2.timeout
	    == 10);
	test_assert(c->smtp.oauth2.client_secret_file != NULL);
 out:
	conf_free(&c);
	strv_free(&errs);
	free(path);
	test_end();
}

/* SPEC §14.4: the ladder, its caps, "none", paused statuses. */
static void
test_ladder(void)
{
	struct sd_conf		*c = NULL;
	struct sd_strv		 errs = { 0 }, warns = { 0 };
	char			*path;

	test_begin("conf: an escalation ladder of four, capped per tier");
	path = srcpath("fixtures/conf/good-ladder.conf");
	test_assert(conf_load(path, &c, &errs, &warns) == 0);
	for (size_t i = 0; i < errs.n; i++)
		printf("# %s\n", errs.v[i]);
	if (c == NULL)
		goto out;
	test_assert(c->nlevels == 4);
	test_assert_streq(c->escalation_names[1], "Senior Support Engineer");
	test_assert_streq(c->escalation[2], "engineering@vendor.example");
	test_assert(c->escalation[3] == NULL);
	test_assert_streq(c->orgs[0].contacts[3], "cto-acme@vendor.example");
	test_assert(conf_is_vendor(c, "CTO-acme@vendor.example"));
	test_assert(conf_escalation_top(c, "default") == 2);
	test_assert(conf_escalation_top(c, "premium") == 4);
	test_assert(conf_escalation_top(c, "no-such-tier") == 2);
	test_assert(c->priorities[T_C4].escalation_window.kind ==
	    SD_DUR_NONE);
	test_assert(conf_status_paused(c, SD_ST_WAITING_CUST));
	test_assert(conf_status_paused(c, SD_ST_WAITING_DEV));
	test_assert(!conf_status_paused(c, SD_ST_OPEN));
	conf_free(&c);

	/* The defaults: SPEC §7's three, waiting-on-customer paused. */
	free(path);
	path = srcpath("fixtures/conf/good-minimal.conf");
	test_assert(conf_load(path, &c, &errs, &warns) == 0);
	if (c != NULL) {
		test_assert(c->nlevels == 3);
		test_assert_streq(c->escalation_names[0], "Account Manager");
		test_assert_streq(c->escalation_names[2], "Head of Product");
		test_assert(conf_escalation_top(c, "premium") == 3);
		test_assert(c->paused_statuses == 1u << SD_ST_WAITING_CUST);
	}
 out:
	conf_free(&c);
	strv_free(&errs);
	strv_free(&warns);
	free(path);
	test_end();
}

static void
test_calendars(void)
{
	struct sd_conf			*c = NULL;
	const struct sd_conf_calendar	*cal;
	struct sd_strv			 errs = { 0 }, warns = { 0 };
	char				*path, *w;

	path = srcpath("fixtures/conf/good-calendars.conf");
	test_begin("conf: named calendars, tiers and organizations on them");
	test_assert(conf_load(path, &c, &errs, &warns) == 0);
	/* A tier given only a calendar is best effort: said, as it is
	 * easily done unawares. */
	w = joined(&warns, path);
	test_assert_streq(w, "FILE:21: tiers.[3]: no response, update or "
	    "resolution: a "
	    "best-effort tier, without targets (give one target to take the "
	    "others from \"default\")\n");
	free(w);
	strv_free(&warns);
	for (size_t i = 0; i < errs.n; i++)
		printf("# %s\n", errs.v[i]);
	if (c == NULL)
		goto out;
	/* calendars' "business" is the §12 calendar. */
	test_assert(c->ncalendars == 3);
	test_assert_streq(c->calendar.timezone, "Europe/Berlin");
	test_assert(c->calendar.open == 540 && c->calendar.close == 1020);
	test_assert(conf_calendar(c, "business") == &c->calendar);
	/* Holidays: the list's, then the file's (Christmas two days,
	 * New Year twice by COUNT=2). */
	test_assert(c->calendar.holidays.n == 5);
	test_assert(strv_contains_ci(&c->calendar.holidays, "2026-12-24"));
	test_assert(strv_contains_ci(&c->calendar.holidays, "2026-12-26"));
	test_assert(strv_contains_ci(&c->calendar.holidays, "2028-01-01"));
	test_assert(!strv_contains_ci(&c->calendar.holidays, "2026-12-27"));
	cal = conf_calendar(c, "night");
	test_assert(cal != NULL && cal->open == 22 * 60 && cal->close == 360);
	cal = conf_calendar(c, "24x7");
	test_assert(cal != NULL && cal->always);
	cal = conf_calendar(c, "weekdays-all-day");
	test_assert(cal != NULL && cal->open == 0 && cal->close == 1440 &&
	    cal->days == 0x1f && !cal->always);
	test_assert(conf_calendar(c, "nights") == NULL);
	/* Tiers: calendar and on-call priorities. */
	test_assert_streq(conf_tier(c, "premium")->calendar, "24x7");
	test_assert_streq(conf_tier(c, "default")->calendar, "business");
	test_assert(conf_tier_oncall(c, "premium", T_C2));
	test_assert(!conf_tier_oncall(c, "premium", T_C3));
	test_assert(conf_tier_oncall(c, "default", T_C1));
	test_assert(!conf_tier_oncall(c, "default", T_C2));
	test_assert(!conf_tier_oncall(c, "basic", T_C1));
	test_assert(!conf_tier_oncall(c, "nights", T_C1));
	/* Unknown tiers are the default's; the built-in ones page C1. */
	test_assert(conf_tier_oncall(c, "gold", T_C1));
	/* A ticket's calendar: its organization's, else its tier's. */
	test_assert_streq(conf_ticket_calendar(c, "Acme", "premium"), "24x7");
	test_assert_streq(conf_ticket_calendar(c, "Nightly", "basic"), "night");
	test_assert_streq(conf_ticket_calendar(c, NULL, "default"), "business");
	test_assert_streq(conf_ticket_calendar(c, "Gone", "premium"), "24x7");
	test_assert_streq(conf_ticket_calendar(c, NULL, "gone"), "business");
 out:
	conf_free(&c);
	strv_free(&errs);
	free(path);
	test_end();
}

/* SPEC §14.1: the iCalendar reader, from tables. */
static void
test_ical(void)
{
	static const struct {
		const char	*text;
		const char	*want;	/* dates joined by ' ', or the problem */
		int		 line;	/* 0: good */
	} t[] = {
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\n"
		  "END:VEVENT\nEND:VCALENDAR\n", "2026-12-25", 0 },
		/* Ranges: DTEND exclusive; DURATION in days and weeks. */
		{ "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261230\r\n"
		  "DTEND:20270102\r\nEND:VEVENT\r\nEND:VCALENDAR",
		  "2026-12-30 2026-12-31 2027-01-01", 0 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20270301\n"
		  "DURATION:P1W\nEND:VEVENT\nEND:VCALENDAR\n",
		  "2027-03-01 2027-03-02 2027-03-03 2027-03-04 2027-03-05 "
		  "2027-03-06 2027-03-07", 0 },
		/* Date-times: the dates they touch; a midnight end is not one. */
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=\"Asia/Kolkata: IN\""
		  ":20261002T000000\nDTEND:20261003T000000\nEND:VEVENT\n"
		  "END:VCALENDAR\n", "2026-10-02", 0 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261002T090000Z\n"
		  "DTEND:20261003T120000Z\nEND:VEVENT\nEND:VCALENDAR\n",
		  "2026-10-02 2026-10-03", 0 },
		/* Folded lines, cancelled events, other components. */
		{ "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nDTSTART:19700101T000000\n"
		  "END:VTIMEZONE\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026\n 0815\n"
		  "END:VEVENT\nBEGIN:VEVENT\nDTSTART:20260816\nSTATUS:CANCELLED\n"
		  "END:VEVENT\nEND:VCALENDAR\n", "2026-08-15", 0 },
		/* Yearly: COUNT, UNTIL, INTERVAL, 29 February. */
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260126\n"
		  "RRULE:FREQ=YEARLY;COUNT=3\nEND:VEVENT\nEND:VCALENDAR\n",
		  "2026-01-26 2027-01-26 2028-01-26", 0 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260126\n"
		  "RRULE:FREQ=YEARLY;INTERVAL=2;UNTIL=20300126T000000Z;"
		  "BYMONTH=1;BYMONTHDAY=26\nEND:VEVENT\nEND:VCALENDAR\n",
		  "2026-01-26 2028-01-26 2030-01-26", 0 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20240229\n"
		  "RRULE:FREQ=YEARLY;UNTIL=20321231\nEND:VEVENT\nEND:VCALENDAR\n",
		  "2024-02-29 2028-02-29 2032-02-29", 0 },
		/* What it cannot read is an error with its line. */
		{ "BEGIN:VEVENT\nDTSTART:20260101\nEND:VEVENT\n",
		  "VEVENT outside BEGIN:VCALENDAR", 1 },
		{ "hello", "not an iCalendar file (no BEGIN:VCALENDAR)", 1 },
		{ "BEGIN:VCALENDAR\n\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n",
		  "VEVENT without DTSTART", 3 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261301\n",
		  "bad DTSTART \"20261301\"", 3 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261201\n",
		  "VEVENT without END:VEVENT", 2 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261201\n"
		  "RRULE:FREQ=WEEKLY\nEND:VEVENT\n",
		  "RRULE FREQ=WEEKLY: only yearly rules are read", 4 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261201\n"
		  "DURATION:PT4H\nEND:VEVENT\n",
		  "DURATION \"PT4H\" is not whole days", 4 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\n"
		  "DTEND:20280101\nEND:VEVENT\nEND:VCALENDAR\n",
		  "an event of 730 days (at most 366)", 5 },
		{ "BEGIN:VCALENDAR\nX-BAD\n", "a line without ':'", 2 },
		/* DTSTART after the rule; an alarm's duration is its own; a
		 * BOM; a start past 2100 still counts once. */
		{ "\xef\xbb\xbf" "BEGIN:VCALENDAR\nBEGIN:VEVENT\n"
		  "RRULE:FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=1;COUNT=2\n"
		  "DTSTART:20260501\nBEGIN:VALARM\nDURATION:PT15M\n"
		  "END:VALARM\nEND:VEVENT\nEND:VCALENDAR\n",
		  "2026-05-01 2027-05-01", 0 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:21010101\n"
		  "RRULE:FREQ=YEARLY\nEND:VEVENT\nEND:VCALENDAR\n",
		  "2101-01-01", 0 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\n"
		  "RRULE:FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=1\n"
		  "DTSTART:20260101\nEND:VEVENT\n",
		  "RRULE BYMONTH/BYMONTHDAY other than DTSTART's date is not "
		  "read", 2 },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\n"
		  "RRULE:FREQ=YEARLY\nEXDATE:20270101\nEND:VEVENT\n",
		  "EXDATE is not read; give those dates as events of their own",
		  5 },
	};

	test_begin("conf: iCalendar holidays, from tables");
	for (size_t i = 0; i < nitems(t); i++) {
		struct sd_strv	 d = { 0 };
		char		*problem = NULL, *got;
		int		 line = 0;
		int		 r = conf_ical_dates(t[i].text, strlen(t[i].text),
				    &d, &line, &problem);

		if (r == 0) {
			gchar *j = d.n ? g_strjoinv(" ", d.v) : g_strdup("");

			got = xstrdup(j);
			g_free(j);
		} else
			got = xstrdup(problem);
		test_assert_idx(r == (t[i].line ? -1 : 0), i);
		test_assert_idx(line == t[i].line, i);
		test_assert_streq_idx(got, t[i].want, i);
		test_assert_idx(r == 0 || d.n == 0, i);
		free(got);
		free(problem);
		strv_free(&d);
	}
	/* A NUL byte: not text. */
	{
		struct sd_strv	 d = { 0 };
		char		*problem = NULL;
		int		 line = 0;

		test_assert(conf_ical_dates("BEGIN:VCALENDAR\0", 16, &d, &line,
		    &problem) == -1 && problem != NULL);
		free(problem);
	}
	test_end();
}

int
main(void)
{
	static void (*const fns[])(void) = {
		test_minimal_defaults,
		test_spec12,
		test_example,
		test_tier_rule,
		test_calendars,
		test_vocabulary,
		test_ladder,
		test_examples,
		test_ical,
		test_tier_default_added,
		test_include,
		test_good_fixtures, test_oauth2,
		test_bad_fixtures,
		test_unreadable,
		test_inline_password,
		test_warnings,
		test_free_null,
		NULL
	};

	return test_run(fns);
}
