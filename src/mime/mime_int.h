/* SPDX-License-Identifier: MIT */
/*
 * mime_int.h - private to src/mime/: the limits that bound the work done
 * on one untrusted mail, and the GLib-only text helpers of mime_text.c
 * (charset fallback, HTML to text, sanitising of names and header
 * values).  Nothing here sees a GMime type, so mime_text.c can be tested
 * and fuzzed on its own.  Every char * returned here is malloc memory
 * (caller owns; free()), never GLib memory.
 */
#ifndef SUPPORTD_MIME_INT_H
#define SUPPORTD_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#define MIME_MAX_DEPTH		32		/* MIME nesting we walk */
#define MIME_MAX_PARTS		500		/* parts we look at */
#define MIME_MAX_HEADERS	5000		/* header fields we look at */
#define MIME_MAX_ADDRS		1000		/* per To / Cc list */
#define MIME_MAX_REFS		100		/* References kept */
#define MIME_MAX_AUTHRES	32		/* Authentication-Results */
#define MIME_MAX_AUTHRES_LEN	(16u << 10)	/* ... bytes of one, raw */
#define MIME_MAX_TEXT_IN	(2u << 20)	/* text part bytes read */
#define MIME_MAX_BODY		(1u << 20)	/* bytes of body text kept */
#define MIME_MAX_LINE		998		/* header value kept */
#define MIME_MAX_NAME		255		/* attachment name bytes */
/* Lines GMime may see that make it build an object (a part or a header
 * field) before the input is cut: its memory is about 1 KB a part and
 * 0.5 KB a field, so these keep one mail to a few tens of MB. */
#define MIME_MAX_DELIM_LINES	5000		/* lines starting "--" */
#define MIME_MAX_FIELD_LINES	50000		/* lines looking like "Name:" */
/* Header bytes GMime may see: it copies and decodes a field several
 * times over (a 16 MB From name cost 1 GB), so a longer field is cut
 * and the header block ends at MIME_MAX_HEADER_BYTES. */
#define MIME_MAX_FIELD_BYTES	(64u << 10)
#define MIME_MAX_HEADER_BYTES	(1u << 20)
#define MIME_MAX_EMBEDDED	8		/* ids of a returned mail kept */
#define MIME_MAX_SCAN		(256u << 10)	/* body bytes searched for them */

/*
 * Lengths of leading runs, eight bytes at a time where the text allows
 * (each is a few instructions a word, not a few a byte): bytes below
 * 0x80 (mt_run_7bit), ASCII but NUL (mt_run_ascii), printable ASCII,
 * tab and LF (mt_run_plain).
 */
size_t	 mt_run_7bit(const char *s, size_t len);
size_t	 mt_run_ascii(const char *s, size_t len);
size_t	 mt_run_plain(const char *s, size_t len);

/*
 * len bytes of text in an unknown or undeclared charset to valid UTF-8:
 * NUL bytes are dropped; valid UTF-8 (ASCII included) is kept; anything
 * else is read as windows-1252 when cp1252 is true, else made valid with
 * U+FFFD.  Caller owns.
 */
char	*mt_to_utf8(const char *buf, size_t len, bool cp1252);

/*
 * Works around a GMime 3.2.13 bug (fixed in 3.2.14): it decodes a run of
 * adjacent base64 encoded-words of one charset as one stream and stops
 * at the first '=' padding, so "=?UTF-8?B?w6Q=?= =?UTF-8?B?w7Y=?=" loses
 * its second word.  Returns s with each such run joined into a single
 * encoded-word (decoded bytes concatenated, so a character split across
 * words still joins), or NULL when s has no such run.  Caller owns.
 */
char	*mt_rfc2047_fix(const char *s);

/* gs's text in malloc memory; gs is freed (GLib memory stays in the
 * module). */
char	*mt_gstring_out(GString *gs);

/* mime_html.c: readable plain text from len bytes of UTF-8 HTML (SPEC
 * §3.5).  Linear in len.  Caller owns. */
char	*mt_html_to_text(const char *html, size_t len);

/* Body text as kept: LF line ends, no BOM, no control characters but
 * tab and newline, at most max bytes cut at a character boundary.
 * s must be valid UTF-8.  Caller owns. */
char	*mt_body_finish(const char *s, size_t max);

/* A one-line value (subject, display name, header value): valid UTF-8,
 * control characters turned to spaces, trimmed, at most max bytes.  NULL
 * in, NULL out.  Caller owns. */
char	*mt_line(const char *s, size_t max);

/* A Message-ID without <>: valid UTF-8, no white space, controls or
 * angle brackets; NULL when nothing is left or it is absurdly long. */
char	*mt_msgid(const char *s);

/* An attachment name safe to show and to use as a file name: the last
 * path component, no '/', '\\' or control characters, at most
 * MIME_MAX_NAME bytes; NULL when nothing is left. */
char	*mt_filename(const char *s);

/* An e-mail address safe inside <...> of a header: no white space,
 * controls, '<', '>', ',', ';' or ':'.  NULL when nothing is left. */
char	*mt_addr(const char *s);

#endif
