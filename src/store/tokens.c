/* SPDX-License-Identifier: MIT */
/*
 * tokens.c - OAuth2 tokens (SPEC §15.3).  A row is written whole in one
 * statement, so a rotated refresh token and the access token that came
 * with it are never apart.
 */
#include <string.h>

#include "store_int.h"

void
store_token_clear(struct sd_token *t)
{
	/* Tokens do not linger in freed memory. */
	secret_free(&t->access_token);
	secret_free(&t->refresh_token);
	free(t->name);
	free(t->issuer);
	free(t->last_error);
	memset(t, 0, sizeof(*t));
}

static void
read_row(sqlite3_stmt *s, struct sd_token *t)
{
	t->name = col_text(s, 0);
	t->issuer = col_text(s, 1);
	t->access_token = col_text(s, 2);
	t->expires_at = sqlite3_column_int64(s, 3);
	t->obtained_at = sqlite3_column_int64(s, 4);
	t->refresh_token = col_text(s, 5);
	t->last_error = col_text(s, 6);
	t->error_at = sqlite3_column_int64(s, 7);
	t->failures = sqlite3_column_int(s, 8);
	t->dead = sqlite3_column_int(s, 9) != 0;
	t->next_try = sqlite3_column_int64(s, 10);
	t->alerted = sqlite3_column_int(s, 11) != 0;
}

int
store_token_get(struct sd_store *st, const char *name, struct sd_token *t,
    bool *found_r, struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_TOKEN_GET);
	int		 r;

	memset(t, 0, sizeof(*t));
	bind_text(s, 1, name);
	r = sqlite3_step(s);
	*found_r = r == SQLITE_ROW;
	if (r == SQLITE_ROW)
		read_row(s, t);
	done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_err(st, err, "token get");
	return 0;
}

int
store_token_put(struct sd_store *st, const struct sd_token *t,
    struct sd_err *err)
{
	sqlite3_stmt *s = stmt(st, S_TOKEN_PUT);

	bind_text(s, 1, t->name);
	bind_text(s, 2, t->issuer != NULL ? t->issuer : "");
	bind_text(s, 3, t->access_token);
	sqlite3_bind_int64(s, 4, t->expires_at);
	sqlite3_bind_int64(s, 5, t->obtained_at);
	bind_text(s, 6, t->refresh_token);
	bind_text(s, 7, t->last_error);
	sqlite3_bind_int64(s, 8, t->error_at);
	sqlite3_bind_int(s, 9, t->failures);
	sqlite3_bind_int(s, 10, t->dead);
	sqlite3_bind_int64(s, 11, t->next_try);
	sqlite3_bind_int(s, 12, t->alerted);
	return exec_stmt(st, s, "token put", err);
}

int
store_token_list(struct sd_store *st, struct sd_token **rows_r, size_t *n_r,
    struct sd_err *err)
{
	sqlite3_stmt	*s = stmt(st, S_TOKEN_LIST);
	GArray		*a = g_array_new(FALSE, TRUE, sizeof(struct sd_token));
	int		 r;

	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct sd_token t;

		read_row(s, &t);
		g_array_append_val(a, t);
	}
	done(s);
	*n_r = a->len;
	*rows_r = (struct sd_token *)(void *)g_array_free(a, FALSE);
	if (r != SQLITE_DONE) {
		store_token_list_free(rows_r, *n_r);
		*n_r = 0;
		return db_err(st, err, "token list");
	}
	return 0;
}

void
store_token_list_free(struct sd_token **rows, size_t n)
{
	for (size_t i = 0; *rows != NULL && i < n; i++)
		store_token_clear(&(*rows)[i]);
	g_free(*rows);
	*rows = NULL;
}
