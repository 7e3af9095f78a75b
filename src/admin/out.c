/* SPDX-License-Identifier: MIT */
/*
 * out.c - a command's output, as JSON or as text for people.  A command
 * writes each record once: its JSON structure and members (nothing in
 * text mode) and its text line (nothing in JSON mode), so no command
 * branches on --json, and the commas of nested JSON are kept here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "supportctl.h"
#include "supportd/json.h"

void
out_begin(struct out *o, const struct ctx *cx, bool json)
{
	o->s = g_string_new(NULL);
	o->tbuf = NULL;
	o->json = json;
	o->tz = cx->conf->calendar.timezone;
	o->depth = 0;
	o->first[0] = true;
}

void
out_end(struct out *o, bool print)
{
	if (print) {
		if (o->json)
			g_string_append_c(o->s, '\n');
		fputs(o->s->str, stdout);
	}
	g_string_free(o->s, TRUE);
	free(o->tbuf);
	o->s = NULL;
	o->tbuf = NULL;
}

/* Opens an object or array ('{' or '['): a member named key, or an
 * element of the enclosing array when key is NULL. */
static void
open_one(struct out *o, const char *key, char c)
{
	if (!o->json)
		return;
	g_assert(o->depth + 1 < (int)G_N_ELEMENTS(o->first));
	if (key != NULL)
		json_key(o->s, &o->first[o->depth], key);
	else if (!o->first[o->depth])
		g_string_append_c(o->s, ',');
	o->first[o->depth] = false;
	g_string_append_c(o->s, c);
	o->close[++o->depth] = c == '{' ? '}' : ']';
	o->first[o->depth] = true;
}

void
out_obj(struct out *o, const char *key)
{
	open_one(o, key, '{');
}

void
out_arr(struct out *o, const char *key)
{
	open_one(o, key, '[');
}

void
out_close(struct out *o)
{
	if (!o->json)
		return;
	g_assert(o->depth > 0);
	g_string_append_c(o->s, o->close[o->depth--]);
}

void
out_str(struct out *o, const char *key, const char *v)
{
	if (!o->json)
		return;
	if (key != NULL) {
		json_kv_str(o->s, &o->first[o->depth], key, v);
		return;
	}
	if (!o->first[o->depth])
		g_string_append_c(o->s, ',');
	o->first[o->depth] = false;
	json_str(o->s, v);
}

void
out_int(struct out *o, const char *key, int64_t v)
{
	if (o->json)
		json_kv_int(o->s, &o->first[o->depth], key, v);
}

void
out_int_or_null(struct out *o, const char *key, int64_t v)
{
	if (o->json)
		json_kv_int_or_null(o->s, &o->first[o->depth], key, v);
}

void
out_null(struct out *o, const char *key)
{
	if (!o->json)
		return;
	json_key(o->s, &o->first[o->depth], key);
	g_string_append(o->s, "null");
}

void
out_bool(struct out *o, const char *key, bool v)
{
	if (o->json)
		json_kv_bool(o->s, &o->first[o->depth], key, v);
}

void
out_time(struct out *o, const char *key, sd_time t)
{
	if (o->json)
		json_kv_time(o->s, &o->first[o->depth], key, t, o->tz);
}

void
out_text(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	g_string_append_vprintf(o->s, fmt, ap);
	va_end(ap);
}

const char *
out_when(struct out *o, sd_time t)
{
	if (o->json)
		return "";
	free(o->tbuf);
	return o->tbuf = sd_time_format(t, o->tz);
}
