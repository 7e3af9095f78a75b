/* SPDX-License-Identifier: MIT */
/*
 * mime.c - untrusted mail bytes to a struct sd_mail (SPEC §3.5), the only
 * place that reads mail with GMime.  mime_parse() is a pure function with
 * bounded work (nesting depth, part count, header count, text size), so
 * it can later move into a sandboxed child.  Every string GMime lends us
 * is copied, sanitised to valid UTF-8 and made ours; every GMime object
 * is released before returning.  A damaged mail yields what could be
 * read; only bytes GMime cannot make a message of at all fail.
 */
#include <errno.h>
#include <string.h>

#include "mime_gm.h"

static GMimeParserOptions *parser_options(void);
static size_t	 skip_leading_junk(const char *buf, size_t len);
static size_t	 prescan(const char *buf, size_t len, const char **limit_r);
static void	 copy_capped(GByteArray *to, const char *buf, size_t len,
		    const char **limit_r);
static void	 read_body(struct sd_mail *m, struct walk *w, GMimeObject *hobj,
		    GMimeObject *body, GMimeParserOptions *opts);
static void	 redo_headers(struct sd_mail *m, GMimeObject *hobj,
		    const char *hint);

static int	 mime_inited;
/* Read-only once made, so the parsing threads share them. */
static GMimeParserOptions *mime_opts;

/* A parser and a memory stream per thread, made once and set to each
 * mail in turn: making and finalizing them was a tenth of parsing
 * (benchmark, callgrind).  The copy of the mail grows to the largest
 * one parsed; past REUSE_KEEP it is let go after the parse. */
struct reuse {
	GMimeParser	*parser;
	GMimeStream	*stream;
	GByteArray	*bytes;
};
#define REUSE_KEEP	(256 * 1024)

static void
reuse_free(gpointer p)
{
	struct reuse *r = p;

	g_object_unref(r->parser);
	g_object_unref(r->stream);
	g_byte_array_unref(r->bytes);
	free(r);
}

static GPrivate reuse_key = G_PRIVATE_INIT(reuse_free);

static struct reuse *
reuse_get(void)
{
	struct reuse *r = g_private_get(&reuse_key);

	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->parser = g_mime_parser_new();
		r->stream = g_mime_stream_mem_new();
		r->bytes = g_byte_array_new();
		g_private_set(&reuse_key, r);
	}
	return r;
}

/* The parser set to read the mail in bytes from its start. */
static void
reuse_start(struct reuse *r)
{
	g_mime_stream_reset(r->stream);
	g_mime_parser_init_with_stream(r->parser, r->stream);
	g_mime_parser_set_format(r->parser, GMIME_FORMAT_MESSAGE);
}

/* After a parse: nothing of the message may still point into bytes. */
static void
reuse_trim(struct reuse *r)
{
	if (r->bytes->len <= REUSE_KEEP)
		return;
	g_byte_array_unref(r->bytes);
	r->bytes = g_byte_array_new();
	g_mime_stream_mem_set_byte_array(GMIME_STREAM_MEM(r->stream),
	    r->bytes);
}

void
mime_init(void)
{
	if (mime_inited)
		return;
	g_mime_init();
	mime_opts = parser_options();
	mime_inited = 1;
}

void
mime_shutdown(void)
{
	if (!mime_inited)
		return;
	/* This thread's parser; other threads' go when they end. */
	g_private_replace(&reuse_key, NULL);
	g_mime_parser_options_free(mime_opts);
	mime_opts = NULL;
	g_mime_shutdown();
	mime_inited = 0;
}

static GMimeParserOptions *
parser_options(void)
{
	/* windows-1252 rather than GMime's default iso-8859-1: undeclared
	 * 8-bit headers are far more often Windows text, and it is a
	 * superset of the printable Latin-1 range. */
	static const char	*fallback[] = { "utf-8", "windows-1252", NULL };
	GMimeParserOptions	*o = g_mime_parser_options_new();

	g_mime_parser_options_set_rfc2047_compliance_mode(o,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(o,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(o,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_fallback_charsets(o, fallback);
	return o;
}

/*
 * Mail saved from mbox files starts with a "From " line, which GMime
 * skips only in the strict mbox form; some saved mail starts with a line
 * of blanks, which makes GMime refuse the whole mail.  Neither is part
 * of the mail.  ("From : x", an obsolete but legal header, stays.)
 */
static size_t
skip_leading_junk(const char *buf, size_t len)
{
	size_t i = 0, e;

	for (;;) {
		const char *nl = memchr(buf + i, '\n', len - i);

		if (nl == NULL)
			return i;
		e = (size_t)(nl - buf) + 1;
		if (i == 0 && len > 6 && memcmp(buf, "From ", 5) == 0 &&
		    buf[5] != ' ' && buf[5] != ':') {
			i = e;
			continue;
		}
		/* A truly empty line is an empty header block: keep it. */
		if (buf[i] == '\n' || (buf[i] == '\r' && buf[i + 1] == '\n'))
			return i;
		for (size_t k = i; k < e; k++)
			if (buf[k] != ' ' && buf[k] != '\t' &&
			    buf[k] != '\r' && buf[k] != '\n')
				return i;
		i = e;
	}
}

/*
 * GMime builds an object for every part and every header field it
 * meets, whatever we later look at: 2.5 MB of empty parts cost it 270 MB.
 * One linear pass over the raw lines finds where the input must be cut
 * so that it sees at most MIME_MAX_DELIM_LINES lines that could be a
 * boundary and MIME_MAX_FIELD_LINES that could be a header field.
 * Returns how many bytes to parse; *limit_r says why when that is less
 * than len.
 */
static size_t
prescan(const char *buf, size_t len, const char **limit_r)
{
	const char	*p = buf, *end = buf + len, *nl, *colon;
	size_t		 delims = 0, fields = 0;

	*limit_r = NULL;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl - p >= 2 && p[0] == '-' && p[1] == '-') {
			if (++delims > MIME_MAX_DELIM_LINES) {
				*limit_r = "more than 5000 MIME boundary lines";
				return (size_t)(p - buf);
			}
		} else if (p < nl && *p != ' ' && *p != '\t' &&
		    (colon = memchr(p, ':', (size_t)(nl - p))) != NULL &&
		    colon > p && memchr(p, ' ', (size_t)(colon - p)) == NULL) {
			if (++fields > MIME_MAX_FIELD_LINES) {
				*limit_r = "more than 50000 header fields";
				return (size_t)(p - buf);
			}
		}
		if (nl == end)
			break;
	}
	return len;
}

/*
 * Appends buf to to with each header field cut at MIME_MAX_FIELD_BYTES
 * and the header block at MIME_MAX_HEADER_BYTES (a field's lines past
 * the bound are left out; a line is cut and ended where the bound falls
 * in it); the body follows whole.  Sets *limit_r (when NULL) on a cut.
 */
static void
copy_capped(GByteArray *to, const char *buf, size_t len,
    const char **limit_r)
{
	const char	*p = buf, *end = buf + len, *nl;
	size_t		 field = 0, total = 0, n, room, last = 0;
	bool		 cut = false;	/* the rest of this field goes */

	for (; p < end; p += n) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		/* The empty line: the body follows as it is. */
		if (*p == '\n' || (*p == '\r' && n == 2))
			break;
		if (*p != ' ' && *p != '\t') {
			field = 0;
			cut = false;
		}
		if (cut)
			continue;
		room = MIN(MIME_MAX_FIELD_BYTES - field,
		    MIME_MAX_HEADER_BYTES - total);
		if (n > room) {
			/* Never an empty line: that would end the block;
			 * never a field's name without its ':': that would
			 * start the body. */
			if (room > 0 && (*p == ' ' || *p == '\t' ||
			    memchr(p, ':', room) != NULL)) {
				g_byte_array_append(to, (const guint8 *)p,
				    (guint)room);
				g_byte_array_append(to, (const guint8 *)"\n",
				    1);
				total += room;
			}
			if (*limit_r == NULL)
				*limit_r = total >= MIME_MAX_HEADER_BYTES ?
				    "header block over 1 MB" :
				    "a header field over 64 KB";
			cut = true;
			continue;
		}
		last = to->len;
		g_byte_array_append(to, (const guint8 *)p, (guint)n);
		field += n;
		total += n;
	}
	if (p < end) {
		g_byte_array_append(to, (const guint8 *)p, (guint)(end - p));
		return;
	}
	/* No body: a header fetched in part (a mail over max_message_size)
	 * may end in the middle of a field's name, which makes GMime refuse
	 * the whole header.  That piece goes. */
	if (to->len > last && to->data[to->len - 1] != '\n' &&
	    to->data[last] != ' ' && to->data[last] != '\t' &&
	    memchr(to->data + last, ':', to->len - last) == NULL)
		g_byte_array_set_size(to, (guint)last);
}

/* Keeps the first bound that was hit. */
void
mg_note_limit(struct sd_mail *m, const char *what)
{
	if (m->limit == NULL)
		m->limit = what;
}

/* mime_parse, with the walk's attachment output (w: want, out). */
static int
parse(const char *buf, size_t len, struct walk *w, struct sd_mail **mail_r,
    struct sd_err *err)
{
	GMimeParserOptions	*opts;
	struct reuse		*r = NULL;
	GMimeMessage		*msg = NULL;
	GMimeObject		*top = NULL, *hobj, *body;
	struct sd_mail		*m = NULL;
	const char		*limit;
	size_t			 skip, use;
	int			 ret = -1;

	*mail_r = NULL;
	if (buf == NULL || len == 0) {
		sd_err_set(err, SD_E_PERM, "mime: empty message");
		goto out;
	}
	mime_init();
	skip = skip_leading_junk(buf, len);
	use = prescan(buf + skip, len - skip, &limit);
	opts = mime_opts;
	r = reuse_get();
	g_byte_array_set_size(r->bytes, 0);
	copy_capped(r->bytes, buf + skip, use, &limit);
	g_mime_stream_mem_set_byte_array(GMIME_STREAM_MEM(r->stream),
	    r->bytes);
	reuse_start(r);
	/*
	 * The mail is read as a MIME part that carries all the header
	 * fields, not as a GMimeMessage: a message object parses every
	 * address field as it is added and keeps six address lists, which
	 * with finalizing them was a third of parsing (benchmark,
	 * callgrind).  read_headers reads the fields as a message would.
	 * Only GMime's message reading skips a leading mbox "From " line
	 * that skip_leading_junk leaves (e.g. "From  x"): it is the
	 * fallback.
	 */
	if ((top = g_mime_parser_construct_part(r->parser, opts)) != NULL) {
		hobj = body = top;
	} else {
		reuse_start(r);
		if ((msg = g_mime_parser_construct_message(r->parser,
		    opts)) == NULL) {
			sd_err_set(err, SD_E_PERM, "mime: not a mail message "
			    "(%zu bytes, no header block)", len);
			goto out;
		}
		hobj = GMIME_OBJECT(msg);
		body = g_mime_message_get_mime_part(msg);
	}

	m = xcalloc(1, sizeof(*m));
	m->limit = limit;
	mg_read_headers(m, hobj, body, opts);
	read_body(m, w, hobj, body, opts);
	/* A bounce in plain text (Exim, qmail, Gmail) quotes the returned
	 * mail's header lines in its body. */
	if (m->embedded_ids.n == 0)
		mg_scan_fields(m, m->body, strlen(m->body), true);
	*mail_r = m;
	m = NULL;
	ret = 0;
 out:
	mail_free(&m);
	if (top != NULL)
		g_object_unref(top);
	if (msg != NULL)
		g_object_unref(msg);
	if (r != NULL)
		reuse_trim(r);
	return ret;
}

int
mime_parse(const char *buf, size_t len, struct sd_mail **mail_r,
    struct sd_err *err)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	return parse(buf, len, &w, mail_r, err);
}

int
mime_attachments_write(const char *buf, size_t len, const int *fds,
    size_t nfds, bool *found, struct sd_err *err)
{
	struct walk	 w;
	struct sd_mail	*m = NULL;
	int		 ret;

	memset(&w, 0, sizeof(w));
	memset(found, 0, nfds * sizeof(*found));
	w.outs = g_new0(GMimeStream *, nfds);
	w.nouts = nfds;
	w.found = found;
	/* A pipe stream only writes: a file stream would seek, which a
	 * pipe or terminal cannot. */
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] >= 0) {
			w.outs[i] = g_mime_stream_pipe_new(fds[i]);
			g_mime_stream_pipe_set_owner(GMIME_STREAM_PIPE(w.outs[i]),
			    FALSE);
		}
	ret = parse(buf, len, &w, &m, err);
	mail_free(&m);
	for (size_t i = 0; i < nfds; i++)
		if (w.outs[i] != NULL)
			g_object_unref(w.outs[i]);
	g_free(w.outs);
	if (ret == -1)
		memset(found, 0, nfds * sizeof(*found));
	else if (w.failed)
		ret = sd_err_set(err, SD_E_TEMP, "mime: an attachment: cannot "
		    "write: %s", g_strerror(w.werrno));
	return ret;
}

void
mail_free(struct sd_mail **mail)
{
	struct sd_mail *m;

	if (mail == NULL || (m = *mail) == NULL)
		return;
	free(m->subject);
	free(m->from.name);
	free(m->from.addr);
	free(m->reply_to.name);
	free(m->reply_to.addr);
	strv_free(&m->to);
	strv_free(&m->cc);
	free(m->message_id);
	free(m->in_reply_to);
	strv_free(&m->references);
	free(m->body);
	for (size_t i = 0; i < m->nattachments; i++) {
		free(m->attachments[i].name);
		free(m->attachments[i].type);
	}
	free(m->attachments);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->return_path);
	free(m->content_type);
	free(m->x_supportd_ticket);
	strv_free(&m->auth_results);
	strv_free(&m->embedded_ids);
	free(m->report_type);
	free(m);
	*mail = NULL;
}

/*
 * The body text and the attachments.  text/plain first, then HTML; the
 * mail's own text before that of a forwarded mail; a part that is only
 * white space does not count (some clients send an empty text/plain
 * beside the real HTML).
 */
static void
read_body(struct sd_mail *m, struct walk *w, GMimeObject *hobj,
    GMimeObject *body, GMimeParserOptions *opts)
{
	GMimeObject	*hint;
	char		*t, *u;

	w->m = m;
	w->opts = opts;
	w->keep = g_ptr_array_new_with_free_func(g_object_unref);
	mg_walk(w, body, 0, false);

	for (int i = 0; i < 4 && m->body == NULL; i++) {
		GMimePart *p = (i & 1) ? w->html[i / 2] : w->plain[i / 2];

		if (p == NULL)
			continue;
		t = mg_part_text(p, i & 1);
		if (mg_is_blank(t))
			free(t);
		else
			m->body = t;
	}
	if (m->body == NULL && w->prologue != NULL) {
		u = mt_to_utf8(w->prologue, strlen(w->prologue), true);
		m->body = mt_body_finish(u, MIME_MAX_BODY);
		free(u);
	}
	if (m->body == NULL)
		m->body = xstrdup("");

	/* The charset of the text is the best guess for raw 8-bit headers
	 * written by the same program. */
	hint = w->plain[0] != NULL ? GMIME_OBJECT(w->plain[0]) :
	    w->html[0] != NULL ? GMIME_OBJECT(w->html[0]) : body;
	redo_headers(m, hobj, hint != NULL ?
	    g_mime_object_get_content_type_parameter(hint, "charset") : NULL);
	g_ptr_array_unref(w->keep);
}

/*
 * Subject and the From and Reply-To names decoded again where GMime's
 * own reading is known to be wrong:
 * - raw 8-bit text that is not UTF-8 is read by GMime all as
 *   windows-1252.  When the body names another charset (a Russian or
 *   Korean mailer that put raw bytes in Subject) that charset is tried
 *   between the two; otherwise the text is read sequence by sequence
 *   (mostly UTF-8 with a stray byte keeps its characters);
 * - runs of padded base64 encoded-words (mt_rfc2047_fix).
 */
static void
redo_headers(struct sd_mail *m, GMimeObject *hobj, const char *hint)
{
	static const char *const fields[] = { "Subject", "From", "Reply-To" };
	GMimeHeaderList		*hl;
	GMimeParserOptions	*o = NULL;
	const char		*fb[] = { "utf-8", hint, "windows-1252", NULL };
	bool			 use_hint = !mg_charset_is_ours(hint);

	if ((hl = g_mime_object_get_header_list(hobj)) == NULL)
		return;
	for (size_t i = 0; i < nitems(fields); i++) {
		GMimeHeader	*h;
		const char	*raw;
		char		*unf, *fixed, *dec;
		InternetAddressList *l;
		struct sd_addr	*a = i == 1 ? &m->from : &m->reply_to;
		bool		 raw8 = false;

		h = g_mime_header_list_get_header(hl, fields[i]);
		if (h == NULL || (raw = g_mime_header_get_raw_value(h)) == NULL)
			continue;
		for (const char *p = raw; !raw8 && *p != '\0'; p++)
			raw8 = (unsigned char)*p >= 0x80;
		/* Valid UTF-8 is what GMime tries first: nothing to redo. */
		raw8 = raw8 && !mg_is_8bit_utf8((const guint8 *)raw, strlen(raw));
		unf = g_mime_utils_header_unfold(raw);
		if ((fixed = mt_rfc2047_fix(unf)) == NULL && !raw8) {
			g_free(unf);
			continue;
		}
		if (fixed != NULL) {
			g_free(unf);
			unf = g_strdup(fixed);
			free(fixed);
		}
		/* Made only for a field to redo: most mail has none. */
		if (o == NULL) {
			o = parser_options();
			if (use_hint)
				g_mime_parser_options_set_fallback_charsets(o,
				    fb);
		}
		if (raw8 && !use_hint) {
			char *u = mt_to_utf8(unf, strlen(unf), true);

			g_free(unf);
			unf = g_strdup(u);
			free(u);
		}
		if (i == 0) {
			dec = g_mime_utils_header_decode_text(o, unf);
			free(m->subject);
			m->subject = mt_line(dec != NULL ? dec : "",
			    MIME_MAX_LINE);
			g_free(dec);
		} else if ((l = internet_address_list_parse(o, unf)) != NULL) {
			free(a->name);
			free(a->addr);
			memset(a, 0, sizeof(*a));
			mg_read_mailbox(a, l);
			g_object_unref(l);
			if (a->addr == NULL)
				mg_salvage_mailbox(a, unf, o);
		}
		g_free(unf);
	}
	if (o != NULL)
		g_mime_parser_options_free(o);
}

