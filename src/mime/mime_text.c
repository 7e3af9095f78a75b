/* SPDX-License-Identifier: MIT */
/*
 * mime_text.c - text helpers of the mime module that need no GMime: the
 * last-resort charset fallback and the sanitising of everything a mail
 * names (subject, display names, ids, file names); HTML to readable text
 * is mime_html.c's.
 * All of it is a single linear pass over bounded input, so a hostile
 * mail cannot make it slow, and every output is valid UTF-8 in malloc
 * memory.  See mime_int.h.
 */
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "supportd/util.h"
#include "mime_int.h"

struct bword;

static size_t	 utf8_seq(const unsigned char *p, size_t left, gunichar *c_r);
static bool	 next_bword(const char *p, struct bword *w);
static void	 append_joined(GString *out, const struct bword *first,
		    const struct bword *last);
static bool	 is_ctl(gunichar c);
static char	*clean(const char *s, bool keep_space, const char *drop_ascii);
static void	 trim_in_place(char *s);
static void	 cap_in_place(char *s, size_t max);

/* windows-1252 0x80..0x9f; the five holes become U+FFFD.  glibc's CP1252
 * refuses those bytes and g_convert() would then fail the whole text, so
 * a table that cannot fail is used instead. */
static const gunichar cp1252_hi[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/* Copies a GString out to malloc memory (GLib memory stays here). */
char *
mt_gstring_out(GString *gs)
{
	char *s = xstrndup(gs->str, gs->len);

	g_string_free(gs, TRUE);
	return s;
}

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

static inline uint64_t
word_at(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));	/* unaligned; one load */
	return w;
}

size_t
mt_run_7bit(const char *s, size_t len)
{
	size_t i = 0;

	while (i + 8 <= len && (word_at(s + i) & HIGHS) == 0)
		i += 8;
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

size_t
mt_run_ascii(const char *s, size_t len)
{
	size_t i = 0;

	/* No high bit, and no zero byte (the classic has-zero test). */
	for (; i + 8 <= len; i += 8) {
		uint64_t w = word_at(s + i);

		if (((w & HIGHS) | ((w - ONES) & ~w & HIGHS)) != 0)
			break;
	}
	while (i < len && (unsigned)((unsigned char)s[i] - 1) < 0x7f)
		i++;
	return i;
}

/* Bytes kept as they are by mt_body_finish without a closer look. */
static inline bool
body_plain(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t';
}

size_t
mt_run_plain(const char *s, size_t len)
{
	size_t i = 0;

	for (;;) {
		/* Whole words of 0x20..0x7e: no high bit; none below 0x20
		 * (exact once no byte is >= 0x80); no 0x7f (+1 carries
		 * into its high bit, and into no other byte). */
		for (; i + 8 <= len; i += 8) {
			uint64_t w = word_at(s + i);

			if (((w & HIGHS) | ((w - 0x20 * ONES) & ~w & HIGHS) |
			    ((w + ONES) & HIGHS)) != 0)
				break;
		}
		/* A word with a tab or LF (a line end every few words)
		 * goes a byte at a time. */
		for (size_t e = MIN(i + 8, len); i < e; i++)
			if (!body_plain((unsigned char)s[i]))
				return i;
		if (i == len)
			return i;
	}
}

/* Length of the valid UTF-8 sequence at p (setting *c_r), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t left, gunichar *c_r)
{
	gunichar c;

	if (*p < 0x80) {
		*c_r = *p;
		return 1;
	}
	c = g_utf8_get_char_validated((const char *)p, (gssize)left);
	if (c == (gunichar)-1 || c == (gunichar)-2)
		return 0;
	*c_r = c;
	return (size_t)g_utf8_skip[*p];
}

char *
mt_to_utf8(const char *buf, size_t len, bool cp1252)
{
	const unsigned char	*p = (const unsigned char *)buf, *end;
	GString			*gs;
	gunichar		 c;
	size_t			 n;

	/* buf may be NULL when len is 0 (an empty GByteArray). */
	if (buf == NULL || len == 0)
		return xstrdup("");
	end = p + len;
	gs = g_string_sized_new(len + 16);
	/*
	 * Sequence by sequence rather than all-or-nothing: a UTF-8 text with
	 * one stray Latin-1 byte keeps its other characters, while a real
	 * Latin-1 text almost never holds a valid multi-byte sequence.
	 */
	while (p < end) {
		const unsigned char *run = p;

		/* Copy each run of valid sequences at once (per-sequence
		 * appends were the top symbol in the benchmark's profile). */
		for (;;) {
			/* ASCII but NUL, the most of any text. */
			p += mt_run_ascii((const char *)p, (size_t)(end - p));
			if (p == end || *p == '\0' ||
			    (n = utf8_seq(p, (size_t)(end - p), &c)) == 0)
				break;
			p += n;
		}
		if (p > run)
			g_string_append_len(gs, (const char *)run, p - run);
		if (p == end)
			break;
		if (*p != '\0') {
			c = cp1252 ? (*p >= 0xa0 ? *p : *p >= 0x80 ?
			    cp1252_hi[*p - 0x80] : 0xfffd) : 0xfffd;
			g_string_append_unichar(gs, c);
		}
		p++;
	}
	return mt_gstring_out(gs);
}

/* One base64 encoded-word found in a header value. */
struct bword {
	const char	*start, *end;		/* "=?" .. past "?=" */
	const char	*cs, *pay;		/* charset, payload */
	size_t		 cslen, paylen;
};

/* The next base64 encoded-word at or after p, or false. */
static bool
next_bword(const char *p, struct bword *w)
{
	const char *q, *e;

	for (; (p = strstr(p, "=?")) != NULL; p += 2) {
		w->start = p;
		w->cs = p + 2;
		for (q = w->cs; *q != '\0' && *q != '?' && *q != ' ' &&
		    *q != '\t'; q++)
			;
		if (*q != '?' || q == w->cs || (q[1] != 'B' && q[1] != 'b') ||
		    q[2] != '?')
			continue;
		w->cslen = (size_t)(q - w->cs);
		w->pay = q + 3;
		e = w->pay + strspn(w->pay, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/=");
		if (e[0] != '?' || e[1] != '=')
			continue;
		w->paylen = (size_t)(e - w->pay);
		w->end = e + 2;
		return true;
	}
	return false;
}

/* The words from first to last as one encoded-word: each decoded on its
 * own (its padding ends only its own bytes), joined, encoded once. */
static void
append_joined(GString *out, const struct bword *first,
    const struct bword *last)
{
	GByteArray	*bytes = g_byte_array_new();
	struct bword	 one;
	char		*pay, *enc;
	guchar		*dec;
	gsize		 n;

	for (const char *p = first->start; p < last->end &&
	    next_bword(p, &one); p = one.end) {
		pay = g_strndup(one.pay, one.paylen);
		dec = g_base64_decode(pay, &n);
		g_byte_array_append(bytes, dec, (guint)n);
		g_free(dec);
		g_free(pay);
	}
	enc = g_base64_encode(bytes->data, bytes->len);
	g_string_append_printf(out, "=?%.*s?B?%s?=", (int)first->cslen,
	    first->cs, enc);
	g_free(enc);
	g_byte_array_unref(bytes);
}

char *
mt_rfc2047_fix(const char *s)
{
	GString		*out = g_string_new(NULL);
	const char	*pos = s, *gap;
	struct bword	 first, last, nx;
	bool		 changed = false, padded;

	while (next_bword(pos, &first)) {
		/* Extend the run over words of the same charset (in any
		 * case: GMime joins those too) with only blanks between. */
		last = first;
		padded = false;
		for (;;) {
			gap = last.end + strspn(last.end, " \t");
			if (!next_bword(gap, &nx) || nx.start != gap ||
			    nx.cslen != first.cslen ||
			    g_ascii_strncasecmp(nx.cs, first.cs,
			    first.cslen) != 0)
				break;
			padded = padded ||
			    memchr(last.pay, '=', last.paylen) != NULL;
			last = nx;
		}
		g_string_append_len(out, pos, first.start - pos);
		if (padded) {
			append_joined(out, &first, &last);
			changed = true;
		} else {
			g_string_append_len(out, first.start,
			    last.end - first.start);
		}
		pos = last.end;
	}
	if (!changed) {
		g_string_free(out, TRUE);
		return NULL;
	}
	g_string_append(out, pos);
	return mt_gstring_out(out);
}

/* C0, DEL, C1 and the Unicode line and paragraph separators. */
static bool
is_ctl(gunichar c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	    c == 0x2028 || c == 0x2029;
}

/*
 * Valid UTF-8 copy of s with control characters turned into spaces
 * (keep_space) or dropped, and the ASCII characters in drop_ascii
 * dropped.
 */
static char *
clean(const char *s, bool keep_space, const char *drop_ascii)
{
	size_t		 len = strlen(s);
	/* Most text is valid UTF-8 already: converting it would only copy
	 * it (benchmark: clean was a third of building a reply). */
	char		*u = g_utf8_validate(s, (gssize)len, NULL) ? NULL :
			    mt_to_utf8(s, len, false);
	const char	*p = u != NULL ? u : s;
	/* Every character becomes itself, one space or nothing. */
	char		*out = xmalloc(strlen(p) + 1), *o = out;
	bool		 drop[128] = { false };
	gunichar	 c;
	size_t		 n;

	for (const char *d = drop_ascii; d != NULL && *d != '\0'; d++)
		drop[(unsigned char)*d & 0x7f] = true;
	while (*p != '\0') {
		const char *run = p;

		/* Visible ASCII not dropped, copied a run at a time. */
		while ((unsigned)((unsigned char)*p - 0x21) < 0x5e &&
		    !drop[(unsigned char)*p])
			p++;
		if (p > run) {
			memcpy(o, run, (size_t)(p - run));
			o += p - run;
			continue;
		}
		if ((unsigned char)*p < 0x80) {
			c = (unsigned char)*p;
			n = 1;
		} else {
			c = g_utf8_get_char(p);
			n = (size_t)g_utf8_skip[*(const guchar *)p];
		}
		if (is_ctl(c) || c == ' ') {
			if (keep_space)
				*o++ = ' ';
		} else if (c < 0x80 && drop[c]) {
			/* dropped */
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	free(u);
	return out;
}

static void
trim_in_place(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && s[n - 1] == ' ')
		n--;
	while (i < n && s[i] == ' ')
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
}

/* Cuts valid UTF-8 s to at most max bytes on a character boundary. */
static void
cap_in_place(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	s[n] = '\0';
}

char *
mt_line(const char *s, size_t max)
{
	char *out;

	if (s == NULL)
		return NULL;
	out = clean(s, true, NULL);
	cap_in_place(out, max);
	trim_in_place(out);
	return out;
}

char *
mt_msgid(const char *s)
{
	char *out;

	if (s == NULL)
		return NULL;
	out = clean(s, false, "<>");
	if (*out == '\0' || strlen(out) > MIME_MAX_LINE) {
		free(out);
		return NULL;
	}
	return out;
}

char *
mt_addr(const char *s)
{
	char *out;

	if (s == NULL)
		return NULL;
	out = clean(s, false, "<>,;:");
	if (*out == '\0' || strlen(out) > MIME_MAX_LINE) {
		free(out);
		return NULL;
	}
	return out;
}

char *
mt_filename(const char *s)
{
	const char	*base;
	char		*u, *out;

	if (s == NULL)
		return NULL;
	u = clean(s, true, NULL);
	/* "C:\Users\x\report.pdf" and "../../etc/passwd" keep their last
	 * component only. */
	base = u;
	for (const char *p = u; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	out = xstrdup(base);
	free(u);
	cap_in_place(out, MIME_MAX_NAME);
	trim_in_place(out);
	if (*out == '\0' || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *
mt_body_finish(const char *s, size_t max)
{
	const char	*p = s, *end = s + strlen(s);
	GString		*gs = g_string_sized_new(MIN((size_t)(end - s), max));
	gunichar	 c;
	gint		 n;

	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)		/* BOM */
		p += 3;
	while (*p != '\0') {
		const char	*run = p;
		bool		 full = false;

		/* A run of characters kept as they are, appended at once. */
		for (;;) {
			/* Printable ASCII, tab and LF: the most of any body. */
			p += mt_run_plain(p, MIN((size_t)(end - p),
			    max - gs->len - (size_t)(p - run)));
			if (*(const guchar *)p < 0x80) {
				c = *(const guchar *)p;
				n = 1;
			} else {
				c = g_utf8_get_char(p);
				n = g_utf8_skip[*(const guchar *)p];
			}
			if (c == '\0' || c == '\r' ||
			    (is_ctl(c) && c != '\n' && c != '\t'))
				break;
			if (gs->len + (size_t)(p - run) + (size_t)n > max) {
				full = true;
				break;
			}
			p += n;
		}
		if (p > run)
			g_string_append_len(gs, run, p - run);
		if (full || c == '\0')
			break;
		if (c == '\r') {
			/* CRLF and a lone CR both end a line. */
			if (gs->len + 1 > max)
				break;
			g_string_append_c(gs, '\n');
			if (p[1] == '\n')
				p++;
			p++;
			continue;
		}
		p += n;		/* a control character: dropped */
	}
	return mt_gstring_out(gs);
}
