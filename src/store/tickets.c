/* SPDX-License-Identifier: MIT */
/*
 * tickets.c - the mailbox cursors, tickets, their messages,
 * participants and events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

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
store_message_known(struct sd_store *st, const struct sd_msgrec *m,
    bool *known_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_MSG_KNOWN);
	int		 r;

	bind_text(s, 1, m->message_id);
	bind_text(s, 2, m->dedupe_key);
	bind_text(s, 3, m->from_addr);
	bind_text(s, 4, m->body);
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
	sqlite3_stmt	*s = stmt(st, S_MSG_INSERT);
	int64_t		 id;

	bind_opt_int(s, 1, m->ticket_id);
	bind_text(s, 2, sd_dir_names[m->direction]);
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
	id = sqlite3_last_insert_rowid(st->db);
	if (id_r != NULL)
		*id_r = id;
	for (size_t i = 0; i < m->natts; i++) {
		const struct sd_attachment *a = &m->atts[i];

		s = stmt(st, S_ATT_INSERT);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		bind_text(s, 3, a->name);
		bind_text(s, 4, a->type != NULL ? a->type :
		    "application/octet-stream");
		sqlite3_bind_int64(s, 5, (int64_t)a->size);
		bind_text(s, 6, a->sha256);
		if (exec_stmt(st, s, "attachment insert", err) == -1)
			return -1;
	}
	return 0;
}

int
store_message_attachments(struct sd_store *st, int64_t msg, store_att_cb cb,
    void *arg, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_ATTS_OF_MSG);
	int		 r, ret = 0;

	sqlite3_bind_int64(s, 1, msg);
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if ((ret = cb(arg, (size_t)sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    sqlite3_column_int64(s, 3),
		    (const char *)sqlite3_column_text(s, 4))) != 0)
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "attachments");
		ret = -1;
	}
	done(s);
	return ret;
}

int
store_message_raw(struct sd_store *st, int64_t msg, int64_t *ticket_r,
    void **raw_r, size_t *len_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_MSG_RAW);
	int		 r;

	*raw_r = NULL;
	*len_r = 0;
	*ticket_r = 0;
	sqlite3_bind_int64(s, 1, msg);
	if ((r = sqlite3_step(s)) == SQLITE_ROW &&
	    sqlite3_column_type(s, 1) != SQLITE_NULL) {
		*ticket_r = sqlite3_column_int64(s, 0);
		*len_r = (size_t)sqlite3_column_bytes(s, 1);
		*raw_r = g_memdup2(sqlite3_column_blob(s, 1), *len_r);
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		done(s);
		return db_err(st, err, "message raw");
	}
	done(s);
	return 0;
}

int
store_ticket_by_message_id(struct sd_store *st, const char *message_id,
    bool ours, int64_t *ticket_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_BY_MSGID);

	bind_text(s, 1, message_id);
	sqlite3_bind_int(s, 2, ours);
	return one_int(st, s, "ticket by message-id", ticket_r, err);
}

int
store_ticket_insert(struct sd_store *st, struct sd_ticket *t,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_INSERT);

	bind_text(s, 1, t->mailbox);
	bind_text(s, 2, t->subject);
	bind_text(s, 3, sd_status_names[t->status]);
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
	/* Only the nine names are written; another, written by hand,
	 * reads as open. */
	t->status = (enum sd_status)col_name(s, 3, sd_status_names,
	    SD_ST__COUNT, SD_ST_OPEN);
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
	t->due_by_agent = sqlite3_column_int(s, 23) != 0;
	t->paused_at = sqlite3_column_int64(s, 24);
	t->paused_wall = sqlite3_column_int64(s, 25);
	t->paused_bh = sqlite3_column_int64(s, 26);
	t->period = sqlite3_column_int(s, 27);
	t->period_start = sqlite3_column_int64(s, 28);
	t->sla_sent = (unsigned)sqlite3_column_int(s, 29);
	t->resumed_at = sqlite3_column_int64(s, 30);
}

void
store_ticket_clear(struct sd_ticket *t)
{
	free(t->mailbox);
	free(t->subject);
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
store_ticket_set_status(struct sd_store *st, int64_t id,
    enum sd_status status, sd_time at, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_SET_STATUS);

	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, sd_status_names[status]);
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
store_ticket_list(struct sd_store *st, const struct sd_ticket_filter *f,
    store_ticket_cb cb, void *arg, struct sd_err *err)
{
	sqlite3_stmt		*s = stmt(st, S_TICKET_LIST);
	struct sd_ticket	 t;
	int			 r, ret = 0;

	bind_text(s, 1, f && f->status >= 0 ? sd_status_names[f->status] :
	    NULL);
	bind_text(s, 2, f ? f->priority : NULL);
	bind_text(s, 3, f ? f->assignee : NULL);
	bind_text(s, 4, f ? f->organization : NULL);
	bind_text(s, 5, f ? f->tier : NULL);
	bind_text(s, 6, f ? f->category : NULL);
	bind_opt_int(s, 7, f ? f->since : 0);
	bind_opt_int(s, 8, f ? f->due_before : 0);
	sqlite3_bind_int64(s, 9, f ? f->breached_at : 0);
	sqlite3_bind_int(s, 10, f ? (int)f->order : 0);
	sqlite3_bind_int(s, 11, f && f->limit > 0 ? f->limit : -1);
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
		m.direction = (enum sd_dir)col_name(s, 2, sd_dir_names,
		    SD_DIR__COUNT, SD_DIR_IN);
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
store_last_customer_message(struct sd_store *st, int64_t ticket,
    bool with_msgid, store_msg_cb cb, void *arg, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_LAST_CUSTOMER);

	sqlite3_bind_int64(s, 1, ticket);
	sqlite3_bind_int(s, 2, with_msgid);
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
store_participant_set(struct sd_store *st, int64_t ticket, const char *email,
    const char *role, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_PART_SET);

	sqlite3_bind_int64(s, 1, ticket);
	bind_text(s, 2, email);
	bind_text(s, 3, role);
	return exec_stmt(st, s, "participant set", err);
}

int
store_participants(struct sd_store *st, int64_t ticket, store_part_cb cb,
    void *arg, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_PARTS_OF_TICKET);
	int		 r, ret = 0;

	sqlite3_bind_int64(s, 1, ticket);
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if ((ret = cb(arg, (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1))) != 0)
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "participants");
		ret = -1;
	}
	done(s);
	return ret;
}

int
store_participant_is(struct sd_store *st, int64_t ticket, const char *email,
    bool first, bool *is_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_PART_IS);
	int		 r;

	sqlite3_bind_int64(s, 1, ticket);
	bind_text(s, 2, email);
	sqlite3_bind_int(s, 3, first);
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
store_event_count(struct sd_store *st, int64_t ticket, const char *kind,
    const char *detail, int64_t *n_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_EVENT_COUNT);

	sqlite3_bind_int64(s, 1, ticket);
	bind_text(s, 2, kind);
	bind_text(s, 3, detail);
	return one_int(st, s, "event count", n_r, err);
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
store_ticket_set_agent_due(struct sd_store *st, int64_t id, sd_time due,
    bool by_agent, sd_time at, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_SET_AGENT_DUE);

	sqlite3_bind_int64(s, 1, id);
	bind_opt_int(s, 2, due);
	sqlite3_bind_int(s, 3, by_agent);
	sqlite3_bind_int64(s, 4, at);
	return exec_stmt(st, s, "ticket set agent due", err);
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
store_ticket_set_clocks(struct sd_store *st, const struct sd_ticket *t,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_SET_PAUSE);

	sqlite3_bind_int64(s, 1, t->id);
	sqlite3_bind_int64(s, 2, t->paused_at);
	sqlite3_bind_int64(s, 3, t->paused_wall);
	sqlite3_bind_int64(s, 4, t->paused_bh);
	sqlite3_bind_int64(s, 5, t->resumed_at);
	sqlite3_bind_int(s, 6, (int)t->sla_sent);
	return exec_stmt(st, s, "ticket set pause", err);
}

int
store_open_without_timer(struct sd_store *st, const char *kind,
    store_id_cb cb, void *arg, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_OPEN_WITHOUT_TIMER);
	int		 r, ret = 0;

	bind_text(s, 1, kind);
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if ((ret = cb(arg, sqlite3_column_int64(s, 0))) != 0)
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "open tickets without a timer");
		ret = -1;
	}
	done(s);
	return ret;
}

int
store_period_close(struct sd_store *st, const struct sd_sla_period *p,
    const struct sd_ticket *t, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_PERIOD_ADD);

	sqlite3_bind_int64(s, 1, t->id);
	sqlite3_bind_int(s, 2, t->period);
	bind_text(s, 3, p->priority);
	bind_text(s, 4, p->tier);
	sqlite3_bind_int64(s, 5, p->started_at);
	sqlite3_bind_int64(s, 6, p->ended_at);
	bind_opt_int(s, 7, p->response_due);
	bind_opt_int(s, 8, p->resolution_due);
	bind_text(s, 9, p->response);
	bind_text(s, 10, p->resolution);
	if (exec_stmt(st, s, "period add", err) == -1)
		return -1;
	s = stmt(st, S_TICKET_SET_PERIOD);
	sqlite3_bind_int64(s, 1, t->id);
	sqlite3_bind_int(s, 2, t->period + 1);
	sqlite3_bind_int64(s, 3, p->ended_at);
	return exec_stmt(st, s, "ticket set period", err);
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
store_ticket_merge(struct sd_store *st, int64_t from, int64_t into,
    struct sd_err *err)
{
	static const enum stmt_id steps[] = { S_MERGE_MSGS, S_MERGE_PARTS,
	    S_MERGE_PARTS_DEL, S_MERGE_EVENTS, S_MERGE_MARK };

	for (size_t i = 0; i < nitems(steps); i++) {
		sqlite3_stmt *s = stmt(st, steps[i]);

		sqlite3_bind_int64(s, 1, from);
		sqlite3_bind_int64(s, 2, into);
		if (exec_stmt(st, s, "ticket merge", err) == -1)
			return -1;
	}
	return store_timer_delete(st, from, NULL, err);
}

int
store_secret(struct sd_store *st, const char *name, void *buf, size_t size,
    size_t *len_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_SECRET_GET);
	int		 r;

	*len_r = 0;
	bind_text(s, 1, name);
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);

		*len_r = n < size ? n : size;
		if (*len_r > 0)
			memcpy(buf, sqlite3_column_blob(s, 0), *len_r);
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		done(s);
		return db_err(st, err, "secret");
	}
	done(s);
	return 0;
}

int
store_note_hmac(struct sd_store *st, const char *msg, size_t len,
    char out[65], struct sd_err *err)
{
	GHmac	*h;
	guchar	 key[64];
	size_t	 klen;

	if (st->note_hmac == NULL) {
		if (store_secret(st, "note-key", key, sizeof(key), &klen,
		    err) == -1)
			return -1;
		if (klen < 16)
			return sd_err_set(err, SD_E_BUG, "store: no note-key");
		st->note_hmac = g_hmac_new(G_CHECKSUM_SHA256, key, klen);
		explicit_bzero(key, sizeof(key));
	}
	h = g_hmac_copy(st->note_hmac);
	g_hmac_update(h, (const guchar *)msg, (gssize)len);
	g_strlcpy(out, g_hmac_get_string(h), 65);
	g_hmac_unref(h);
	return 0;
}

int
store_vendor_mail_add(struct sd_store *st, const char *message_id,
    int64_t ticket, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_VENDOR_ADD);

	bind_text(s, 1, message_id);
	sqlite3_bind_int64(s, 2, ticket);
	return exec_stmt(st, s, "vendor mail add", err);
}

int
store_vendor_mail_ticket(struct sd_store *st, const char *message_id,
    int64_t *ticket_r, struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_VENDOR_GET);

	bind_text(s, 1, message_id);
	return one_int(st, s, "vendor mail", ticket_r, err);
}
