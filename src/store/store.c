/* SPDX-License-Identifier: MIT */
/*
 * store.c - SQLite storage: schema, migrations keyed on PRAGMA
 * user_version, every statement prepared once at open, transactions.
 *
 * The cursor (last committed UID per mailbox and UIDVALIDITY) is the
 * truth about what was taken in; IMAP flags are cosmetic.  Incoming mail
 * carries a unique dedupe key (its Message-ID, or a hash of the bytes),
 * so a mail fetched again after a crash or a UIDVALIDITY change is
 * recognised instead of becoming a second ticket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sqlite3.h>

#include <glib.h>

#include "supportd/log.h"
#include "supportd/store.h"

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
};

/* How long a writer waits for another's transaction (a group of mail
 * takes well under a second). */
#define BUSY_TIMEOUT_MS	10000

#define TICKET_COLS \
	"t.id, t.mailbox, t.subject, t.status, t.priority, t.category," \
	" t.requester_email, t.requester_name, t.organization, t.tier," \
	" t.assignee, t.created_at, t.updated_at, t.first_response_at," \
	" t.agent_response_at, t.response_due, t.resolution_due," \
	" t.escalation_level, t.after_hours, t.linked_to," \
	" (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id)," \
	" t.resolved_at, t.last_agent_at"
/* RAW is the column read as the message: "raw", or "NULL" where the
 * caller needs only the row's state. */
#define OUTBOX_COLS_RAW(RAW) \
	"id, ticket_id, kind, status, mail_from, rcpts, message_id, " RAW "," \
	" attempts, next_attempt_at, created_at, sent_at, last_error," \
	" first_response"
#define OUTBOX_COLS	OUTBOX_COLS_RAW("raw")

enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_CURSOR_GET, S_CURSOR_SET,
	S_MSG_KNOWN, S_MSG_INSERT, S_TICKET_BY_MSGID, S_MSGS_OF_TICKET,
	S_TICKET_INSERT, S_TICKET_GET, S_TICKET_LIST, S_TICKET_SET_STATUS,
	S_TICKET_TOUCH, S_TICKET_FIRST_RESPONSE,
	S_PART_ADD, S_PART_IS,
	S_EVENT_ADD, S_EVENTS_OF_TICKET,
	S_OUT_QUEUE, S_OUT_NEXT, S_OUT_GET, S_OUT_SENT, S_OUT_RETRY, S_OUT_FAILED,
	S_OUT_LIST, S_OUT_REQUEUE_SENDING,
	S_PAGES_SINCE,
	S_TIMER_SET, S_TIMER_DEL, S_TIMER_NEXT,
	S_TICKET_SET_PRIORITY, S_TICKET_SET_CATEGORY, S_TICKET_SET_ASSIGNEE,
	S_TICKET_SET_DUE, S_TICKET_SET_LEVEL, S_TICKET_SET_RESOLVED,
	S_TICKET_AGENT_WROTE, S_REPORT, S_QUARANTINE,
	S_AUTO_TO_SINCE, S_AUTO_TICKET_SINCE, S_OPEN_C1_OF_ORG,
	S__COUNT
};

static const char *const stmt_sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_CURSOR_GET] = "SELECT uidvalidity, last_uid FROM cursors WHERE mailbox = ?1",
	[S_CURSOR_SET] = "INSERT INTO cursors (mailbox, uidvalidity, last_uid)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (mailbox) DO UPDATE"
	    " SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
	/* Mail with a Message-ID is known by it (messages_msgid); only
	 * mail without one has a dedupe key (older rows have both). */
	[S_MSG_KNOWN] = "SELECT 1 FROM messages WHERE message_id = ?1"
	    " AND direction = 'in' UNION ALL"
	    " SELECT 1 FROM messages WHERE dedupe_key = ?2 LIMIT 1",
	[S_MSG_INSERT] = "INSERT INTO messages (ticket_id, direction, mailbox,"
	    " uidvalidity, uid, dedupe_key, message_id, in_reply_to, from_addr,"
	    " subject, disposition, reason, body, at, raw) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[S_TICKET_BY_MSGID] = "SELECT ticket_id FROM messages WHERE message_id = ?1"
	    " AND ticket_id IS NOT NULL ORDER BY id LIMIT 1",
	[S_MSGS_OF_TICKET] = "SELECT id, ticket_id, direction, mailbox, uidvalidity,"
	    " uid, message_id, in_reply_to, from_addr, subject, disposition,"
	    " reason, body, at FROM messages WHERE ticket_id = ?1 ORDER BY id",
	[S_TICKET_INSERT] = "INSERT INTO tickets (mailbox, subject, status,"
	    " priority, category, requester_email, requester_name, organization,"
	    " tier, assignee, created_at, updated_at, response_due,"
	    " resolution_due, escalation_level, after_hours, linked_to) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14,"
	    " ?15, ?16)",
	[S_TICKET_GET] = "SELECT " TICKET_COLS " FROM tickets t WHERE t.id = ?1",
	[S_TICKET_LIST] = "SELECT " TICKET_COLS " FROM tickets t"
	    " WHERE (?1 IS NULL OR t.status = ?1)"
	    " AND (?2 IS NULL OR t.priority = ?2) ORDER BY t.id",
	[S_TICKET_SET_STATUS] = "UPDATE tickets SET status = ?2, updated_at = ?3"
	    " WHERE id = ?1",
	[S_TICKET_TOUCH] = "UPDATE tickets SET updated_at = ?2 WHERE id = ?1",
	[S_TICKET_FIRST_RESPONSE] = "UPDATE tickets SET first_response_at = ?2,"
	    " status = CASE status WHEN 'open' THEN 'pending' ELSE status END,"
	    " updated_at = ?2 WHERE id = ?1 AND first_response_at IS NULL",
	[S_PART_ADD] = "INSERT OR IGNORE INTO participants (ticket_id, email, role)"
	    " VALUES (?1, ?2, ?3)",
	[S_PART_IS] = "SELECT 1 FROM participants WHERE ticket_id = ?1 AND email = ?2",
	[S_EVENT_ADD] = "INSERT INTO events (ticket_id, at, actor, kind, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_EVENTS_OF_TICKET] = "SELECT id, ticket_id, at, actor, kind, detail"
	    " FROM events WHERE ticket_id = ?1 ORDER BY id",
	[S_OUT_QUEUE] = "INSERT INTO outbox (ticket_id, kind, status, mail_from,"
	    " rcpts, message_id, raw, next_attempt_at, created_at,"
	    " first_response) VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
	[S_OUT_NEXT] = "SELECT " OUTBOX_COLS " FROM outbox WHERE status = 'queued'"
	    " AND next_attempt_at <= ?1 AND id > ?2 ORDER BY id LIMIT 1",
	[S_OUT_GET] = "SELECT " OUTBOX_COLS_RAW("NULL")
	    " FROM outbox WHERE id = ?1",
	[S_OUT_SENT] = "UPDATE outbox SET status = 'sent', sent_at = ?2,"
	    " attempts = attempts + 1, last_error = NULL WHERE id = ?1",
	[S_OUT_RETRY] = "UPDATE outbox SET attempts = ?2, next_attempt_at = ?3,"
	    " last_error = ?4 WHERE id = ?1",
	[S_OUT_FAILED] = "UPDATE outbox SET status = 'failed', attempts = attempts + 1,"
	    " last_error = ?2 WHERE id = ?1",
	[S_OUT_LIST] = "SELECT " OUTBOX_COLS " FROM outbox"
	    " WHERE ?1 OR status IN ('queued', 'sending', 'failed') ORDER BY id",
	[S_OUT_REQUEUE_SENDING] = "UPDATE outbox SET status = 'queued'"
	    " WHERE status = 'sending'",
	[S_TIMER_SET] = "INSERT INTO timers (ticket_id, kind, due_at, arg)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ticket_id, kind) DO UPDATE"
	    " SET due_at = excluded.due_at, arg = excluded.arg",
	[S_TIMER_DEL] = "DELETE FROM timers WHERE ticket_id = ?1"
	    " AND (?2 IS NULL OR kind = ?2)",
	[S_TIMER_NEXT] = "SELECT id, ticket_id, kind, due_at, arg FROM timers"
	    " WHERE due_at <= ?1 ORDER BY due_at, id LIMIT 1",
	[S_TICKET_SET_PRIORITY] = "UPDATE tickets SET priority = ?2,"
	    " updated_at = ?3 WHERE id = ?1",
	[S_TICKET_SET_CATEGORY] = "UPDATE tickets SET category = ?2,"
	    " updated_at = ?3 WHERE id = ?1",
	[S_TICKET_SET_ASSIGNEE] = "UPDATE tickets SET assignee = ?2,"
	    " updated_at = ?3 WHERE id = ?1",
	[S_TICKET_SET_DUE] = "UPDATE tickets SET response_due = ?2,"
	    " resolution_due = ?3 WHERE id = ?1",
	[S_TICKET_SET_LEVEL] = "UPDATE tickets SET escalation_level = ?2,"
	    " updated_at = ?3 WHERE id = ?1",
	[S_TICKET_SET_RESOLVED] = "UPDATE tickets SET resolved_at = ?2"
	    " WHERE id = ?1",
	[S_TICKET_AGENT_WROTE] = "UPDATE tickets SET last_agent_at = ?2,"
	    " agent_response_at = coalesce(agent_response_at, ?2),"
	    " updated_at = ?2 WHERE id = ?1",
	[S_REPORT] = "SELECT t.id, t.priority, t.tier, t.created_at,"
	    " t.first_response_at, t.agent_response_at, t.response_due,"
	    " t.after_hours, t.escalation_level,"
	    " (SELECT count(*) FROM events e WHERE e.ticket_id = t.id"
	    "  AND e.kind = 'page')"
	    " FROM tickets t WHERE t.created_at >= ?1 ORDER BY t.id",
	/* Automatic mail goes out with the null sender. */
	[S_AUTO_TO_SINCE] = "SELECT count(*) FROM outbox WHERE mail_from = ''"
	    " AND rcpts = ?1 COLLATE NOCASE AND created_at >= ?2",
	[S_AUTO_TICKET_SINCE] = "SELECT count(*) FROM outbox WHERE"
	    " mail_from = '' AND ticket_id = ?1 AND created_at >= ?2"
	    " AND kind LIKE 'ack%'",
	[S_OPEN_C1_OF_ORG] = "SELECT id FROM tickets WHERE organization = ?1"
	    " AND priority = 'C1' AND status NOT IN ('resolved', 'closed')"
	    " AND created_at >= ?2 AND created_at <= ?3 ORDER BY id LIMIT 1",
	[S_QUARANTINE] = "SELECT id, ticket_id, direction, mailbox, uidvalidity,"
	    " uid, message_id, in_reply_to, from_addr, subject, disposition,"
	    " reason, NULL, at FROM messages WHERE disposition = 'quarantined'"
	    " ORDER BY id",
	[S_PAGES_SINCE] = "SELECT count(*) FROM events e"
	    " JOIN tickets t ON t.id = e.ticket_id"
	    " WHERE t.organization IS ?1 AND e.kind = 'page' AND e.at >= ?2",
};

/* WAL pages after which a checkpoint is due: SQLite's own default.
 * Past CKPT_PAGES_MAX the writer checkpoints itself, so the next commit
 * starts the WAL over (bench/RESULTS.md, session 10: a WAL that grew
 * through a whole intake cost the writer's pwrite(2)s 60 % more CPU).
 * That checkpoint is PASSIVE and gives way to the checkpointer; past
 * CKPT_PAGES_HARD it waits for it and for readers (RESTART), so the WAL
 * never holds more than CKPT_PAGES_HARD pages and one transaction,
 * however slow the machine. */
#define CKPT_PAGES	1000
#define CKPT_PAGES_MAX	(2 * CKPT_PAGES)
#define CKPT_PAGES_HARD	(3 * CKPT_PAGES)

/* A checkpointing thread with its own connection (store_checkpoint_apart). */
struct ckpt {
	GThread		*th;
	sqlite3		*db;
	GMutex		 mu;
	GCond		 cv;
	bool		 due, stop;
	bool		 running;	/* in a checkpoint */
	bool		 held;		/* the writer checkpoints: wait */
	unsigned	 done;		/* checkpoints that succeeded */
};

struct sd_store {
	sqlite3		*db;
	sqlite3_stmt	*st[S__COUNT];
	char		*path;
	struct ckpt	*ck;		/* or NULL: SQLite checkpoints */
};

static const char *const statuses[] = {
	SD_ST_OPEN, SD_ST_PENDING, SD_ST_REVIEW, SD_ST_WAITING_CUST,
	SD_ST_WAITING_DEV, SD_ST_IN_DEV, SD_ST_BC_TESTING, SD_ST_RESOLVED,
	SD_ST_CLOSED,
};

bool
store_status_valid(const char *s)
{
	for (size_t i = 0; s != NULL && i < nitems(statuses); i++)
		if (strcmp(s, statuses[i]) == 0)
			return true;
	return false;
}

int
store_schema_version(void)
{
	return (int)nitems(migrations);
}

static int
db_err(struct sd_store *st, struct sd_err *err, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);
	int prim = code & 0xff;

	return sd_err_set(err,
	    prim == SQLITE_BUSY || prim == SQLITE_LOCKED ? SD_E_TEMP :
	    prim == SQLITE_FULL || prim == SQLITE_IOERR ||
	    prim == SQLITE_CANTOPEN || prim == SQLITE_READONLY ? SD_E_CONFIG :
	    SD_E_BUG,
	    "store: %s: %s (%d)", what, sqlite3_errmsg(st->db), code);
}

/* Takes a prepared statement, reset and unbound (so it holds no read
 * transaction between uses). */
static sqlite3_stmt *
stmt(struct sd_store *st, enum stmt_id id)
{
	return st->st[id];
}

static void
done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		/* Every statement is bound, stepped and reset within one
		 * call, while the caller's strings live: no copies. */
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* 0 is NULL for times and optional ids. */
static void
bind_opt_int(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v == NULL ? NULL : xstrdup((const char *)v);
}

/* Runs a statement that returns no rows. */
static int
exec_stmt(struct sd_store *st, sqlite3_stmt *s, const char *what,
    struct sd_err *err)
{
	int r = sqlite3_step(s);

	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		db_err(st, err, what);
		done(s);
		return -1;
	}
	done(s);
	return 0;
}

static int
exec_sql(struct sd_store *st, const char *sql, struct sd_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sd_err_set(err, SD_E_CONFIG, "store: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The value of the integer PRAGMA name (a name from the code). */
int
store_pragma_int(struct sd_store *st, const char *name, int *v_r,
    struct sd_err *err)
{
	sqlite3_stmt	*s = NULL;
	char		*q = xasprintf("PRAGMA %s", name), *what;
	int		 ret = 0;

	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		what = xasprintf("read %s", name);
		ret = db_err(st, err, what);
		free(what);
	} else
		*v_r = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	free(q);
	return ret;
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

static int
migrate(struct sd_store *st, struct sd_err *err)
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
	for (int v = have; v < want; v++) {
		if (exec_sql(st, "BEGIN IMMEDIATE", err) == -1)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec_sql(st, migrations[v], err) == -1 ||
		    bump_schema_cookie(st, err) == -1 ||
		    exec_sql(st, sql, err) == -1) {
			exec_sql(st, "ROLLBACK", NULL);
			goto fail;
		}
		if (exec_sql(st, "COMMIT", err) == -1)
			goto fail;
		log_info("store: migrated schema to version=%d", v + 1);
	}
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	return 0;
 fail:
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	return -1;
}

/* SQLite's memory statistics take a global mutex on every allocation
 * (a tenth of intake's SQLite time); nothing reads them. */
static void
sqlite_setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_open(const char *path, struct sd_store **st_r, struct sd_err *err)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;
	struct sd_store		*st;
	sqlite3_stmt		*s = NULL;
	int			 ok;

	pthread_once(&once, sqlite_setup);
	*st_r = NULL;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	/* A connection belongs to one thread at a time (each worker and
	 * sender opens its own), so SQLite's per-connection mutex is not
	 * needed. */
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sd_err_set(err, SD_E_CONFIG, "store: %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* 8 KB pages for a new database (an existing one keeps its own):
	 * each WAL frame and checkpoint copy is a system call or two, and
	 * with 4 KB pages they were a fifth of intake's writer thread
	 * (benchmark: its system time 0.25 -> 0.19 s per 10,000 mails). */
	if (exec_sql(st, "PRAGMA page_size=8192", err) == -1)
		goto fail;
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		db_err(st, err, path);
		goto fail;
	}
	ok = strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0;
	sqlite3_finalize(s);
	if (!ok) {
		sd_err_set(err, SD_E_CONFIG, "store: %s: cannot use WAL", path);
		goto fail;
	}
	/* Intake is idempotent, so a commit lost to power failure is
	 * fetched again; NORMAL is safe in WAL and much faster.  Statement
	 * journals stay in memory (on disk they were 9 in 10 of intake's
	 * writes when each mail was a savepoint).  A 4 MB page cache per
	 * connection: with 8 MB intake was 5 % faster but the RSS 27 MB
	 * (benchmark).
	 * The default checkpoint (every 1000 WAL pages, 8 MB) stays: at
	 * 8192 4 KB pages the end-to-end runs, whose sender reads while
	 * intake writes, were slower and varied twice as much.  The
	 * daemon's writers have it run on a thread of their own
	 * (store_checkpoint_apart). */
	if (exec_sql(st, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
	    " PRAGMA cache_size=-4096; PRAGMA temp_store=MEMORY;",
	    err) == -1 || migrate(st, err) == -1)
		goto fail;
	for (int i = 0; i < S__COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->st[i], NULL) != SQLITE_OK) {
			sd_err_set(err, SD_E_BUG, "store: prepare %d: %s", i,
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	*st_r = st;
	return 0;
 fail:
	store_close(&st);
	return -1;
}

/* The writer's WAL hook: wakes the checkpointer, never waits for it
 * below CKPT_PAGES_HARD.  Only the writer starts the WAL over, at a
 * transaction that finds it all copied; a writer that never finds so
 * (the checkpointer still at work each time) checkpoints itself past
 * CKPT_PAGES_MAX, as SQLite would have at CKPT_PAGES, so the WAL stays
 * small.  Most of its frames are copied by then, so that checkpoint is
 * short; while the checkpointer holds the checkpoint lock it is
 * SQLITE_BUSY and is tried again at the next commit.  A checkpointer
 * that falls that far behind (a busy machine) is waited for. */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct ckpt *ck = arg;

	if (pages >= CKPT_PAGES_HARD) {
		/* SQLite does not wait for another connection's checkpoint:
		 * wait for the thread here, and keep it out meanwhile. */
		g_mutex_lock(&ck->mu);
		ck->held = true;
		while (ck->running)
			g_cond_wait(&ck->cv, &ck->mu);
		g_mutex_unlock(&ck->mu);
		if (sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_RESTART, NULL, NULL) != SQLITE_OK)
			log_warnx("store: checkpoint at %d WAL pages: %s",
			    pages, sqlite3_errmsg(db));
		g_mutex_lock(&ck->mu);
		ck->held = false;
		g_cond_broadcast(&ck->cv);
		g_mutex_unlock(&ck->mu);
	} else if (pages >= CKPT_PAGES_MAX)
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	else if (pages >= CKPT_PAGES) {
		g_mutex_lock(&ck->mu);
		ck->due = true;
		g_cond_broadcast(&ck->cv);
		g_mutex_unlock(&ck->mu);
	}
	return SQLITE_OK;
}

static gpointer
ckpt_main(gpointer arg)
{
	struct ckpt	*ck = arg;
	int		 r, copied;

	g_mutex_lock(&ck->mu);
	for (;;) {
		while ((!ck->due || ck->held) && !ck->stop)
			g_cond_wait(&ck->cv, &ck->mu);
		if (ck->stop)
			break;
		ck->due = false;
		ck->running = true;
		g_mutex_unlock(&ck->mu);
		/* PASSIVE: copies what no reader needs, waits for nobody;
		 * what is left is copied next time. */
		r = sqlite3_wal_checkpoint_v2(ck->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, &copied);
		if (r != SQLITE_OK && (r & 0xff) != SQLITE_BUSY)
			log_warnx("store: checkpoint: %s",
			    sqlite3_errmsg(ck->db));
		g_mutex_lock(&ck->mu);
		ck->running = false;
		g_cond_broadcast(&ck->cv);
		if (r == SQLITE_OK && copied > 0)	/* frames are in the db */
			ck->done++;
	}
	g_mutex_unlock(&ck->mu);
	return NULL;
}

static void
ckpt_free(struct ckpt *ck)
{
	if (ck == NULL)
		return;
	if (ck->th != NULL) {
		g_mutex_lock(&ck->mu);
		ck->stop = true;
		g_cond_broadcast(&ck->cv);
		g_mutex_unlock(&ck->mu);
		g_thread_join(ck->th);
	}
	if (ck->db != NULL)
		(void)sqlite3_close(ck->db);
	g_mutex_clear(&ck->mu);
	g_cond_clear(&ck->cv);
	free(ck);
}

/*
 * Checkpoints st's WAL on a thread of its own, with a connection of its
 * own, instead of in the commit that finds the WAL over CKPT_PAGES.
 * Found by the benchmark: the checkpoints' fsyncs stalled intake's
 * thread, about a tenth of its wall time (A/B with synchronous=OFF).
 * Without it, SQLite checkpoints as usual.
 */
int
store_checkpoint_apart(struct sd_store *st, struct sd_err *err)
{
	struct ckpt	*ck;
	GError		*ge = NULL;

	if (st->ck != NULL)
		return 0;
	ck = xcalloc(1, sizeof(*ck));
	g_mutex_init(&ck->mu);
	g_cond_init(&ck->cv);
	if (sqlite3_open_v2(st->path, &ck->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(ck->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
	    NULL) != SQLITE_OK) {
		sd_err_set(err, SD_E_TEMP, "store: %s: checkpointer: %s",
		    st->path, ck->db ? sqlite3_errmsg(ck->db) : "cannot open");
		ckpt_free(ck);
		return -1;
	}
	sqlite3_busy_timeout(ck->db, BUSY_TIMEOUT_MS);
	if ((ck->th = sd_thread_try_new("checkpoint", ckpt_main, ck,
	    &ge)) == NULL) {
		sd_err_set(err, SD_E_TEMP, "store: %s: checkpointer: %s",
		    st->path, ge->message);
		g_error_free(ge);
		ckpt_free(ck);
		return -1;
	}
	/* Replaces SQLite's own checkpoint-on-commit hook. */
	sqlite3_wal_hook(st->db, ckpt_hook, ck);
	st->ck = ck;
	return 0;
}

int
store_cache_kib(struct sd_store *st, int kib, struct sd_err *err)
{
	char	sql[64];
	int	now;

	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", kib);
	if (exec_sql(st, sql, err) == -1 ||
	    store_pragma_int(st, "cache_size", &now, err) == -1)
		return -1;
	if (now != -kib)
		return sd_err_set(err, SD_E_TEMP, "store: %s: cache_size is "
		    "%d, not -%d", st->path, now, kib);
	return 0;
}

unsigned
store_checkpoints(struct sd_store *st)
{
	unsigned n;

	if (st->ck == NULL)
		return 0;
	g_mutex_lock(&st->ck->mu);
	n = st->ck->done;
	g_mutex_unlock(&st->ck->mu);
	return n;
}

void
store_close(struct sd_store **stp)
{
	struct sd_store *st = *stp;

	if (st == NULL)
		return;
	/* The checkpointer's connection first: the last one to close
	 * checkpoints.  No hook may reach it once it is gone. */
	if (st->ck != NULL)
		sqlite3_wal_hook(st->db, NULL, NULL);
	ckpt_free(st->ck);
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->st[i]);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(st->db));
	free(st->path);
	free(st);
	*stp = NULL;
}

/* Transactions do not nest: see store.h. */
static int
not_nested(struct sd_store *st, struct sd_err *err)
{
	if (!sqlite3_get_autocommit(st->db))
		return sd_err_set(err, SD_E_BUG, "store: begin inside a "
		    "transaction");
	return 0;
}

int
store_begin(struct sd_store *st, struct sd_err *err)
{
	if (not_nested(st, err) == -1)
		return -1;
	return exec_stmt(st, stmt(st, S_BEGIN), "begin", err);
}

int
store_try_begin(struct sd_store *st, bool *busy_r, struct sd_err *err)
{
	int r;

	*busy_r = false;
	if (not_nested(st, err) == -1)
		return -1;
	sqlite3_busy_timeout(st->db, 0);
	r = exec_stmt(st, stmt(st, S_BEGIN), "begin", err);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (r == -1 && (sqlite3_errcode(st->db) & 0xff) == SQLITE_BUSY) {
		sd_err_clear(err);
		*busy_r = true;
		return 0;
	}
	return r;
}

int
store_commit(struct sd_store *st, struct sd_err *err)
{
	/* A failed statement may already have ended the transaction
	 * (SQLITE_FULL, I/O errors): then nothing of it is kept. */
	if (sqlite3_get_autocommit(st->db))
		return sd_err_set(err, SD_E_TEMP, "store: the transaction "
		    "was rolled back");
	if (exec_stmt(st, stmt(st, S_COMMIT), "commit", err) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

void
store_rollback(struct sd_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		exec_stmt(st, stmt(st, S_ROLLBACK), "rollback", NULL);
}

/* Listings supportctl runs on demand read whole tables on purpose. */
static bool
may_scan(int id)
{
	return id == S_TICKET_LIST || id == S_REPORT || id == S_QUARANTINE ||
	    id == S_OUT_LIST;
}

/* Statements allowed a temporary B-tree each run: the listings, the
 * start-up requeue, and the sort of an organization's open C1 tickets
 * (new C1 mail only). */
static bool
may_use_temp(int id)
{
	return may_scan(id) || id == S_OUT_REQUEUE_SENDING ||
	    id == S_OPEN_C1_OF_ORG;
}

/* Calls cb for each row of "EXPLAIN [QUERY PLAN] sql" that match()
 * picks out of column col; returns how many. */
static int
explain_each(struct sd_store *st, const char *how, int i, int col,
    bool (*match)(const char *),
    void (*cb)(void *arg, const char *sql, const char *detail), void *arg)
{
	sqlite3_stmt	*s = NULL;
	char		*q = xasprintf("EXPLAIN %s%s", how, stmt_sql[i]);
	int		 n = 0;

	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL) == SQLITE_OK)
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(s,
			    col);

			if (d != NULL && match(d)) {
				cb(arg, stmt_sql[i], d);
				n++;
			}
		}
	sqlite3_finalize(s);
	free(q);
	return n;
}

static bool
is_scan(const char *d)
{
	return strncmp(d, "SCAN ", 5) == 0 && strstr(d, "CONSTANT ROW") == NULL;
}

/* SQLite builds one for "x IN (more than two values)", DISTINCT, a sort
 * without an index: a B-tree made and dropped every run. */
static bool
is_temp_btree(const char *op)
{
	return strcmp(op, "OpenEphemeral") == 0;
}

int
store_plan_scans(struct sd_store *st,
    void (*cb)(void *arg, const char *sql, const char *detail), void *arg)
{
	int n = 0;

	for (int i = 0; i < S__COUNT; i++) {
		if (!may_scan(i) && (strncmp(stmt_sql[i], "SELECT", 6) == 0 ||
		    strncmp(stmt_sql[i], "UPDATE", 6) == 0 ||
		    strncmp(stmt_sql[i], "DELETE", 6) == 0))
			n += explain_each(st, "QUERY PLAN ", i, 3, is_scan, cb,
			    arg);
		if (!may_use_temp(i))
			n += explain_each(st, "", i, 1, is_temp_btree, cb, arg);
	}
	return n;
}

int
store_cursor_get(struct sd_store *st, const char *mailbox,
    uint32_t *uidvalidity_r, uint32_t *last_uid_r, bool *found_r,
    struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_CURSOR_GET);
	int		 r;

	bind_text(s, 1, mailbox);
	r = sqlite3_step(s);
	*found_r = r == SQLITE_ROW;
	if (r == SQLITE_ROW) {
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(s, 0);
		*last_uid_r = (uint32_t)sqlite3_column_int64(s, 1);
	} else if (r != SQLITE_DONE) {
		db_err(st, err, "cursor get");
		done(s);
		return -1;
	}
	done(s);
	return 0;
}

int
store_cursor_set(struct sd_store *st, const char *mailbox,
    uint32_t uidvalidity, uint32_t last_uid, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_CURSOR_SET);

	bind_text(s, 1, mailbox);
	sqlite3_bind_int64(s, 2, uidvalidity);
	sqlite3_bind_int64(s, 3, last_uid);
	return exec_stmt(st, s, "cursor set", err);
}

int
store_message_known(struct sd_store *st, const char *message_id,
    const char *key, bool *known_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_MSG_KNOWN);
	int		 r;

	bind_text(s, 1, message_id);
	bind_text(s, 2, key);
	r = sqlite3_step(s);
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "message known");
	*known_r = r == SQLITE_ROW;
	return 0;
}

int
store_message_insert(struct sd_store *st, const struct sd_msgrec *m,
    int64_t *id_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_MSG_INSERT);

	bind_opt_int(s, 1, m->ticket_id);
	bind_text(s, 2, m->direction);
	bind_text(s, 3, m->mailbox);
	bind_opt_int(s, 4, m->uidvalidity);
	bind_opt_int(s, 5, m->uid);
	bind_text(s, 6, m->dedupe_key);
	bind_text(s, 7, m->message_id);
	bind_text(s, 8, m->in_reply_to);
	bind_text(s, 9, m->from_addr);
	bind_text(s, 10, m->subject);
	bind_text(s, 11, m->disposition);
	bind_text(s, 12, m->reason);
	bind_text(s, 13, m->body);
	sqlite3_bind_int64(s, 14, m->at);
	if (m->raw != NULL)
		sqlite3_bind_blob64(s, 15, m->raw, m->rawlen, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 15);
	if (exec_stmt(st, s, "message insert", err) == -1)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_ticket_by_message_id(struct sd_store *st, const char *message_id,
    int64_t *ticket_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_TICKET_BY_MSGID);
	int		 r;

	*ticket_r = 0;
	bind_text(s, 1, message_id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*ticket_r = sqlite3_column_int64(s, 0);
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "ticket by message-id");
	return 0;
}

int
store_ticket_insert(struct sd_store *st, struct sd_ticket *t,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_INSERT);

	bind_text(s, 1, t->mailbox);
	bind_text(s, 2, t->subject);
	bind_text(s, 3, t->status);
	bind_text(s, 4, t->priority);
	bind_text(s, 5, t->category);
	bind_text(s, 6, t->requester_email);
	bind_text(s, 7, t->requester_name);
	bind_text(s, 8, t->organization);
	bind_text(s, 9, t->tier);
	bind_text(s, 10, t->assignee);
	sqlite3_bind_int64(s, 11, t->created_at);
	bind_opt_int(s, 12, t->response_due);
	bind_opt_int(s, 13, t->resolution_due);
	sqlite3_bind_int(s, 14, t->escalation_level);
	sqlite3_bind_int(s, 15, t->after_hours);
	bind_opt_int(s, 16, t->linked_to);
	if (exec_stmt(st, s, "ticket insert", err) == -1)
		return -1;
	t->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void
read_ticket(sqlite3_stmt *s, struct sd_ticket *t)
{
	t->id = sqlite3_column_int64(s, 0);
	t->mailbox = col_text(s, 1);
	t->subject = col_text(s, 2);
	t->status = col_text(s, 3);
	t->priority = col_text(s, 4);
	t->category = col_text(s, 5);
	t->requester_email = col_text(s, 6);
	t->requester_name = col_text(s, 7);
	t->organization = col_text(s, 8);
	t->tier = col_text(s, 9);
	t->assignee = col_text(s, 10);
	t->created_at = sqlite3_column_int64(s, 11);
	t->updated_at = sqlite3_column_int64(s, 12);
	t->first_response_at = sqlite3_column_int64(s, 13);
	t->agent_response_at = sqlite3_column_int64(s, 14);
	t->response_due = sqlite3_column_int64(s, 15);
	t->resolution_due = sqlite3_column_int64(s, 16);
	t->escalation_level = sqlite3_column_int(s, 17);
	t->after_hours = sqlite3_column_int(s, 18) != 0;
	t->linked_to = sqlite3_column_int64(s, 19);
	t->nmessages = sqlite3_column_int64(s, 20);
	t->resolved_at = sqlite3_column_int64(s, 21);
	t->last_agent_at = sqlite3_column_int64(s, 22);
}

void
store_ticket_clear(struct sd_ticket *t)
{
	free(t->mailbox);
	free(t->subject);
	free(t->status);
	free(t->priority);
	free(t->category);
	free(t->requester_email);
	free(t->requester_name);
	free(t->organization);
	free(t->tier);
	free(t->assignee);
	memset(t, 0, sizeof(*t));
}

int
store_ticket_get(struct sd_store *st, int64_t id, struct sd_ticket *t,
    bool *found_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_TICKET_GET);
	int		 r;

	memset(t, 0, sizeof(*t));
	sqlite3_bind_int64(s, 1, id);
	r = sqlite3_step(s);
	*found_r = r == SQLITE_ROW;
	if (r == SQLITE_ROW)
		read_ticket(s, t);
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "ticket get");
	return 0;
}

int
store_ticket_set_status(struct sd_store *st, int64_t id, const char *status,
    sd_time at, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_SET_STATUS);

	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, at);
	return exec_stmt(st, s, "ticket set status", err);
}

int
store_ticket_touch(struct sd_store *st, int64_t id, sd_time at,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_TOUCH);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	return exec_stmt(st, s, "ticket touch", err);
}

int
store_ticket_first_response(struct sd_store *st, int64_t id, sd_time at,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_FIRST_RESPONSE);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	return exec_stmt(st, s, "ticket first response", err);
}

int
store_ticket_list(struct sd_store *st, const struct sd_ticket_filter *f,
    store_ticket_cb cb, void *arg, struct sd_err *err)
{
	sqlite3_stmt		*s = stmt(st, S_TICKET_LIST);
	struct sd_ticket	 t;
	int			 r, ret = 0;

	bind_text(s, 1, f ? f->status : NULL);
	bind_text(s, 2, f ? f->priority : NULL);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		read_ticket(s, &t);
		ret = cb(arg, &t);
		store_ticket_clear(&t);
		if (ret != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "ticket list");
		ret = -1;
	}
	done(s);
	return ret;
}

/* Walks the message rows of s (the columns of S_MSGS_OF_TICKET). */
static int
walk_messages(struct sd_store *st, sqlite3_stmt *s, store_msg_cb cb,
    void *arg, struct sd_err *err)
{
	struct sd_msgrec	 m;
	int			 r, ret = 0;

	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		m.id = sqlite3_column_int64(s, 0);
		m.ticket_id = sqlite3_column_int64(s, 1);
		m.direction = (const char *)sqlite3_column_text(s, 2);
		m.mailbox = (const char *)sqlite3_column_text(s, 3);
		m.uidvalidity = (uint32_t)sqlite3_column_int64(s, 4);
		m.uid = (uint32_t)sqlite3_column_int64(s, 5);
		m.message_id = (const char *)sqlite3_column_text(s, 6);
		m.in_reply_to = (const char *)sqlite3_column_text(s, 7);
		m.from_addr = (const char *)sqlite3_column_text(s, 8);
		m.subject = (const char *)sqlite3_column_text(s, 9);
		m.disposition = (const char *)sqlite3_column_text(s, 10);
		m.reason = (const char *)sqlite3_column_text(s, 11);
		m.body = (const char *)sqlite3_column_text(s, 12);
		m.at = sqlite3_column_int64(s, 13);
		/* Borrowed column pointers: valid only inside the callback. */
		if ((ret = cb(arg, &m)) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "messages");
		ret = -1;
	}
	done(s);
	return ret;
}

int
store_ticket_messages(struct sd_store *st, int64_t ticket, store_msg_cb cb,
    void *arg, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_MSGS_OF_TICKET);

	sqlite3_bind_int64(s, 1, ticket);
	return walk_messages(st, s, cb, arg, err);
}

int
store_quarantine_list(struct sd_store *st, store_msg_cb cb, void *arg,
    struct sd_err *err)
{
	return walk_messages(st, stmt(st, S_QUARANTINE), cb, arg, err);
}

int
store_participant_add(struct sd_store *st, int64_t ticket, const char *email,
    const char *role, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_PART_ADD);

	if (email == NULL || *email == '\0')
		return 0;
	sqlite3_bind_int64(s, 1, ticket);
	bind_text(s, 2, email);
	bind_text(s, 3, role);
	return exec_stmt(st, s, "participant add", err);
}

int
store_participant_is(struct sd_store *st, int64_t ticket, const char *email,
    bool *is_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_PART_IS);
	int		 r;

	sqlite3_bind_int64(s, 1, ticket);
	bind_text(s, 2, email);
	r = sqlite3_step(s);
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "participant is");
	*is_r = r == SQLITE_ROW;
	return 0;
}

int
store_event_add(struct sd_store *st, int64_t ticket, sd_time at,
    const char *actor, const char *kind, const char *detail,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_EVENT_ADD);

	sqlite3_bind_int64(s, 1, ticket);
	sqlite3_bind_int64(s, 2, at);
	bind_text(s, 3, actor);
	bind_text(s, 4, kind);
	bind_text(s, 5, detail);
	return exec_stmt(st, s, "event add", err);
}

int
store_ticket_events(struct sd_store *st, int64_t ticket, store_event_cb cb,
    void *arg, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_EVENTS_OF_TICKET);
	struct sd_event	 e;
	int		 r, ret = 0;

	sqlite3_bind_int64(s, 1, ticket);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		e.id = sqlite3_column_int64(s, 0);
		e.ticket_id = sqlite3_column_int64(s, 1);
		e.at = sqlite3_column_int64(s, 2);
		e.actor = (const char *)sqlite3_column_text(s, 3);
		e.kind = (const char *)sqlite3_column_text(s, 4);
		e.detail = (const char *)sqlite3_column_text(s, 5);
		if ((ret = cb(arg, &e)) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "ticket events");
		ret = -1;
	}
	done(s);
	return ret;
}

int
store_outbox_queue(struct sd_store *st, struct sd_outrow *o,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OUT_QUEUE);

	bind_opt_int(s, 1, o->ticket_id);
	bind_text(s, 2, o->kind);
	bind_text(s, 3, o->mail_from ? o->mail_from : "");
	bind_text(s, 4, o->rcpts);
	bind_text(s, 5, o->message_id);
	sqlite3_bind_blob64(s, 6, o->raw, o->rawlen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, o->created_at);
	sqlite3_bind_int(s, 8, o->first_response);
	if (exec_stmt(st, s, "outbox queue", err) == -1)
		return -1;
	o->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void
read_outrow(sqlite3_stmt *s, struct sd_outrow *o)
{
	const void *raw;

	o->id = sqlite3_column_int64(s, 0);
	o->ticket_id = sqlite3_column_int64(s, 1);
	o->kind = col_text(s, 2);
	o->status = col_text(s, 3);
	o->mail_from = col_text(s, 4);
	o->rcpts = col_text(s, 5);
	o->message_id = col_text(s, 6);
	raw = sqlite3_column_blob(s, 7);
	o->rawlen = (size_t)sqlite3_column_bytes(s, 7);
	o->raw = xmalloc(o->rawlen + 1);
	if (o->rawlen > 0)
		memcpy(o->raw, raw, o->rawlen);
	o->raw[o->rawlen] = '\0';
	o->attempts = sqlite3_column_int(s, 8);
	o->next_attempt_at = sqlite3_column_int64(s, 9);
	o->created_at = sqlite3_column_int64(s, 10);
	o->sent_at = sqlite3_column_int64(s, 11);
	o->last_error = col_text(s, 12);
	o->first_response = sqlite3_column_int(s, 13) != 0;
}

void
store_outrow_clear(struct sd_outrow *o)
{
	free(o->kind);
	free(o->status);
	free(o->mail_from);
	free(o->rcpts);
	free(o->message_id);
	free(o->raw);
	free(o->last_error);
	memset(o, 0, sizeof(*o));
}

/* Steps s (bound) for at most one row into o. */
static int
outrow_one(struct sd_store *st, sqlite3_stmt *s, struct sd_outrow *o,
    bool *found_r, const char *what, struct sd_err *err)
{
	int r = sqlite3_step(s);

	*found_r = r == SQLITE_ROW;
	if (r == SQLITE_ROW)
		read_outrow(s, o);
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, what);
	return 0;
}

int
store_outbox_next(struct sd_store *st, sd_time now, int64_t after,
    struct sd_outrow *o, bool *found_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OUT_NEXT);

	memset(o, 0, sizeof(*o));
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, after);
	return outrow_one(st, s, o, found_r, "outbox next", err);
}

int
store_outbox_get(struct sd_store *st, int64_t id, struct sd_outrow *o,
    bool *found_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OUT_GET);

	memset(o, 0, sizeof(*o));
	sqlite3_bind_int64(s, 1, id);
	return outrow_one(st, s, o, found_r, "outbox get", err);
}

int
store_outbox_mark_sent(struct sd_store *st, int64_t id, sd_time at,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OUT_SENT);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	return exec_stmt(st, s, "outbox sent", err);
}

int
store_outbox_mark_retry(struct sd_store *st, int64_t id, int attempts,
    sd_time next_at, const char *error, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OUT_RETRY);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, attempts);
	sqlite3_bind_int64(s, 3, next_at);
	bind_text(s, 4, error);
	return exec_stmt(st, s, "outbox retry", err);
}

int
store_outbox_mark_failed(struct sd_store *st, int64_t id, const char *error,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OUT_FAILED);

	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, error);
	return exec_stmt(st, s, "outbox failed", err);
}

int
store_outbox_list(struct sd_store *st, bool include_sent, store_outbox_cb cb,
    void *arg, struct sd_err *err)
{
	sqlite3_stmt		*s = stmt(st, S_OUT_LIST);
	struct sd_outrow	 o;
	int			 r, ret = 0;

	sqlite3_bind_int(s, 1, include_sent);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		read_outrow(s, &o);
		ret = cb(arg, &o);
		store_outrow_clear(&o);
		if (ret != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "outbox list");
		ret = -1;
	}
	done(s);
	return ret;
}

int
store_pages_since(struct sd_store *st, const char *org, sd_time since,
    int64_t *n_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_PAGES_SINCE);
	int		 r;

	*n_r = 0;
	bind_text(s, 1, org);
	sqlite3_bind_int64(s, 2, since);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*n_r = sqlite3_column_int64(s, 0);
	done(s);
	if (r != SQLITE_ROW)
		return db_err(st, err, "pages since");
	return 0;
}

int
store_timer_set(struct sd_store *st, int64_t ticket, const char *kind,
    sd_time due_at, int64_t arg, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TIMER_SET);

	sqlite3_bind_int64(s, 1, ticket);
	bind_text(s, 2, kind);
	sqlite3_bind_int64(s, 3, due_at);
	sqlite3_bind_int64(s, 4, arg);
	return exec_stmt(st, s, "timer set", err);
}

int
store_timer_delete(struct sd_store *st, int64_t ticket, const char *kind,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TIMER_DEL);

	sqlite3_bind_int64(s, 1, ticket);
	bind_text(s, 2, kind);
	return exec_stmt(st, s, "timer delete", err);
}

int
store_timer_next(struct sd_store *st, sd_time now, struct sd_timer *t,
    bool *found_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_TIMER_NEXT);
	int		 r;

	memset(t, 0, sizeof(*t));
	sqlite3_bind_int64(s, 1, now);
	r = sqlite3_step(s);
	*found_r = r == SQLITE_ROW;
	if (r == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_text(s, 2);

		t->id = sqlite3_column_int64(s, 0);
		t->ticket_id = sqlite3_column_int64(s, 1);
		snprintf(t->kind, sizeof(t->kind), "%s", k ? (const char *)k : "");
		t->due_at = sqlite3_column_int64(s, 3);
		t->arg = sqlite3_column_int64(s, 4);
	}
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "timer next");
	return 0;
}

int
store_ticket_set_field(struct sd_store *st, int64_t id, enum sd_field f,
    const char *value, sd_time at, struct sd_err *err)
{
	static const enum stmt_id ids[] = {
		[SD_F_PRIORITY] = S_TICKET_SET_PRIORITY,
		[SD_F_CATEGORY] = S_TICKET_SET_CATEGORY,
		[SD_F_ASSIGNEE] = S_TICKET_SET_ASSIGNEE,
	};
	sqlite3_stmt *s;

	if ((size_t)f >= nitems(ids) || ids[f] == 0)
		return sd_err_set(err, SD_E_BUG, "store: bad field %d", f);
	s = stmt(st, ids[f]);
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, value);
	sqlite3_bind_int64(s, 3, at);
	return exec_stmt(st, s, "ticket set field", err);
}

int
store_ticket_set_due(struct sd_store *st, int64_t id, sd_time response_due,
    sd_time resolution_due, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_SET_DUE);

	sqlite3_bind_int64(s, 1, id);
	bind_opt_int(s, 2, response_due);
	bind_opt_int(s, 3, resolution_due);
	return exec_stmt(st, s, "ticket set due", err);
}

int
store_ticket_set_level(struct sd_store *st, int64_t id, int level, sd_time at,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_SET_LEVEL);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, level);
	sqlite3_bind_int64(s, 3, at);
	return exec_stmt(st, s, "ticket set level", err);
}

int
store_ticket_set_resolved(struct sd_store *st, int64_t id, sd_time at,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_SET_RESOLVED);

	sqlite3_bind_int64(s, 1, id);
	bind_opt_int(s, 2, at);
	return exec_stmt(st, s, "ticket set resolved", err);
}

int
store_ticket_agent_wrote(struct sd_store *st, int64_t id, sd_time at,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_AGENT_WROTE);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	return exec_stmt(st, s, "ticket agent wrote", err);
}

int
store_report(struct sd_store *st, sd_time since, store_report_cb cb,
    void *arg, struct sd_err *err)
{
	sqlite3_stmt		*s = stmt(st, S_REPORT);
	struct sd_report_row	 row;
	int			 r, ret = 0;

	sqlite3_bind_int64(s, 1, since);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(s, 0);
		row.priority = (const char *)sqlite3_column_text(s, 1);
		row.tier = (const char *)sqlite3_column_text(s, 2);
		row.created_at = sqlite3_column_int64(s, 3);
		row.first_response_at = sqlite3_column_int64(s, 4);
		row.agent_response_at = sqlite3_column_int64(s, 5);
		row.response_due = sqlite3_column_int64(s, 6);
		row.after_hours = sqlite3_column_int(s, 7) != 0;
		row.escalation_level = sqlite3_column_int(s, 8);
		row.pages = sqlite3_column_int64(s, 9);
		if ((ret = cb(arg, &row)) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "report");
		ret = -1;
	}
	done(s);
	return ret;
}

/* One integer from a statement bound by the caller; 0 when no row. */
static int
one_int(struct sd_store *st, sqlite3_stmt *s, const char *what, int64_t *n_r,
    struct sd_err *err)
{
	int r = sqlite3_step(s);

	*n_r = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, what);
	return 0;
}

int
store_autoreplies_to(struct sd_store *st, const char *rcpt, sd_time since,
    int64_t *n_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_AUTO_TO_SINCE);

	bind_text(s, 1, rcpt);
	sqlite3_bind_int64(s, 2, since);
	return one_int(st, s, "autoreplies to", n_r, err);
}

int
store_autoreplies_ticket(struct sd_store *st, int64_t ticket, sd_time since,
    int64_t *n_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_AUTO_TICKET_SINCE);

	sqlite3_bind_int64(s, 1, ticket);
	sqlite3_bind_int64(s, 2, since);
	return one_int(st, s, "autoreplies of ticket", n_r, err);
}

int
store_open_c1_of_org(struct sd_store *st, const char *org, sd_time since,
    sd_time until, int64_t *id_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OPEN_C1_OF_ORG);

	bind_text(s, 1, org);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int64(s, 3, until);
	return one_int(st, s, "open C1 of organization", id_r, err);
}
