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
#include <string.h>

#include <gmime/gmime.h>

#include "supportd/mail.h"
#include "mime_int.h"

/* What the walk over the MIME tree found.  Parts are borrowed from the
 * message, which outlives the walk. */
struct walk {
	struct sd_mail	*m;
	GMimeParserOptions *opts;
	GPtrArray	*keep;			/* re-parsed parts */
	int		 nreparse;
	size_t		 nparts;
	size_t		 cap;			/* of m->attachments */
	GMimePart	*plain[2], *html[2];	/* [0] ours, [1] forwarded */
	const char	*prologue;		/* of a part-less multipart */
};

static GMimeParserOptions *parser_options(void);
static size_t	 skip_leading_junk(const char *buf, size_t len);
static size_t	 prescan(const char *buf, size_t len, const char **limit_r);
static void	 scan_fields(struct sd_mail *m, const char *text, size_t len,
		    bool quoted);
static void	 note_limit(struct sd_mail *m, const char *what);
static void	 read_headers(struct sd_mail *m, GMimeObject *hobj,
		    GMimeObject *body, GMimeParserOptions *opts);
static InternetAddressMailbox *first_mailbox(InternetAddressList *l,
		    int depth, bool need_addr);
static void	 read_mailbox(struct sd_addr *a, InternetAddressList *l);
static void	 salvage_mailbox(struct sd_addr *a, const char *value,
		    GMimeParserOptions *opts);
static void	 read_addrlist(struct sd_strv *sv, InternetAddressList *l,
		    int depth);
static void	 read_threading(struct sd_mail *m, GMimeObject *hobj,
		    GMimeParserOptions *opts);
static void	 read_body(struct sd_mail *m, GMimeObject *hobj,
		    GMimeObject *body, GMimeParserOptions *opts);
static void	 walk(struct walk *w, GMimeObject *obj, int depth, bool inner);
static void	 walk_message_part(struct walk *w, GMimeObject *obj,
		    GMimeMessage *sub);
static void	 walk_leaf(struct walk *w, GMimePart *part, bool inner);
static void	 add_attachment(struct walk *w, const char *name,
		    const char *type, size_t size);
static char	*part_text(GMimePart *part, bool html);
static GByteArray *part_bytes(GMimePart *part, size_t max);
static bool	 charset_is_ours(const char *cs);
static GMimeFilter *charset_filter(const char *cs);
static bool	 is_8bit_utf8(const guint8 *p, size_t len);
static GMimeObject *reparse_multipart(struct walk *w, GMimeMultipart *mp);
static void	 redo_headers(struct sd_mail *m, GMimeObject *hobj,
		    const char *hint);
static bool	 is_blank(const char *s);
static void	 set_once(char **dst, const char *v);

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

/* Keeps the first bound that was hit. */
static void
note_limit(struct sd_mail *m, const char *what)
{
	if (m->limit == NULL)
		m->limit = what;
}

int
mime_parse(const char *buf, size_t len, struct sd_mail **mail_r,
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
	g_byte_array_append(r->bytes, (const guint8 *)buf + skip, (guint)use);
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
	read_headers(m, hobj, body, opts);
	read_body(m, hobj, body, opts);
	/* A bounce in plain text (Exim, qmail, Gmail) quotes the returned
	 * mail's header lines in its body. */
	if (m->embedded_ids.n == 0 && m->embedded_ticket == 0)
		scan_fields(m, m->body, strlen(m->body), true);
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

static void
set_once(char **dst, const char *v)
{
	if (*dst == NULL)
		*dst = mt_line(v != NULL ? v : "", MIME_MAX_LINE);
}

/* Whether field name (nlen bytes) is want, case aside.  The length
 * decides most compares: some twenty names are looked for in each of a
 * mail's fields (benchmark: the compares were 4 % of parsing). */
#define NAME_IS(name, nlen, want) \
	((nlen) == strlen(want) && g_ascii_strcasecmp((name), (want)) == 0)

/* The fields a GMimeMessage reads itself, read as it does: the
 * addresses of all the fields of a name in order, the last Subject,
 * Date and Message-ID. */
enum { F_FROM, F_REPLY_TO, F_TO, F_CC, F_NADDR = F_CC + 1,
    F_SUBJECT = F_NADDR, F_DATE, F_MSGID, F_N };
#define FIELD(s)	{ s, sizeof(s) - 1 }
static const struct {
	const char	*name;
	size_t		 len;
} msg_fields[F_N] = {
	FIELD("From"), FIELD("Reply-To"), FIELD("To"), FIELD("Cc"),
	FIELD("Subject"), FIELD("Date"), FIELD("Message-ID"),
};
#undef FIELD

/* Adds the addresses of field h to *l (made when first needed). */
static void
add_addrs(InternetAddressList **l, GMimeHeader *h, GMimeParserOptions *opts)
{
	InternetAddressList	*more;
	const char		*raw = g_mime_header_get_raw_value(h);

	if (raw == NULL || (more = internet_address_list_parse(opts,
	    raw)) == NULL)
		return;
	if (*l == NULL)
		*l = more;
	else {
		internet_address_list_append(*l, more);
		g_object_unref(more);
	}
}

/* The fields of hobj (the mail's header fields), the content type of
 * body (its top MIME part; the same object unless GMime read a
 * message). */
static void
read_headers(struct sd_mail *m, GMimeObject *hobj, GMimeObject *body,
    GMimeParserOptions *opts)
{
	GMimeHeaderList	*hl = g_mime_object_get_header_list(hobj);
	GMimeHeader	*last[F_N] = { NULL };
	InternetAddressList *addrs[F_NADDR] = { NULL };
	GMimeContentType *ct;
	GDateTime	*dt;
	const char	*v;
	char		*type, *id;
	int		 n, count;

	/* One pass over the fields, in order: the message's own fields,
	 * and what marks automatic mail. */
	count = n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;
	if (n > MIME_MAX_HEADERS) {
		n = MIME_MAX_HEADERS;
		note_limit(m, "more than 5000 header fields");
	}
	for (int i = 0; i < count; i++) {
		GMimeHeader	*h = g_mime_header_list_get_header_at(hl, i);
		const char	*name = h ? g_mime_header_get_name(h) : NULL;
		size_t		 f, nlen;

		if (name == NULL)
			continue;
		nlen = strlen(name);
		for (f = 0; f < F_N; f++)
			if (nlen == msg_fields[f].len &&
			    g_ascii_strcasecmp(name, msg_fields[f].name) == 0)
				break;
		if (f < F_NADDR)
			add_addrs(&addrs[f], h, opts);
		else if (f < F_N)
			last[f] = h;	/* only the last of these counts */
		if (f < F_N)
			continue;
		/* GMime decodes a value when asked for it: only the fields
		 * used are (benchmark: all of them were a tenth of parsing). */
		if (i >= n)
			continue;
		if (NAME_IS(name, nlen, "Auto-Submitted"))
			set_once(&m->auto_submitted,
			    g_mime_header_get_value(h));
		else if (NAME_IS(name, nlen, "Precedence"))
			set_once(&m->precedence, g_mime_header_get_value(h));
		else if (NAME_IS(name, nlen, "Return-Path"))
			set_once(&m->return_path, g_mime_header_get_value(h));
		else if (NAME_IS(name, nlen, "X-Supportd-Ticket"))
			set_once(&m->x_supportd_ticket,
			    g_mime_header_get_value(h));
		else if (NAME_IS(name, nlen, "List-Id"))
			m->has_list_id = true;
		else if (NAME_IS(name, nlen, "List-Unsubscribe"))
			m->has_list_unsubscribe = true;
		/* ezmlm marks list mail only with Mailing-List: and
		 * "Delivered-To: mailing list x@y". */
		else if (NAME_IS(name, nlen, "Mailing-List"))
			m->has_list_id = true;
		else if (NAME_IS(name, nlen, "Delivered-To") &&
		    (v = g_mime_header_get_value(h)) != NULL &&
		    g_ascii_strncasecmp(v + strspn(v, " \t"),
		    "mailing list ", 13) == 0)
			m->has_list_id = true;
		/* Apple's vacation responder sets only this. */
		else if (NAME_IS(name, nlen, "X-Apple-Action") &&
		    (v = g_mime_header_get_value(h)) != NULL &&
		    strstr(v, "VACATION") != NULL)
			m->has_x_autoreply = true;
		else if (NAME_IS(name, nlen, "X-Autoreply"))
			m->has_x_autoreply = true;
		else if (NAME_IS(name, nlen, "X-Autorespond"))
			m->has_x_autorespond = true;
		else if (NAME_IS(name, nlen, "X-Auto-Response-Suppress"))
			m->has_x_auto_response_suppress = true;
		else if (NAME_IS(name, nlen, "Authentication-Results") &&
		    m->auth_results.n < MIME_MAX_AUTHRES) {
			char *s;

			v = g_mime_header_get_value(h);
			s = mt_line(v != NULL ? v : "",
			    MIME_MAX_LINE * 4);
			strv_push(&m->auth_results, s);
			free(s);
		}
	}

	v = last[F_SUBJECT] ? g_mime_header_get_value(last[F_SUBJECT]) : NULL;
	m->subject = mt_line(v, MIME_MAX_LINE);
	if (m->subject == NULL)
		m->subject = xstrdup("");
	read_mailbox(&m->from, addrs[F_FROM]);
	read_mailbox(&m->reply_to, addrs[F_REPLY_TO]);
	if (m->from.addr == NULL)
		salvage_mailbox(&m->from, g_mime_object_get_header(hobj,
		    "From"), opts);
	if (m->reply_to.addr == NULL)
		salvage_mailbox(&m->reply_to, g_mime_object_get_header(hobj,
		    "Reply-To"), opts);
	read_addrlist(&m->to, addrs[F_TO], 0);
	read_addrlist(&m->cc, addrs[F_CC], 0);
	for (size_t f = 0; f < F_NADDR; f++)
		if (addrs[f] != NULL)
			g_object_unref(addrs[f]);
	v = last[F_MSGID] ? g_mime_header_get_value(last[F_MSGID]) : NULL;
	id = v != NULL ? g_mime_utils_decode_message_id(v) : NULL;
	m->message_id = mt_msgid(id);
	g_free(id);
	read_threading(m, hobj, opts);
	v = last[F_DATE] ? g_mime_header_get_value(last[F_DATE]) : NULL;
	if (v != NULL && (dt = g_mime_utils_header_decode_date(v)) != NULL) {
		if (g_date_time_to_unix(dt) > 0)
			m->date = g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	}

	/* RFC 2045: no Content-Type means text/plain. */
	type = NULL;
	if (body != NULL &&
	    (ct = g_mime_object_get_content_type(body)) != NULL) {
		char *mt = g_mime_content_type_get_mime_type(ct);
		char *lower = mt != NULL ? g_ascii_strdown(mt, -1) : NULL;
		const char *rt;

		type = mt_line(lower, 255);
		g_free(lower);
		g_free(mt);
		/* A bounce is a delivery-status report; a read receipt or a
		 * spam complaint is another kind. */
		if (g_mime_content_type_is_type(ct, "multipart", "report") &&
		    (rt = g_mime_content_type_get_parameter(ct,
		    "report-type")) != NULL) {
			lower = g_ascii_strdown(rt, -1);
			m->report_type = mt_line(lower, 64);
			g_free(lower);
		}
	}
	m->content_type = type != NULL ? type : xstrdup("text/plain");
}

/* The first mailbox of l, looking into groups; one with an address if
 * there is one. */
static InternetAddressMailbox *
first_mailbox(InternetAddressList *l, int depth, bool need_addr)
{
	InternetAddressMailbox	*mb;
	InternetAddress		*ia;
	const char		*a;
	int			 n;

	if (l == NULL || depth > 4)
		return NULL;
	n = internet_address_list_length(l);
	for (int i = 0; i < n && i < MIME_MAX_ADDRS; i++) {
		ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			mb = INTERNET_ADDRESS_MAILBOX(ia);
			a = internet_address_mailbox_get_addr(mb);
			if (!need_addr || (a != NULL && *a != '\0'))
				return mb;
		} else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			mb = first_mailbox(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), depth + 1, need_addr);
			if (mb != NULL)
				return mb;
		}
	}
	return NULL;
}

static void
read_mailbox(struct sd_addr *a, InternetAddressList *l)
{
	InternetAddressMailbox	*mb;
	const char		*name;

	if ((mb = first_mailbox(l, 0, true)) == NULL &&
	    (mb = first_mailbox(l, 0, false)) == NULL)
		return;
	a->addr = mt_addr(internet_address_mailbox_get_addr(mb));
	name = internet_address_get_name(INTERNET_ADDRESS(mb));
	a->name = mt_line(name, MIME_MAX_LINE);
	if (a->name != NULL && *a->name == '\0') {
		free(a->name);
		a->name = NULL;
	}
}

/*
 * When GMime finds no address in a From or Reply-To that has one
 * ("=?ks_c_5601-1987?B?...?= ss.lee@example.com": a phrase and a bare
 * address, no angle brackets), the first word that looks like
 * local@domain is the address and what comes before it the name.  A
 * sender address decides whether a mail becomes a ticket at all.
 */
static void
salvage_mailbox(struct sd_addr *a, const char *value, GMimeParserOptions *opts)
{
	static const char	 sep[] = " \t<>,;:\"()[]";
	const char		*p = value, *w = NULL, *at;
	char			*addr, *pre, *name;
	size_t			 n = 0;

	if (value == NULL)
		return;
	while (*(p += strspn(p, sep)) != '\0') {
		w = p;
		n = strcspn(p, sep);
		p += n;
		/* one '@', with something on either side */
		if ((at = memchr(w, '@', n)) != NULL && at > w &&
		    at < w + n - 1 &&
		    memchr(at + 1, '@', n - (size_t)(at + 1 - w)) == NULL)
			break;
		w = NULL;
	}
	if (w == NULL)
		return;
	addr = xstrndup(w, n);
	free(a->addr);
	a->addr = mt_addr(addr);
	free(addr);
	if (a->name != NULL)
		return;
	pre = g_strndup(value, (gsize)(w - value));
	g_strdelimit(pre, "<\"", ' ');
	name = g_mime_utils_header_decode_phrase(opts, pre);
	a->name = mt_line(name, MIME_MAX_LINE);
	if (a->name != NULL && *a->name == '\0') {
		free(a->name);
		a->name = NULL;
	}
	g_free(name);
	g_free(pre);
}

static void
read_addrlist(struct sd_strv *sv, InternetAddressList *l, int depth)
{
	InternetAddress	*ia;
	char		*a;
	int		 n;

	if (l == NULL || depth > 4)
		return;
	n = internet_address_list_length(l);
	for (int i = 0; i < n && sv->n < MIME_MAX_ADDRS; i++) {
		ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			read_addrlist(sv, internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), depth + 1);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia) &&
		    (a = mt_addr(internet_address_mailbox_get_addr(
		    INTERNET_ADDRESS_MAILBOX(ia)))) != NULL) {
			strv_push(sv, a);
			free(a);
		}
	}
}

static void
read_threading(struct sd_mail *m, GMimeObject *obj, GMimeParserOptions *opts)
{
	GMimeReferences	*refs;
	const char	*v;
	char		*id;
	int		 n, first;

	/* In-Reply-To: the first id; some MUAs add prose around it. */
	if ((v = g_mime_object_get_header(obj, "In-Reply-To")) != NULL &&
	    (refs = g_mime_references_parse(opts, v)) != NULL) {
		if (g_mime_references_length(refs) > 0)
			m->in_reply_to = mt_msgid(
			    g_mime_references_get_message_id(refs, 0));
		g_mime_references_free(refs);
	}

	/*
	 * References, oldest first, without our own id (a loop).  A chain
	 * too long keeps its root and its newest entries, the two ends
	 * threading needs.
	 */
	if ((v = g_mime_object_get_header(obj, "References")) == NULL ||
	    (refs = g_mime_references_parse(opts, v)) == NULL)
		return;
	n = g_mime_references_length(refs);
	first = n > MIME_MAX_REFS ? n - (MIME_MAX_REFS - 1) : 1;
	for (int i = 0; i < n; i = (i == 0 ? first : i + 1)) {
		id = mt_msgid(g_mime_references_get_message_id(refs, i));
		if (id != NULL && (m->message_id == NULL ||
		    strcmp(id, m->message_id) != 0))
			strv_push(&m->references, id);
		free(id);
	}
	g_mime_references_free(refs);
}

/*
 * The body text and the attachments.  text/plain first, then HTML; the
 * mail's own text before that of a forwarded mail; a part that is only
 * white space does not count (some clients send an empty text/plain
 * beside the real HTML).
 */
static void
read_body(struct sd_mail *m, GMimeObject *hobj, GMimeObject *body,
    GMimeParserOptions *opts)
{
	struct walk	 w;
	GMimeObject	*hint;
	char		*t, *u;

	memset(&w, 0, sizeof(w));
	w.m = m;
	w.opts = opts;
	w.keep = g_ptr_array_new_with_free_func(g_object_unref);
	walk(&w, body, 0, false);

	for (int i = 0; i < 4 && m->body == NULL; i++) {
		GMimePart *p = (i & 1) ? w.html[i / 2] : w.plain[i / 2];

		if (p == NULL)
			continue;
		t = part_text(p, i & 1);
		if (is_blank(t))
			free(t);
		else
			m->body = t;
	}
	if (m->body == NULL && w.prologue != NULL) {
		u = mt_to_utf8(w.prologue, strlen(w.prologue), true);
		m->body = mt_body_finish(u, MIME_MAX_BODY);
		free(u);
	}
	if (m->body == NULL)
		m->body = xstrdup("");

	/* The charset of the text is the best guess for raw 8-bit headers
	 * written by the same program. */
	hint = w.plain[0] != NULL ? GMIME_OBJECT(w.plain[0]) :
	    w.html[0] != NULL ? GMIME_OBJECT(w.html[0]) : body;
	redo_headers(m, hobj, hint != NULL ?
	    g_mime_object_get_content_type_parameter(hint, "charset") : NULL);
	g_ptr_array_unref(w.keep);
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
	bool			 use_hint = !charset_is_ours(hint);

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
		raw8 = raw8 && !is_8bit_utf8((const guint8 *)raw, strlen(raw));
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
			read_mailbox(a, l);
			g_object_unref(l);
			if (a->addr == NULL)
				salvage_mailbox(a, unf, o);
		}
		g_free(unf);
	}
	if (o != NULL)
		g_mime_parser_options_free(o);
}

/*
 * A multipart whose declared boundary never occurs keeps all its text in
 * the prologue.  Mailers that get this wrong still write a delimiter
 * line, so the first "--" line of the prologue names the boundary in
 * use; the prologue is parsed again with it.  At most four times a mail.
 */
static GMimeObject *
reparse_multipart(struct walk *w, GMimeMultipart *mp)
{
	const char	*pro = g_mime_multipart_get_prologue(mp);
	const char	*declared = g_mime_multipart_get_boundary(mp);
	const char	*sub;
	const char	*l, *e;
	GMimeContentType *ct;
	GMimeStream	*st;
	GMimeParser	*pa;
	GMimeObject	*obj;
	GString		*gs;
	size_t		 n;

	if (pro == NULL || w->nreparse >= 4)
		return NULL;
	for (l = pro; *l != '\0'; l = *e ? e + 1 : e) {
		if ((e = strchr(l, '\n')) == NULL)
			e = l + strlen(l);
		if (l[0] == '-' && l[1] == '-')
			break;
	}
	if (*l == '\0')
		return NULL;
	l += 2;
	n = (size_t)(e - l);
	while (n > 0 && g_ascii_isspace(l[n - 1]))
		n--;
	if (n == 0 || n > MIME_MAX_LINE || memchr(l, '"', n) != NULL ||
	    memchr(l, '\\', n) != NULL ||
	    (declared != NULL && strlen(declared) == n &&
	    strncmp(declared, l, n) == 0))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)l[i] < 0x20)
			return NULL;
	w->nreparse++;

	ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	sub = ct != NULL ? g_mime_content_type_get_media_subtype(ct) : NULL;
	if (sub == NULL || *sub == '\0' || strlen(sub) > 40 ||
	    strspn(sub, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != strlen(sub))
		sub = "mixed";
	gs = g_string_new(NULL);
	g_string_append_printf(gs, "Content-Type: multipart/%s; "
	    "boundary=\"%.*s\"\n\n", sub, (int)n, l);
	g_string_append(gs, pro);
	st = g_mime_stream_mem_new_with_buffer(gs->str, gs->len);
	g_string_free(gs, TRUE);
	pa = g_mime_parser_new_with_stream(st);
	g_object_unref(st);
	obj = g_mime_parser_construct_part(pa, w->opts);
	g_object_unref(pa);
	if (obj != NULL)
		g_ptr_array_add(w->keep, obj);
	return obj;
}

/*
 * Depth-first over the MIME tree, bounded in depth and part count.  A
 * message/rfc822 part is an attachment of this mail; its text is looked
 * at only as a fallback body (inner), its own parts are not listed.
 */
static void
walk(struct walk *w, GMimeObject *obj, int depth, bool inner)
{
	GMimeMultipart	*mp;
	GMimeMessage	*sub;
	GMimeObject	*re;
	int		 n;

	if (obj == NULL)
		return;
	if (depth > MIME_MAX_DEPTH || w->nparts >= MIME_MAX_PARTS) {
		note_limit(w->m, depth > MIME_MAX_DEPTH ?
		    "MIME nested more than 32 deep" : "more than 500 MIME parts");
		return;
	}
	w->nparts++;

	if (GMIME_IS_MESSAGE_PART(obj)) {
		sub = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (!inner)
			walk_message_part(w, obj, sub);
		if (sub != NULL)
			walk(w, g_mime_message_get_mime_part(sub), depth + 1,
			    true);
	} else if (GMIME_IS_MULTIPART(obj)) {
		mp = GMIME_MULTIPART(obj);
		n = g_mime_multipart_get_count(mp);
		if (n == 0 && (re = reparse_multipart(w, mp)) != NULL) {
			walk(w, re, depth + 1, inner);
			return;
		}
		/* Else the prologue is the last hope for a body. */
		if (n == 0 && !inner && w->prologue == NULL)
			w->prologue = g_mime_multipart_get_prologue(mp);
		for (int i = 0; i < n; i++)
			walk(w, g_mime_multipart_get_part(mp, i), depth + 1,
			    inner);
	} else if (GMIME_IS_PART(obj)) {
		walk_leaf(w, GMIME_PART(obj), inner);
	}
}

static void
add_embedded(struct sd_mail *m, const char *id, const char *ticket)
{
	char *clean;

	if (id != NULL && m->embedded_ids.n < MIME_MAX_EMBEDDED &&
	    (clean = mt_msgid(id)) != NULL) {
		strv_push(&m->embedded_ids, clean);
		free(clean);
	}
	if (ticket != NULL && m->embedded_ticket == 0)
		m->embedded_ticket = g_ascii_strtoll(ticket, NULL, 10);
}

/*
 * The Message-ID and X-Supportd-Ticket lines of returned header text:
 * a text/rfc822-headers part, or (quoted) the body of a plain-text
 * bounce, where the lines may be indented or quoted with '>'.  A value
 * folded onto the next line is read there.  Linear, at most
 * MIME_MAX_SCAN bytes.
 */
static void
scan_fields(struct sd_mail *m, const char *text, size_t len, bool quoted)
{
	static const struct { const char *name; bool ticket; } f[] = {
		{ "Message-ID:", false }, { "X-Supportd-Ticket:", true },
	};
	const char	*p = text, *end, *nl, *v, *vend;
	char		*val;

	if (len > MIME_MAX_SCAN)
		len = MIME_MAX_SCAN;
	end = text + len;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		while (p < nl && (*p == ' ' || *p == '\t' ||
		    (quoted && *p == '>')))
			p++;
		for (size_t i = 0; i < nitems(f); i++) {
			size_t n = strlen(f[i].name);

			if ((size_t)(nl - p) < n ||
			    g_ascii_strncasecmp(p, f[i].name, n) != 0)
				continue;
			v = p + n;
			vend = nl;
			while (v < vend && g_ascii_isspace(*v))
				v++;
			/* "Message-ID:\n <x@y>": the value is on the next line. */
			if (v == vend && nl < end) {
				v = nl + 1;
				if ((vend = memchr(v, '\n',
				    (size_t)(end - v))) == NULL)
					vend = end;
				while (v < vend && (*v == ' ' || *v == '\t' ||
				    (quoted && *v == '>')))
					v++;
			}
			val = xstrndup(v, (size_t)(vend - v));
			add_embedded(m, f[i].ticket ? NULL : val,
			    f[i].ticket ? val : NULL);
			free(val);
		}
		if (nl == end)
			break;
	}
}

/* A text/rfc822-headers part, what many bounces return. */
static void
scan_returned_headers(struct walk *w, GMimePart *part)
{
	GByteArray *raw = part_bytes(part, MIME_MAX_SCAN);

	if (raw->len > 0)
		scan_fields(w->m, (const char *)raw->data, raw->len, false);
	g_byte_array_unref(raw);
}

/* A message/rfc822 part as one attachment: its file name, else its
 * subject + ".eml"; its size as written out. */

static void
walk_message_part(struct walk *w, GMimeObject *obj, GMimeMessage *sub)
{
	const char	*fn, *subj;
	char		*name = NULL, *tmp;
	GMimeStream	*null;
	ssize_t		 size = 0;

	fn = g_mime_object_get_content_disposition_parameter(obj, "filename");
	if (fn == NULL)
		fn = g_mime_object_get_content_type_parameter(obj, "name");
	if (fn != NULL)
		name = mt_filename(fn);
	subj = sub != NULL ? g_mime_message_get_subject(sub) : NULL;
	if (name == NULL && subj != NULL && *subj != '\0') {
		tmp = g_strdup_printf("%s.eml", subj);
		name = mt_filename(tmp);
		g_free(tmp);
	}
	if (sub != NULL) {
		add_embedded(w->m, g_mime_message_get_message_id(sub),
		    g_mime_object_get_header(GMIME_OBJECT(sub),
		    "X-Supportd-Ticket"));
		null = g_mime_stream_null_new();
		size = g_mime_object_write_to_stream(GMIME_OBJECT(sub), NULL,
		    null);
		g_object_unref(null);
	}
	add_attachment(w, name, "message/rfc822", size > 0 ? (size_t)size : 0);
	free(name);
}

static void
walk_leaf(struct walk *w, GMimePart *part, bool inner)
{
	GMimeObject		*obj = GMIME_OBJECT(part);
	GMimeContentType	*ct = g_mime_object_get_content_type(obj);
	GMimeDataWrapper	*dw;
	GMimeStream		*null;
	const char		*disp = g_mime_object_get_disposition(obj);
	const char		*fn = g_mime_part_get_filename(part);
	char			*mt, *type, *name;
	ssize_t			 size = 0;
	bool			 attached;

	if (fn != NULL && *fn == '\0')
		fn = NULL;
	if (ct != NULL && (g_mime_content_type_is_type(ct, "text",
	    "rfc822-headers") || g_mime_content_type_is_type(ct, "message",
	    "rfc822-headers")))
		scan_returned_headers(w, part);
	attached = fn != NULL ||
	    (disp != NULL && g_ascii_strcasecmp(disp, "attachment") == 0);
	if (!attached && ct != NULL &&
	    g_mime_content_type_is_type(ct, "text", "plain")) {
		if (w->plain[inner] == NULL)
			w->plain[inner] = part;
		return;
	}
	if (!attached && ct != NULL &&
	    g_mime_content_type_is_type(ct, "text", "html")) {
		if (w->html[inner] == NULL)
			w->html[inner] = part;
		return;
	}
	if (inner)
		return;

	/* Decoded size: decode into a sink that only counts. */
	if ((dw = g_mime_part_get_content(part)) != NULL) {
		null = g_mime_stream_null_new();
		size = g_mime_data_wrapper_write_to_stream(dw, null);
		g_object_unref(null);
	}
	mt = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	type = g_ascii_strdown(mt != NULL ? mt : "application/octet-stream",
	    -1);
	name = mt_filename(fn);
	add_attachment(w, name, type, size > 0 ? (size_t)size : 0);
	free(name);
	g_free(type);
	g_free(mt);
}

static void
add_attachment(struct walk *w, const char *name, const char *type,
    size_t size)
{
	struct sd_mail		*m = w->m;
	struct sd_attachment	*a;

	if (m->nattachments == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 4;
		m->attachments = xrealloc(m->attachments,
		    w->cap * sizeof(*m->attachments));
	}
	a = &m->attachments[m->nattachments++];
	a->name = xstrdup(name);
	a->type = mt_line(type, 255);
	a->size = size;
}

/* Charsets read without iconv: the UTF-8 check with the windows-1252
 * fallback handles them, and it also survives the common lie of 8-bit
 * text declared us-ascii or utf-8. */
static bool
charset_is_ours(const char *cs)
{
	static const char *const ours[] = {
		"us-ascii", "ascii", "ansi_x3.4-1968", "utf-8", "utf8",
		"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1",
		"windows-1252", "cp1252", "unknown-8bit", "x-unknown",
		"8bit", "default", "x-user-defined",
	};

	if (cs == NULL || *cs == '\0')
		return true;
	for (size_t i = 0; i < nitems(ours); i++)
		if (g_ascii_strcasecmp(cs, ours[i]) == 0)
			return true;
	return false;
}

/* A converter to UTF-8, or NULL when iconv knows no such charset; a
 * misspelt "koi8_r" gets a second chance as "koi8-r". */
static GMimeFilter *
charset_filter(const char *cs)
{
	GMimeFilter	*f = g_mime_filter_charset_new(cs, "utf-8");
	char		*fixed;

	if (f == NULL && strchr(cs, '_') != NULL) {
		fixed = g_strdelimit(g_strdup(cs), "_", '-');
		f = g_mime_filter_charset_new(fixed, "utf-8");
		g_free(fixed);
	}
	return f;
}

/* Holds a byte >= 0x80 and is valid UTF-8 apart from NUL bytes. */
static bool
is_8bit_utf8(const guint8 *p, size_t len)
{
	const guint8	*end, *nul;

	/* An empty GByteArray has a NULL data pointer. */
	if (p == NULL || len == 0)
		return false;
	end = p + len;
	if (mt_run_7bit((const char *)p, len) == len)
		return false;
	while (p < end) {
		nul = memchr(p, '\0', (size_t)(end - p));
		if (!g_utf8_validate_len((const char *)p,
		    (gsize)((nul != NULL ? nul : end) - p), NULL))
			return false;
		p = nul != NULL ? nul + 1 : end;
	}
	return true;
}

/*
 * The decoded (transfer encoding undone) bytes of part, at most max.
 * Decoding stops soon after max: a 20 MB text part costs no more than
 * its first max bytes.  The decoding filter is driven directly, not
 * through filter and memory streams: those objects were a tenth of
 * parsing a small mail (benchmark, callgrind).
 */
static GByteArray *
part_bytes(GMimePart *part, size_t max)
{
	GMimeDataWrapper	*dw = g_mime_part_get_content(part);
	GByteArray		*ba = g_byte_array_new();
	GMimeContentEncoding	 e;
	GMimeFilter		*dec = NULL;
	GMimeStream		*src;
	char			 chunk[8192], *out;
	ssize_t			 r;
	size_t			 outlen, pre;

	if (dw == NULL || (src = g_mime_data_wrapper_get_stream(dw)) == NULL)
		return ba;
	e = g_mime_data_wrapper_get_encoding(dw);
	if (e == GMIME_CONTENT_ENCODING_BASE64 ||
	    e == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    e == GMIME_CONTENT_ENCODING_UUENCODE)
		dec = g_mime_filter_basic_new(e, FALSE);
	g_mime_stream_reset(src);
	while (ba->len < max &&
	    (r = g_mime_stream_read(src, chunk, sizeof(chunk))) > 0) {
		out = chunk;
		outlen = (size_t)r;
		if (dec != NULL)
			g_mime_filter_filter(dec, chunk, (size_t)r, 0, &out,
			    &outlen, &pre);
		g_byte_array_append(ba, (const guint8 *)out, (guint)outlen);
	}
	if (dec != NULL) {
		if (ba->len < max) {
			g_mime_filter_complete(dec, chunk, 0, 0, &out, &outlen,
			    &pre);
			g_byte_array_append(ba, (const guint8 *)out,
			    (guint)outlen);
		}
		g_object_unref(dec);
	}
	g_mime_stream_reset(src);
	if (ba->len > max)
		g_byte_array_set_size(ba, (guint)max);
	return ba;
}

/* The text of a text/plain or text/html part as body text. */
static char *
part_text(GMimePart *part, bool html)
{
	const char	*cs = g_mime_object_get_content_type_parameter(
			    GMIME_OBJECT(part), "charset");
	GByteArray	*raw = part_bytes(part, MIME_MAX_TEXT_IN);
	GMimeFilter	*filter = NULL;
	GMimeStream	*mem, *fs;
	GByteArray	*conv;
	char		*u, *t;

	/*
	 * 8-bit text that is valid UTF-8 is UTF-8 whatever the label says
	 * (a mislabelled body is common; legacy multi-byte text that
	 * happens to be valid UTF-8 is not).  7-bit charsets such as
	 * ISO-2022-JP still go through iconv.
	 */
	if (is_8bit_utf8(raw->data, raw->len))
		cs = "utf-8";
	if (!charset_is_ours(cs))
		filter = charset_filter(cs);
	if (filter != NULL) {
		mem = g_mime_stream_mem_new();
		fs = g_mime_stream_filter_new(mem);
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(fs), filter);
		if (raw->len > 0)
			g_mime_stream_write(fs, (const char *)raw->data,
			    raw->len);
		g_mime_stream_flush(fs);
		g_object_unref(fs);
		g_object_unref(filter);
		conv = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		u = mt_to_utf8((const char *)conv->data, conv->len, false);
		g_object_unref(mem);
	} else {
		/* Undeclared, unknown to iconv ("unknown-8bit"), or ours. */
		u = mt_to_utf8((const char *)raw->data, raw->len, true);
	}
	g_byte_array_unref(raw);
	if (html) {
		t = mt_html_to_text(u, strlen(u));
		free(u);
		u = t;
	}
	t = mt_body_finish(u, MIME_MAX_BODY);
	free(u);
	return t;
}

static bool
is_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!g_ascii_isspace(*s))
			return false;
	return true;
}
