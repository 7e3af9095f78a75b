/* SPDX-License-Identifier: MIT */
/* imap_int.h - private to src/intake/. */
#ifndef SUPPORTD_IMAP_INT_H
#define SUPPORTD_IMAP_INT_H

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

/* libetpan's TLS set-up callback: sends SNI for the host in data. */
void	imap_tls_sni(struct mailstream_ssl_context *ctx, void *data);

#endif
