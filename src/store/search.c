/* SPDX-License-Identifier: MIT */
/*
 * search.c - full-text search over the mails (SPEC §13.6), SQLite FTS5.
 * The index is filled behind intake (schema 9): by the daemon between
 * rounds, and by a search itself before it looks.
 */
#include <string.h>

#include <sqlite3.h>

#include <glib.h>

#include "store_int.h"

#define MAX_WORDS	32
#define SEARCH_BATCH	1000	/* messages indexed per transaction */

/*
 * An agent's words as an FTS5 query: each a quoted string, so that
 * nothing typed ("AND", '"', "col:", "NEAR(") is read as syntax; a '*'
 * at a word's end stays the prefix operator.  NULL when no word.
 */
static char *
fts_query(const char *query)
{
	GString	 *q = g_string_new(NULL);
	gchar	**words = g_strsplit_set(query, " \t\r\n", -1);
	int	  n = 0;

	for (gchar **w = words; *w != NULL && n < MAX_WORDS; w++) {
		size_t	len = strlen(*w);
		bool	prefix = len > 1 && (*w)[len - 1] == '*';

		if (prefix)
			len--;
		if (len == 0 || (len == 1 && **w == '*'))
			continue;
		g_string_append(q, n++ ? " \"" : "\"");
		for (size_t i = 0; i < len; i++) {
			if ((*w)[i] == '"')
				g_string_append_c(q, '"');
			g_string_append_c(q, (*w)[i]);
		}
		g_string_append(q, prefix ? "\"*" : "\"");
	}
	g_strfreev(words);
	if (n == 0) {
		g_string_free(q, TRUE);
		return NULL;
	}
	return g_string_free(q, FALSE);
}

int
store_search_index(struct sd_store *st, int max, bool wait, int *n_r,
    struct sd_err *err)
{
	sqlite3_stmt	*s;
	bool		 busy = false;
	int64_t		 pending = 0;

	*n_r = 0;
	/* Nothing new: no transaction (the idle daemon asks every second,
	 * and a commit writes even when nothing changed). */
	if (one_int(st, stmt(st, S_SEARCH_PENDING), "search pending", &pending,
	    err) == -1)
		return -1;
	if (!pending)
		return 0;
	if (wait ? store_begin(st, err) == -1 :
	    store_try_begin(st, &busy, err) == -1)
		return -1;
	if (busy)
		return 0;
	s = stmt(st, S_SEARCH_INDEX);
	sqlite3_bind_int(s, 1, max);
	if (exec_stmt(st, s, "search index", err) == -1)
		goto fail;
	*n_r = sqlite3_changes(st->db);
	s = stmt(st, S_SEARCH_MARK);
	sqlite3_bind_int(s, 1, max);
	if (exec_stmt(st, s, "search mark", err) == -1)
		goto fail;
	if (store_commit(st, err) == -1) {
		*n_r = 0;
		return -1;
	}
	return 0;
 fail:
	store_rollback(st);
	*n_r = 0;
	return -1;
}

int
store_search(struct sd_store *st, const char *query, int limit,
    store_search_cb cb, void *arg, struct sd_err *err)
{
	sqlite3_stmt		*s = stmt(st, S_SEARCH);
	struct sd_search_hit	 h;
	char			*q = fts_query(query);
	int			 r, n, ret = 0;

	if (q == NULL)
		return sd_err_set(err, SD_E_PERM, "search: no word to look "
		    "for");
	do {
		if (store_search_index(st, SEARCH_BATCH, true, &n, err) == -1) {
			g_free(q);
			return -1;
		}
	} while (n == SEARCH_BATCH);
	bind_text(s, 1, q);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_stmt *sn = stmt(st, S_SEARCH_SNIPPET);

		h.ticket_id = sqlite3_column_int64(s, 0);
		h.message_id = sqlite3_column_int64(s, 1);
		/* Made for the hits listed only: for every match it was most
		 * of a search over a common word. */
		bind_text(sn, 1, q);
		sqlite3_bind_int64(sn, 2, h.message_id);
		h.snippet = sqlite3_step(sn) == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(sn, 0) : NULL;
		h.score = sqlite3_column_double(s, 2);
		h.subject = (const char *)sqlite3_column_text(s, 3);
		h.status = (enum sd_status)col_name(s, 4, sd_status_names,
		    SD_ST__COUNT, SD_ST_OPEN);
		h.priority = (const char *)sqlite3_column_text(s, 5);
		if (h.snippet == NULL)
			h.snippet = "";
		ret = cb(arg, &h);
		done(sn);
		if (ret != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_err(st, err, "search");
		ret = -1;
	}
	done(s);
	g_free(q);
	return ret;
}
