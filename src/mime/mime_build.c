/* SPDX-License-Identifier: MIT */
/*
 * mime_build.c - outgoing mail (SPEC §8): one text/plain UTF-8 part with
 * the headers supportd promises, serialised by GMime with CRLF line ends
 * and folded headers, ready for SMTP.  Every value that reaches a header
 * is cleaned of control characters first and every address of the
 * characters that end one, so no field (subject, names, template header
 * lines) can inject a header; GMime then encodes and folds.
 */
#include <string.h>

#include <gmime/gmime.h>

#include "supportd/mail.h"
#include "mime_int.h"

/*
 * GMime folds header lines at white space only, so one unbreakable word
 * must fit a 998-octet line with its field name: subjects and template
 * header values are cut at BUILD_MAX_VALUE bytes, display names at
 * BUILD_MAX_NAME; longer addresses (RFC 5321 allows 254) and ids are
 * left out.
 */
#define BUILD_MAX_VALUE		900
#define BUILD_MAX_NAME		200
#define BUILD_MAX_ADDR		254
#define BUILD_MAX_ID		900

static void	 add_mailbox(GMimeMessage *m, GMimeAddressType type,
		    const char *name, const char *addr);
static char	*bracket_ids(const struct sd_strv *ids, const char *one);
static bool	 header_name_ok(const char *name, size_t len);
static bool	 header_protected(const char *name);
static void	 add_extra_headers(GMimeObject *obj, const struct sd_strv *hv);
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

static void
add_mailbox(GMimeMessage *m, GMimeAddressType type, const char *name,
    const char *addr)
{
	InternetAddress	*ia;
	char		*a = out_addr(addr);
	char		*n = mt_line(name, BUILD_MAX_NAME);

	if (a != NULL) {
		ia = internet_address_mailbox_new(n != NULL && *n != '\0' ?
		    n : NULL, a);
		/* Names are encoded as UTF-8, never GMime's pick of the
		 * smallest charset. */
		internet_address_set_charset(ia, "utf-8");
		internet_address_list_add(g_mime_message_get_addresses(m, type),
		    ia);
		g_object_unref(ia);
	}
	free(a);
	free(n);
}

/* "<a> <b> ..." from ids (and one), dropping ids that clean to nothing;
 * NULL if none is left.  Caller owns. */
static char *
bracket_ids(const struct sd_strv *ids, const char *one)
{
	GString	*gs = g_string_new(NULL);
	char	*id, *out = NULL;
	size_t	 n = ids != NULL ? ids->n : 0;

	for (size_t i = 0; i <= n; i++) {
		if ((id = mt_msgid(i < n ? ids->v[i] : one)) == NULL)
			continue;
		if (strlen(id) > BUILD_MAX_ID) {
			free(id);
			continue;
		}
		g_string_append_printf(gs, "%s<%s>", gs->len ? " " : "", id);
		free(id);
	}
	if (gs->len > 0)
		out = xstrdup(gs->str);
	g_string_free(gs, TRUE);
	return out;
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

/* Template header lines "Name: value"; bad or protected names are
 * dropped, values are cleaned to one line. */
static void
add_extra_headers(GMimeObject *obj, const struct sd_strv *hv)
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
		if (!header_protected(name))
			g_mime_object_append_header(obj, name, value, "utf-8");
		free(name);
		free(value);
	}
}

static const char *
addr_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

char *
mime_build(const struct sd_outmail *om)
{
	GMimeMessage		*m;
	GMimeObject		*obj;
	GMimeTextPart		*tp;
	GMimeStream		*stream;
	GMimeDataWrapper	*dw;
	GMimeFormatOptions	*fo;
	GDateTime		*dt;
	char			*s, *u, *body, *id, *raw, *out;
	sd_time			 date;

	mime_init();
	m = g_mime_message_new(TRUE);
	obj = GMIME_OBJECT(m);

	add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, om->from_name, om->from_addr);
	add_mailbox(m, GMIME_ADDRESS_TYPE_TO, om->to_name, om->to_addr);
	for (size_t i = 0; om->cc != NULL && i < om->cc->n; i++)
		add_mailbox(m, GMIME_ADDRESS_TYPE_CC, NULL, om->cc->v[i]);

	s = mt_line(om->subject != NULL ? om->subject : "", BUILD_MAX_VALUE);
	g_mime_message_set_subject(m, s, "utf-8");
	free(s);

	date = om->date > 0 ? om->date : sd_now();
	if ((dt = g_date_time_new_from_unix_utc(date)) != NULL) {
		g_mime_message_set_date(m, dt);
		g_date_time_unref(dt);
	}

	if ((id = mt_msgid(om->message_id)) != NULL &&
	    strlen(id) > BUILD_MAX_ID) {
		free(id);
		id = NULL;
	}
	if (id == NULL)
		id = mime_message_id_new(addr_domain(om->from_addr));
	g_mime_message_set_message_id(m, id);
	free(id);
	if ((s = bracket_ids(NULL, om->in_reply_to)) != NULL)
		g_mime_object_set_header(obj, "In-Reply-To", s, NULL);
	free(s);
	if ((s = bracket_ids(om->references, NULL)) != NULL)
		g_mime_object_set_header(obj, "References", s, NULL);
	free(s);

	if (om->automatic) {
		g_mime_object_set_header(obj, "Auto-Submitted", "auto-replied",
		    NULL);
		g_mime_object_set_header(obj, "X-Auto-Response-Suppress", "All",
		    NULL);
	}
	if (om->ticket_id > 0) {
		s = xasprintf("%lld", (long long)om->ticket_id);
		g_mime_object_set_header(obj, "X-Supportd-Ticket", s, NULL);
		free(s);
	}
	add_extra_headers(obj, om->extra_headers);

	/*
	 * The body as UTF-8 with LF line ends (CRLF on the wire), and the
	 * transfer encoding GMime finds best under a 7-bit constraint:
	 * quoted-printable or base64 for non-ASCII text or lines over 998
	 * octets, so no SMTP server sees a line that long.
	 */
	u = mt_to_utf8(om->body != NULL ? om->body : "",
	    om->body != NULL ? strlen(om->body) : 0, false);
	body = mt_body_finish(u, SIZE_MAX);
	free(u);
	tp = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_charset(tp, "UTF-8");
	stream = g_mime_stream_mem_new_with_buffer(body, strlen(body));
	dw = g_mime_data_wrapper_new_with_stream(stream,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(tp), dw);
	g_mime_part_set_content_encoding(GMIME_PART(tp),
	    g_mime_part_get_best_content_encoding(GMIME_PART(tp),
	    GMIME_ENCODING_CONSTRAINT_7BIT));
	g_mime_message_set_mime_part(m, GMIME_OBJECT(tp));
	g_object_unref(dw);
	g_object_unref(stream);
	g_object_unref(tp);
	free(body);

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	raw = g_mime_object_to_string(obj, fo);
	out = xstrdup(raw != NULL ? raw : "");
	g_free(raw);
	g_mime_format_options_free(fo);
	g_object_unref(m);
	return out;
}

char *
mime_message_id_new(const char *domain)
{
	GString	*d = g_string_new(NULL);
	char	*id, *out;

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
	id = g_strdup_printf("%" G_GINT64_MODIFIER "x.%08x%08x%08x@%s",
	    g_get_real_time(), g_random_int(), g_random_int(), g_random_int(),
	    d->str);
	out = xstrdup(id);
	g_free(id);
	g_string_free(d, TRUE);
	return out;
}
