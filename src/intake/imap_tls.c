/* SPDX-License-Identifier: MIT */
/*
 * imap_tls.c - certificate verification for IMAP over TLS.
 *
 * Debian's libetpan is built with GnuTLS and never checks the peer, so,
 * as isync does, we take the chain the server presented and verify it
 * ourselves with GnuTLS - trust anchors from ca_file or the system store,
 * and the host name (or IP address) - before LOGIN is sent.
 */
#include <arpa/inet.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "imap_int.h"
#include "supportd/util.h"

/* Enough for any real chain; a longer one is refused. */
#define MAX_CHAIN	16

int
imap_tls_verify(mailstream *s, const char *host, const char *ca_file,
    const char *what, struct sd_err *err)
{
	gnutls_x509_trust_list_t	 tl = NULL;
	gnutls_x509_crt_t		 certs[MAX_CHAIN];
	gnutls_typed_vdata_st		 vdata;
	gnutls_datum_t			 out = { NULL, 0 };
	unsigned char			 ip[16];
	carray				*chain;
	unsigned int			 n = 0, status = 0;
	int				 r, ret = -1;

	if ((chain = mailstream_get_certificate_chain(s)) == NULL ||
	    carray_count(chain) == 0) {
		sd_err_set(err, SD_E_CONFIG, "%s: TLS: the server sent no "
		    "certificate", what);
		goto out;
	}
	if (carray_count(chain) > MAX_CHAIN) {
		sd_err_set(err, SD_E_CONFIG, "%s: TLS: certificate chain of %u "
		    "certificates is too long", what, carray_count(chain));
		goto out;
	}
	for (n = 0; n < carray_count(chain); n++) {
		MMAPString	*der = carray_get(chain, n);
		gnutls_datum_t	 d = { (unsigned char *)der->str,
				      (unsigned int)der->len };

		if (gnutls_x509_crt_init(&certs[n]) < 0)
			goto oom;
		if (gnutls_x509_crt_import(certs[n], &d, GNUTLS_X509_FMT_DER) < 0) {
			n++;
			sd_err_set(err, SD_E_CONFIG, "%s: TLS: certificate %u "
			    "of the chain cannot be read", what, n);
			goto out;
		}
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		goto oom;
	r = ca_file != NULL ?
	    gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0) :
	    gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		sd_err_set(err, SD_E_CONFIG, "%s: TLS: no trusted CA loaded "
		    "from %s", what, ca_file ? ca_file : "the system store");
		goto out;
	}
	/* An address literal is matched against the IP SANs, a name
	 * against the DNS names. */
	memset(&vdata, 0, sizeof(vdata));
	if (inet_pton(AF_INET, host, ip) == 1) {
		vdata.type = GNUTLS_DT_IP_ADDRESS;
		vdata.data = ip;
		vdata.size = 4;
	} else if (inet_pton(AF_INET6, host, ip) == 1) {
		vdata.type = GNUTLS_DT_IP_ADDRESS;
		vdata.data = ip;
		vdata.size = 16;
	} else {
		vdata.type = GNUTLS_DT_DNS_HOSTNAME;
		vdata.data = (unsigned char *)host;
		vdata.size = 0;
	}
	r = gnutls_x509_trust_list_verify_crt2(tl, certs, n, &vdata, 1, 0,
	    &status, NULL);
	if (r < 0) {
		sd_err_set(err, SD_E_CONFIG, "%s: TLS: verification failed: "
		    "%s", what, gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &out, 0);
		sd_err_set(err, SD_E_CONFIG, "%s: TLS: certificate of %s "
		    "refused: %s", what, host, out.data ? (char *)out.data :
		    "not trusted");
		gnutls_free(out.data);
		goto out;
	}
	ret = 0;
	goto out;
 oom:
	sd_err_set(err, SD_E_BUG, "%s: TLS: out of memory", what);
 out:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (unsigned int i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return ret;
}
