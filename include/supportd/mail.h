/* SPDX-License-Identifier: MIT */
/*
 * mail.h - a parsed mail as plain C data, and outbound mail building.
 * src/mime/ is the only user of GMime; nobody else sees a GMimeMessage.
 *
 * Untrusted bytes enter only through mime_parse(), a pure function with
 * bounded work, so it can later move into a sandboxed child.
 */
#ifndef SUPPORTD_MAIL_H
#define SUPPORTD_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supportd/err.h"
#include "supportd/util.h"

struct sd_addr {
	char	*name;		/* owned, UTF-8 display name or NULL */
	char	*addr;		/* owned, "local@domain" or NULL */
};

struct sd_attachment {
	char	*name;		/* owned, UTF-8, sanitised (no '/', no controls) or NULL */
	char	*type;		/* owned, "image/png" */
	size_t	 size;		/* decoded bytes */
	char	 sha256[65];	/* of the decoded bytes, hex */
};

struct sd_mail {
	char		*subject;	/* owned, decoded UTF-8, never NULL ("" if absent) */
	struct sd_addr	 from;		/* first From mailbox; fields may be NULL */
	struct sd_addr	 reply_to;
	struct sd_strv	 to;		/* addresses only */
	struct sd_strv	 cc;
	char		*message_id;	/* owned, without <>, or NULL */
	char		*in_reply_to;	/* owned, without <>, or NULL */
	struct sd_strv	 references;	/* ids without <>, oldest first */
	int64_t		 date;		/* Date: as UTC seconds, 0 if absent/bad */
	char		*body;		/* owned, UTF-8 text (HTML turned to text), never NULL;
					 * LF line ends, at most 1 MiB */
	struct sd_attachment *attachments;	/* owned array */
	size_t		 nattachments;

	/* What marks automatic mail (SPEC §3.7); raw header values. */
	char		*auto_submitted;	/* or NULL */
	char		*precedence;		/* or NULL */
	char		*return_path;		/* or NULL, e.g. "<>" */
	char		*content_type;		/* top level, lower-case "type/subtype" */
	bool		 has_list_id;		/* or ezmlm's Mailing-List */
	bool		 has_list_unsubscribe;
	bool		 has_x_autoreply;	/* or X-Apple-Action: VACATION */
	bool		 has_x_autorespond;
	bool		 has_x_auto_response_suppress;
	char		*x_supportd_ticket;	/* or NULL */
	/* The mail this one returns or forwards (a bounce's message/rfc822
	 * or text/rfc822-headers part): its Message-IDs without <>.
	 * Bounded to a few entries. */
	struct sd_strv	 embedded_ids;
	char		*report_type;	/* multipart/report's report-type,
					 * lower-case ("delivery-status"), or NULL */
	/* The work bound that cut the reading short (SPEC §3.7a), or NULL:
	 * borrowed static text such as "more than 500 MIME parts". */
	const char	*limit;
	struct sd_strv	 auth_results;		/* every Authentication-Results,
						 * top first, raw (not
						 * RFC 2047-decoded) */
};

/*
 * Parses a whole RFC 5322 message.  Returns 0 and *mail_r (caller owns;
 * mail_free) or -1 with err (SD_E_PERM: not a mail at all).  A damaged
 * mail is returned with what could be read; only total failure is -1.
 * Every string is valid UTF-8; subject and names are one line (control
 * characters become spaces).  Work is bounded: 32 levels of nesting,
 * 500 parts, 5000 header fields, 2 MiB of text read, 1 MiB of body kept,
 * 100 References (the root and the newest), 1000 addresses per list;
 * GMime itself reads only up to the 5000th line that could start a MIME
 * part and the 50000th that could be a header field.  A mail over one of
 * these is returned with what was read, and limit says which.
 */
int	mime_parse(const char *buf, size_t len, struct sd_mail **mail_r,
	    struct sd_err *err);
void	mail_free(struct sd_mail **mail);
/* Writes the decoded bytes of each attachment i (0-based, as in
 * m->attachments of mime_parse) of the raw mail buf to fds[i] (-1:
 * not wanted), in one walk; found[i] false when there was no such
 * attachment to write. */
int	mime_attachments_write(const char *buf, size_t len, const int *fds,
	    size_t nfds, bool *found, struct sd_err *err);

/* The new text of body (SPEC §13.4): without the history quoted below
 * it (Gmail, Outlook, Apple Mail, Thunderbird separators in several
 * languages), '>'-quoted lines, or the "-- " signature; *cut_r (may be
 * NULL) says whether any of those was left out.  Caller owns (g_free);
 * "" for NULL. */
char	*mail_new_text(const char *body, bool *cut_r);

/* Library set-up and tear-down (g_mime_init/g_mime_shutdown). */
void	mime_init(void);
void	mime_shutdown(void);

/* An outgoing text/plain UTF-8 message (SPEC §8). */
struct sd_outmail {
	const char	*from_name;	/* display name, may be NULL */
	const char	*from_addr;
	const char	*to_name;	/* may be NULL */
	const char	*to_addr;
	const struct sd_strv *cc;	/* may be NULL */
	const char	*subject;	/* CR/LF removed, RFC 2047-encoded when needed */
	const char	*message_id;	/* without <> */
	const char	*in_reply_to;	/* without <>, or NULL */
	const struct sd_strv *references; /* without <>, or NULL */
	const char	*body;		/* UTF-8, LF or CRLF line ends */
	int64_t		 date;		/* UTC seconds */
	bool		 automatic;	/* Auto-Submitted: auto-replied + X-Auto-Response-Suppress: All */
	bool		 generated;	/* with automatic: auto-generated instead (a notification) */
	const char	*reply_to;	/* an address, or NULL; a template's Reply-To then goes */
	int64_t		 ticket_id;	/* X-Supportd-Ticket when > 0 */
	/* Extra header lines "Name: value" from a template, or NULL. */
	const struct sd_strv *extra_headers;
	/* Attachments (SPEC §13.5): the mail is multipart/mixed. */
	struct sd_outatt	*atts;
	size_t		 natts;
};

/* An attachment of an outgoing mail, read from fd as it is written out
 * (never held whole in memory but as the mail's base64).  mime_build
 * sets size and sha256 of what it read. */
struct sd_outatt {
	const char	*name;		/* UTF-8, or NULL */
	const char	*type;		/* "application/pdf", or NULL */
	int		 fd;		/* read from where it is */
	size_t		 size;		/* stat's, for the buffer; then read */
	char		 sha256[65];
};

/*
 * Builds the message with CRLF line ends, folded, no line over 998
 * octets, ready for SMTP.  Never NULL.  Caller owns (free).  Control
 * characters in subject, names and extra header values become spaces, so
 * no field can start a header of its own; an address that would need
 * cleaning (white space, controls, "<>,;:") is left out; an extra header
 * whose name is not [A-Za-z0-9-]+ or is one mime_build sets itself
 * (From, To, Subject, Message-ID, Content-*, Auto-Submitted, ...) is
 * dropped.  A NULL message_id gets a fresh one in from_addr's domain.
 */
char	*mime_build(const struct sd_outmail *om);
/* mime_build for a mail with attachments: -1 when one cannot be read. */
int	mime_build_att(const struct sd_outmail *om, char **raw_r,
	    size_t *len_r, struct sd_err *err);
/* A MIME type for a file name by its extension, else
 * application/octet-stream.  Static. */
const char *mime_type_for_name(const char *name);

/* A fresh unique Message-ID (without <>) in domain.  Caller owns. */
char	*mime_message_id_new(const char *domain);

#endif
