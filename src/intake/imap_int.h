/* SPDX-License-Identifier: MIT */
/* imap_int.h - private to src/intake/. */
#ifndef SUPPORTD_IMAP_INT_H
#define SUPPORTD_IMAP_INT_H

#include <stdbool.h>

#include <libetpan/libetpan.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/intake.h"

/* Mails per FETCH, and bytes per FETCH of whole bodies: libetpan holds
 * a whole response in memory, so a FETCH of the first PROBE_BYTES of
 * FETCH_BATCH mails is at most BODY_BATCH_BYTES, and the mails fetched
 * again whole are fetched in groups whose RFC822.SIZE adds up to at
 * most that much. */
#define FETCH_BATCH	500
#define BODY_BATCH_BYTES	(16 * 1024 * 1024)
#define PROBE_BYTES	(BODY_BATCH_BYTES / FETCH_BATCH)
/* The header of a mail over max_message_size is fetched up to this
 * much: the parser reads no more header than 1 MB anyway (mime's
 * MIME_MAX_HEADER_BYTES), and a mail that is all header must not come
 * whole (issue #19: 34 MB, 12 s and 1.5 GB). */
#define HEADER_FETCH_BYTES	(1u << 20)

struct sd_intake {
	const struct sd_conf_mailbox	*mb;		/* borrowed */
	int64_t				 max_size;
	mailimap			*imap;		/* owned, or NULL */
	bool				 idling;	/* IDLE sent, DONE not yet */
	bool				 swept;		/* see sweep() */
	uint32_t			 search_exists;	/* see mail_announced() */
	bool				 expunged;	/* since the search */
	int				 cancel_fd;	/* see intake_set_cancel */
};

/* A mail's metadata, as FETCH answers it. */
struct meta {
	uint32_t	uid;
	uint32_t	size;
	sd_time		internaldate;
};

/* A fetched body, copied out of libetpan's memory. */
struct body {
	uint32_t	 uid;
	char		*data;
	size_t		 len;
	/* Parsed (see feed.c): state goes FREE -> CLAIMED (by the thread
	 * that parses it) -> PARSED; mail and perr are the parser's until
	 * PARSED. */
	int		 state;
	struct sd_mail	*mail;		/* NULL: unparsable, see perr */
	char		 perr[512];
};

enum { BODY_FREE, BODY_CLAIMED, BODY_PARSED };

/* imap.c: the session's commands.  0, or -1 with err.  Each is
 * bounded as a whole by imap_cmd_deadline, besides the stream's limit
 * on silence. */
void	imap_cmd_deadline(struct sd_intake *in);
const char	*imap_strerror(int r);
enum sd_errcls	 imap_errcls(int r);
/* UID, RFC822.SIZE, INTERNALDATE and the first PROBE_BYTES (at most
 * max_message_size + 1) of each of uids[0..n) in one FETCH; pre[i]
 * gets mail i if it came whole. */
int	imap_fetch_probe(struct sd_intake *in, const uint32_t *uids, size_t n,
	    struct meta *meta, struct body *pre, struct sd_err *err);
/* The mails of bodies[0..nb) named in uids[0..n), whole or their
 * headers only, into those whose data is NULL. */
int	imap_fetch_bodies(struct sd_intake *in, const uint32_t *uids, size_t n,
	    bool headers_only, struct body *bodies, size_t nb,
	    struct sd_err *err);
/* SPEC §3.3: after the commit, set \Seen, move, or delete. */
int	imap_dispose(struct sd_intake *in, const uint32_t *uids, size_t n,
	    struct sd_err *err);

/* feed.c: takes uids[0..n) in, in UID order, in groups handed to the
 * sink; what the sink kept is marked even when a later group failed.
 * *count grows by the mails kept. */
int	feed_take_all(struct sd_intake *in, uint32_t uidvalidity,
	    const uint32_t *uids, size_t n, const struct sd_intake_sink *sink,
	    int *count, struct sd_err *err);

/*
 * Verifies the peer of an established TLS stream: the chain against
 * ca_file (or the system CAs when NULL) and the certificate against
 * host (a DNS name or an IP address).  Must run before any credential
 * is sent.  0, or -1 with err (SD_E_CONFIG: the operator must act).
 */
int	imap_tls_verify(mailstream *s, const char *host, const char *ca_file,
	    const char *what, struct sd_err *err);

/*
 * stream.c: the session's transport (poll(2), never select(2)).  Every
 * wait is bounded by timeout_s and by the deadline, and ends when
 * cancel_fd (-1: none) becomes readable.
 */
/* A connected stream for mailimap_connect, or NULL with err. */
mailstream *imap_stream_connect(const char *host, int port, int timeout_s,
	    int cancel_fd, const char *what, struct sd_err *err);
/* Starts TLS on s (imaps, or after STARTTLS), with SNI for host. */
int	imap_stream_tls(mailstream *s, const char *host, const char *what,
	    struct sd_err *err);
/* Every wait from now on ends secs from now (0: no deadline). */
void	imap_stream_deadline(mailstream *s, int secs);
int	imap_stream_fd(mailstream *s);
/* Whether bytes were read that nobody has parsed yet. */
bool	imap_stream_pending(mailstream *s);

#endif
