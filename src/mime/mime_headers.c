/* SPDX-License-Identifier: MIT */
/*
 * mime_headers.c - a mail's header fields to struct sd_mail: addresses,
 * subject, threading, and the fields robots and verifiers write.
 */
#include <string.h>

#include "mime_gm.h"

static InternetAddressMailbox *first_mailbox(InternetAddressList *l,
		    int depth, bool need_addr);
static void	 read_addrlist(struct sd_strv *sv, InternetAddressList *l,
		    int depth);
static void	 read_threading(struct sd_mail *m, GMimeObject *hobj,
		    GMimeParserOptions *opts);
static void	 set_once(char **dst, const char *v);

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
void
mg_read_headers(struct sd_mail *m, GMimeObject *hobj, GMimeObject *body,
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
		mg_note_limit(m, "more than 5000 header fields");
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

			/* Raw, not RFC 2047-decoded: an encoded word a
			 * sender wrote must stay one opaque token for the
			 * RFC 8601 parser (authres.c).  Whole or not at
			 * all: one cut short could end in "header.d=
			 * victim.example" of "victim.example.evil.example";
			 * "" keeps its place and is never read as passing. */
			v = g_mime_header_get_raw_value(h);
			if (v != NULL && strlen(v) > MIME_MAX_AUTHRES_LEN)
				v = "";
			s = mt_line(v != NULL ? v : "", MIME_MAX_AUTHRES_LEN);
			strv_push(&m->auth_results, s);
			free(s);
		}
	}

	v = last[F_SUBJECT] ? g_mime_header_get_value(last[F_SUBJECT]) : NULL;
	m->subject = mt_line(v, MIME_MAX_LINE);
	if (m->subject == NULL)
		m->subject = xstrdup("");
	mg_read_mailbox(&m->from, addrs[F_FROM]);
	mg_read_mailbox(&m->reply_to, addrs[F_REPLY_TO]);
	if (m->from.addr == NULL)
		mg_salvage_mailbox(&m->from, g_mime_object_get_header(hobj,
		    "From"), opts);
	if (m->reply_to.addr == NULL)
		mg_salvage_mailbox(&m->reply_to, g_mime_object_get_header(hobj,
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

void
mg_read_mailbox(struct sd_addr *a, InternetAddressList *l)
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
void
mg_salvage_mailbox(struct sd_addr *a, const char *value, GMimeParserOptions *opts)
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

