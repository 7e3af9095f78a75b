/* SPDX-License-Identifier: MIT */
/*
 * json_read.c - a strict RFC 8259 reader for the one shape supportd
 * reads: an object whose members it wants are strings or numbers (a
 * token endpoint's answer, a service account's key).  Nested values are
 * checked and skipped, at most JSON_MAX_DEPTH deep; anything after the
 * object but white space is an error.  Not json-glib: its 1.6 parser
 * leaks the nodes it made when garbage follows the value (found by
 * fuzz-oauth), and an endpoint's answer is not ours to trust.
 */
#include <stdlib.h>
#include <string.h>

#include "supportd/json.h"
#include "supportd/util.h"

#define JSON_MAX_DEPTH	32

struct rd {
	const char	*p, *end;
	const char	*why;		/* the first problem */
};

static bool
fail(struct rd *r, const char *why)
{
	if (r->why == NULL)
		r->why = why;
	return false;
}

static void
ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
	    *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = g_ascii_xdigit_value(p[i]);

		if (c < 0)
			return -1;
		v = v * 16 + c;
	}
	return v;
}

/* A string at r->p (its quote); into out when out is not NULL. */
static bool
string(struct rd *r, GString *out)
{
	if (r->p >= r->end || *r->p != '"')
		return fail(r, "expected a string");
	r->p++;
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p;
		gunichar u;
		int h, lo;

		if (c < 0x20)
			return fail(r, "control character in a string");
		if (c != '\\') {
			if (out)
				g_string_append_c(out, (char)c);
			r->p++;
			continue;
		}
		if (r->end - r->p < 2)
			return fail(r, "cut escape");
		switch (r->p[1]) {
		case '"': case '\\': case '/':
			u = (unsigned char)r->p[1]; break;
		case 'b': u = '\b'; break;
		case 'f': u = '\f'; break;
		case 'n': u = '\n'; break;
		case 'r': u = '\r'; break;
		case 't': u = '\t'; break;
		case 'u':
			if (r->end - r->p < 6 || (h = hex4(r->p + 2)) < 0)
				return fail(r, "bad \\u escape");
			u = (gunichar)h;
			if (h >= 0xd800 && h <= 0xdbff) {
				/* A pair makes one character above U+FFFF. */
				if (r->end - r->p < 12 || r->p[6] != '\\' ||
				    r->p[7] != 'u' || (lo = hex4(r->p + 8)) <
				    0xdc00 || lo > 0xdfff)
					return fail(r, "lone surrogate");
				u = 0x10000 + (((gunichar)h - 0xd800) << 10) +
				    ((gunichar)lo - 0xdc00);
				r->p += 6;
			} else if ((h >= 0xdc00 && h <= 0xdfff) || h == 0)
				return fail(r, "lone surrogate or NUL");
			r->p += 4;
			break;
		default:
			return fail(r, "bad escape");
		}
		if (out)
			g_string_append_unichar(out, u);
		r->p += 2;
	}
	if (r->p >= r->end)
		return fail(r, "unterminated string");
	r->p++;
	if (out && !g_utf8_validate(out->str, (gssize)out->len, NULL))
		return fail(r, "string is not UTF-8");
	return true;
}

/* A number (RFC 8259 §6) at r->p, its text into out. */
static bool
number(struct rd *r, GString *out)
{
	const char *s = r->p;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || !g_ascii_isdigit(*r->p))
		return fail(r, "bad number");
	if (*r->p == '0')
		r->p++;
	else
		while (r->p < r->end && g_ascii_isdigit(*r->p))
			r->p++;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (r->p >= r->end || !g_ascii_isdigit(*r->p))
			return fail(r, "bad number");
		while (r->p < r->end && g_ascii_isdigit(*r->p))
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || !g_ascii_isdigit(*r->p))
			return fail(r, "bad number");
		while (r->p < r->end && g_ascii_isdigit(*r->p))
			r->p++;
	}
	if (out)
		g_string_append_len(out, s, r->p - s);
	return true;
}

static bool
word(struct rd *r, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return fail(r, "unexpected character");
	r->p += n;
	return true;
}

static bool value(struct rd *r, int depth, GString *out, int *kind_r);

enum { K_OTHER, K_STRING, K_NUMBER };

static bool
container(struct rd *r, int depth, bool object, GHashTable *members,
    GHashTable *numbers)
{
	char	 close = object ? '}' : ']';
	bool	 first = true;
	int	 kind;

	if (depth > JSON_MAX_DEPTH)
		return fail(r, "nested too deep");
	r->p++;
	for (;;) {
		GString *key = NULL, *val = NULL;

		ws(r);
		if (r->p < r->end && *r->p == close && first) {
			r->p++;
			return true;
		}
		if (object) {
			key = members ? g_string_new(NULL) : NULL;
			if (!string(r, key))
				goto bad;
			ws(r);
			if (r->p >= r->end || *r->p != ':') {
				fail(r, "expected ':'");
				goto bad;
			}
			r->p++;
		}
		val = members ? g_string_new(NULL) : NULL;
		if (!value(r, depth + 1, val, &kind))
			goto bad;
		/* A member given twice is a hostile answer: refused. */
		if (members && (g_hash_table_contains(members, key->str) ||
		    g_hash_table_contains(numbers, key->str))) {
			fail(r, "member given twice");
			goto bad;
		}
		if (members && kind != K_OTHER)
			g_hash_table_insert(kind == K_STRING ? members : numbers,
			    g_string_free(key, FALSE), g_string_free(val, FALSE));
		else {
			if (key)
				g_string_free(key, TRUE);
			if (val)
				g_string_free(val, TRUE);
		}
		first = false;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return true;
		}
		return fail(r, "expected ',' or a closing bracket");
 bad:
		if (key)
			g_string_free(key, TRUE);
		if (val)
			g_string_free(val, TRUE);
		return false;
	}
}

/* Any value; a string's or number's text into out (and *kind_r). */
static bool
value(struct rd *r, int depth, GString *out, int *kind_r)
{
	*kind_r = K_OTHER;
	ws(r);
	if (r->p >= r->end)
		return fail(r, "value missing");
	switch (*r->p) {
	case '{':
		return container(r, depth, true, NULL, NULL);
	case '[':
		return container(r, depth, false, NULL, NULL);
	case '"':
		*kind_r = K_STRING;
		return string(r, out);
	case 't':
		return word(r, "true");
	case 'f':
		return word(r, "false");
	case 'n':
		return word(r, "null");
	default:
		*kind_r = K_NUMBER;
		return number(r, out);
	}
}

/* Values may be tokens: wiped before they are freed. */
static void
wipe_free(gpointer p)
{
	explicit_bzero(p, strlen(p));
	g_free(p);
}

GHashTable *
json_read_object(const char *s, size_t len, GHashTable **numbers_r,
    const char **why_r)
{
	struct rd	 r = { s, s + len, NULL };
	GHashTable	*m = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, wipe_free);
	GHashTable	*n = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, g_free);

	ws(&r);
	if (r.p >= r.end || *r.p != '{')
		fail(&r, "not a JSON object");
	else if (container(&r, 1, true, m, n)) {
		ws(&r);
		if (r.p != r.end)
			fail(&r, "more after the object");
	}
	if (r.why != NULL) {
		*why_r = r.why;
		g_hash_table_destroy(m);
		g_hash_table_destroy(n);
		return NULL;
	}
	if (numbers_r != NULL)
		*numbers_r = n;
	else
		g_hash_table_destroy(n);
	return m;
}
