/* SPDX-License-Identifier: MIT */
/*
 * authres.c - RFC 8601 §2.2 by hand: a cursor over the raw value and one
 * function per production.  What the grammar calls CFWS (spaces, folding,
 * nested comments with quoted pairs) is skipped wherever it may stand; a
 * quoted string is one value whatever it holds, so a ';' or "dkim=pass"
 * inside one is text, never structure.
 */
#include <string.h>

#include <glib.h>

#include "supportd/authres.h"
#include "supportd/util.h"

struct lex {
	const char	*p, *end;
	bool		 bad;		/* an unclosed comment or quote */
};

static bool
at(const struct lex *l, char c)
{
	return l->p < l->end && *l->p == c;
}

/*
 * Spaces, line breaks and (nested (comments)).  A '"' in a comment makes
 * the header unreadable: verifiers write the sender's envelope address
 * or HELO name into comments ("domain of x@y designates ..."), and a
 * quoted local part there can hold a ')' that ends the comment early
 * and "; dkim=pass ..." after it.  No verifier quotes in a comment.
 */
static void
cfws(struct lex *l)
{
	int depth = 0;

	for (; l->p < l->end; l->p++) {
		char c = *l->p;

		if (depth > 0 && c == '\\' && l->p + 1 < l->end)
			l->p++;
		else if (depth > 0 && c == '"') {
			l->bad = true;
			l->p = l->end;
			return;
		} else if (c == '(')
			depth++;
		else if (depth > 0 && c == ')')
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' &&
		    c != '\n')
			return;
	}
	if (depth > 0)
		l->bad = true;
}

/* A quoted string at l->p ('"'), appended unquoted to out. */
static void
quoted(struct lex *l, GString *out)
{
	for (l->p++; l->p < l->end; l->p++) {
		if (*l->p == '"') {
			l->p++;
			return;
		}
		if (*l->p == '\\' && l->p + 1 < l->end)
			l->p++;
		g_string_append_c(out, *l->p);
	}
	l->bad = true;
}

/* RFC 2045 tspecials, space and controls end a token. */
static bool
token_char(char c)
{
	return (unsigned char)c > ' ' && c != 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Keyword (RFC 8601: letters, digits, '-'), lower case; NULL if none. */
static char *
keyword(struct lex *l)
{
	const char *s = l->p;

	while (l->p < l->end && (g_ascii_isalnum(*l->p) || *l->p == '-' ||
	    *l->p == '_'))
		l->p++;
	return l->p == s ? NULL : g_ascii_strdown(s, l->p - s);
}

/* value = token / quoted-string; "" if neither. */
static char *
value(struct lex *l)
{
	GString *v = g_string_new(NULL);

	if (at(l, '"'))
		quoted(l, v);
	else
		while (l->p < l->end && token_char(*l->p))
			g_string_append_c(v, *l->p++);
	return g_string_free(v, FALSE);
}

/* pvalue: a value, or [local-part] "@" domain, whose local part may be
 * quoted: the pieces up to a space, comment or ';', quotes undone. */
static char *
pvalue(struct lex *l)
{
	GString *v = g_string_new(NULL);

	cfws(l);
	while (l->p < l->end && !l->bad) {
		char c = *l->p;

		if (c == '"')
			quoted(l, v);
		else if ((unsigned char)c > ' ' && c != 0x7f && c != '(' &&
		    c != ';')
			g_string_append_c(v, *l->p++);
		else
			break;
	}
	return g_string_free(v, FALSE);
}

/* Past the rest of a resinfo that broke the grammar: to the next ';'
 * outside quotes and comments. */
static void
skip_resinfo(struct lex *l)
{
	GString *junk = g_string_new(NULL);

	for (cfws(l); l->p < l->end && !l->bad && !at(l, ';'); cfws(l)) {
		if (at(l, '"'))
			quoted(l, junk);
		else
			l->p++;
	}
	g_string_free(junk, TRUE);
}

static void
result_clear(struct sd_authres_result *r)
{
	for (size_t i = 0; i < r->nprops; i++) {
		g_free(r->props[i].ptype);
		g_free(r->props[i].property);
		g_free(r->props[i].value);
	}
	free(r->props);
	g_free(r->method);
	g_free(r->result);
	memset(r, 0, sizeof(*r));
}

/* propspec ... up to the next ';': ptype.property=pvalue are kept,
 * reason=value and other key=value skipped.  false when one breaks the
 * grammar. */
static bool
props(struct lex *l, struct sd_authres_result *r)
{
	for (;;) {
		char *ptype, *prop, *v;

		cfws(l);
		if (l->bad || l->p == l->end || at(l, ';'))
			return !l->bad;
		if ((ptype = keyword(l)) == NULL)
			return false;
		cfws(l);
		if (at(l, '=')) {		/* reason=, action=, ... */
			l->p++;
			g_free(ptype);
			g_free(pvalue(l));
			continue;
		}
		if (!at(l, '.')) {
			g_free(ptype);
			return false;
		}
		l->p++;
		cfws(l);
		prop = keyword(l);
		cfws(l);
		if (prop == NULL || !at(l, '=')) {
			g_free(ptype);
			g_free(prop);
			return false;
		}
		l->p++;
		v = pvalue(l);
		r->props = xrealloc(r->props, (r->nprops + 1) *
		    sizeof(*r->props));
		r->props[r->nprops++] = (struct sd_authres_prop){ ptype, prop,
		    v };
	}
}

/* resinfo after its ';': methodspec [reasonspec] [propspec...].  false
 * when it breaks the grammar (r is then cleared). */
static bool
resinfo(struct lex *l, struct sd_authres_result *r)
{
	cfws(l);
	if ((r->method = keyword(l)) == NULL)
		return false;
	cfws(l);
	if (at(l, '/')) {			/* method-version */
		l->p++;
		cfws(l);
		while (l->p < l->end && g_ascii_isdigit(*l->p))
			l->p++;
		cfws(l);
	}
	if (!at(l, '='))		/* also "; none" */
		return false;
	l->p++;
	cfws(l);
	if ((r->result = keyword(l)) == NULL)
		return false;
	return props(l, r);
}

int
authres_parse(const char *raw, size_t len, struct sd_authres *ar)
{
	struct lex l = { raw, raw + len, false };

	memset(ar, 0, sizeof(*ar));
	cfws(&l);
	ar->authserv_id = value(&l);
	cfws(&l);
	/* "spf=pass ...": a header without its authserv-id (Exchange
	 * Online writes them so) cannot say whose claim it is. */
	if (*ar->authserv_id == '\0' || l.bad || at(&l, '=') || at(&l, '/'))
		goto bad;
	while (l.p < l.end && g_ascii_isdigit(*l.p))	/* authres-version */
		l.p++;
	for (cfws(&l); l.p < l.end && !l.bad; cfws(&l)) {
		struct sd_authres_result r = { 0 };

		if (!at(&l, ';')) {
			skip_resinfo(&l);
			continue;
		}
		l.p++;
		if (resinfo(&l, &r) && !l.bad && strcmp(r.method, "none") != 0) {
			ar->results = xrealloc(ar->results, (ar->nresults + 1) *
			    sizeof(*ar->results));
			ar->results[ar->nresults++] = r;
		} else {
			result_clear(&r);
			skip_resinfo(&l);
		}
	}
	if (l.bad)
		goto bad;
	return 0;
 bad:
	authres_clear(ar);
	return -1;
}

void
authres_clear(struct sd_authres *ar)
{
	for (size_t i = 0; i < ar->nresults; i++)
		result_clear(&ar->results[i]);
	free(ar->results);
	g_free(ar->authserv_id);
	memset(ar, 0, sizeof(*ar));
}

/* The domain of an address or a bare domain (after the last '@'). */
static bool
domain_is(const char *v, const char *domain)
{
	const char *at = strrchr(v, '@');

	return g_ascii_strcasecmp(at ? at + 1 : v, domain) == 0;
}

bool
authres_passes(const struct sd_authres *ar, const char *authserv_id,
    const char *domain)
{
	if (ar->authserv_id == NULL || authserv_id == NULL || domain == NULL ||
	    *domain == '\0' ||
	    g_ascii_strcasecmp(ar->authserv_id, authserv_id) != 0)
		return false;
	for (size_t i = 0; i < ar->nresults; i++) {
		const struct sd_authres_result *r = &ar->results[i];

		if (strcmp(r->result, "pass") != 0)
			continue;
		for (size_t k = 0; k < r->nprops; k++) {
			const struct sd_authres_prop *p = &r->props[k];
			bool hdr = strcmp(p->ptype, "header") == 0;

			if ((strcmp(r->method, "dkim") == 0 && hdr &&
			    (strcmp(p->property, "d") == 0 ||
			    strcmp(p->property, "i") == 0)) ||
			    (strcmp(r->method, "spf") == 0 &&
			    strcmp(p->ptype, "smtp") == 0 &&
			    strcmp(p->property, "mailfrom") == 0) ||
			    (strcmp(r->method, "dmarc") == 0 && hdr &&
			    strcmp(p->property, "from") == 0))
				if (domain_is(p->value, domain))
					return true;
		}
	}
	return false;
}
