/* SPDX-License-Identifier: MIT */
/*
 * store_int.h - private to src/store/: the connection, its prepared
 * statements, and the helpers every file of the store uses.  Nothing
 * of SQLite leaves src/store/.
 */
#ifndef SUPPORTD_STORE_INT_H
#define SUPPORTD_STORE_INT_H

#include <stdlib.h>

#include <sqlite3.h>

#include <glib.h>

#include "supportd/store.h"

/* How long a writer waits for another's transaction (a group of mail
 * takes well under a second). */
#define BUSY_TIMEOUT_MS	10000

enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_CURSOR_GET, S_CURSOR_SET,
	S_MSG_KNOWN, S_MSG_INSERT, S_TICKET_BY_MSGID, S_MSGS_OF_TICKET, S_LAST_CUSTOMER,
	S_TICKET_INSERT, S_TICKET_GET, S_TICKET_LIST, S_TICKET_SET_STATUS,
	S_TICKET_TOUCH, S_TICKET_FIRST_RESPONSE,
	S_PART_ADD, S_PART_IS, S_PART_SET, S_PARTS_OF_TICKET,
	S_EVENT_ADD, S_EVENTS_OF_TICKET, S_EVENT_COUNT,
	S_OUT_QUEUE, S_OUT_NEXT, S_OUT_GET, S_OUT_SENT, S_OUT_RETRY, S_OUT_FAILED,
	S_OUT_LIST, S_OUT_REQUEUE_SENDING,
	S_PAGES_SINCE, S_RATE_GET, S_RATE_ADD,
	S_TIMER_SET, S_TIMER_DEL, S_TIMER_NEXT,
	S_TICKET_SET_PRIORITY, S_TICKET_SET_CATEGORY, S_TICKET_SET_ASSIGNEE,
	S_TICKET_SET_DUE, S_TICKET_SET_AGENT_DUE, S_TICKET_SET_LEVEL, S_TICKET_SET_RESOLVED,
	S_TICKET_SET_PAUSE, S_PERIOD_ADD, S_TICKET_SET_PERIOD,
	S_OPEN_WITHOUT_TIMER,
	S_TICKET_AGENT_WROTE, S_REPORT, S_REPORT_PERIODS, S_REPORT_BREACHES,
	S_QUARANTINE,
	S_AUTO_TO_SINCE, S_AUTO_TICKET_SINCE, S_OPEN_C1_OF_ORG, S_SEARCH, S_SEARCH_INDEX, S_SEARCH_MARK,
	S_SEARCH_PENDING, S_SEARCH_SNIPPET,
	S_SECRET_GET, S_ATT_INSERT, S_ATTS_OF_MSG, S_MSG_RAW,
	S_OUT_PART_ADD, S_OUT_PART_GET,
	S_VENDOR_ADD, S_VENDOR_GET,
	S_MERGE_MSGS, S_MERGE_PARTS, S_MERGE_PARTS_DEL, S_MERGE_EVENTS,
	S_MERGE_MARK,
	S_TOKEN_GET, S_TOKEN_PUT, S_TOKEN_LIST,
	S_INSTANCE_PUT, S_INSTANCE_LIST, S_MBSTATUS_PUT, S_MBSTATUS_GET,
	S_QUARANTINED, S_OUT_COUNT, S_OUT_OLDEST, S_TIMERS_DUE,
	S_INCIDENT_GET, S_INCIDENT_INSERT, S_INCIDENT_UPDATE, S_INCIDENT_LIST,
	S_MARK_GET, S_MARK_SET, S_OUT_NEXT_WEBHOOK, S_OUT_GIVEN_UP,
	S_MBSTATUS_DEL,
	S__COUNT
};

struct ckpt;

struct sd_store {
	sqlite3		*db;
	sqlite3_stmt	*st[S__COUNT];
	char		*path;
	struct ckpt	*ck;		/* or NULL: SQLite checkpoints */
	/* The note key's HMAC, keyed once (store_note_hmac copies it). */
	GHmac		*note_hmac;
};

/* schema.c: brings the schema up to store_schema_version(). */
int	store_migrate(struct sd_store *st, struct sd_err *err);
/* ckpt.c: stops and frees the checkpointer, if any (before close). */
void	store_ckpt_stop(struct sd_store *st);

static inline int
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
static inline sqlite3_stmt *
stmt(struct sd_store *st, enum stmt_id id)
{
	return st->st[id];
}

static inline void
done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static inline void
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
static inline void
bind_opt_int(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static inline char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v == NULL ? NULL : xstrdup((const char *)v);
}

/* The index of the name s in names (n of them), or -1. */
int	store_name_index(const char *const *names, int n, const char *s);

/* Column i as an index into names (n of them); dflt for a name the
 * code does not know. */
static inline int
col_name(sqlite3_stmt *s, int i, const char *const *names, int n, int dflt)
{
	int v = store_name_index(names, n,
	    (const char *)sqlite3_column_text(s, i));

	return v < 0 ? dflt : v;
}

/* One integer from a statement bound by the caller; 0 when no row. */
static inline int
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

/* Runs a statement that returns no rows. */
static inline int
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

static inline int
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


#endif
