/* SPDX-License-Identifier: MIT */
/*
 * store.c - SQLite storage: the connection, every statement prepared
 * once at open, transactions, the check of the mail path's plans.  The
 * schema is schema.c's, the checkpointer ckpt.c's, the rows tickets.c's
 * and outrows.c's.
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
#include <unistd.h>
#include <sys/stat.h>

#include <pthread.h>
#include <sqlite3.h>

#include <glib.h>

#include "supportd/log.h"
#include "store_int.h"


#define DUE_OF_T "(CASE WHEN t.first_response_at IS NULL" \
	" THEN t.response_due ELSE t.resolution_due END)"
#define TICKET_COLS \
	"t.id, t.mailbox, t.subject, t.status, t.priority, t.category," \
	" t.requester_email, t.requester_name, t.organization, t.tier," \
	" t.assignee, t.created_at, t.updated_at, t.first_response_at," \
	" t.agent_response_at, t.response_due, t.resolution_due," \
	" t.escalation_level, t.after_hours, t.linked_to," \
	" (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id)," \
	" t.resolved_at, t.last_agent_at, t.due_by_agent, t.paused_at," \
	" t.paused_wall, t.paused_bh, t.period, t.period_start, t.sla_sent," \
	" t.resumed_at"
/* RAW is the column read as the message: "raw", or "NULL" where the
 * caller needs only the row's state. */
#define OUTBOX_COLS_RAW(RAW) \
	"id, ticket_id, kind, status, mail_from, rcpts, message_id, " RAW "," \
	" attempts, next_attempt_at, created_at, sent_at, last_error," \
	" first_response, raw_size"
#define OUTBOX_COLS	OUTBOX_COLS_RAW("raw")
#define INSTANCE_COLS "name, pid, version, started_at, beat_at, stopped," \
	" status"
#define MBSTATUS_COLS "mailbox, instance, state, connected_since," \
	" last_success, first_try, last_error, error_at, updated_at," \
	" polling_since"
#define INCIDENT_COLS "id, kind, subject, opened_at, seen_at, alerted_at," \
	" closed_at, held, detail"
#define TOKEN_COLS "name, issuer, access_token, expires_at, obtained_at," \
	" refresh_token, last_error, error_at, failures, dead, next_try," \
	" alerted"


static const char *const stmt_sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_CURSOR_GET] = "SELECT uidvalidity, last_uid FROM cursors WHERE mailbox = ?1",
	[S_CURSOR_SET] = "INSERT INTO cursors (mailbox, uidvalidity, last_uid)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (mailbox) DO UPDATE"
	    " SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
	/* Mail with a Message-ID is known by it (messages_msgid) and its
	 * sender and text; only mail without one has a dedupe key (older
	 * rows have both). */
	[S_MSG_KNOWN] = "SELECT 1 FROM messages WHERE message_id = ?1"
	    " AND direction = 'in' AND from_addr IS ?3 AND body IS ?4"
	    " UNION ALL"
	    " SELECT 1 FROM messages WHERE dedupe_key = ?2 LIMIT 1",
	[S_MSG_INSERT] = "INSERT INTO messages (ticket_id, direction, mailbox,"
	    " uidvalidity, uid, dedupe_key, message_id, in_reply_to, from_addr,"
	    " subject, disposition, reason, body, at, raw) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[S_TICKET_BY_MSGID] = "SELECT ticket_id FROM messages WHERE message_id = ?1"
	    " AND (?2 = 0 OR direction = 'out') AND ticket_id IS NOT NULL"
	    " ORDER BY id LIMIT 1",
	[S_MSGS_OF_TICKET] = "SELECT id, ticket_id, direction, mailbox, uidvalidity,"
	    " uid, message_id, in_reply_to, from_addr, subject, disposition,"
	    " reason, body, at FROM messages WHERE ticket_id = ?1 ORDER BY id",
	/* The customer's last mail on ?1 (one with a Message-ID when ?2). */
	[S_LAST_CUSTOMER] = "SELECT id, ticket_id, direction, mailbox,"
	    " uidvalidity, uid, message_id, in_reply_to, from_addr, subject,"
	    " disposition, reason, body, at FROM messages WHERE ticket_id = ?1"
	    " AND direction = 'in' AND disposition = 'ticket'"
	    " AND (?2 = 0 OR message_id IS NOT NULL) ORDER BY id DESC LIMIT 1",
	[S_TICKET_INSERT] = "INSERT INTO tickets (mailbox, subject, status,"
	    " priority, category, requester_email, requester_name, organization,"
	    " tier, assignee, created_at, updated_at, response_due,"
	    " resolution_due, escalation_level, after_hours, linked_to) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14,"
	    " ?15, ?16)",
	[S_TICKET_GET] = "SELECT " TICKET_COLS " FROM tickets t WHERE t.id = ?1",
	/* The due time is the response's until the first response, then
	 * the resolution's; "none" (?3 = '') is no assignee; ?10 is the
	 * order (0 id, 1 due, 2 created, 3 updated), ?11 the limit. */
	[S_TICKET_LIST] = "SELECT " TICKET_COLS " FROM tickets t"
	    " WHERE (?1 IS NULL OR t.status = ?1)"
	    " AND (?2 IS NULL OR t.priority = ?2)"
	    " AND (?3 IS NULL OR t.assignee = ?3 OR"
	    " (?3 = '' AND t.assignee IS NULL))"
	    " AND (?4 IS NULL OR t.organization = ?4)"
	    " AND (?5 IS NULL OR t.tier = ?5)"
	    " AND (?6 IS NULL OR t.category = ?6)"
	    " AND (?7 IS NULL OR t.created_at >= ?7)"
	    " AND (?8 IS NULL OR " DUE_OF_T " < ?8)"
	    " AND (?9 = 0 OR (" DUE_OF_T " < ?9 AND t.status <> 'resolved'"
	    " AND t.status <> 'closed'))"
	    " ORDER BY CASE ?10 WHEN 1 THEN " DUE_OF_T " WHEN 2 THEN"
	    " t.created_at WHEN 3 THEN t.updated_at ELSE t.id END, t.id"
	    " LIMIT ?11",
	[S_TICKET_SET_STATUS] = "UPDATE tickets SET status = ?2, updated_at = ?3"
	    " WHERE id = ?1",
	[S_TICKET_TOUCH] = "UPDATE tickets SET updated_at = ?2 WHERE id = ?1",
	[S_TICKET_FIRST_RESPONSE] = "UPDATE tickets SET first_response_at = ?2,"
	    " status = CASE status WHEN 'open' THEN 'pending' ELSE status END,"
	    " updated_at = ?2 WHERE id = ?1 AND first_response_at IS NULL",
	[S_PART_ADD] = "INSERT OR IGNORE INTO participants (ticket_id, email, role)"
	    " VALUES (?1, ?2, ?3)",
	/* An agent's add and remove (SPEC §13.3) stick: a later mail's Cc
	 * does not undo a remove, as the row stays with role 'removed'. */
	[S_PART_SET] = "INSERT INTO participants (ticket_id, email, role)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (ticket_id, email)"
	    " DO UPDATE SET role = excluded.role",
	[S_PARTS_OF_TICKET] = "SELECT email, role FROM participants"
	    " WHERE ticket_id = ?1 ORDER BY rowid",
	[S_PART_IS] = "SELECT 1 FROM participants WHERE ticket_id = ?1 AND email = ?2"
	    " AND role <> 'removed'"
	    " AND (?3 = 0 OR role = 'requester' OR role = 'cc')",
	[S_EVENT_COUNT] = "SELECT count(*) FROM events WHERE ticket_id = ?1"
	    " AND kind = ?2 AND detail IS ?3",
	[S_EVENT_ADD] = "INSERT INTO events (ticket_id, at, actor, kind, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_EVENTS_OF_TICKET] = "SELECT id, ticket_id, at, actor, kind, detail"
	    " FROM events WHERE ticket_id = ?1 ORDER BY id",
	[S_OUT_QUEUE] = "INSERT INTO outbox (ticket_id, kind, status, mail_from,"
	    " rcpts, message_id, raw, next_attempt_at, created_at,"
	    " first_response, raw_size) VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6,"
	    " ?7, ?7, ?8, ?9)",
	[S_OUT_NEXT] = "SELECT " OUTBOX_COLS " FROM outbox WHERE status = 'queued'"
	    " AND next_attempt_at <= ?1 AND id > ?2 ORDER BY id LIMIT 1",
	[S_OUT_NEXT_WEBHOOK] = "SELECT " OUTBOX_COLS " FROM outbox"
	    " WHERE status = 'queued' AND kind = 'webhook'"
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
	[S_TICKET_SET_AGENT_DUE] = "UPDATE tickets SET resolution_due = ?2,"
	    " due_by_agent = ?3, updated_at = ?4 WHERE id = ?1",
	[S_TICKET_SET_LEVEL] = "UPDATE tickets SET escalation_level = ?2,"
	    " updated_at = ?3 WHERE id = ?1",
	[S_TICKET_SET_RESOLVED] = "UPDATE tickets SET resolved_at = ?2"
	    " WHERE id = ?1",
	[S_TICKET_SET_PAUSE] = "UPDATE tickets SET paused_at = ?2,"
	    " paused_wall = ?3, paused_bh = ?4, resumed_at = ?5,"
	    " sla_sent = ?6 WHERE id = ?1",
	[S_OPEN_WITHOUT_TIMER] = "SELECT t.id FROM tickets t WHERE t.status IN"
	    " ('open', 'pending', 'review-required', 'waiting-on-customer',"
	    " 'waiting-for-development', 'in-development', 'bc-testing')"
	    " AND NOT EXISTS (SELECT 1 FROM timers m WHERE m.ticket_id = t.id"
	    " AND m.kind = ?1) ORDER BY t.id",
	[S_PERIOD_ADD] = "INSERT INTO sla_periods (ticket_id, seq, priority,"
	    " tier, started_at, ended_at, response_due, resolution_due,"
	    " response, resolution) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10)",
	[S_TICKET_SET_PERIOD] = "UPDATE tickets SET period = ?2,"
	    " period_start = ?3, sla_sent = 0 WHERE id = ?1",
	[S_TICKET_AGENT_WROTE] = "UPDATE tickets SET last_agent_at = ?2,"
	    " agent_response_at = coalesce(agent_response_at, ?2),"
	    " updated_at = ?2 WHERE id = ?1",
	[S_REPORT] = "SELECT t.id, t.priority, t.tier, t.created_at,"
	    " t.first_response_at, t.agent_response_at, t.response_due,"
	    " t.after_hours, t.escalation_level,"
	    " (SELECT count(*) FROM events e WHERE e.ticket_id = t.id"
	    "  AND e.kind = 'page'), t.resolution_due,"
	    " CASE WHEN t.status = 'resolved' OR t.status = 'closed'"
	    " THEN coalesce(t.resolved_at, t.updated_at) END,"
	    " t.organization, t.period, t.period_start, t.sla_sent,"
	    " (SELECT count(*) FROM events e WHERE e.ticket_id = t.id"
	    "  AND e.kind = 'sla-breach' AND e.detail LIKE 'update%'"
	    "  AND e.at >= t.period_start)"
	    " FROM tickets t WHERE t.created_at >= ?1 ORDER BY t.id",
	[S_REPORT_PERIODS] = "SELECT p.ticket_id, p.seq, p.priority, p.tier,"
	    " t.organization, p.started_at, p.ended_at, p.response_due,"
	    " p.resolution_due, p.response, p.resolution FROM sla_periods p"
	    " JOIN tickets t ON t.id = p.ticket_id WHERE t.created_at >= ?1"
	    " ORDER BY p.ticket_id, p.seq",
	[S_REPORT_BREACHES] = "SELECT at FROM events"
	    " WHERE kind = 'sla-breach' AND at >= ?1",
	/* Automatic mail goes out with the null sender.  Its To address is
	 * the first line of rcpts, Cc lines follow: the rows To ?1 are
	 * those from ?1 up to ?1 and a character below any an address may
	 * hold but after '\n' (one range of outbox_rcpts). */
	[S_AUTO_TO_SINCE] = "SELECT count(*) FROM outbox WHERE mail_from = ''"
	    " AND rcpts >= ?1 COLLATE NOCASE"
	    " AND rcpts < ?1 || char(11) COLLATE NOCASE AND created_at >= ?2",
	[S_AUTO_TICKET_SINCE] = "SELECT count(*) FROM outbox WHERE"
	    " mail_from = '' AND ticket_id = ?1 AND created_at >= ?2"
	    " AND kind LIKE 'ack%'",
	[S_OPEN_C1_OF_ORG] = "SELECT id FROM tickets WHERE organization = ?1"
	    " AND priority = ?4 AND status NOT IN ('resolved', 'closed')"
	    " AND created_at >= ?2 AND created_at <= ?3 ORDER BY id LIMIT 1",
	[S_QUARANTINE] = "SELECT id, ticket_id, direction, mailbox, uidvalidity,"
	    " uid, message_id, in_reply_to, from_addr, subject, disposition,"
	    " reason, NULL, at FROM messages WHERE disposition = 'quarantined'"
	    " ORDER BY id",
	[S_RATE_GET] = "SELECT n FROM rates WHERE key = ?1 AND since = ?2",
	[S_RATE_ADD] = "INSERT INTO rates (key, since, n) VALUES (?1, ?2, 1)"
	    " ON CONFLICT (key) DO UPDATE SET"
	    " n = CASE WHEN since = excluded.since THEN n + 1 ELSE 1 END,"
	    " since = excluded.since",
	/* A merge (SPEC §13.6) moves ?1's mail, people and history to ?2;
	 * ?1's requester joins as a Cc; ?1's timers go. */
	[S_MERGE_MSGS] = "UPDATE messages SET ticket_id = ?2 WHERE ticket_id = ?1",
	[S_MERGE_PARTS] = "INSERT OR IGNORE INTO participants"
	    " (ticket_id, email, role) SELECT ?2, email, CASE role"
	    " WHEN 'requester' THEN 'cc' ELSE role END FROM participants"
	    " WHERE ticket_id = ?1",
	[S_MERGE_PARTS_DEL] = "DELETE FROM participants WHERE ticket_id = ?1",
	[S_MERGE_EVENTS] = "UPDATE events SET ticket_id = ?2 WHERE ticket_id = ?1",
	[S_MERGE_MARK] = "UPDATE tickets SET category = 'Duplicate',"
	    " linked_to = ?2 WHERE id = ?1",
	[S_SECRET_GET] = "SELECT value FROM secrets WHERE name = ?1",
	[S_TOKEN_GET] = "SELECT " TOKEN_COLS " FROM oauth_tokens"
	    " WHERE name = ?1",
	[S_TOKEN_PUT] = "INSERT INTO oauth_tokens (" TOKEN_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
	    " ON CONFLICT (name) DO UPDATE SET issuer = ?2, access_token = ?3,"
	    " expires_at = ?4, obtained_at = ?5, refresh_token = ?6,"
	    " last_error = ?7, error_at = ?8, failures = ?9, dead = ?10,"
	    " next_try = ?11, alerted = ?12",
	[S_TOKEN_LIST] = "SELECT " TOKEN_COLS " FROM oauth_tokens"
	    " ORDER BY name",
	[S_INSTANCE_PUT] = "INSERT INTO instances (" INSTANCE_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name) DO UPDATE"
	    " SET pid = ?2, version = ?3, started_at = ?4, beat_at = ?5,"
	    " stopped = ?6, status = ?7",
	[S_INSTANCE_LIST] = "SELECT " INSTANCE_COLS " FROM instances"
	    " ORDER BY name",
	/* A row says the latest of what each writer saw: a --once run
	 * and a daemon may both write it. */
	[S_MBSTATUS_PUT] = "INSERT INTO mailbox_status (" MBSTATUS_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
	    " ON CONFLICT (mailbox) DO UPDATE SET instance = ?2, state = ?3,"
	    " connected_since = ?4,"
	    " last_success = max(last_success, ?5),"
	    " first_try = CASE WHEN first_try = 0 THEN ?6 ELSE first_try END,"
	    " last_error = CASE WHEN ?8 >= error_at THEN ?7 ELSE last_error END,"
	    " error_at = max(error_at, ?8), updated_at = ?9,"
	    " polling_since = ?10",
	[S_MBSTATUS_GET] = "SELECT " MBSTATUS_COLS " FROM mailbox_status"
	    " WHERE mailbox = ?1",
	[S_QUARANTINED] = "SELECT count(*) FROM messages WHERE mailbox = ?1"
	    " AND disposition = 'quarantined'",
	[S_OUT_COUNT] = "SELECT count(*) FROM outbox WHERE status = ?1",
	/* Of no ticket: the admin alerts' and OAuth2 alerts' own. */
	[S_OUT_GIVEN_UP] = "SELECT count(*) FROM outbox WHERE status = 'failed'"
	    " AND kind NOT IN ('admin-alert', 'admin-recovery')"
	    " AND NOT (kind = 'webhook' AND ticket_id IS NULL)",
	[S_MBSTATUS_DEL] = "DELETE FROM mailbox_status WHERE mailbox = ?1",
	[S_OUT_OLDEST] = "SELECT created_at FROM outbox WHERE status = 'queued'"
	    " ORDER BY id LIMIT 1",
	[S_TIMERS_DUE] = "SELECT count(*), min(due_at) FROM timers"
	    " WHERE due_at <= ?1",
	[S_INCIDENT_GET] = "SELECT " INCIDENT_COLS " FROM incidents"
	    " WHERE kind = ?1 AND subject = ?2 AND closed_at = 0",
	[S_INCIDENT_INSERT] = "INSERT INTO incidents (kind, subject,"
	    " opened_at, seen_at, alerted_at, closed_at, held, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_INCIDENT_UPDATE] = "UPDATE incidents SET seen_at = ?4,"
	    " alerted_at = ?5, closed_at = ?6, held = ?7, detail = ?8"
	    " WHERE id = ?9",
	[S_INCIDENT_LIST] = "SELECT " INCIDENT_COLS " FROM incidents"
	    " WHERE closed_at = 0 ORDER BY id",
	[S_MARK_GET] = "SELECT n FROM alert_marks WHERE kind = ?1",
	[S_MARK_SET] = "INSERT INTO alert_marks (kind, n) VALUES (?1, ?2)"
	    " ON CONFLICT (kind) DO UPDATE SET n = ?2",
	[S_VENDOR_ADD] = "INSERT OR IGNORE INTO vendor_mail (message_id,"
	    " ticket_id) VALUES (?1, ?2)",
	[S_VENDOR_GET] = "SELECT ticket_id FROM vendor_mail WHERE"
	    " message_id = ?1",
	[S_OUT_PART_ADD] = "INSERT INTO outbox_parts (outbox_id, seq, data)"
	    " VALUES (?1, ?2, ?3)",
	[S_OUT_PART_GET] = "SELECT substr(data, ?3 + 1, ?4) FROM outbox_parts"
	    " WHERE outbox_id = ?1 AND seq = ?2",
	[S_ATT_INSERT] = "INSERT INTO attachments (message_id, n, name,"
	    " content_type, size, sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_ATTS_OF_MSG] = "SELECT n, name, content_type, size, sha256"
	    " FROM attachments WHERE message_id = ?1 ORDER BY n",
	[S_MSG_RAW] = "SELECT ticket_id, raw FROM messages WHERE id = ?1",
	/* The next ?1 messages into the search index, then the mark. */
	[S_SEARCH_INDEX] = "INSERT INTO messages_fts (rowid, subject, body, names)"
	    " SELECT id, subject, body, names FROM search_content WHERE id >"
	    " (SELECT indexed_to FROM search_state) ORDER BY id LIMIT ?1",
	/* The snippet of one hit, made only for the hits listed. */
	[S_SEARCH_SNIPPET] = "SELECT snippet(messages_fts, -1, '[', ']',"
	    " '...', 12) FROM messages_fts WHERE messages_fts MATCH ?1"
	    " AND rowid = ?2",
	[S_SEARCH_PENDING] = "SELECT coalesce((SELECT max(id) FROM messages),"
	    " 0) > (SELECT indexed_to FROM search_state)",
	[S_SEARCH_MARK] = "UPDATE search_state SET indexed_to ="
	    " coalesce((SELECT max(id) FROM (SELECT id FROM messages"
	    " WHERE id > indexed_to ORDER BY id LIMIT ?1)), indexed_to)",
	/* The best-ranked message of each ticket (bm25, a word in a
	 * subject counting five times, in an attachment's name three
	 * times, one in a body), best tickets first. */
	[S_SEARCH] = "WITH hits AS (SELECT m.ticket_id AS tid, m.id AS mid,"
	    " bm25(messages_fts, 5.0, 1.0, 3.0) AS score FROM messages_fts"
	    " JOIN messages m ON m.id = messages_fts.rowid"
	    " WHERE messages_fts MATCH ?1 AND m.ticket_id IS NOT NULL),"
	    " best AS (SELECT *, row_number() OVER (PARTITION BY tid"
	    " ORDER BY score, mid) AS rn FROM hits)"
	    " SELECT b.tid, b.mid, b.score, t.subject, t.status,"
	    " t.priority FROM best b JOIN tickets t ON t.id = b.tid"
	    " WHERE b.rn = 1 ORDER BY b.score, b.tid LIMIT ?2",
	[S_PAGES_SINCE] = "SELECT count(*) FROM events e"
	    " JOIN tickets t ON t.id = e.ticket_id"
	    " WHERE t.organization IS ?1 AND e.kind = 'page' AND e.at >= ?2",
};

const char *const sd_dir_names[SD_DIR__COUNT] = {
	[SD_DIR_IN] = "in",
	[SD_DIR_OUT] = "out",
};

const char *const sd_out_status_names[SD_OUT__COUNT] = {
	[SD_OUT_QUEUED] = "queued",
	[SD_OUT_SENDING] = "sending",
	[SD_OUT_SENT] = "sent",
	[SD_OUT_FAILED] = "failed",
};

int
store_name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int
store_status_parse(const char *s)
{
	return store_name_index(sd_status_names, SD_ST__COUNT, s);
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

/* SQLite's memory statistics take a global mutex on every allocation
 * (a tenth of intake's SQLite time); nothing reads them. */
static void
sqlite_setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * The database holds OAuth2 tokens and the note key: neither it nor
 * its -wal and -shm may be read by others (the group keeps what it
 * had, for agents' supportctl), whether SQLite made it just now under
 * the umask or an older supportd made it.  By path, never by opening
 * the files: closing any descriptor of a file drops every POSIX lock
 * this process holds on it, SQLite's included, and another process
 * would then take the WAL for unused and delete it under us.
 */
static void
private_to_group(const char *path)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	struct stat	 sb;
	char		*f;

	for (size_t i = 0; i < nitems(ext); i++) {
		f = xasprintf("%s%s", path, ext[i]);
		/* lstat: the file itself, never what a link points to. */
		if (lstat(f, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 007) != 0 && sb.st_uid == geteuid()) {
			if (chmod(f, sb.st_mode & 0770) == 0)
				log_info("store: %s: no longer readable by "
				    "others (it holds OAuth2 tokens)", f);
			else
				log_warn("store: %s: chmod", f);
		}
		free(f);
	}
}

int
store_open(const char *path, struct sd_store **st_r, struct sd_err *err)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;
	struct sd_store		*st;
	sqlite3_stmt		*s = NULL;
	int			 ok, r;

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
	private_to_group(path);
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* 8 KB pages for a new database (an existing one keeps its own):
	 * each WAL frame and checkpoint copy is a system call or two, and
	 * with 4 KB pages they were a fifth of intake's writer thread
	 * (benchmark: its system time 0.25 -> 0.19 s per 10,000 mails). */
	if (exec_sql(st, "PRAGMA page_size=8192", err) == -1)
		goto fail;
	/* Two openers of a new database: turning it to WAL takes an
	 * exclusive lock, and SQLite may answer BUSY at once rather than
	 * wait (to avoid a deadlock), so the loser tries again. */
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s,
	    NULL) != SQLITE_OK) {
		db_err(st, err, path);
		goto fail;
	}
	for (int waited = 0; (r = sqlite3_step(s)) == SQLITE_BUSY &&
	    waited < BUSY_TIMEOUT_MS; waited += 10) {
		sqlite3_reset(s);
		usleep(10 * 1000);
	}
	if (r != SQLITE_ROW) {
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
	    err) == -1 || store_migrate(st, err) == -1)
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

void
store_close(struct sd_store **stp)
{
	struct sd_store *st = *stp;

	if (st == NULL)
		return;
	store_ckpt_stop(st);
	if (st->note_hmac != NULL)
		g_hmac_unref(st->note_hmac);
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

/* Listings supportctl runs on demand read whole tables on purpose;
 * search_state has one row, oauth_tokens one a login, instances one a
 * daemon; the open incidents are read through their partial index. */
static bool
may_scan(int id)
{
	return id == S_TICKET_LIST || id == S_REPORT || id == S_QUARANTINE ||
	    id == S_REPORT_PERIODS || id == S_OPEN_WITHOUT_TIMER ||
	    id == S_OUT_LIST || id == S_SEARCH || id == S_SEARCH_MARK ||
	    id == S_SEARCH_PENDING || id == S_SEARCH_SNIPPET ||
	    id == S_TOKEN_LIST || id == S_INSTANCE_LIST ||
	    id == S_INCIDENT_LIST;
}

/* Statements allowed a temporary B-tree each run: the listings, the
 * start-up requeue, the sort of an organization's open C1 tickets
 * (new C1 mail only), and a merge's moves (an agent's command). */
static bool
may_use_temp(int id)
{
	return may_scan(id) || id == S_OUT_REQUEUE_SENDING ||
	    id == S_OPEN_C1_OF_ORG || (id >= S_MERGE_MSGS &&
	    id <= S_MERGE_MARK);
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

