/* SPDX-License-Identifier: MIT */
/* imap_int.h - private to src/intake/. */
#ifndef SUPPORTD_IMAP_INT_H
#define SUPPORTD_IMAP_INT_H

#include <stdbool.h>

#include <libetpan/libetpan.h>

#include "supportd/err.h"

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
