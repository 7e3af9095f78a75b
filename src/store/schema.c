/* SPDX-License-Identifier: MIT */
/*
 * schema.c - the schema: one migration per version, keyed on PRAGMA
 * user_version, run at open.
 */
#include <stdio.h>

#include "store_int.h"
#include "supportd/log.h"

/* Each entry is one schema version; never edit a shipped one, add more. */
static const char *const migrations[] = {
	/* 1: the skeleton */
	"CREATE TABLE cursors ("
	"  mailbox TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL) STRICT;"
	"CREATE TABLE tickets ("
	"  id INTEGER PRIMARY KEY,"
	"  mailbox TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  priority TEXT NOT NULL,"
	"  category TEXT NOT NULL,"
	"  requester_email TEXT NOT NULL,"
	"  requester_name TEXT,"
	"  organization TEXT,"
	"  tier TEXT NOT NULL,"
	"  assignee TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  first_response_at INTEGER,"
	"  agent_response_at INTEGER,"
	"  response_due INTEGER,"
	"  resolution_due INTEGER,"
	"  escalation_level INTEGER NOT NULL DEFAULT 1,"
	"  after_hours INTEGER NOT NULL DEFAULT 0,"
	"  linked_to INTEGER REFERENCES tickets(id)) STRICT;"
	"CREATE INDEX tickets_status ON tickets(status);"
	"CREATE TABLE participants ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  role TEXT NOT NULL,"
	"  PRIMARY KEY (ticket_id, email)) STRICT;"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
	"  mailbox TEXT,"
	"  uidvalidity INTEGER,"
	"  uid INTEGER,"
	"  dedupe_key TEXT UNIQUE,"
	"  message_id TEXT,"
	"  in_reply_to TEXT,"
	"  from_addr TEXT,"
	"  subject TEXT,"
	"  disposition TEXT NOT NULL,"
	"  reason TEXT,"
	"  body TEXT,"
	"  at INTEGER NOT NULL,"
	"  raw BLOB) STRICT;"
	"CREATE INDEX messages_ticket ON messages(ticket_id);"
	"CREATE INDEX messages_msgid ON messages(message_id);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  detail TEXT) STRICT;"
	"CREATE INDEX events_ticket ON events(ticket_id);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  kind TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),"
	"  mail_from TEXT NOT NULL,"
	"  rcpts TEXT NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  last_error TEXT,"
	"  first_response INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt_at);",
	/* 2: the SLA timers (escalation, C1 reminders, auto-close).  A timer
	 * is a row; firing it deletes or moves the row in the transaction
	 * that does its work, so a restart neither loses nor repeats it. */
	"ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN last_agent_at INTEGER;"
	"CREATE TABLE timers ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  kind TEXT NOT NULL,"
	"  due_at INTEGER NOT NULL,"
	"  arg INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (ticket_id, kind)) STRICT;"
	"CREATE INDEX timers_due ON timers(due_at);",
	/* 3: the benchmark found the rate-limit counts and the outbox
	 * picker reading the whole outbox for every mail. */
	"CREATE INDEX outbox_rcpts ON outbox(rcpts COLLATE NOCASE, created_at);"
	"CREATE INDEX outbox_ticket ON outbox(ticket_id, created_at);"
	"CREATE INDEX outbox_status_id ON outbox(status, id);",
	/* 4: with 1,000,000 tickets the benchmark found two scans of whole
	 * tables for C1 mail: the pages-per-hour count (all events) and the
	 * open C1 of an organization (all tickets). */
	"CREATE INDEX events_kind_at ON events(kind, at);"
	"CREATE INDEX tickets_org_c1 ON tickets(organization, priority,"
	" created_at);",
	/* 5: fewer index entries per mail (benchmark: each is a B-tree
	 * insert in intake's thread).  The page count and the C1 grouping
	 * read only pages and C1 tickets, so only those are indexed; the
	 * outbox picker uses outbox_status_id, never outbox_due. */
	"DROP INDEX events_kind_at;"
	"CREATE INDEX events_page_at ON events(at) WHERE kind = 'page';"
	"DROP INDEX tickets_org_c1;"
	"CREATE INDEX tickets_c1_org ON tickets(organization, created_at)"
	" WHERE priority = 'C1';"
	"DROP INDEX outbox_due;",
	/* 6: SQLite checks "x IN (list of more than two)" by building a
	 * temporary B-tree, on every outbox insert and status update (a
	 * third of queueing a response).  The same check as comparisons;
	 * a CHECK is not in the stored rows, so SQLite's documented
	 * writable_schema edit (lang_altertable.html, "other kinds of
	 * schema changes") does it without rewriting the table. */
	"PRAGMA writable_schema = ON;"
	"UPDATE sqlite_schema SET sql = replace(sql,"
	" 'CHECK (status IN (''queued'', ''sending'', ''sent'', ''failed''))',"
	" 'CHECK (status = ''queued'' OR status = ''sending'' OR"
	" status = ''sent'' OR status = ''failed'')')"
	" WHERE type = 'table' AND name = 'outbox';"
	"PRAGMA writable_schema = RESET;",
	/* 7: counters of fixed windows (the answers to strangers per
	 * hour): one row each, kept on write, never scanned. */
	"CREATE TABLE rates ("
	"  key TEXT PRIMARY KEY,"
	"  since INTEGER NOT NULL,"
	"  n INTEGER NOT NULL) STRICT;",
	/* 8: a resolution due date an agent set (SPEC §13.6) outlives
	 * the SLA's recomputing it on a priority change. */
	"ALTER TABLE tickets ADD COLUMN due_by_agent INTEGER NOT NULL"
	" DEFAULT 0;",
	/* 9: full-text search over the mails' subjects and text (SPEC
	 * §13.6).  The index reads its text from messages (external
	 * content: no second copy).  It is filled behind intake, not by a
	 * trigger (benchmark: that made intake 70 % slower); indexed_to is
	 * the last message id in it.  Messages are never updated or
	 * deleted, so nothing else has to follow. */
	"CREATE VIRTUAL TABLE messages_fts USING fts5(subject, body,"
	" content = 'messages', content_rowid = 'id',"
	" tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TABLE search_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  indexed_to INTEGER NOT NULL) STRICT;"
	"INSERT INTO search_state VALUES (1, 0);",
	/* 10: secrets of this installation, made here once: the key of
	 * the tokens in note addresses (SPEC §13.2).  randomblob() draws
	 * from SQLite's generator, seeded by the operating system's. */
	"CREATE TABLE secrets ("
	"  name TEXT PRIMARY KEY,"
	"  value BLOB NOT NULL) STRICT;"
	"INSERT INTO secrets VALUES ('note-key', randomblob(32));",
	/* 11: every attachment of every mail (SPEC §13.5): what it is;
	 * its bytes stay in the raw mail.  n is its place in the mail. */
	"CREATE TABLE attachments ("
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  n INTEGER NOT NULL,"
	"  name TEXT,"
	"  content_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  PRIMARY KEY (message_id, n)) STRICT, WITHOUT ROWID;",
	/* 12: search finds attachment names too (SPEC §13.6): the index's
	 * text comes from a view that adds them to each mail, and every
	 * mail is indexed again. */
	"DROP TABLE messages_fts;"
	"CREATE VIEW search_content AS SELECT m.id AS id, m.subject AS subject,"
	" m.body AS body, (SELECT group_concat(a.name, ' ') FROM attachments a"
	" WHERE a.message_id = m.id) AS names FROM messages m;"
	"CREATE VIRTUAL TABLE messages_fts USING fts5(subject, body, names,"
	" content = 'search_content', content_rowid = 'id',"
	" tokenize = 'unicode61 remove_diacritics 2');"
	"UPDATE search_state SET indexed_to = 0;",
	/* 13: a large outgoing mail (attachments, SPEC §13.5) is kept in
	 * parts of its own, raw_size its length: bound whole, or made as a
	 * zeroblob in a middle column, SQLite would build the row with the
	 * whole mail in memory once more (benchmark). */
	"ALTER TABLE outbox ADD COLUMN raw_size INTEGER;"
	"CREATE TABLE outbox_parts ("
	"  id INTEGER PRIMARY KEY,"
	"  outbox_id INTEGER NOT NULL REFERENCES outbox(id),"
	"  seq INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  UNIQUE (outbox_id, seq)) STRICT;",
	/* 14: the Message-IDs of the mail the vendor side got about a
	 * ticket (notifications, pages, escalations, reminders): a reply
	 * naming one in In-Reply-To or References is a note (SPEC §13.2),
	 * even when the note address in its Reply-To was lost. */
	"CREATE TABLE vendor_mail ("
	"  message_id TEXT PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id)) STRICT,"
	" WITHOUT ROWID;",
	/* 15: priorities have any names (SPEC §14.3), so grouping the
	 * most urgent one's tickets cannot rest on an index of 'C1'
	 * rows; organizations' tickets only, as strangers are never
	 * grouped (and "organization = ?" implies the index's WHERE). */
	"DROP INDEX IF EXISTS tickets_c1_org;"
	"CREATE INDEX IF NOT EXISTS tickets_org_at ON tickets(organization,"
	" created_at) WHERE organization IS NOT NULL;",
	/* 16: the escalation and resolution clocks stand still in
	 * sla.paused_statuses (SPEC §14.4): since when (0: running), and
	 * how long they stood before, on the wall clock and in business
	 * time of the ticket's calendar. */
	"ALTER TABLE tickets ADD COLUMN paused_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN paused_wall INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN paused_bh INTEGER NOT NULL DEFAULT 0;",
	/* 17: a priority change closes the ticket's SLA period and opens
	 * another from the change (SPEC §14.6): which period it is in and
	 * since when (0: the clock's start), and each closed period with
	 * its targets and their outcome, for the report. */
	"ALTER TABLE tickets ADD COLUMN period INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE tickets ADD COLUMN period_start INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE sla_periods ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  seq INTEGER NOT NULL,"
	"  priority TEXT NOT NULL,"
	"  tier TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  ended_at INTEGER NOT NULL,"
	"  response_due INTEGER,"
	"  resolution_due INTEGER,"
	"  response TEXT NOT NULL,"
	"  resolution TEXT NOT NULL,"
	"  PRIMARY KEY (ticket_id, seq)) STRICT, WITHOUT ROWID;",
	/* 18: which warnings and breaches of the current period were sent
	 * (events move with a merge, so they cannot say), and when the
	 * clocks last ran again (the customer's silence restarts then). */
	"ALTER TABLE tickets ADD COLUMN sla_sent INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN resumed_at INTEGER NOT NULL DEFAULT 0;",
	/* 19: the report's breaches per week read the breaches only. */
	"CREATE INDEX IF NOT EXISTS events_breach_at ON events(at)"
	" WHERE kind = 'sla-breach';",
	/* 20: OAuth2 tokens (SPEC §15.3), one row a login ("imap:NAME",
	 * "smtp").  A rotated refresh token is written with the access
	 * token it came with, in one statement, before either is used;
	 * issuer is the token URL and client it came from; alerted: this
	 * run of failures was told to an administrator. */
	"CREATE TABLE oauth_tokens ("
	"  name TEXT PRIMARY KEY,"
	"  issuer TEXT NOT NULL,"
	"  access_token TEXT,"
	"  expires_at INTEGER NOT NULL DEFAULT 0,"
	"  obtained_at INTEGER NOT NULL DEFAULT 0,"
	"  refresh_token TEXT,"
	"  last_error TEXT,"
	"  error_at INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  dead INTEGER NOT NULL DEFAULT 0,"
	"  next_try INTEGER NOT NULL DEFAULT 0,"
	"  alerted INTEGER NOT NULL DEFAULT 0) STRICT;",
	/* 21: what a daemon says of itself and of each mailbox (SPEC
	 * §16.1), written at least every 30 s, read by supportctl status;
	 * the quarantine counted a mailbox at a time. */
	"CREATE TABLE instances ("
	"  name TEXT PRIMARY KEY,"
	"  pid INTEGER NOT NULL,"
	"  version TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  beat_at INTEGER NOT NULL,"
	"  stopped INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT) STRICT;"
	"CREATE TABLE mailbox_status ("
	"  mailbox TEXT PRIMARY KEY,"
	"  instance TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  connected_since INTEGER NOT NULL DEFAULT 0,"
	"  last_success INTEGER NOT NULL DEFAULT 0,"
	"  first_try INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  error_at INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL,"
	"  polling_since INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE INDEX messages_quarantined ON messages(mailbox)"
	" WHERE disposition = 'quarantined';",
	/* 22: a relay that is down holds up no webhook (pages and admin
	 * alerts are how anyone hears of it): the due ones are found past
	 * the waiting mail. */
	"CREATE INDEX outbox_webhooks ON outbox(status, id)"
	" WHERE kind = 'webhook';",
	/* 23: admin alerts (SPEC §16.3).  An incident is a row from the
	 * first time its condition is seen until it clears: one alert,
	 * one recovery.  alert_marks: the counts (quarantined, given up)
	 * the last look saw, so growth is told once. */
	"CREATE TABLE incidents ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  opened_at INTEGER NOT NULL,"
	"  seen_at INTEGER NOT NULL,"
	"  alerted_at INTEGER NOT NULL DEFAULT 0,"
	"  closed_at INTEGER NOT NULL DEFAULT 0,"
	"  held INTEGER NOT NULL DEFAULT 0,"
	"  detail TEXT) STRICT;"
	"CREATE UNIQUE INDEX incidents_open ON incidents(kind, subject)"
	" WHERE closed_at = 0;"
	"CREATE TABLE alert_marks ("
	"  kind TEXT PRIMARY KEY,"
	"  n INTEGER NOT NULL) STRICT;",
};

int
store_schema_version(void)
{
	return (int)nitems(migrations);
}

/* A migration that edits sqlite_schema directly must move the schema
 * cookie, or other connections keep the schema they parsed.  For one
 * that uses DDL the extra step only makes them parse it once more. */
static int
bump_schema_cookie(struct sd_store *st, struct sd_err *err)
{
	char	sql[64];
	int	cookie;

	if (store_pragma_int(st, "schema_version", &cookie, err) == -1)
		return -1;
	snprintf(sql, sizeof(sql), "PRAGMA schema_version = %d", cookie + 1);
	return exec_sql(st, sql, err);
}

/*
 * Each step reads the version inside its own BEGIN IMMEDIATE: two
 * processes opening a new database at once (two supportctl, two
 * daemons) would otherwise both read 0 and both create the tables.
 * The one that waited finds the work done.
 */
int
store_migrate(struct sd_store *st, struct sd_err *err)
{
	int	have = 0, want = (int)nitems(migrations);
	char	sql[64];

	if (store_pragma_int(st, "user_version", &have, err) == -1)
		return -1;
	if (have > want)
		return sd_err_set(err, SD_E_CONFIG, "store: database schema "
		    "version %d is newer than this supportd (%d); refusing to "
		    "touch it", have, want);
	/* Defensive mode (set at open) refuses writable_schema; only our
	 * own migrations run while it is lifted. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 0, NULL);
	while (have < want) {
		if (exec_sql(st, "BEGIN IMMEDIATE", err) == -1)
			goto fail;
		if (store_pragma_int(st, "user_version", &have, err) == -1) {
			exec_sql(st, "ROLLBACK", NULL);
			goto fail;
		}
		if (have >= want) {
			exec_sql(st, "ROLLBACK", NULL);
			break;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", have + 1);
		if (exec_sql(st, migrations[have], err) == -1 ||
		    bump_schema_cookie(st, err) == -1 ||
		    exec_sql(st, sql, err) == -1) {
			exec_sql(st, "ROLLBACK", NULL);
			goto fail;
		}
		if (exec_sql(st, "COMMIT", err) == -1) {
			exec_sql(st, "ROLLBACK", NULL);
			goto fail;
		}
		log_info("store: migrated schema to version=%d", ++have);
	}
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	return 0;
 fail:
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	return -1;
}

