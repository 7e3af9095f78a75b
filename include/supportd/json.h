/* SPDX-License-Identifier: MIT */
/* json.h - a tiny JSON writer on GString: supportctl --json, webhooks. */
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

#endif
