/* SPDX-License-Identifier: MIT */
/* json.h - a tiny JSON writer on GString (supportctl --json, webhooks),
 * and a strict reader of flat objects (OAuth2 answers and keys). */
#ifndef SUPPORTD_JSON_H
#define SUPPORTD_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

/* Appends s as a JSON string (or null when s is NULL). */
void	json_str(GString *out, const char *s);
/* "key": then the value; the caller handles commas via json_sep. */
void	json_key(GString *out, bool *first, const char *key);
void	json_kv_str(GString *out, bool *first, const char *key, const char *v);
void	json_kv_int(GString *out, bool *first, const char *key, int64_t v);
/* An integer, or null when v == 0. */
void	json_kv_int_or_null(GString *out, bool *first, const char *key, int64_t v);
void	json_kv_bool(GString *out, bool *first, const char *key, bool v);
/* A time in ISO 8601 with the zone's offset, or null when t == 0. */
void	json_kv_time(GString *out, bool *first, const char *key, int64_t t,
	    const char *tz);

/*
 * Reads s[0..len), which must be one JSON object and nothing more: a
 * table of its members that are strings (unescaped, UTF-8), by name,
 * and in *numbers_r (when not NULL) one of those that are numbers, as
 * written; other members are checked and left out.  NULL with *why_r
 * (static text) when s is not such an object, nests over 32 deep, or
 * names a member twice.  Destroying the string table wipes its values.
 */
GHashTable *json_read_object(const char *s, size_t len,
	    GHashTable **numbers_r, const char **why_r);

#endif
