/* SPDX-License-Identifier: MIT */
/*
 * mime_gm.h - private to src/mime/: what the files that read mail with
 * GMime share (mime.c the entry and the body, mime_headers.c the header
 * fields, mime_walk.c the MIME tree, mime_decode.c the parts' bytes and
 * charsets).  The GLib-only helpers are mime_int.h's.
 */
#ifndef SUPPORTD_MIME_GM_H
#define SUPPORTD_MIME_GM_H

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
	/* mime_attachments_write: where attachment i's decoded bytes go
	 * (outs[i], NULL: nowhere); found[i] when written. */
	GMimeStream	**outs;
	size_t		 nouts;
	bool		*found;
	bool		 writing, failed;
	int		 werrno;		/* why it failed */
};

void	 mg_scan_fields(struct sd_mail *m, const char *text, size_t len,
	    bool quoted);
void	 mg_note_limit(struct sd_mail *m, const char *what);
void	 mg_read_headers(struct sd_mail *m, GMimeObject *hobj,
	    GMimeObject *body, GMimeParserOptions *opts);
void	 mg_read_mailbox(struct sd_addr *a, InternetAddressList *l);
void	 mg_salvage_mailbox(struct sd_addr *a, const char *value,
	    GMimeParserOptions *opts);
void	 mg_walk(struct walk *w, GMimeObject *obj, int depth, bool inner);
char	*mg_part_text(GMimePart *part, bool html);
GByteArray *mg_part_bytes(GMimePart *part, size_t max);
bool	 mg_charset_is_ours(const char *cs);
bool	 mg_is_8bit_utf8(const guint8 *p, size_t len);
bool	 mg_is_blank(const char *s);

#endif
