/* SPDX-License-Identifier: MIT */
/* json.c - see json.h.  Strings are escaped per RFC 8259; invalid UTF-8
 * never reaches here because the mime module hands out valid UTF-8. */
#include <stdlib.h>

#include "supportd/json.h"
#include "supportd/util.h"

void
json_str(GString *out, const char *s)
{
	if (s == NULL) {
		g_string_append(out, "null");
		return;
	}
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':	g_string_append(out, "\\\""); break;
		case '\\':	g_string_append(out, "\\\\"); break;
		case '\n':	g_string_append(out, "\\n"); break;
		case '\r':	g_string_append(out, "\\r"); break;
		case '\t':	g_string_append(out, "\\t"); break;
		default:
			if (*p < 0x20)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}

void
json_key(GString *out, bool *first, const char *key)
{
	if (!*first)
		g_string_append_c(out, ',');
	*first = false;
	json_str(out, key);
	g_string_append_c(out, ':');
}

void
json_kv_str(GString *out, bool *first, const char *key, const char *v)
{
	json_key(out, first, key);
	json_str(out, v);
}

void
json_kv_int(GString *out, bool *first, const char *key, int64_t v)
{
	json_key(out, first, key);
	g_string_append_printf(out, "%lld", (long long)v);
}

void
json_kv_int_or_null(GString *out, bool *first, const char *key, int64_t v)
{
	if (v == 0) {
		json_key(out, first, key);
		g_string_append(out, "null");
	} else
		json_kv_int(out, first, key, v);
}

void
json_kv_bool(GString *out, bool *first, const char *key, bool v)
{
	json_key(out, first, key);
	g_string_append(out, v ? "true" : "false");
}

void
json_kv_time(GString *out, bool *first, const char *key, int64_t t,
    const char *tz)
{
	char *s;

	json_key(out, first, key);
	if (t == 0) {
		g_string_append(out, "null");
		return;
	}
	s = sd_time_format(t, tz);
	json_str(out, s);
	free(s);
}
