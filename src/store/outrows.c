/* SPDX-License-Identifier: MIT */
/*
 * outrows.c - the outbox's rows, the SLA timers, the report and the
 * counts the pipeline asks for (pages, automatic replies, open C1s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define PART_SIZE	(64 << 10)	/* bytes of a large mail per part */

/* o->raw as parts of PART_SIZE (its length went on the row). */
static int
write_apart(struct sd_store *st, const struct sd_outrow *o, struct sd_err *err)
{
	sqlite3_stmt *s;

	for (size_t off = 0, seq = 0; off < o->rawlen; off += PART_SIZE, seq++) {
		s = stmt(st, S_OUT_PART_ADD);
		sqlite3_bind_int64(s, 1, o->id);
		sqlite3_bind_int64(s, 2, (int64_t)seq);
		sqlite3_bind_blob(s, 3, o->raw + off,
		    (int)MIN(PART_SIZE, o->rawlen - off), SQLITE_STATIC);
		if (exec_stmt(st, s, "outbox part", err) == -1)
			return -1;
	}
	return 0;
}

int
store_outbox_read(struct sd_store *st, int64_t id, size_t off, void *buf,
    size_t n, size_t *got_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_OUT_PART_GET);
	size_t		 in = off % PART_SIZE;
	int		 r;

	*got_r = 0;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (int64_t)(off / PART_SIZE));
	sqlite3_bind_int64(s, 3, (int64_t)in);
	sqlite3_bind_int64(s, 4, (int64_t)MIN(n, PART_SIZE - in));
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		*got_r = (size_t)sqlite3_column_bytes(s, 0);
		if (*got_r > 0)
			memcpy(buf, sqlite3_column_blob(s, 0), *got_r);
	}
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "outbox read");
	return 0;
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
	/* A large message goes in parts after the row: bound whole, SQLite
	 * would build the row, message and all, as a second copy. */
	if (o->rawlen > STORE_RAW_APART) {
		sqlite3_bind_zeroblob(s, 6, 0);
		sqlite3_bind_int64(s, 9, (int64_t)o->rawlen);
	} else {
		sqlite3_bind_blob64(s, 6, o->raw, o->rawlen, SQLITE_STATIC);
		sqlite3_bind_null(s, 9);
	}
	sqlite3_bind_int64(s, 7, o->created_at);
	sqlite3_bind_int(s, 8, o->first_response);
	if (exec_stmt(st, s, "outbox queue", err) == -1)
		return -1;
	o->id = sqlite3_last_insert_rowid(st->db);
	if (o->rawlen > STORE_RAW_APART)
		return write_apart(st, o, err);
	return 0;
}


static void
read_outrow(sqlite3_stmt *s, struct sd_outrow *o)
{
	const void *raw;

	o->id = sqlite3_column_int64(s, 0);
	o->ticket_id = sqlite3_column_int64(s, 1);
	o->kind = col_text(s, 2);
	o->status = (enum sd_out_status)col_name(s, 3, sd_out_status_names,
	    SD_OUT__COUNT, SD_OUT_QUEUED);
	o->mail_from = col_text(s, 4);
	o->rcpts = col_text(s, 5);
	o->message_id = col_text(s, 6);
	raw = sqlite3_column_blob(s, 7);
	o->rawlen = (size_t)sqlite3_column_bytes(s, 7);
	o->raw = xmalloc(o->rawlen + 1);
	if (o->rawlen > 0)
		memcpy(o->raw, raw, o->rawlen);
	o->raw[o->rawlen] = '\0';
	o->raw_apart = sqlite3_column_type(s, 14) != SQLITE_NULL;
	o->raw_size = o->raw_apart ? (size_t)sqlite3_column_int64(s, 14) :
	    o->rawlen;
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
store_outbox_queue_webhook(struct sd_store *st, int64_t ticket,
    const char *url, const char *id, const GString *body, sd_time now,
    struct sd_err *err)
{
	struct sd_outrow o;

	memset(&o, 0, sizeof(o));
	o.ticket_id = ticket;
	o.kind = (char *)"webhook";
	o.mail_from = (char *)"";
	o.rcpts = (char *)url;
	o.message_id = (char *)id;
	o.raw = body->str;
	o.rawlen = body->len;
	o.created_at = now;
	return store_outbox_queue(st, &o, err);
}

int
store_outbox_next_webhook(struct sd_store *st, sd_time now, int64_t after,
    struct sd_outrow *o, bool *found_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OUT_NEXT_WEBHOOK);

	memset(o, 0, sizeof(*o));
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, after);
	return outrow_one(st, s, o, found_r, "outbox next webhook", err);
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

/* First response: status open → pending and first_response_at = at,
 * only if not set yet. */
static int
first_response(struct sd_store *st, int64_t ticket, sd_time at,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_FIRST_RESPONSE);

	sqlite3_bind_int64(s, 1, ticket);
	sqlite3_bind_int64(s, 2, at);
	return exec_stmt(st, s, "ticket first response", err);
}

int
store_outbox_sent(struct sd_store *st, const struct sd_outrow *o, sd_time at,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OUT_SENT);

	sqlite3_bind_int64(s, 1, o->id);
	sqlite3_bind_int64(s, 2, at);
	if (exec_stmt(st, s, "outbox sent", err) == -1)
		return -1;
	if (o->ticket_id == 0)
		return 0;
	if (store_event_add(st, o->ticket_id, at, "system", "mail-sent",
	    o->kind, err) == -1)
		return -1;
	return o->first_response ? first_response(st, o->ticket_id, at, err) :
	    0;
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
	sqlite3_stmt *s = stmt(st, S_PAGES_SINCE);

	bind_text(s, 1, org);
	sqlite3_bind_int64(s, 2, since);
	return one_int(st, s, "pages since", n_r, err);
}

int
store_rate_get(struct sd_store *st, const char *key, sd_time since,
    int64_t *n_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_RATE_GET);

	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, since);
	return one_int(st, s, "rate get", n_r, err);
}

int
store_rate_add(struct sd_store *st, const char *key, sd_time since,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_RATE_ADD);

	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, since);
	return exec_stmt(st, s, "rate add", err);
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
		row.resolution_due = sqlite3_column_int64(s, 10);
		row.resolved_at = sqlite3_column_int64(s, 11);
		row.organization = (const char *)sqlite3_column_text(s, 12);
		row.period = sqlite3_column_int(s, 13);
		row.period_start = sqlite3_column_int64(s, 14);
		row.sla_sent = (unsigned)sqlite3_column_int(s, 15);
		row.update_breaches = sqlite3_column_int64(s, 16);
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

int
store_report_periods(struct sd_store *st, sd_time since, store_period_cb cb,
    void *arg, struct sd_err *err)
{
	sqlite3_stmt			*s = stmt(st, S_REPORT_PERIODS);
	struct sd_report_period		 row;
	int				 r, ret = 0;

	sqlite3_bind_int64(s, 1, since);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		row.ticket_id = sqlite3_column_int64(s, 0);
		row.seq = sqlite3_column_int(s, 1);
		row.p.priority = (const char *)sqlite3_column_text(s, 2);
		row.p.tier = (const char *)sqlite3_column_text(s, 3);
		row.organization = (const char *)sqlite3_column_text(s, 4);
		row.p.started_at = sqlite3_column_int64(s, 5);
		row.p.ended_at = sqlite3_column_int64(s, 6);
		row.p.response_due = sqlite3_column_int64(s, 7);
		row.p.resolution_due = sqlite3_column_int64(s, 8);
		row.p.response = (const char *)sqlite3_column_text(s, 9);
		row.p.resolution = (const char *)sqlite3_column_text(s, 10);
		if ((ret = cb(arg, &row)) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "report periods");
		ret = -1;
	}
	done(s);
	return ret;
}

int
store_report_breaches(struct sd_store *st, sd_time since, store_breach_cb cb,
    void *arg, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_REPORT_BREACHES);
	int		 r, ret = 0;

	sqlite3_bind_int64(s, 1, since);
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if ((ret = cb(arg, sqlite3_column_int64(s, 0))) != 0)
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "report breaches");
		ret = -1;
	}
	done(s);
	return ret;
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
store_open_c1_of_org(struct sd_store *st, const char *org,
    const char *priority, sd_time since, sd_time until, int64_t *id_r,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_OPEN_C1_OF_ORG);

	bind_text(s, 1, org);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int64(s, 3, until);
	bind_text(s, 4, priority);
	return one_int(st, s, "open C1 of organization", id_r, err);
}

