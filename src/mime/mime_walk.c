/* SPDX-License-Identifier: MIT */
/*
 * mime_walk.c - the walk over a mail's MIME tree: which part is the
 * text, what is attached, what a forwarded or returned mail carries.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mime_gm.h"

static void	 walk_message_part(struct walk *w, GMimeObject *obj,
		    GMimeMessage *sub);
static void	 walk_leaf(struct walk *w, GMimePart *part, bool inner);
static void	 add_attachment(struct walk *w, const char *name,
		    const char *type, size_t size, const char *sha256);
static GMimeObject *reparse_multipart(struct walk *w, GMimeMultipart *mp);

/* Where the next attachment's decoded bytes go: through a SHA-256
 * filter into a sink that only counts, or into its stream when
 * mime_attachments_write wants it. */
static GMimeStream *
sink_open(struct walk *w, GMimeFilter **ck_r)
{
	GMimeStream	*to, *f;
	size_t		 i = w->m->nattachments;

	if (i < w->nouts && w->outs[i] != NULL) {
		to = g_object_ref(w->outs[i]);
		w->found[i] = w->writing = true;
	} else
		to = g_mime_stream_null_new();
	f = g_mime_stream_filter_new(to);
	g_object_unref(to);
	*ck_r = g_mime_filter_checksum_new(G_CHECKSUM_SHA256);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), *ck_r);
	return f;
}

static void
sink_close(struct walk *w, GMimeStream *f, GMimeFilter *ck, ssize_t size,
    char sha[65])
{
	gchar *hex;

	if ((g_mime_stream_flush(f) == -1 || size < 0) && w->writing &&
	    !w->failed) {
		w->failed = true;
		w->werrno = errno;
	}
	w->writing = false;
	hex = g_mime_filter_checksum_get_string(GMIME_FILTER_CHECKSUM(ck));
	g_strlcpy(sha, hex ? hex : "", 65);
	g_free(hex);
	g_object_unref(ck);
	g_object_unref(f);
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
void
mg_walk(struct walk *w, GMimeObject *obj, int depth, bool inner)
{
	GMimeMultipart	*mp;
	GMimeMessage	*sub;
	GMimeObject	*re;
	int		 n;

	if (obj == NULL)
		return;
	if (depth > MIME_MAX_DEPTH || w->nparts >= MIME_MAX_PARTS) {
		mg_note_limit(w->m, depth > MIME_MAX_DEPTH ?
		    "MIME nested more than 32 deep" : "more than 500 MIME parts");
		return;
	}
	w->nparts++;

	if (GMIME_IS_MESSAGE_PART(obj)) {
		sub = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (!inner)
			walk_message_part(w, obj, sub);
		if (sub != NULL)
			mg_walk(w, g_mime_message_get_mime_part(sub), depth + 1,
			    true);
	} else if (GMIME_IS_MULTIPART(obj)) {
		mp = GMIME_MULTIPART(obj);
		n = g_mime_multipart_get_count(mp);
		if (n == 0 && (re = reparse_multipart(w, mp)) != NULL) {
			mg_walk(w, re, depth + 1, inner);
			return;
		}
		/* Else the prologue is the last hope for a body. */
		if (n == 0 && !inner && w->prologue == NULL)
			w->prologue = g_mime_multipart_get_prologue(mp);
		for (int i = 0; i < n; i++)
			mg_walk(w, g_mime_multipart_get_part(mp, i), depth + 1,
			    inner);
	} else if (GMIME_IS_PART(obj)) {
		walk_leaf(w, GMIME_PART(obj), inner);
	}
}

static void
add_embedded(struct sd_mail *m, const char *id)
{
	char *clean;

	if (id != NULL && m->embedded_ids.n < MIME_MAX_EMBEDDED &&
	    (clean = mt_msgid(id)) != NULL) {
		strv_push(&m->embedded_ids, clean);
		free(clean);
	}
}

/*
 * The Message-ID lines of returned header text: a text/rfc822-headers
 * part, or (quoted) the body of a plain-text bounce, where the lines may
 * be indented or quoted with '>'.  A value folded onto the next line is
 * read there.  Linear, at most MIME_MAX_SCAN bytes.
 */
void
mg_scan_fields(struct sd_mail *m, const char *text, size_t len, bool quoted)
{
	static const char name[] = "Message-ID:";
	const size_t	 n = sizeof(name) - 1;
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
		if ((size_t)(nl - p) >= n &&
		    g_ascii_strncasecmp(p, name, n) == 0) {
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
			add_embedded(m, val);
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
	GByteArray *raw = mg_part_bytes(part, MIME_MAX_SCAN);

	if (raw->len > 0)
		mg_scan_fields(w->m, (const char *)raw->data, raw->len, false);
	g_byte_array_unref(raw);
}

/* A message/rfc822 part as one attachment: its file name, else its
 * subject + ".eml"; its size as written out. */

static void
walk_message_part(struct walk *w, GMimeObject *obj, GMimeMessage *sub)
{
	const char	*fn, *subj;
	char		*name = NULL, *tmp, sha[65] = "";
	GMimeStream	*sink;
	GMimeFilter	*ck;
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
		add_embedded(w->m, g_mime_message_get_message_id(sub));
		sink = sink_open(w, &ck);
		size = g_mime_object_write_to_stream(GMIME_OBJECT(sub), NULL,
		    sink);
		sink_close(w, sink, ck, size, sha);
	}
	add_attachment(w, name, "message/rfc822", size > 0 ? (size_t)size : 0,
	    sha);
	free(name);
}

static void
walk_leaf(struct walk *w, GMimePart *part, bool inner)
{
	GMimeObject		*obj = GMIME_OBJECT(part);
	GMimeContentType	*ct = g_mime_object_get_content_type(obj);
	GMimeDataWrapper	*dw;
	GMimeStream		*sink;
	GMimeFilter		*ck;
	const char		*disp = g_mime_object_get_disposition(obj);
	const char		*fn = g_mime_part_get_filename(part);
	char			*mt, *type, *name, sha[65] = "";
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

	/* Decoded size and SHA-256: decode into a sink that only counts
	 * and hashes (or writes it out, for mime_attachment). */
	if ((dw = g_mime_part_get_content(part)) != NULL) {
		sink = sink_open(w, &ck);
		size = g_mime_data_wrapper_write_to_stream(dw, sink);
		sink_close(w, sink, ck, size, sha);
	}
	mt = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	type = g_ascii_strdown(mt != NULL ? mt : "application/octet-stream",
	    -1);
	name = mt_filename(fn);
	add_attachment(w, name, type, size > 0 ? (size_t)size : 0, sha);
	free(name);
	g_free(type);
	g_free(mt);
}

static void
add_attachment(struct walk *w, const char *name, const char *type,
    size_t size, const char *sha256)
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
	g_strlcpy(a->sha256, sha256, sizeof(a->sha256));
}

