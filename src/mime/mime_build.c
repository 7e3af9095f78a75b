/* SPDX-License-Identifier: MIT */
/*
 * mime_build.c - outgoing mail (SPEC §8): one text/plain UTF-8 part with
 * the headers supportd promises, with CRLF line ends and folded headers,
 * ready for SMTP.  Every value that reaches a header is cleaned of
 * control characters first and every address of the characters that end
 * one, so no field (subject, names, template header lines) can inject a
 * header.
 *
 * The header block is written here directly; GMime encodes each value
 * (RFC 2047 words, quoted phrases, the date, the body's transfer
 * encoding).  Building a GMimeMessage and serialising it cost ~145 us a
 * response, a third of intake's main thread in the benchmark.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "supportd/mail.h"
#include "mime_int.h"

/*
 * Header lines fold at white space only (put_folded, put_list), so one
 * unbreakable word must fit a 998-octet line with its field name:
 * subjects and template header values are cut at BUILD_MAX_VALUE bytes,
 * display names at BUILD_MAX_NAME; longer addresses (RFC 5321 allows
 * 254) and ids are left out.
 */
#define BUILD_MAX_VALUE		900
#define BUILD_MAX_NAME		200
#define BUILD_MAX_ADDR		254
#define BUILD_MAX_ID		900

static void	 put_list(GString *h, const char *field, char *const *items,
		    size_t n, const char *sep);
static void	 put_ids(GString *h, const char *field,
		    const struct sd_strv *ids, const char *one);
static bool	 header_name_ok(const char *name, size_t len);
static bool	 header_protected(const char *name);
static const char *addr_domain(const char *addr);
static char	*out_addr(const char *addr);

/* addr if it needs no cleaning; an address that does is refused rather
 * than mended into someone else's.  Caller owns. */
static char *
out_addr(const char *addr)
{
	char *a = mt_addr(addr);

	if (a != NULL && (strcmp(a, addr) != 0 ||
	    strlen(a) > BUILD_MAX_ADDR)) {
		free(a);
		a = NULL;
	}
	return a;
}

/* Whether id can stand in a header of a mail sent without SMTPUTF8:
 * printable ASCII only (a UTF-8 Message-ID, RFC 6532, cannot). */
static bool
id_ascii(const char *id)
{
	for (; *id != '\0'; id++)
		if ((unsigned char)*id <= ' ' || (unsigned char)*id >= 0x7f)
			return false;
	return true;
}

/* "Field: <a> <b> ..." from ids (and one), folded between ids, dropping
 * ids that clean to nothing, are too long or not ASCII; nothing if none
 * is left. */
static void
put_ids(GString *h, const char *field, const struct sd_strv *ids,
    const char *one)
{
	size_t	 n = ids != NULL ? ids->n : 0, k = 0;
	char	**v = xcalloc(n + 1, sizeof(*v)), *id;

	for (size_t i = 0; i <= n; i++) {
		if ((id = mt_msgid(i < n ? ids->v[i] : one)) == NULL)
			continue;
		if (strlen(id) <= BUILD_MAX_ID && id_ascii(id))
			v[k++] = xasprintf("<%s>", id);
		free(id);
	}
	if (k > 0)
		put_list(h, field, v, k, "");
	for (size_t i = 0; i < k; i++)
		free(v[i]);
	free(v);
}

static bool
header_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > 76)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isalnum(name[i]) && name[i] != '-')
			return false;
	return true;
}

/* Fields a template may not set: ours, the envelope's and the MIME
 * structure's. */
static bool
header_protected(const char *name)
{
	static const char *const exact[] = {
		"From", "Sender", "To", "Cc", "Bcc", "Subject", "Date",
		"Message-ID", "In-Reply-To", "References", "MIME-Version",
		"X-Supportd-Ticket", "Auto-Submitted",
		"X-Auto-Response-Suppress", "Return-Path", "Received",
		"Authentication-Results", "DKIM-Signature",
	};
	static const char *const prefix[] = { "Content-", "Resent-", "ARC-" };

	for (size_t i = 0; i < nitems(exact); i++)
		if (g_ascii_strcasecmp(name, exact[i]) == 0)
			return true;
	for (size_t i = 0; i < nitems(prefix); i++)
		if (g_ascii_strncasecmp(name, prefix[i],
		    strlen(prefix[i])) == 0)
			return true;
	return false;
}

static const char *
addr_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

/* Appends "Field: " and items separated by sep, folding between items so
 * lines stay under 78 columns where they can. */
static void
put_list(GString *h, const char *field, char *const *items, size_t n,
    const char *sep)
{
	size_t col;

	g_string_append(h, field);
	g_string_append(h, ": ");
	col = strlen(field) + 2;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(items[i]);

		if (i > 0) {
			g_string_append(h, sep);
			col += strlen(sep);
			if (col + 1 + len > 78) {
				g_string_append(h, "\n\t");
				col = 1;
			} else {
				g_string_append_c(h, ' ');
				col++;
			}
		}
		g_string_append(h, items[i]);
		col += len;
	}
	g_string_append_c(h, '\n');
}

/*
 * Whether GMime's encoder returns value as it is: printable ASCII words
 * separated by single or repeated spaces, none long enough for it to
 * split (it does at 78), no "=?", and for a phrase only atoms (no
 * specials to quote).  Subjects and names mostly are, and the encoder's
 * word lists were two thirds of its cost (benchmark, callgrind).
 */
static bool
encodes_to_itself(const char *value, bool phrase)
{
	const char	*p;
	size_t		 word = 0;

	if (*value == ' ')
		return false;
	for (p = value; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ') {
			word = 0;
			continue;
		}
		if (c < 0x21 || c > 0x7e || ++word >= 70 ||
		    (c == '=' && p[1] == '?') ||
		    (phrase && strchr("()<>@,;:\\\".[]", c) != NULL))
			return false;
	}
	return p == value || p[-1] != ' ';
}

/*
 * value as RFC 2047 words.  GMime encodes only the words that are not
 * ASCII and passes a literal "=?" through, which a reader then decodes
 * as if it were a word (and GMime's own folder mangles: fuzz-mime found
 * a Subject it broke into a line that was no field).  So a value with
 * "=?" in it is sent as base64 words whole, a word being at most 45
 * bytes of whole characters (75 columns, RFC 2047 section 2); value
 * is valid UTF-8 (mt_line).  Caller g_free()s.
 */
static char *
encode_words(const char *value, bool phrase)
{
	GMimeFormatOptions	*fo = g_mime_format_options_get_default();
	GString			*out;
	const char		*p = value, *q, *next;
	char			*b64;

	if (encodes_to_itself(value, phrase))
		return g_strdup(value);
	if (strstr(value, "=?") == NULL)
		return phrase ?
		    g_mime_utils_header_encode_phrase(fo, value, "utf-8") :
		    g_mime_utils_header_encode_text(fo, value, "utf-8");
	out = g_string_new(NULL);
	while (*p != '\0') {
		for (q = p; *q != '\0'; q = next) {
			next = g_utf8_next_char(q);
			if (next - p > 45)
				break;
		}
		b64 = g_base64_encode((const guchar *)p, (gsize)(q - p));
		g_string_append_printf(out, "%s=?UTF-8?B?%s?=",
		    out->len > 0 ? " " : "", b64);
		g_free(b64);
		p = q;
	}
	return g_string_free(out, FALSE);
}

/*
 * "Field: value" folded before white space, lines kept within 78
 * columns where the words allow (mt_line caps a value so that any one
 * word fits 998).  Folded here: GMime's unstructured_header_fold
 * rewrites and breaks what looks like an encoded word.
 */
static void
put_folded(GString *h, const char *field, const char *value)
{
	size_t		 col, start, len;
	const char	*p = value;
	bool		 blank;

	g_string_append(h, field);
	g_string_append(h, ": ");
	col = start = strlen(field) + 2;
	while (*p != '\0') {
		/* a word with the blank before it, where one is */
		blank = *p == ' ' || *p == '\t';
		len = blank + strcspn(p + blank, " \t");
		if (blank && len > 1 && col > start && col + len > 78) {
			g_string_append_c(h, '\n');
			col = 0;
		}
		g_string_append_len(h, p, (gssize)len);
		col += len;
		p += len;
	}
	g_string_append_c(h, '\n');
}

/* "Field: value", value RFC 2047-encoded where not ASCII (or where it
 * holds "=?"), folded. */
static void
put_text(GString *h, const char *field, const char *value)
{
	char *enc = encode_words(value, false);

	put_folded(h, field, enc != NULL ? enc : "");
	g_free(enc);
}

/* An address for a header: the cleaned addr (as out_addr) with a
 * non-ASCII domain in its IDNA form; NULL if refused.  Caller owns. */
static char *
header_addr(const char *addr)
{
	char	*a = out_addr(addr), *at, *ace, *out;

	if (a == NULL || (at = strrchr(a, '@')) == NULL ||
	    g_str_is_ascii(at + 1))
		return a;
	if ((ace = g_hostname_to_ascii(at + 1)) == NULL) {
		free(a);
		return NULL;
	}
	*at = '\0';
	out = xasprintf("%s@%s", a, ace);
	g_free(ace);
	free(a);
	return out;
}

/* "Name <addr>" (the name encoded or quoted as needed), or NULL. */
static char *
mailbox(const char *name, const char *addr)
{
	char	*a = header_addr(addr), *n, *p, *out;

	if (a == NULL)
		return NULL;
	n = mt_line(name, BUILD_MAX_NAME);
	if (n == NULL || *n == '\0') {
		free(n);
		return a;
	}
	p = encode_words(n, true);
	out = xasprintf("%s <%s>", p != NULL ? p : "", a);
	g_free(p);
	free(n);
	free(a);
	return out;
}

/* Template header lines "Name: value"; bad or protected names are
 * dropped, values are cleaned to one line. */
static void
put_extra_headers(GString *h, const struct sd_strv *hv, bool reply_to)
{
	for (size_t i = 0; hv != NULL && i < hv->n; i++) {
		const char	*line = hv->v[i], *colon = strchr(line, ':');
		char		*name, *value;
		size_t		 nl;

		if (colon == NULL)
			continue;
		nl = (size_t)(colon - line);
		while (nl > 0 && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
			nl--;
		if (!header_name_ok(line, nl))
			continue;
		name = xstrndup(line, nl);
		value = mt_line(colon + 1, BUILD_MAX_VALUE);
		if (!header_protected(name) && !(reply_to &&
		    g_ascii_strcasecmp(name, "Reply-To") == 0))
			put_text(h, name, value);
		free(name);
		free(value);
	}
}

/* Whether s is ASCII in lines of at most 998 bytes (7bit), in one
 * pass over it. */
static bool
is_7bit(const char *s)
{
	const char *line = s;

	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return false;
		if (*s == '\n') {
			if (s - line > 998)
				return false;
			line = s + 1;
		}
	}
	return s - line <= 998;
}

/*
 * The body under a 7-bit constraint: as it is when ASCII with lines of
 * at most 998 octets, else quoted-printable or base64 (GMime's pick by
 * the share of 8-bit bytes; quoted-printable for long ASCII lines).
 */
static void
put_body(GString *out, const char *body)
{
	GMimeContentEncoding	 ce;
	GMimeEncoding		 st;
	size_t			 len = strlen(body), n;
	char			*buf;

	if (is_7bit(body))
		ce = GMIME_CONTENT_ENCODING_7BIT;
	else {
		ce = g_mime_utils_best_encoding((const unsigned char *)body,
		    len);
		if (ce != GMIME_CONTENT_ENCODING_BASE64)
			ce = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	}
	g_string_append(out, "Content-Transfer-Encoding: ");
	g_string_append(out, g_mime_content_encoding_to_string(ce));
	g_string_append(out, "\n\n");
	if (ce == GMIME_CONTENT_ENCODING_7BIT) {
		g_string_append_len(out, body, (gssize)len);
		return;
	}
	g_mime_encoding_init_encode(&st, ce);
	buf = xmalloc(g_mime_encoding_outlen(&st, len) + 16);
	n = g_mime_encoding_flush(&st, body, len, buf);
	g_string_append_len(out, buf, (gssize)n);
	free(buf);
}

/* The base64 of a read of up to ATT_CHUNK bytes: whole 76-column lines
 * but for the last one. */
#define ATT_LINE	57		/* bytes per line of 76 characters */
#define ATT_CHUNK	(ATT_LINE * 1024)

/* A MIME token: what a Content-Type's type and subtype may hold. */
static bool
mime_type_ok(const char *t)
{
	const char	*slash = t ? strchr(t, '/') : NULL;
	size_t		 n = t ? strlen(t) : 0;

	if (slash == NULL || slash == t || slash[1] == '\0' || n > 100)
		return false;
	for (const char *p = t; *p != '\0'; p++)
		if (!(g_ascii_isalnum(*p) || strchr("!#$&^_.+-", *p) != NULL ||
		    p == slash))
			return false;
	return true;
}

const char *
mime_type_for_name(const char *name)
{
	static const struct { const char *ext, *type; } map[] = {
		{ "txt", "text/plain" }, { "log", "text/plain" },
		{ "csv", "text/csv" }, { "html", "text/html" },
		{ "htm", "text/html" }, { "json", "application/json" },
		{ "xml", "application/xml" }, { "pdf", "application/pdf" },
		{ "zip", "application/zip" }, { "gz", "application/gzip" },
		{ "png", "image/png" }, { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" }, { "gif", "image/gif" },
		{ "patch", "text/x-diff" }, { "diff", "text/x-diff" },
		{ "eml", "message/rfc822" },
	};
	const char *dot = name ? strrchr(name, '.') : NULL;

	for (size_t i = 0; dot != NULL && i < nitems(map); i++)
		if (g_ascii_strcasecmp(dot + 1, map[i].ext) == 0)
			return map[i].type;
	return "application/octet-stream";
}

/* The part header of attachment a: its name as a quoted ASCII fallback
 * and, when it is not plain ASCII, as RFC 2231's filename*. */
static void
put_att_header(GString *w, const char *boundary, const struct sd_outatt *a)
{
	const char	*type = mime_type_ok(a->type) ? a->type :
			    "application/octet-stream";
	char		*name = mt_line(a->name ? a->name : "attachment", 200);
	GString		*ascii = g_string_new(NULL);
	bool		 plain = true;

	/* The fallback: printable ASCII, a '_' for each other character. */
	for (const char *p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c & 0xc0) == 0x80)		/* inside a UTF-8 sequence */
			continue;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			g_string_append_c(ascii, '_');
			plain = false;
		} else
			g_string_append_c(ascii, (char)c);
	}
	g_string_append_printf(w, "--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
	    "Content-Disposition: attachment", boundary, type, ascii->str);
	/* RFC 2231 (attr-chars as they are, the rest %XX) first: readers
	 * that know both take the first, older ones the quoted fallback. */
	if (!plain) {
		char *enc = g_uri_escape_string(name, "!#$&+-.^_`|~", FALSE);

		g_string_append_printf(w, ";\r\n filename*=UTF-8''%s", enc);
		g_free(enc);
	}
	g_string_append_printf(w, ";\r\n filename=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", ascii->str);
	g_string_free(ascii, TRUE);
	free(name);
}

/* Appends attachment a as base64 lines read from its fd, hashing what it
 * reads; -1 when it cannot be read. */
static int
put_att_body(GString *w, struct sd_outatt *a, struct sd_err *err)
{
	GChecksum	*ck = g_checksum_new(G_CHECKSUM_SHA256);
	guchar		*buf = xmalloc(ATT_CHUNK);
	char		 line[80];
	size_t		 have = 0, total = 0;
	ssize_t		 n;

	for (;;) {
		n = read(a->fd, buf + have, ATT_CHUNK - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			g_checksum_free(ck);
			return sd_err_set(err, SD_E_PERM, "attachment %s: "
			    "cannot read: %s", a->name ? a->name : "",
			    g_strerror(errno));
		}
		g_checksum_update(ck, buf + have, n);
		have += (size_t)n;
		total += (size_t)n;
		if (n > 0 && have < ATT_CHUNK)
			continue;
		for (size_t off = 0; off < have; off += ATT_LINE) {
			size_t	k = MIN(ATT_LINE, have - off);
			int	state = 0, save = 0;
			gsize	len;

			len = g_base64_encode_step(buf + off, k, FALSE, line,
			    &state, &save);
			len += g_base64_encode_close(FALSE, line + len, &state,
			    &save);
			g_string_append_len(w, line, (gssize)len);
			g_string_append_len(w, "\r\n", 2);
		}
		have = 0;
		if (n == 0)
			break;
	}
	a->size = total;
	g_strlcpy(a->sha256, g_checksum_get_string(ck), sizeof(a->sha256));
	g_checksum_free(ck);
	free(buf);
	return 0;
}

/* The headers and text of om as the wire has them (CRLF), with room for
 * extra more bytes; multipart/mixed around the text with boundary. */
static GString *build_text(const struct sd_outmail *om, const char *boundary,
    size_t extra);

char *
mime_build(const struct sd_outmail *om)
{
	GString *w = build_text(om, NULL, 0);

	return g_string_free(w, FALSE);
}

int
mime_build_att(const struct sd_outmail *om, char **raw_r, size_t *len_r,
    struct sd_err *err)
{
	GString	*w;
	char	*boundary;
	size_t	 extra = 256;

	*raw_r = NULL;
	if (om->natts == 0) {
		*raw_r = mime_build(om);
		*len_r = strlen(*raw_r);
		return 0;
	}
	/* Room for every part at once: growing the buffer would copy the
	 * attachments' base64 again. */
	for (size_t i = 0; i < om->natts; i++)
		extra += 1024 + (om->atts[i].size + 2) / 3 * 4 +
		    (om->atts[i].size / ATT_LINE + 1) * 2;
	boundary = xasprintf("=_sd_%08x%08x", g_random_int(), g_random_int());
	w = build_text(om, boundary, extra);
	for (size_t i = 0; i < om->natts; i++) {
		put_att_header(w, boundary, &om->atts[i]);
		if (put_att_body(w, &om->atts[i], err) == -1) {
			g_string_free(w, TRUE);
			free(boundary);
			return -1;
		}
	}
	g_string_append_printf(w, "--%s--\r\n", boundary);
	free(boundary);
	*len_r = w->len;
	*raw_r = g_string_free(w, FALSE);
	return 0;
}

/* "Date: Sat, 05 Dec 2026 18:10:05 +0000" (RFC 5322, in UTC), without
 * GDateTime and GMime's formatter (a fortieth of building a reply). */
static void
put_date(GString *h, sd_time t)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t		  tt = (time_t)t;
	struct tm	  tm;

	if (gmtime_r(&tt, &tm) == NULL)
		return;
	g_string_append_printf(h, "Date: %.3s, %02d %.3s %04d %02d:%02d:%02d "
	    "+0000\n", days + 3 * tm.tm_wday, tm.tm_mday,
	    months + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

static GString *
build_text(const struct sd_outmail *om, const char *boundary, size_t extra)
{
	GString		*h = g_string_sized_new(2048), *w;
	char		*s, *u, *body, *id, **cc, *o;
	size_t		 ncc = 0, nl = 0;
	sd_time		 date;

	mime_init();
	if ((s = mailbox(om->from_name, om->from_addr)) != NULL)
		put_list(h, "From", &s, 1, "");
	free(s);
	if ((s = mailbox(om->to_name, om->to_addr)) != NULL)
		put_list(h, "To", &s, 1, "");
	free(s);
	cc = xcalloc((om->cc != NULL ? om->cc->n : 0) + 1, sizeof(*cc));
	for (size_t i = 0; om->cc != NULL && i < om->cc->n; i++)
		if ((cc[ncc] = header_addr(om->cc->v[i])) != NULL)
			ncc++;
	if (ncc > 0)
		put_list(h, "Cc", cc, ncc, ",");
	for (size_t i = 0; i < ncc; i++)
		free(cc[i]);
	free(cc);

	s = mt_line(om->subject != NULL ? om->subject : "", BUILD_MAX_VALUE);
	put_text(h, "Subject", s);
	free(s);

	date = om->date > 0 ? om->date : sd_now();
	put_date(h, date);

	if ((id = mt_msgid(om->message_id)) != NULL &&
	    strlen(id) > BUILD_MAX_ID) {
		free(id);
		id = NULL;
	}
	if (id == NULL)
		id = mime_message_id_new(addr_domain(om->from_addr));
	g_string_append(h, "Message-ID: <");
	g_string_append(h, id);
	g_string_append(h, ">\n");
	free(id);
	put_ids(h, "In-Reply-To", NULL, om->in_reply_to);
	put_ids(h, "References", om->references, NULL);

	if (om->automatic)
		g_string_append_printf(h, "Auto-Submitted: %s\n"
		    "X-Auto-Response-Suppress: All\n", om->generated ?
		    "auto-generated" : "auto-replied");
	if (om->ticket_id > 0)
		g_string_append_printf(h, "X-Supportd-Ticket: %lld\n",
		    (long long)om->ticket_id);
	s = om->reply_to != NULL ? header_addr(om->reply_to) : NULL;
	if (s != NULL)
		put_list(h, "Reply-To", &s, 1, "");
	put_extra_headers(h, om->extra_headers, s != NULL);
	free(s);
	g_string_append(h, "MIME-Version: 1.0\n");
	if (boundary != NULL)
		g_string_append_printf(h, "Content-Type: multipart/mixed; "
		    "boundary=\"%s\"\n\nThis is a message in MIME format.\n"
		    "--%s\n", boundary, boundary);
	g_string_append(h, "Content-Type: text/plain; charset=UTF-8\n");

	/* The body as UTF-8 with LF line ends (CRLF on the wire). */
	u = mt_to_utf8(om->body != NULL ? om->body : "",
	    om->body != NULL ? strlen(om->body) : 0, false);
	body = mt_body_finish(u, SIZE_MAX);
	free(u);
	put_body(h, body);
	free(body);
	if (h->str[h->len - 1] != '\n')
		g_string_append_c(h, '\n');	/* the wire ends in CRLF */
	/* The line end before a boundary is the boundary's: the text's
	 * own last one needs another. */
	if (boundary != NULL)
		g_string_append_c(h, '\n');

	/* Every line end on the wire is CRLF: the lines copied straight
	 * into a buffer sized for them (an append per line was a tenth of
	 * building; benchmark, callgrind). */
	for (const char *p = h->str, *end = h->str + h->len;
	    (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		nl++;
	w = g_string_sized_new(h->len + nl + extra);
	g_string_set_size(w, h->len + nl);
	o = w->str;
	for (const char *p = h->str, *end = h->str + h->len, *e; p < end;
	    p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
			break;
		}
		memcpy(o, p, (size_t)(e - p));
		o += e - p;
		*o++ = '\r';
		*o++ = '\n';
	}
	g_string_free(h, TRUE);
	return w;
}

char *
mime_message_id_new(const char *domain)
{
	GString	*d = g_string_new(NULL);
	char	*out;

	/* Only host-name characters: the id must not need quoting, and a
	 * NULL domain would make GMime look the host name up in DNS. */
	for (const char *p = domain; p != NULL && *p != '\0'; p++)
		if (g_ascii_isalnum(*p) || *p == '.' || *p == '-')
			g_string_append_c(d, g_ascii_tolower(*p));
	if (d->len == 0)
		g_string_assign(d, "supportd.invalid");
	/* GMime's generator opens /dev/urandom on every call (a syscall
	 * pair per response, found by strace in the benchmark); GLib's
	 * global generator is seeded once and is enough for uniqueness:
	 * microseconds plus 96 random bits. */
	out = xasprintf("%" G_GINT64_MODIFIER "x.%08x%08x%08x@%s",
	    g_get_real_time(), g_random_int(), g_random_int(), g_random_int(),
	    d->str);
	g_string_free(d, TRUE);
	return out;
}
