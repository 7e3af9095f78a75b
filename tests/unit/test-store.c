/* SPDX-License-Identifier: MIT */
/* test-store.c - schema, cursor, dedupe, tickets, outbox on a real SQLite
 * file in a temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "harness.h"
#include "supportd/store.h"

static char *dir;

static struct sd_store *
open_fresh(const char *name)
{
	struct sd_store	*st = NULL;
	struct sd_err	 err;
	char		*path = g_build_filename(dir, name, NULL);

	if (store_open(path, &st, &err) == -1)
		printf("# %s\n", err.msg);
	g_free(path);
	return st;
}

static void
test_cursor(void)
{
	struct sd_store	*st = open_fresh("cursor.db");
	struct sd_err	 err;
	uint32_t	 v = 0, u = 0;
	bool		 found = true;

	test_begin("store: cursor per mailbox");
	test_assert(st != NULL);
	test_assert(store_cursor_get(st, "support", &v, &u, &found, &err) == 0);
	test_assert(!found);
	test_assert(store_begin(st, &err) == 0);
	test_assert(store_cursor_set(st, "support", 77, 5, &err) == 0);
	test_assert(store_commit(st, &err) == 0);
	test_assert(store_cursor_get(st, "support", &v, &u, &found, &err) == 0);
	test_assert(found && v == 77 && u == 5);
	/* A rolled-back move is not kept. */
	test_assert(store_begin(st, &err) == 0);
	test_assert(store_cursor_set(st, "support", 77, 9, &err) == 0);
	store_rollback(st);
	test_assert(store_cursor_get(st, "support", &v, &u, &found, &err) == 0);
	test_assert(u == 5);
	store_close(&st);
	test_assert(st == NULL);
	test_end();
}

static void
print_scan(void *arg, const char *sql, const char *detail)
{
	(void)arg;
	printf("# %s\n#   in: %.200s\n", detail, sql);
}

/* Every statement of the mail path searches an index and builds no
 * temporary B-tree: the benchmark's 1M-ticket run found three that
 * read whole tables for every mail, and its profile a CHECK that built
 * one for every outbox row. */
static void
test_plans(void)
{
	struct sd_store *st = open_fresh("plans.db");

	test_begin("store: no statement of the mail path scans a table"
	    " or builds a temporary B-tree");
	test_assert(st != NULL);
	if (st != NULL)
		test_assert(store_plan_scans(st, print_scan, NULL) == 0);
	store_close(&st);
	test_end();
}

/* A unit of work is one transaction; they do not nest: a begin inside
 * one is refused (it once was a silent no-op, so an inner "commit" did
 * not commit), and the outer unit is still whole afterwards. */
static void
test_units(void)
{
	struct sd_store	*st = open_fresh("units.db");
	struct sd_err	 err;
	uint32_t	 v = 0, u = 0;
	bool		 found = false, busy = true;

	test_begin("store: units of work do not nest");
	test_assert(st != NULL);
	test_assert(store_begin(st, &err) == 0);
	test_assert(store_cursor_set(st, "a", 1, 10, &err) == 0);
	sd_err_clear(&err);
	test_assert(store_begin(st, &err) == -1);
	test_assert(err.cls == SD_E_BUG);
	test_assert(store_try_begin(st, &busy, &err) == -1);
	test_assert(store_cursor_set(st, "a", 1, 11, &err) == 0);
	test_assert(store_commit(st, &err) == 0);
	test_assert(store_cursor_get(st, "a", &v, &u, &found, &err) == 0);
	test_assert(found && u == 11);
	/* A commit with no transaction open keeps nothing and says so. */
	sd_err_clear(&err);
	test_assert(store_commit(st, &err) == -1);
	test_assert(err.cls == SD_E_TEMP);
	/* Rolled back as a whole: nothing of it is kept. */
	test_assert(store_begin(st, &err) == 0);
	test_assert(store_cursor_set(st, "a", 1, 12, &err) == 0);
	test_assert(store_cursor_set(st, "b", 1, 20, &err) == 0);
	store_rollback(st);
	test_assert(store_cursor_get(st, "a", &v, &u, &found, &err) == 0);
	test_assert(found && u == 11);
	test_assert(store_cursor_get(st, "b", &v, &u, &found, &err) == 0);
	test_assert(!found);
	store_close(&st);
	test_end();
}

static int
count_cb(void *arg, const struct sd_ticket *t)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

/* store_message_known for an incoming mail: 1 known, 0 not, -1 error. */
static int
is_known(struct sd_store *st, const char *msgid, const char *key,
    const char *from, const char *body)
{
	struct sd_msgrec	m;
	struct sd_err		err;
	bool			known;

	memset(&m, 0, sizeof(m));
	m.direction = SD_DIR_IN;
	m.message_id = msgid;
	m.dedupe_key = key;
	m.from_addr = from;
	m.body = body;
	if (store_message_known(st, &m, &known, &err) == -1)
		return -1;
	return known;
}

/* Counts the messages that went in (arg[0]) and out (arg[1]). */
static int
dir_cb(void *arg, const struct sd_msgrec *m)
{
	((int *)arg)[m->direction == SD_DIR_OUT]++;
	return 0;
}

static void
test_ticket_and_messages(void)
{
	struct sd_store		*st = open_fresh("tickets.db");
	struct sd_err		 err;
	struct sd_ticket	 t, got;
	struct sd_msgrec	 m;
	struct sd_ticket_filter	 f = { .status = -1, .priority = "Severity 1" };
	int64_t			 tid = 0;
	bool			 found, is;
	int			 n = 0, dirs[2] = { 0, 0 };

	test_begin("store: ticket, messages, dedupe, participants");
	memset(&t, 0, sizeof(t));
	t.mailbox = "support";
	t.subject = "System Down";
	t.status = SD_ST_OPEN;
	t.priority = "Severity 1";	/* any name (SPEC §14.3) */
	t.category = "General Support";
	t.requester_email = "ann@acme.example";
	t.tier = "premium";
	t.created_at = 1700000000;
	t.escalation_level = 1;
	test_assert(store_begin(st, &err) == 0);
	test_assert(store_ticket_insert(st, &t, &err) == 0 && t.id == 1);
	memset(&m, 0, sizeof(m));
	m.ticket_id = t.id;
	m.direction = SD_DIR_IN;
	m.mailbox = "support";
	m.uidvalidity = 1;
	m.uid = 1;
	m.dedupe_key = "sha256:1";
	m.message_id = "a@b";
	m.disposition = "ticket";
	m.at = 1700000000;
	m.raw = "raw";
	m.rawlen = 3;
	test_assert(store_message_insert(st, &m, NULL, &err) == 0);
	/* The dedupe key is unique: a second insert fails. */
	test_assert(store_message_insert(st, &m, NULL, &err) == -1);
	test_assert(store_participant_add(st, t.id, "Ann@Acme.example",
	    "requester", &err) == 0);
	test_assert(store_commit(st, &err) == 0);

	/* Known by Message-ID or by dedupe key; an outgoing mail's
	 * Message-ID is not an incoming one. */
	m.direction = SD_DIR_OUT;
	m.ticket_id = 0;	/* on no ticket: ticket 1 keeps one message */
	m.dedupe_key = NULL;
	m.message_id = "out@b";
	test_assert(store_begin(st, &err) == 0);
	test_assert(store_message_insert(st, &m, NULL, &err) == 0);
	test_assert(store_commit(st, &err) == 0);
	test_assert(is_known(st, "a@b", NULL, NULL, NULL) == 1);
	test_assert(is_known(st, NULL, "sha256:1", NULL, NULL) == 1);
	test_assert(is_known(st, "c@d", "sha256:2", NULL, NULL) == 0);
	test_assert(is_known(st, "out@b", NULL, NULL, NULL) == 0);
	/* Another mail reusing a Message-ID is not the same mail (#19). */
	test_assert(is_known(st, "a@b", NULL, "eve@evil.example", NULL) == 0);
	test_assert(is_known(st, "a@b", NULL, NULL, "other text") == 0);
	test_assert(store_ticket_by_message_id(st, "a@b", false, &tid, &err) ==
	    0 && tid == 1);
	test_assert(store_ticket_by_message_id(st, "zz@b", false, &tid, &err) ==
	    0 && tid == 0);
	/* Ours only: a@b came in. */
	test_assert(store_ticket_by_message_id(st, "a@b", true, &tid, &err) ==
	    0 && tid == 0);
	m.ticket_id = 1;
	m.message_id = "out2@b";
	test_assert(store_begin(st, &err) == 0);
	test_assert(store_message_insert(st, &m, NULL, &err) == 0);
	test_assert(store_commit(st, &err) == 0);
	test_assert(store_ticket_messages(st, 1, dir_cb, dirs, &err) == 0);
	test_assert(dirs[0] == 1 && dirs[1] == 1);
	test_assert(store_ticket_by_message_id(st, "out2@b", true, &tid, &err) ==
	    0 && tid == 1);
	test_assert(store_participant_is(st, 1, "ann@acme.EXAMPLE", true, &is, &err)
	    == 0 && is);
	test_assert(store_participant_is(st, 1, "eve@evil.example", false, &is, &err)
	    == 0 && !is);
	test_assert(store_ticket_get(st, 1, &got, &found, &err) == 0 && found);
	test_assert_streq(got.priority, "Severity 1");
	test_assert(got.nmessages == 2 && got.first_response_at == 0);
	store_ticket_clear(&got);
	test_assert(store_ticket_list(st, &f, count_cb, &n, &err) == 0 && n == 1);
	f.priority = "C1";
	n = 0;
	test_assert(store_ticket_list(st, &f, count_cb, &n, &err) == 0 && n == 0);
	test_assert(store_ticket_get(st, 99, &got, &found, &err) == 0 && !found);
	store_close(&st);
	test_end();
}

static void
test_outbox(void)
{
	struct sd_store		*st = open_fresh("outbox.db");
	struct sd_err		 err;
	struct sd_ticket	 t, got;
	struct sd_outrow	 o, next;
	bool			 found;

	test_begin("store: outbox queue, retry, sent and first response");
	memset(&t, 0, sizeof(t));
	t.mailbox = "support";
	t.subject = "s";
	t.status = SD_ST_OPEN;
	t.priority = "C3";
	t.category = "General Support";
	t.requester_email = "a@b.example";
	t.tier = "default";
	t.created_at = 100;
	test_assert(store_begin(st, &err) == 0);
	test_assert(store_ticket_insert(st, &t, &err) == 0);
	memset(&o, 0, sizeof(o));
	o.ticket_id = t.id;
	o.kind = "ack";
	o.mail_from = "";
	o.rcpts = "a@b.example";
	o.message_id = "m1@vendor.example";
	o.raw = "Subject: x\r\n\r\nbody\r\n";
	o.rawlen = strlen(o.raw);
	o.created_at = 100;
	o.first_response = true;
	test_assert(store_outbox_queue(st, &o, &err) == 0 && o.id > 0);
	test_assert(store_commit(st, &err) == 0);

	test_assert(store_outbox_next(st, 100, 0, &next, &found, &err) == 0 && found);
	test_assert(next.rawlen == o.rawlen && memcmp(next.raw, o.raw, o.rawlen) == 0);
	test_assert(next.first_response && next.status == SD_OUT_QUEUED);
	test_assert(store_outbox_mark_retry(st, next.id, 1, 160, "421 busy", &err) == 0);
	store_outrow_clear(&next);
	test_assert(store_outbox_next(st, 159, 0, &next, &found, &err) == 0 && !found);
	test_assert(store_outbox_next(st, 160, 0, &next, &found, &err) == 0 && found);
	test_assert(next.attempts == 1);
	test_assert(store_outbox_sent(st, &next, 161, &err) == 0);
	store_outrow_clear(&next);
	/* Only the first response counts. */
	o.message_id = "m2@vendor.example";
	test_assert(store_outbox_queue(st, &o, &err) == 0);
	test_assert(store_outbox_next(st, 1000, 0, &next, &found, &err) == 0 && found);
	test_assert(store_outbox_sent(st, &next, 999, &err) == 0);
	store_outrow_clear(&next);
	test_assert(store_outbox_next(st, 1000, 0, &next, &found, &err) == 0 && !found);
	test_assert(store_ticket_get(st, t.id, &got, &found, &err) == 0 && found);
	test_assert(got.status == SD_ST_PENDING);
	test_assert(got.first_response_at == 161);
	store_ticket_clear(&got);
	test_assert(store_outbox_get(st, o.id, &next, &found, &err) == 0 &&
	    found && next.status == SD_OUT_SENT && next.sent_at == 999);
	store_outrow_clear(&next);
	store_close(&st);
	test_end();
}

/* Runs sql on the database at path with the sqlite3 shell; its exit. */
static int
shell_sql(const char *path, const char *sql)
{
	char	*cmd = g_strdup_printf("sqlite3 -bail '%s' \"%s\" >/dev/null"
		    " 2>&1", path, sql);
	int	 r = system(cmd);

	g_free(cmd);
	return r;
}

/* Whether the SQL condition cond holds on the database at path (the
 * shell exits non-zero on the integer overflow when it does not). */
static bool
shell_holds(const char *path, const char *cond)
{
	char	*sql = g_strdup_printf("SELECT CASE WHEN %s THEN 1 ELSE"
		    " abs(-9223372036854775807 - 1) END", cond);
	int	 r = shell_sql(path, sql);

	g_free(sql);
	return r == 0;
}

static void
test_migrations(void)
{
	struct sd_store	*st = open_fresh("mig.db");
	struct sd_err	 err;
	char		*path = g_build_filename(dir, "mig.db", NULL);
	char		*cmd;

	test_begin("store: reopen keeps schema; a newer schema is refused");
	test_assert(st != NULL);
	store_close(&st);
	/* A new database has 8 KB pages. */
	test_assert(shell_holds(path,
	    "(SELECT page_size FROM pragma_page_size) = 8192"));
	test_assert(store_open(path, &st, &err) == 0);
	store_close(&st);
	cmd = g_strdup_printf("PRAGMA user_version=%d",
	    store_schema_version() + 1);
	test_assert(shell_sql(path, cmd) == 0);
	test_assert(store_open(path, &st, &err) == -1);
	test_assert(strstr(err.msg, "newer than this supportd") != NULL);
	g_free(cmd);
	g_free(path);
	test_end();
}

static void
test_outbox_check(void)
{
	struct sd_store	*st = open_fresh("chk.db");
	struct sd_err	 err;
	char		*path = g_build_filename(dir, "chk.db", NULL);
	/* Puts back the check as schema 5 had it (and drops what came
	 * after it). */
	static const char old_check[] = "DROP TABLE rates;"
	    " ALTER TABLE tickets DROP COLUMN due_by_agent;"
	    " DROP TABLE search_state; DROP TABLE messages_fts;"
	    " DROP TABLE secrets; DROP TABLE attachments;"
	    " DROP VIEW search_content; DROP TABLE outbox_parts;"
	    " ALTER TABLE outbox DROP COLUMN raw_size; DROP TABLE vendor_mail;"
	    " ALTER TABLE tickets DROP COLUMN paused_at;"
	    " ALTER TABLE tickets DROP COLUMN paused_wall;"
	    " ALTER TABLE tickets DROP COLUMN paused_bh;"
	    " ALTER TABLE tickets DROP COLUMN period;"
	    " ALTER TABLE tickets DROP COLUMN period_start;"
	    " DROP TABLE sla_periods;"
	    " ALTER TABLE tickets DROP COLUMN sla_sent;"
	    " ALTER TABLE tickets DROP COLUMN resumed_at;"
	    " DROP TABLE oauth_tokens; DROP TABLE instances;"
	    " DROP TABLE mailbox_status; DROP INDEX messages_quarantined;"
	    " DROP TABLE incidents; DROP TABLE alert_marks;"
	    " DROP INDEX outbox_webhooks;"
	    " PRAGMA writable_schema = ON;"
	    " UPDATE sqlite_schema SET sql = replace(sql, 'status = ''queued''"
	    " OR status = ''sending'' OR status = ''sent'' OR status ="
	    " ''failed''', 'status IN (''queued'', ''sending'', ''sent'',"
	    " ''failed'')') WHERE name = 'outbox';"
	    " PRAGMA writable_schema = OFF; PRAGMA user_version = 5;";
	static const char insert[] = "INSERT INTO outbox (kind, status,"
	    " mail_from, rcpts, message_id, raw, next_attempt_at, created_at)"
	    " VALUES ('x', '%s', '', 'a@b', '<m%d@x>', x'00', 0, 0)";
	/* Whether the outbox has the new check. */
	static const char is_new[] = "(SELECT sql LIKE '%status ="
	    " ''queued'' OR status = ''sending'' OR status = ''sent'' OR"
	    " status = ''failed'')%' AND sql NOT LIKE '%status IN%' FROM"
	    " sqlite_schema WHERE name = 'outbox')";
	char		*sql;

	test_begin("store: outbox status check, as comparisons (schema 6)");
	test_assert(st != NULL);
	store_close(&st);
	test_assert(shell_holds(path, is_new));
	/* A schema-5 database, as older supportd left it, is migrated. */
	test_assert(shell_sql(path, old_check) == 0);
	test_assert(!shell_holds(path, is_new));
	test_assert(store_open(path, &st, &err) == 0);
	store_close(&st);
	test_assert(shell_holds(path, is_new));
	test_assert(shell_sql(path, "PRAGMA integrity_check") == 0);
	/* The check still holds: the four statuses, nothing else. */
	sql = g_strdup_printf(insert, "failed", 1);
	test_assert(shell_sql(path, sql) == 0);
	g_free(sql);
	sql = g_strdup_printf(insert, "bogus", 2);
	test_assert(shell_sql(path, sql) != 0);
	g_free(sql);
	test_assert(store_open(path, &st, &err) == 0);
	store_close(&st);
	g_free(path);
	test_end();
}

static int
hit_ids(void *arg, const struct sd_search_hit *h)
{
	GString *s = arg;

	g_string_append_printf(s, "%s%lld:%lld", s->len ? " " : "",
	    (long long)h->ticket_id, (long long)h->message_id);
	return 0;
}

/* The hits for query as "ticket:message ...", or "error". */
static char *
search_ids(struct sd_store *st, const char *query)
{
	GString		*s = g_string_new(NULL);
	struct sd_err	 err;

	if (store_search(st, query, 10, hit_ids, s, &err) == -1)
		g_string_assign(s, "error");
	return g_string_free(s, FALSE);
}

static void
add_mail(struct sd_store *st, int64_t ticket, const char *subject,
    const char *body)
{
	struct sd_ticket	t;
	struct sd_msgrec	m;
	struct sd_err		err;

	test_assert(store_begin(st, &err) == 0);
	if (ticket == 0) {
		memset(&t, 0, sizeof(t));
		t.mailbox = "support";
		t.subject = (char *)subject;
		t.priority = "C3";
		t.category = "General Support";
		t.requester_email = "ann@acme.example";
		t.tier = "standard";
		t.created_at = 1700000000;
		t.escalation_level = 1;
		test_assert(store_ticket_insert(st, &t, &err) == 0);
		ticket = t.id;
	}
	memset(&m, 0, sizeof(m));
	m.ticket_id = ticket;
	m.subject = subject;
	m.body = body;
	m.disposition = "ticket";
	m.at = 1700000000;
	m.raw = "raw";
	m.rawlen = 3;
	test_assert(store_message_insert(st, &m, NULL, &err) == 0);
	test_assert(store_commit(st, &err) == 0);
}

#define SEARCH_IS(st, q, want) do {					\
	char *got_ = search_ids(st, q);					\
	test_assert_streq(got_, want);					\
	g_free(got_);							\
} while (0)

static void
test_search(void)
{
	struct sd_store	*st = open_fresh("search.db");
	struct sd_err	 err;
	char		*path = g_build_filename(dir, "search.db", NULL);
	int		 n;

	test_begin("store: full-text search, one hit per ticket (schema 9)");
	add_mail(st, 0, "printer jams", "It jams on page two.");
	add_mail(st, 1, "Re: printer jams", "Still jams, jams, jams.");
	add_mail(st, 0, "export", "The printer report is slow.");
	SEARCH_IS(st, "jams", "1:2");		/* its best-ranked mail */
	SEARCH_IS(st, "printer", "1:1 2:3");	/* a subject word first */
	SEARCH_IS(st, "print*", "1:1 2:3");
	SEARCH_IS(st, "jams slow", "");
	SEARCH_IS(st, "\"jams\" OR col:x NEAR(", "");
	/* FTS5 syntax in a query is words, not syntax: still found. */
	SEARCH_IS(st, "\"jams)", "1:2");
	SEARCH_IS(st, "(jams", "1:2");
	SEARCH_IS(st, " * ", "error");
	/* The index is filled in batches, behind the writers. */
	add_mail(st, 1, "Re: printer jams", "A fourth mail.");
	add_mail(st, 1, "Re: printer jams", "A fifth mail.");
	test_assert(store_search_index(st, 1, false, &n, &err) == 0 && n == 1);
	test_assert(store_search_index(st, 5, false, &n, &err) == 0 && n == 1);
	test_assert(store_search_index(st, 5, false, &n, &err) == 0 && n == 0);
	SEARCH_IS(st, "fourth OR fifth", "");
	SEARCH_IS(st, "fifth", "1:5");
	/* A database from before the index: its mails are found after the
	 * migration, as are new ones. */
	store_close(&st);
	test_assert(shell_sql(path, "DROP TABLE search_state;"
	    " DROP TABLE messages_fts; DROP TABLE secrets;"
	    " DROP TABLE attachments; DROP VIEW search_content;"
	    " DROP TABLE outbox_parts; ALTER TABLE outbox DROP COLUMN raw_size;"
	    " DROP TABLE vendor_mail; ALTER TABLE tickets DROP COLUMN paused_at;"
	    " ALTER TABLE tickets DROP COLUMN paused_wall;"
	    " ALTER TABLE tickets DROP COLUMN paused_bh;"
	    " ALTER TABLE tickets DROP COLUMN period;"
	    " ALTER TABLE tickets DROP COLUMN period_start; DROP TABLE sla_periods;"
	    " ALTER TABLE tickets DROP COLUMN sla_sent;"
	    " ALTER TABLE tickets DROP COLUMN resumed_at;"
	    " DROP TABLE oauth_tokens; DROP TABLE instances;"
	    " DROP TABLE mailbox_status; DROP INDEX messages_quarantined;"
	    " DROP TABLE incidents; DROP TABLE alert_marks;"
	    " DROP INDEX outbox_webhooks;"
	    " PRAGMA user_version = 8;") == 0);
	test_assert(store_open(path, &st, &err) == 0);
	SEARCH_IS(st, "report", "2:3");
	add_mail(st, 2, "Re: export", "A second report.");
	SEARCH_IS(st, "second report", "2:6");
	store_close(&st);
	g_free(path);
	test_end();
}

/* An automatic mail counts for its To address, the first of rcpts, and
 * for no Cc (#20: a Cc row hid the To from its limit). */
static void
test_autoreplies_to(void)
{
	struct sd_store		*st = open_fresh("autoto.db");
	struct sd_err		 err;
	struct sd_outrow	 o;
	static const char *const rows[] = {
		"ann@acme.example", "Ann@Acme.example\nbob@acme.example",
		"ann@acme.exampleX", "bob@acme.example\nann@acme.example",
	};
	int64_t			 n;

	test_begin("store: automatic mail counts for its To, not its Cc");
	test_assert(store_begin(st, &err) == 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.kind = "ack";
		o.mail_from = "";
		o.rcpts = (char *)rows[i];
		o.message_id = g_strdup_printf("m%zu@x", i);
		o.raw = "x";
		o.rawlen = 1;
		o.created_at = 1000;
		test_assert(store_outbox_queue(st, &o, &err) == 0);
		g_free(o.message_id);
	}
	test_assert(store_commit(st, &err) == 0);
	test_assert(store_autoreplies_to(st, "ann@acme.example", 0, &n,
	    &err) == 0 && n == 2);
	test_assert(store_autoreplies_to(st, "bob@acme.example", 0, &n,
	    &err) == 0 && n == 1);
	test_assert(store_autoreplies_to(st, "ann@acme.example", 1001, &n,
	    &err) == 0 && n == 0);
	store_close(&st);
	test_end();
}

/* A large mail is kept in parts and read back in pieces of any size. */
static void
test_outbox_apart(void)
{
	struct sd_store		*st = open_fresh("apart.db");
	struct sd_err		 err;
	struct sd_outrow	 o, got;
	size_t			 len = 3 * STORE_RAW_APART + 12345, n, off;
	char			*raw = g_malloc(len), *back = g_malloc(len);
	bool			 found;

	test_begin("store: a large outgoing mail in parts (schema 13)");
	for (size_t i = 0; i < len; i++)
		raw[i] = (char)('a' + (i * 13 + i / 4096) % 26);
	memset(&o, 0, sizeof(o));
	o.kind = "reply";
	o.mail_from = "support@vendor.example";
	o.rcpts = "ann@acme.example";
	o.message_id = "big@x";
	o.raw = raw;
	o.rawlen = len;
	o.created_at = 1;
	test_assert(store_begin(st, &err) == 0);
	test_assert(store_outbox_queue(st, &o, &err) == 0);
	test_assert(store_commit(st, &err) == 0);
	test_assert(store_outbox_next(st, 10, 0, &got, &found, &err) == 0 &&
	    found);
	test_assert(got.raw_apart && got.raw_size == len && got.rawlen == 0);
	/* Pieces of a size that crosses the parts' edges. */
	for (off = 0; off < len; off += n) {
		if (store_outbox_read(st, got.id, off, back + off,
		    MIN((size_t)40000, len - off), &n, &err) == -1 || n == 0)
			break;
	}
	test_assert(off == len && memcmp(raw, back, len) == 0);
	test_assert(store_outbox_read(st, got.id, len, back, 10, &n, &err) ==
	    0 && n == 0);
	store_outrow_clear(&got);
	store_close(&st);
	g_free(raw);
	g_free(back);
	test_end();
}

/* The note token's HMAC is RFC 2104's, as GLib computes it. */
static void
test_note_hmac(void)
{
	struct sd_store	*st = open_fresh("hmac.db");
	struct sd_err	 err;
	unsigned char	 key[64];
	size_t		 klen;
	char		 mac[65];
	gchar		*want;

	test_begin("store: the note key's HMAC");
	test_assert(store_secret(st, "note-key", key, sizeof(key), &klen,
	    &err) == 0 && klen == 32);
	for (int i = 0; i < 2; i++) {	/* the pads hashed, then reused */
		const char *msg = i ? "note:123456" : "note:1";

		test_assert(store_note_hmac(st, msg, strlen(msg), mac,
		    &err) == 0);
		want = g_compute_hmac_for_data(G_CHECKSUM_SHA256, key, klen,
		    (const guchar *)msg, strlen(msg));
		test_assert_streq(mac, want);
		g_free(want);
	}
	store_close(&st);
	/* RFC 4231 test case 4, under a key put in by hand: a value not
	 * computed by the code it checks. */
	{
		char	*path = g_build_filename(dir, "hmac.db", NULL);
		char	 data[50];

		memset(data, 0xcd, sizeof(data));
		test_assert(shell_sql(path, "UPDATE secrets SET value = "
		    "X'0102030405060708090a0b0c0d0e0f10111213141516171819' "
		    "WHERE name = 'note-key'") == 0);
		st = open_fresh("hmac.db");
		test_assert(store_note_hmac(st, data, sizeof(data), mac,
		    &err) == 0);
		test_assert_streq(mac, "82558a389a443c0ea4cc819899f2083a85f0faa3"
		    "e578f8077a2e3ff46729665b");
		store_close(&st);
		g_free(path);
	}
	test_end();
}

static void
test_status(void)
{
	test_begin("store: the nine statuses");
	test_assert(store_status_parse("open") == SD_ST_OPEN);
	test_assert(store_status_parse("waiting-for-development") ==
	    SD_ST_WAITING_DEV);
	test_assert(store_status_parse("closed") == SD_ST_CLOSED);
	test_assert(store_status_parse("Closed") == -1);
	test_assert(store_status_parse("done") == -1);
	test_assert(store_status_parse(NULL) == -1);
	/* The table names every status, each once, and parses back. */
	for (int i = 0; i < SD_ST__COUNT; i++) {
		test_assert(sd_status_names[i] != NULL);
		test_assert(store_status_parse(sd_status_names[i]) == i);
	}
	test_assert(strcmp(sd_dir_names[SD_DIR_IN], "in") == 0 &&
	    strcmp(sd_dir_names[SD_DIR_OUT], "out") == 0);
	for (int i = 0; i < SD_OUT__COUNT; i++)
		test_assert(sd_out_status_names[i] != NULL);
	test_end();
}

static void
test_rates(void)
{
	struct sd_store	*st = open_fresh("rates.db");
	struct sd_err	 err;
	int64_t		 n = -1;

	test_begin("store: counters of fixed windows");
	test_assert(store_rate_get(st, "k", 3600, &n, &err) == 0 && n == 0);
	test_assert(store_rate_add(st, "k", 3600, &err) == 0);
	test_assert(store_rate_add(st, "k", 3600, &err) == 0);
	test_assert(store_rate_get(st, "k", 3600, &n, &err) == 0 && n == 2);
	test_assert(store_rate_get(st, "other", 3600, &n, &err) == 0 && n == 0);
	/* A new window starts at one; the old one is gone. */
	test_assert(store_rate_add(st, "k", 7200, &err) == 0);
	test_assert(store_rate_get(st, "k", 7200, &n, &err) == 0 && n == 1);
	test_assert(store_rate_get(st, "k", 3600, &n, &err) == 0 && n == 0);
	store_close(&st);
	test_end();
}

/* Two openers of one new database, started together. */
struct racer {
	const char	*path;
	GMutex		*mu;
	GCond		*go;
	bool		*started;
	int		 ok;
};

static gpointer
race_open(gpointer arg)
{
	struct racer	*r = arg;
	struct sd_store	*st = NULL;
	struct sd_err	 err;

	g_mutex_lock(r->mu);
	while (!*r->started)
		g_cond_wait(r->go, r->mu);
	g_mutex_unlock(r->mu);
	r->ok = store_open(r->path, &st, &err) == 0;
	if (!r->ok)
		printf("# open: %s\n", err.msg);
	store_close(&st);
	return NULL;
}

static void
test_open_race(void)
{
	GMutex	mu;
	GCond	go;
	int	fails = 0;

	test_begin("store: two openers of a new database both succeed (#19)");
	g_mutex_init(&mu);
	g_cond_init(&go);
	for (int i = 0; i < 20; i++) {
		char		*path = g_strdup_printf("%s/race%d.db", dir, i);
		bool		 started = false;
		struct racer	 r[2] = { { path, &mu, &go, &started, 0 },
				    { path, &mu, &go, &started, 0 } };
		GThread		*t[2];

		for (int k = 0; k < 2; k++)
			t[k] = g_thread_new("race", race_open, &r[k]);
		g_mutex_lock(&mu);
		started = true;
		g_cond_broadcast(&go);
		g_mutex_unlock(&mu);
		for (int k = 0; k < 2; k++) {
			g_thread_join(t[k]);
			fails += !r[k].ok;
		}
		g_free(path);
	}
	printf("# %d of 40 openings failed\n", fails);
	test_assert(fails == 0);
	g_cond_clear(&go);
	g_mutex_clear(&mu);
	test_end();
}

/* Writes rounds x 10 MB, in 1 MB commits. */
static bool
write_rounds(struct sd_store *st, int rounds)
{
	static char	 raw[64 * 1024];
	struct sd_err	 err;
	int		 n = 0;

	memset(raw, 'x', sizeof(raw));
	for (int r = 0; r < rounds * 10; r++) {
		if (store_begin(st, &err) == -1)
			return false;
		for (int k = 0; k < 16; k++, n++) {
			struct sd_msgrec m = { 0 };
			char key[32];

			snprintf(key, sizeof(key), "k%d", n);
			m.direction = SD_DIR_IN;
			m.dedupe_key = key;
			m.disposition = "ignored";
			m.at = 1700000000;
			m.raw = raw;
			m.rawlen = sizeof(raw);
			if (store_message_insert(st, &m, NULL, &err) == -1)
				return false;
		}
		if (store_commit(st, &err) == -1)
			return false;
	}
	return true;
}

/* The size of name in the test directory, or -1. */
static goffset
file_size(const char *name)
{
	char	*path = g_build_filename(dir, name, NULL);
	GStatBuf sb;
	goffset	 n = g_stat(path, &sb) == 0 ? sb.st_size : -1;

	g_free(path);
	return n;
}

static void
test_checkpoint_apart(void)
{
	struct sd_store	*st = open_fresh("ckpt.db"), *plain;
	struct sd_err	 err;
	int		 t;

	test_begin("store: the WAL is checkpointed on a thread of its own");
	test_assert(st != NULL);
	test_assert(store_checkpoint_apart(st, &err) == 0);
	test_assert(write_rounds(st, 5));
	/* The WAL was started over on the way: 50 MB went through it,
	 * and a WAL file that only grew would be that large.  However far
	 * the thread falls behind (a busy machine), the writer waits for
	 * it past 3,000 pages: 3,000 frames of 8 KB and the 1 MB commit
	 * that crossed the line, about 25.7 MB. */
	test_assert(file_size("ckpt.db-wal") > 0);
	test_assert(file_size("ckpt.db-wal") < 27 * 1024 * 1024);
	/* The thread copied frames to the database file (a thread that
	 * does not checkpoint fails here). */
	for (t = 0; t < 6000 && store_checkpoints(st) == 0; t++)
		g_usleep(10000);
	test_assert(store_checkpoints(st) >= 1);
	store_close(&st);
	test_assert(file_size("ckpt.db") >= 50 * 1024 * 1024);
	test_assert(file_size("ckpt.db-wal") == -1);	/* last close */

	/* A connection's page cache can be made smaller (the sender's). */
	plain = open_fresh("cache.db");
	test_assert(plain != NULL);
	test_assert(store_pragma_int(plain, "cache_size", &t, &err) == 0);
	test_assert(t == -4096);
	test_assert(store_cache_kib(plain, 512, &err) == 0);
	test_assert(store_pragma_int(plain, "cache_size", &t, &err) == 0);
	test_assert(t == -512);
	store_close(&plain);

	/* Without it SQLite checkpoints in the commits, which start the
	 * WAL over: it stays near CKPT_PAGES (8 MB). */
	plain = open_fresh("plain.db");
	test_assert(plain != NULL);
	test_assert(write_rounds(plain, 5));
	test_assert(store_checkpoints(plain) == 0);
	test_assert(file_size("plain.db") >= 40 * 1024 * 1024);
	test_assert(file_size("plain.db-wal") < 16 * 1024 * 1024);
	store_close(&plain);
	test_end();
}

static void
test_tokens(void)
{
	struct sd_store	*st = open_fresh("tokens.db");
	struct sd_token	 t, got, *rows = NULL;
	struct sd_err	 err;
	struct stat	 sb;
	char		*path = g_build_filename(dir, "tokens.db", NULL);
	size_t		 n = 0;
	bool		 found = true;

	test_begin("store: OAuth2 tokens, and a database others cannot read");
	test_assert(st != NULL);
	test_assert(stat(path, &sb) == 0 && (sb.st_mode & 007) == 0);
	test_assert(store_token_get(st, "smtp", &got, &found, &err) == 0);
	test_assert(!found && got.name == NULL);
	memset(&t, 0, sizeof(t));
	t.name = (char *)"imap:support";
	t.issuer = (char *)"https://idp.example/token app";
	t.access_token = (char *)"at-1";
	t.refresh_token = (char *)"rt-1";
	t.obtained_at = 1000;
	t.expires_at = 4600;
	test_assert(store_token_put(st, &t, &err) == 0);
	/* A rotation writes the whole row again: the new refresh token
	 * with the access token it came with. */
	t.access_token = (char *)"at-2";
	t.refresh_token = (char *)"rt-2";
	t.last_error = (char *)"invalid_grant";
	t.failures = 2;
	t.dead = true;
	t.next_try = 5000;
	test_assert(store_token_put(st, &t, &err) == 0);
	test_assert(store_token_get(st, "imap:support", &got, &found, &err)
	    == 0);
	test_assert(found);
	test_assert_streq(got.access_token, "at-2");
	test_assert_streq(got.refresh_token, "rt-2");
	test_assert_streq(got.last_error, "invalid_grant");
	test_assert(got.expires_at == 4600 && got.failures == 2 && got.dead &&
	    got.next_try == 5000);
	store_token_clear(&got);
	t.name = (char *)"smtp";
	t.refresh_token = NULL;
	t.dead = false;
	test_assert(store_token_put(st, &t, &err) == 0);
	test_assert(store_token_list(st, &rows, &n, &err) == 0);
	test_assert(n == 2 && rows != NULL);
	if (n == 2) {
		test_assert_streq(rows[0].name, "imap:support");
		test_assert_streq(rows[1].name, "smtp");
		test_assert(rows[1].refresh_token == NULL && !rows[1].dead);
	}
	store_token_list_free(&rows, n);
	test_assert(rows == NULL);
	store_close(&st);
	/* A database made before, readable by all, is made private to
	 * its owner and group at the next open. */
	test_assert(chmod(path, 0644) == 0);
	st = open_fresh("tokens.db");
	test_assert(st != NULL);
	test_assert(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640);
	store_close(&st);
	g_free(path);
	test_end();
}

static void
test_heartbeat(void)
{
	struct sd_store		*st = open_fresh("heartbeat.db");
	struct sd_instance	 self = { .name = "host-a", .pid = 42,
		.version = "1.0", .started_at = 1000, .beat_at = 1010 };
	struct sd_instance	*rows = NULL;
	struct sd_mbstatus	 mb = { .mailbox = "support", .instance = "host-a",
		.state = SD_MB_IDLE, .connected_since = 1000,
		.last_success = 1010, .first_try = 1000, .updated_at = 1010 };
	struct sd_mbstatus	 got;
	struct sd_opcounts	 c;
	struct sd_msgrec	 m;
	struct sd_err		 err;
	size_t			 n = 0;
	int64_t			 held = -1;
	bool			 found, busy = true;

	test_begin("store: heartbeat and mailbox rows (schema 21)");
	test_assert(st != NULL);
	test_assert(store_status_put(st, &self, &mb, 1, &busy, &err) == 0 &&
	    !busy);
	/* A --once run that failed, with an older success than the
	 * daemon's: the row keeps the newest success and the first try. */
	mb.instance = "host-b";
	mb.state = SD_MB_AUTHFAIL;
	mb.last_success = 900;
	mb.first_try = 1005;
	mb.connected_since = 0;
	mb.last_error = "imap: login refused";
	mb.error_at = 1020;
	mb.updated_at = 1020;
	mb.polling_since = 1019;
	test_assert(store_status_put(st, NULL, &mb, 1, NULL, &err) == 0);
	test_assert(store_mbstatus_get(st, "support", &got, &found, &err) == 0);
	test_assert(found && got.state == SD_MB_AUTHFAIL);
	test_assert(got.last_success == 1010 && got.first_try == 1000);
	test_assert(got.error_at == 1020 && got.updated_at == 1020);
	test_assert(got.polling_since == 1019);
	test_assert_streq(got.last_error, "imap: login refused");
	test_assert_streq(got.instance, "host-b");
	store_mbstatus_clear(&got);
	/* An error older than the one kept does not replace it. */
	mb.last_error = "older";
	mb.error_at = 1015;
	test_assert(store_status_put(st, NULL, &mb, 1, NULL, &err) == 0);
	test_assert(store_mbstatus_get(st, "support", &got, &found, &err) == 0);
	test_assert_streq(got.last_error, "imap: login refused");
	test_assert(got.error_at == 1020);
	store_mbstatus_clear(&got);
	test_assert(store_mbstatus_get(st, "sales", &got, &found, &err) == 0);
	test_assert(!found && got.mailbox == NULL);
	test_assert(store_mbstatus_delete(st, "support", &err) == 0);
	test_assert(store_mbstatus_get(st, "support", &got, &found, &err) == 0);
	test_assert(!found);
	test_assert(store_status_put(st, NULL, &mb, 1, NULL, &err) == 0);
	self.beat_at = 1040;
	self.stopped = true;
	self.status = "stopping";
	test_assert(store_status_put(st, &self, NULL, 0, NULL, &err) == 0);
	test_assert(store_instance_list(st, &rows, &n, &err) == 0 && n == 1);
	if (n == 1) {
		test_assert_streq(rows[0].name, "host-a");
		test_assert_streq(rows[0].status, "stopping");
		test_assert(rows[0].pid == 42 && rows[0].beat_at == 1040 &&
		    rows[0].started_at == 1000 && rows[0].stopped);
	}
	store_instance_list_free(&rows, n);

	test_assert(store_opcounts(st, 2000, &c, &err) == 0);
	test_assert(c.outbox_queued == 0 && c.outbox_oldest == 0 &&
	    c.timers_due == 0 && c.db_bytes > 0);
	memset(&m, 0, sizeof(m));
	m.mailbox = "support";
	m.disposition = "quarantined";
	m.reason = "no sender address";
	m.at = 1000;
	m.raw = "x";
	m.rawlen = 1;
	test_assert(store_message_insert(st, &m, NULL, &err) == 0);
	test_assert(store_quarantined(st, "support", &held, &err) == 0 &&
	    held == 1);
	test_assert(store_quarantined(st, "sales", &held, &err) == 0 &&
	    held == 0);
	store_close(&st);
	test_end();
}

static void
test_incidents(void)
{
	struct sd_store		*st = open_fresh("incidents.db");
	struct sd_incident	 i = { .kind = "mailbox-down",
		.subject = "support", .opened_at = 100, .seen_at = 100,
		.detail = "backing-off" };
	struct sd_incident	 got, *rows = NULL;
	struct sd_outrow	 o;
	struct sd_err		 err;
	int64_t			 n = -1;
	size_t			 nrows = 0;
	bool			 found;

	test_begin("store: incidents and alert marks (schema 23)");
	test_assert(st != NULL);
	test_assert(store_incident_put(st, &i, &err) == 0 && i.id > 0);
	test_assert(store_incident_get(st, "mailbox-down", "support", &got,
	    &found, &err) == 0 && found);
	test_assert(got.id == i.id && got.opened_at == 100 && !got.held);
	test_assert_streq(got.detail, "backing-off");
	store_incident_clear(&got);
	/* Written whole; once closed it is no longer the open one, and a
	 * new one of the same name may open. */
	i.alerted_at = 110;
	i.held = true;
	i.closed_at = 120;
	test_assert(store_incident_put(st, &i, &err) == 0);
	test_assert(store_incident_get(st, "mailbox-down", "support", &got,
	    &found, &err) == 0 && !found);
	i.id = 0;
	i.opened_at = i.seen_at = 130;
	i.alerted_at = i.closed_at = 0;
	i.held = false;
	test_assert(store_incident_put(st, &i, &err) == 0);
	i.id = 0;
	test_assert(store_incident_put(st, &i, &err) == -1);
	i.kind = "quarantine";
	i.subject = "";
	test_assert(store_incident_put(st, &i, &err) == 0);
	test_assert(store_incident_list(st, &rows, &nrows, &err) == 0);
	test_assert(nrows == 2);
	if (nrows == 2) {
		test_assert_streq(rows[0].kind, "mailbox-down");
		test_assert(rows[0].opened_at == 130);
		test_assert_streq(rows[1].kind, "quarantine");
	}
	store_incident_list_free(&rows, nrows);

	test_assert(store_alert_mark_get(st, "quarantine", &n, &found, &err)
	    == 0 && !found && n == 0);
	test_assert(store_alert_mark_set(st, "quarantine", 3, &err) == 0);
	test_assert(store_alert_mark_set(st, "quarantine", 4, &err) == 0);
	test_assert(store_alert_mark_get(st, "quarantine", &n, &found, &err)
	    == 0 && found && n == 4);

	/* The admin alerts' own failed mail is not counted as given up. */
	memset(&o, 0, sizeof(o));
	o.mail_from = "";
	o.rcpts = "ops@vendor.example";
	o.raw = "x";
	o.rawlen = 1;
	o.created_at = 100;
	o.kind = "admin-alert";
	o.message_id = "a1@vendor.example";
	test_assert(store_outbox_queue(st, &o, &err) == 0);
	test_assert(store_outbox_mark_failed(st, o.id, "550", &err) == 0);
	o.kind = "ack";
	o.message_id = "a2@vendor.example";
	test_assert(store_outbox_queue(st, &o, &err) == 0);
	test_assert(store_outbox_mark_failed(st, o.id, "550", &err) == 0);
	test_assert(store_outbox_given_up(st, &n, &err) == 0 && n == 1);
	store_close(&st);
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_cursor,
	    test_units, test_plans, test_ticket_and_messages, test_outbox, test_migrations,
	    test_outbox_check, test_search, test_autoreplies_to,
	    test_outbox_apart, test_note_hmac,
	    test_status, test_rates, test_open_race, test_checkpoint_apart,
	    test_tokens, test_heartbeat, test_incidents, NULL };
	int ret;
	char *rm;

	dir = g_dir_make_tmp("sd-store-XXXXXX", NULL);
	ret = test_run(tests);
	rm = g_strdup_printf("rm -rf '%s'", dir);
	if (system(rm) != 0)
		ret = 1;
	g_free(rm);
	g_free(dir);
	return ret;
}
