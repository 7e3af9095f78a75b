/* SPDX-License-Identifier: MIT */
/*
 * mime_html.c - HTML to readable text (SPEC §3.5), without GMime: a
 * single linear pass over bounded input, so a hostile mail cannot make
 * it slow.  See mime_int.h.
 */
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "supportd/util.h"
#include "mime_int.h"

struct html;

static void	 h_char(struct html *h, const char *p, size_t n);
static void	 h_hard(struct html *h, gunichar c);
static void	 h_break(struct html *h, int lines);
static void	 h_entity(struct html *h);
static void	 h_tag(struct html *h);
static bool	 h_find_close(struct html *h, size_t k, size_t from,
		    size_t *end_r);
static bool	 in_list(const char *name, const char *const *v, size_t n);

/*
 * HTML to text.  Not a browser: a single pass that drops markup, skips
 * script/style/head, turns block elements into line breaks, collapses
 * white space the way HTML does and decodes the entities people use.
 */

struct html {
	const char	*s;
	size_t		 n, i;
	GString		*out;
	bool		 space;		/* white space seen, not yet written */
	int		 pre;		/* inside <pre> */
	size_t		 no_close[4];	/* skip_tags: no end tag at or after */
};

/* Elements whose content is not text.  Searching for their end tag is
 * remembered (no_close), so many unclosed ones cannot make this
 * quadratic. */
static const char *const skip_tags[4] = { "script", "style", "head", "title" };

/* Elements that end a line, and those that are paragraphs. */
static const char *const line_tags[] = {
	"div", "tr", "li", "dt", "dd", "ul", "ol", "dl", "form", "center",
	"section", "article", "header", "footer", "nav", "aside", "address",
	"table", "tbody", "thead", "tfoot", "caption", "figure", "main",
};
static const char *const para_tags[] = {
	"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr",
};

/* Latin-1 entities, U+00A0 .. U+00FF, in code point order. */
static const char *const latin1_ent[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen",
	"brvbar", "sect", "uml", "copy", "ordf", "laquo",
	"not", "shy", "reg", "macr", "deg", "plusmn",
	"sup2", "sup3", "acute", "micro", "para", "middot",
	"cedil", "sup1", "ordm", "raquo", "frac14", "frac12",
	"frac34", "iquest", "Agrave", "Aacute", "Acirc", "Atilde",
	"Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
	"Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml",
	"ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde",
	"Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc",
	"Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute",
	"acirc", "atilde", "auml", "aring", "aelig", "ccedil",
	"egrave", "eacute", "ecirc", "euml", "igrave", "iacute",
	"icirc", "iuml", "eth", "ntilde", "ograve", "oacute",
	"ocirc", "otilde", "ouml", "divide", "oslash", "ugrave",
	"uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
};
static const struct { const char *name; gunichar c; } other_ent[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201a },
	{ "ldquo", 0x201c }, { "rdquo", 0x201d }, { "bdquo", 0x201e },
	{ "dagger", 0x2020 }, { "Dagger", 0x2021 }, { "bull", 0x2022 },
	{ "hellip", 0x2026 }, { "permil", 0x2030 }, { "lsaquo", 0x2039 },
	{ "rsaquo", 0x203a }, { "euro", 0x20ac }, { "trade", 0x2122 },
	{ "OElig", 0x0152 }, { "oelig", 0x0153 }, { "Scaron", 0x0160 },
	{ "scaron", 0x0161 }, { "Yuml", 0x0178 }, { "zwnj", 0x200c },
	{ "zwj", 0x200d }, { "ensp", ' ' }, { "emsp", ' ' }, { "thinsp", ' ' },
};


static bool
in_list(const char *name, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, v[i]) == 0)
			return true;
	return false;
}

/* Text: white space collapses outside <pre>. */
static void
h_char(struct html *h, const char *p, size_t n)
{
	if (h->pre == 0 && n == 1 && g_ascii_isspace(*p)) {
		h->space = true;
		return;
	}
	if (h->pre > 0 && *p == '\r')
		return;
	if (h->space && h->out->len > 0 &&
	    h->out->str[h->out->len - 1] != '\n')
		g_string_append_c(h->out, ' ');
	h->space = false;
	g_string_append_len(h->out, p, (gssize)n);
}

/* A character from an entity: never collapsed (&nbsp; stays a space). */
static void
h_hard(struct html *h, gunichar c)
{
	char	b[8];
	gint	n;

	if (c == 0xa0)
		c = ' ';
	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
	    (c < 0x20 && c != '\t' && c != '\n') || (c >= 0x7f && c <= 0x9f))
		c = 0xfffd;
	n = g_unichar_to_utf8(c, b);
	if (c == ' ' || c == '\t' || c == '\n') {
		if (h->space && h->out->len > 0 &&
		    h->out->str[h->out->len - 1] != '\n')
			g_string_append_c(h->out, ' ');
		h->space = false;
		g_string_append_len(h->out, b, n);
		return;
	}
	h_char(h, b, (size_t)n);
}

/* Ends the line (lines = 1) or the paragraph (2), without stacking up
 * more blank lines than that. */
static void
h_break(struct html *h, int lines)
{
	size_t have = 0;

	h->space = false;
	while (h->out->len > 0 && (h->out->str[h->out->len - 1] == ' ' ||
	    h->out->str[h->out->len - 1] == '\t'))
		g_string_truncate(h->out, h->out->len - 1);
	if (h->out->len == 0)
		return;
	while (have < h->out->len && have < 2 &&
	    h->out->str[h->out->len - 1 - have] == '\n')
		have++;
	while ((int)have < lines) {
		g_string_append_c(h->out, '\n');
		have++;
	}
}

/* At '&': a named or numeric entity, or a literal '&'. */
static void
h_entity(struct html *h)
{
	char		 name[12];
	size_t		 j = h->i + 1, k = 0;
	gunichar	 c = 0;
	bool		 found = false;

	if (j < h->n && h->s[j] == '#') {
		bool	hex = false;
		size_t	digits = 0;

		j++;
		if (j < h->n && (h->s[j] == 'x' || h->s[j] == 'X')) {
			hex = true;
			j++;
		}
		while (j < h->n && (hex ? g_ascii_isxdigit(h->s[j]) :
		    g_ascii_isdigit(h->s[j]))) {
			if (c <= 0x10ffff)
				c = c * (hex ? 16 : 10) + (gunichar)(hex ?
				    g_ascii_xdigit_value(h->s[j]) :
				    g_ascii_digit_value(h->s[j]));
			j++;
			digits++;
		}
		found = digits > 0;
	} else {
		while (j < h->n && k < sizeof(name) - 1 &&
		    g_ascii_isalnum(h->s[j]))
			name[k++] = h->s[j++];
		name[k] = '\0';
		for (size_t e = 0; k > 0 && !found && e < 96; e++)
			if (strcmp(name, latin1_ent[e]) == 0) {
				c = 0xa0 + (gunichar)e;
				found = true;
			}
		for (size_t e = 0; k > 0 && !found && e < nitems(other_ent);
		    e++)
			if (strcmp(name, other_ent[e].name) == 0) {
				c = other_ent[e].c;
				found = true;
			}
	}
	if (!found) {
		h_char(h, "&", 1);
		h->i++;
		return;
	}
	if (j < h->n && h->s[j] == ';')
		j++;
	h->i = j;
	h_hard(h, c);
}

/*
 * Finds "</name" (any case) of skip_tags[k] from from; sets *end_r past
 * its '>'.  A failed search is remembered so it is never repeated.
 */
static bool
h_find_close(struct html *h, size_t k, size_t from, size_t *end_r)
{
	const char	*name = skip_tags[k];
	size_t		 nl = strlen(name), j = from;
	const char	*lt;

	if (from >= h->no_close[k])
		return false;
	while (j < h->n &&
	    (lt = memchr(h->s + j, '<', h->n - j)) != NULL) {
		j = (size_t)(lt - h->s);
		if (j + 2 + nl <= h->n && h->s[j + 1] == '/' &&
		    g_ascii_strncasecmp(h->s + j + 2, name, nl) == 0 &&
		    (j + 2 + nl == h->n ||
		    !g_ascii_isalnum(h->s[j + 2 + nl]))) {
			lt = memchr(h->s + j, '>', h->n - j);
			*end_r = lt != NULL ? (size_t)(lt - h->s) + 1 : h->n;
			return true;
		}
		j++;
	}
	h->no_close[k] = from;
	return false;
}

/* At '<': a tag, comment or declaration; or a literal '<'. */
static void
h_tag(struct html *h)
{
	char		 name[16];
	size_t		 j = h->i + 1, k = 0, end;
	bool		 closing = false;
	char		 q = 0, prev = 0;
	const char	*p;

	if (j < h->n && h->s[j] == '!') {
		if (h->n - j >= 3 && strncmp(h->s + j, "!--", 3) == 0) {
			/* Unclosed, it runs to the end, as in browsers. */
			p = g_strstr_len(h->s + j + 3, (gssize)(h->n - j - 3),
			    "-->");
			h->i = p != NULL ? (size_t)(p - h->s) + 3 : h->n;
			return;
		}
	}
	if (j < h->n && (h->s[j] == '!' || h->s[j] == '?')) {
		p = memchr(h->s + j, '>', h->n - j);
		h->i = p != NULL ? (size_t)(p - h->s) + 1 : h->n;
		return;
	}
	if (j < h->n && h->s[j] == '/') {
		closing = true;
		j++;
	}
	if (j >= h->n || !g_ascii_isalpha(h->s[j])) {
		h_char(h, "<", 1);
		h->i++;
		return;
	}
	while (j < h->n && g_ascii_isalnum(h->s[j])) {
		if (k < sizeof(name) - 1)
			name[k++] = g_ascii_tolower(h->s[j]);
		j++;
	}
	name[k] = '\0';
	/* Quotes count only as attribute values (after '='), so a stray
	 * apostrophe cannot swallow the rest of the text. */
	for (; j < h->n; j++) {
		char c = h->s[j];

		if (q != 0) {
			if (c == q)
				q = 0;
		} else if ((c == '"' || c == '\'') && prev == '=') {
			q = c;
		} else if (c == '>') {
			break;
		}
		if (!g_ascii_isspace(c))
			prev = c;
	}
	h->i = j < h->n ? j + 1 : h->n;

	if (!closing) {
		for (size_t t = 0; t < nitems(skip_tags); t++) {
			if (strcmp(name, skip_tags[t]) != 0)
				continue;
			/* Without its end tag only the tag itself goes: better
			 * some markup-free text too many than none. */
			if (h_find_close(h, t, h->i, &end))
				h->i = end;
			return;
		}
	}
	if (strcmp(name, "br") == 0) {
		h->space = false;
		while (h->out->len > 0 && h->out->str[h->out->len - 1] == ' ')
			g_string_truncate(h->out, h->out->len - 1);
		g_string_append_c(h->out, '\n');
	} else if (strcmp(name, "pre") == 0) {
		h_break(h, 2);
		h->pre += closing ? (h->pre > 0 ? -1 : 0) : 1;
	} else if (strcmp(name, "li") == 0 && !closing) {
		h_break(h, 1);
		g_string_append(h->out, "* ");
	} else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		if (closing)
			h->space = true;
	} else if (in_list(name, para_tags, nitems(para_tags))) {
		h_break(h, 2);
	} else if (in_list(name, line_tags, nitems(line_tags))) {
		h_break(h, 1);
	}
}

char *
mt_html_to_text(const char *html, size_t len)
{
	struct html	 h;
	GString		*tidy;
	size_t		 blank = 0, n;

	memset(&h, 0, sizeof(h));
	h.s = html;
	h.n = len;
	h.out = g_string_sized_new(len / 2 + 16);
	for (size_t k = 0; k < nitems(h.no_close); k++)
		h.no_close[k] = (size_t)-1;
	while (h.i < h.n) {
		char c = h.s[h.i];

		if (c == '<') {
			h_tag(&h);
		} else if (c == '&') {
			h_entity(&h);
		} else if (c == '\0') {
			h.i++;
		} else {
			n = (size_t)g_utf8_skip[(guchar)c];
			if (n > h.n - h.i)
				n = h.n - h.i;
			h_char(&h, h.s + h.i, n);
			h.i += n;
		}
	}

	/* Trailing blanks off every line, at most one blank line in a row,
	 * none at either end. */
	tidy = g_string_sized_new(h.out->len + 1);
	for (const char *l = h.out->str; *l != '\0'; ) {
		const char *e = strchr(l, '\n');

		n = e != NULL ? (size_t)(e - l) : strlen(l);
		while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		if (n == 0) {
			blank++;
		} else {
			if (tidy->len > 0)
				g_string_append(tidy,
				    blank > 0 ? "\n\n" : "\n");
			g_string_append_len(tidy, l, (gssize)n);
			blank = 0;
		}
		if (e == NULL)
			break;
		l = e + 1;
	}
	if (tidy->len > 0)
		g_string_append_c(tidy, '\n');
	g_string_free(h.out, TRUE);
	return mt_gstring_out(tidy);
}
