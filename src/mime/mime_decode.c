/* SPDX-License-Identifier: MIT */
/*
 * mime_decode.c - a part's bytes and text: transfer encodings undone,
 * charsets to UTF-8, bounded.
 */
#include <string.h>

#include "mime_gm.h"

static GMimeFilter *charset_filter(const char *cs);

/* Charsets read without iconv: the UTF-8 check with the windows-1252
 * fallback handles them, and it also survives the common lie of 8-bit
 * text declared us-ascii or utf-8. */
bool
mg_charset_is_ours(const char *cs)
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
bool
mg_is_8bit_utf8(const guint8 *p, size_t len)
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
GByteArray *
mg_part_bytes(GMimePart *part, size_t max)
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
char *
mg_part_text(GMimePart *part, bool html)
{
	const char	*cs = g_mime_object_get_content_type_parameter(
			    GMIME_OBJECT(part), "charset");
	GByteArray	*raw = mg_part_bytes(part, MIME_MAX_TEXT_IN);
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
	if (mg_is_8bit_utf8(raw->data, raw->len))
		cs = "utf-8";
	if (!mg_charset_is_ours(cs))
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

bool
mg_is_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!g_ascii_isspace(*s))
			return false;
	return true;
}

