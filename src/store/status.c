/* SPDX-License-Identifier: MIT */
/*
 * status.c - the heartbeat and the mailboxes' state (SPEC §16.1), the
 * counts a monitor reads, and the admin alerts' incidents (§16.3).
 */
#include <string.h>

#include "store_int.h"

const char *const sd_mb_state_names[SD_MB__COUNT] = {
	[SD_MB_IDLE] = "idle",
	[SD_MB_POLLING] = "polling",
	[SD_MB_FETCHING] = "fetching",
	[SD_MB_BACKOFF] = "backing-off",
	[SD_MB_AUTHFAIL] = "auth-failed",
};

void
store_instance_clear(struct sd_instance *in)
{
	free(in->name);
	free(in->version);
	free(in->status);
	memset(in, 0, sizeof(*in));
}

void
store_mbstatus_clear(struct sd_mbstatus *m)
{
	free(m->mailbox);
	free(m->instance);
	free(m->last_error);
	memset(m, 0, sizeof(*m));
}

static int
instance_put(struct sd_store *st, const struct sd_instance *in,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_INSTANCE_PUT);

	bind_text(s, 1, in->name);
	sqlite3_bind_int64(s, 2, in->pid);
	bind_text(s, 3, in->version);
	sqlite3_bind_int64(s, 4, in->started_at);
	sqlite3_bind_int64(s, 5, in->beat_at);
	sqlite3_bind_int(s, 6, in->stopped);
	bind_text(s, 7, in->status);
	return exec_stmt(st, s, "instance put", err);
}

static int
mbstatus_put(struct sd_store *st, const struct sd_mbstatus *m,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_MBSTATUS_PUT);

	bind_text(s, 1, m->mailbox);
	bind_text(s, 2, m->instance);
	bind_text(s, 3, sd_mb_state_names[m->state]);
	sqlite3_bind_int64(s, 4, m->connected_since);
	sqlite3_bind_int64(s, 5, m->last_success);
	sqlite3_bind_int64(s, 6, m->first_try);
	bind_text(s, 7, m->last_error);
	sqlite3_bind_int64(s, 8, m->error_at);
	sqlite3_bind_int64(s, 9, m->updated_at);
	sqlite3_bind_int64(s, 10, m->polling_since);
	return exec_stmt(st, s, "mailbox status put", err);
}

int
store_status_put(struct sd_store *st, const struct sd_instance *self,
    const struct sd_mbstatus *mbs, size_t n, bool *busy_r, struct sd_err *err)
{
	if (busy_r != NULL) {
		if (store_try_begin(st, busy_r, err) == -1 || *busy_r)
			return *busy_r ? 0 : -1;
	} else if (store_begin(st, err) == -1)
		return -1;
	if (self != NULL && instance_put(st, self, err) == -1)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (mbstatus_put(st, &mbs[i], err) == -1)
			goto fail;
	return store_commit(st, err);
 fail:
	store_rollback(st);
	return -1;
}

int
store_instance_list(struct sd_store *st, struct sd_instance **rows_r,
    size_t *n_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_INSTANCE_LIST);
	GArray		*a = g_array_new(FALSE, TRUE, sizeof(struct sd_instance));
	int		 r;

	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct sd_instance in = {
			.name = col_text(s, 0),
			.pid = sqlite3_column_int64(s, 1),
			.version = col_text(s, 2),
			.started_at = sqlite3_column_int64(s, 3),
			.beat_at = sqlite3_column_int64(s, 4),
			.stopped = sqlite3_column_int(s, 5) != 0,
			.status = col_text(s, 6),
		};

		g_array_append_val(a, in);
	}
	done(s);
	*n_r = a->len;
	*rows_r = (struct sd_instance *)(void *)g_array_free(a, FALSE);
	if (r != SQLITE_DONE) {
		store_instance_list_free(rows_r, *n_r);
		*n_r = 0;
		return db_err(st, err, "instance list");
	}
	return 0;
}

void
store_instance_list_free(struct sd_instance **rows, size_t n)
{
	for (size_t i = 0; *rows != NULL && i < n; i++)
		store_instance_clear(&(*rows)[i]);
	g_free(*rows);
	*rows = NULL;
}

int
store_mbstatus_get(struct sd_store *st, const char *mailbox,
    struct sd_mbstatus *m, bool *found_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_MBSTATUS_GET);
	int		 r;

	memset(m, 0, sizeof(*m));
	bind_text(s, 1, mailbox);
	r = sqlite3_step(s);
	*found_r = r == SQLITE_ROW;
	if (r == SQLITE_ROW) {
		m->mailbox = col_text(s, 0);
		m->instance = col_text(s, 1);
		m->state = (enum sd_mb_state)col_name(s, 2, sd_mb_state_names,
		    SD_MB__COUNT, SD_MB_BACKOFF);
		m->connected_since = sqlite3_column_int64(s, 3);
		m->last_success = sqlite3_column_int64(s, 4);
		m->first_try = sqlite3_column_int64(s, 5);
		m->last_error = col_text(s, 6);
		m->error_at = sqlite3_column_int64(s, 7);
		m->updated_at = sqlite3_column_int64(s, 8);
		m->polling_since = sqlite3_column_int64(s, 9);
	}
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "mailbox status get");
	return 0;
}

int
store_mbstatus_delete(struct sd_store *st, const char *mailbox,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_MBSTATUS_DEL);

	bind_text(s, 1, mailbox);
	return exec_stmt(st, s, "mailbox status delete", err);
}

int
store_quarantined(struct sd_store *st, const char *mailbox, int64_t *n_r,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_QUARANTINED);

	bind_text(s, 1, mailbox);
	return one_int(st, s, "quarantine count", n_r, err);
}

static int
out_count(struct sd_store *st, const char *status, int64_t *n_r,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OUT_COUNT);

	bind_text(s, 1, status);
	return one_int(st, s, "outbox count", n_r, err);
}

int
store_outbox_given_up(struct sd_store *st, int64_t *n_r, struct sd_err *err)
{
	return one_int(st, stmt(st, S_OUT_GIVEN_UP), "outbox given up", n_r,
	    err);
}

int
store_opcounts(struct sd_store *st, sd_time now, struct sd_opcounts *c,
    struct sd_err *err)
{
	sqlite3_stmt	*s;
	int		 pages, size, r;

	memset(c, 0, sizeof(*c));
	if (out_count(st, "queued", &c->outbox_queued, err) == -1 ||
	    out_count(st, "failed", &c->outbox_failed, err) == -1)
		return -1;
	s = stmt(st, S_OUT_OLDEST);
	if ((r = sqlite3_step(s)) == SQLITE_ROW)
		c->outbox_oldest = sqlite3_column_int64(s, 0);
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "outbox oldest");
	s = stmt(st, S_TIMERS_DUE);
	sqlite3_bind_int64(s, 1, now);
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		c->timers_due = sqlite3_column_int64(s, 0);
		c->timers_oldest = sqlite3_column_int64(s, 1);
	}
	done(s);
	if (r != SQLITE_ROW)
		return db_err(st, err, "timers due");
	if (store_pragma_int(st, "page_count", &pages, err) == -1 ||
	    store_pragma_int(st, "page_size", &size, err) == -1)
		return -1;
	c->db_bytes = (int64_t)pages * size;
	return 0;
}

void
store_incident_clear(struct sd_incident *i)
{
	free(i->kind);
	free(i->subject);
	free(i->detail);
	memset(i, 0, sizeof(*i));
}

static void
incident_row(sqlite3_stmt *s, struct sd_incident *i)
{
	i->id = sqlite3_column_int64(s, 0);
	i->kind = col_text(s, 1);
	i->subject = col_text(s, 2);
	i->opened_at = sqlite3_column_int64(s, 3);
	i->seen_at = sqlite3_column_int64(s, 4);
	i->alerted_at = sqlite3_column_int64(s, 5);
	i->closed_at = sqlite3_column_int64(s, 6);
	i->held = sqlite3_column_int(s, 7) != 0;
	i->detail = col_text(s, 8);
}

int
store_incident_get(struct sd_store *st, const char *kind, const char *subject,
    struct sd_incident *i, bool *found_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_INCIDENT_GET);
	int		 r;

	memset(i, 0, sizeof(*i));
	bind_text(s, 1, kind);
	bind_text(s, 2, subject);
	r = sqlite3_step(s);
	*found_r = r == SQLITE_ROW;
	if (r == SQLITE_ROW)
		incident_row(s, i);
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "incident get");
	return 0;
}

int
store_incident_put(struct sd_store *st, struct sd_incident *i,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, i->id == 0 ? S_INCIDENT_INSERT :
	    S_INCIDENT_UPDATE);

	bind_text(s, 1, i->kind);
	bind_text(s, 2, i->subject);
	sqlite3_bind_int64(s, 3, i->opened_at);
	sqlite3_bind_int64(s, 4, i->seen_at);
	sqlite3_bind_int64(s, 5, i->alerted_at);
	sqlite3_bind_int64(s, 6, i->closed_at);
	sqlite3_bind_int(s, 7, i->held);
	bind_text(s, 8, i->detail);
	if (i->id != 0)
		sqlite3_bind_int64(s, 9, i->id);
	if (exec_stmt(st, s, "incident put", err) == -1)
		return -1;
	if (i->id == 0)
		i->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_incident_list(struct sd_store *st, struct sd_incident **rows_r,
    size_t *n_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_INCIDENT_LIST);
	GArray		*a = g_array_new(FALSE, TRUE, sizeof(struct sd_incident));
	int		 r;

	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct sd_incident i;

		incident_row(s, &i);
		g_array_append_val(a, i);
	}
	done(s);
	*n_r = a->len;
	*rows_r = (struct sd_incident *)(void *)g_array_free(a, FALSE);
	if (r != SQLITE_DONE) {
		store_incident_list_free(rows_r, *n_r);
		*n_r = 0;
		return db_err(st, err, "incident list");
	}
	return 0;
}

void
store_incident_list_free(struct sd_incident **rows, size_t n)
{
	for (size_t i = 0; *rows != NULL && i < n; i++)
		store_incident_clear(&(*rows)[i]);
	g_free(*rows);
	*rows = NULL;
}

int
store_alert_mark_get(struct sd_store *st, const char *kind, int64_t *n_r,
    bool *found_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_MARK_GET);
	int		 r;

	bind_text(s, 1, kind);
	r = sqlite3_step(s);
	*found_r = r == SQLITE_ROW;
	*n_r = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "alert mark get");
	return 0;
}

int
store_alert_mark_set(struct sd_store *st, const char *kind, int64_t n,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_MARK_SET);

	bind_text(s, 1, kind);
	sqlite3_bind_int64(s, 2, n);
	return exec_stmt(st, s, "alert mark set", err);
}
