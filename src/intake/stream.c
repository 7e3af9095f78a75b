/* SPDX-License-Identifier: MIT */
/*
 * stream.c - the IMAP session's transport: a libetpan low-level stream
 * driver on a non-blocking socket, waited on with poll(2), with GnuTLS
 * for imaps and STARTTLS.
 *
 * libetpan's own socket and TLS drivers wait with select(2): a session
 * whose descriptor is past FD_SETSIZE (1,024) aborts the process
 * ("bit out of range"), which a daemon serving a thousand mailboxes
 * reaches at once.  Every wait here is bounded by the stream's timeout
 * and by its deadline, and is cut short when the cancel descriptor
 * (a pipe the daemon writes to when it stops) becomes readable, so a
 * server that accepts and never answers holds nothing for long.
 *
 * End of file is an error: libetpan 1.9.4 loops for ever when the
 * server closes the connection inside a literal (its reader takes a
 * read of 0 bytes for "try again"; found by t-badimap.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <glib.h>
#include <gnutls/gnutls.h>

#include "imap_int.h"
#include "supportd/util.h"

struct low {
	int			 fd;
	int			 cancel_fd;	/* or -1 */
	int			 timeout_ms;	/* per wait */
	gint64			 deadline;	/* monotonic µs, 0: none */
	gnutls_session_t	 tls;		/* or NULL */
};

/* Waits until fd is ready for events.  0, or -1 (timeout, deadline,
 * cancelled, or the socket failed) with errno set. */
static int
low_wait(struct low *l, short events)
{
	struct pollfd	pfd[2];
	int		ms, r;

	for (;;) {
		ms = l->timeout_ms;
		if (l->deadline != 0) {
			gint64 left = (l->deadline - g_get_monotonic_time()) /
			    1000;

			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			if (left < ms)
				ms = (int)left;
		}
		pfd[0] = (struct pollfd){ .fd = l->fd, .events = events };
		pfd[1] = (struct pollfd){ .fd = l->cancel_fd, .events = POLLIN };
		r = poll(pfd, l->cancel_fd >= 0 ? 2 : 1, ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (l->cancel_fd >= 0 && pfd[1].revents != 0) {
			errno = ECANCELED;
			return -1;
		}
		return 0;	/* POLLERR and POLLHUP: the next call says */
	}
}

/* After a GnuTLS call said "again": waits in the direction it wants. */
static int
tls_wait(struct low *l)
{
	return low_wait(l, gnutls_record_get_direction(l->tls) ? POLLOUT :
	    POLLIN);
}

/* One recv or send, TLS or not, waiting as long as l allows. */
static ssize_t
low_io(struct low *l, void *buf, size_t count, bool out)
{
	ssize_t r;

	if (count == 0)
		return 0;
	for (;;) {
		if (l->tls != NULL) {
			r = out ? gnutls_record_send(l->tls, buf, count) :
			    gnutls_record_recv(l->tls, buf, count);
			if (r > 0 || (r == 0 && out))
				return r;
			if (r == 0 || (r != GNUTLS_E_AGAIN &&
			    r != GNUTLS_E_INTERRUPTED) || tls_wait(l) == -1)
				return -1;
			continue;
		}
		r = out ? send(l->fd, buf, count, MSG_NOSIGNAL) :
		    recv(l->fd, buf, count, 0);
		if (r > 0 || (r == 0 && out))
			return r;
		if (r == 0)
			return -1;	/* end of file: see the top */
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
		    low_wait(l, out ? POLLOUT : POLLIN) == -1)
			return -1;
	}
}

static ssize_t
low_read(mailstream_low *s, void *buf, size_t count)
{
	return low_io(s->data, buf, count, false);
}

static ssize_t
low_write(mailstream_low *s, const void *buf, size_t count)
{
	/* send(2) and gnutls_record_send only read the buffer. */
	return low_io(s->data, (void *)(uintptr_t)buf, count, true);
}

static int
low_close(mailstream_low *s)
{
	struct low *l = s->data;

	/* No TLS close_notify: it could wait on a dead peer, and IMAP
	 * has said LOGOUT before. */
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	return 0;
}

static int
low_get_fd(mailstream_low *s)
{
	return ((struct low *)s->data)->fd;
}

static void
low_free(mailstream_low *s)
{
	struct low *l = s->data;

	(void)low_close(s);
	if (l->tls != NULL)
		gnutls_deinit(l->tls);
	free(l);
	free(s);
}

static void
low_cancel(mailstream_low *s)
{
	(void)s;
}

static struct mailstream_cancel *
low_get_cancel(mailstream_low *s)
{
	(void)s;
	return NULL;
}

/* The peer's chain as libetpan hands it over (imap_tls_verify reads
 * it): DER strings, the server's own certificate first. */
static carray *
low_get_chain(mailstream_low *s)
{
	struct low		*l = s->data;
	const gnutls_datum_t	*certs;
	unsigned int		 n = 0;
	carray			*chain;

	if (l->tls == NULL ||
	    (certs = gnutls_certificate_get_peers(l->tls, &n)) == NULL ||
	    (chain = carray_new(n > 0 ? n : 1)) == NULL)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		MMAPString *der = mmap_string_new_len((const char *)
		    certs[i].data, certs[i].size);

		if (der == NULL || carray_add(chain, der, NULL) < 0) {
			if (der != NULL)
				mmap_string_free(der);
			mailstream_certificate_chain_free(chain);
			return NULL;
		}
	}
	return chain;
}

/* libetpan's IDLE helpers select(2) on the descriptor: never used (the
 * daemon polls the descriptors of its IDLE sessions itself). */
static int
low_no_idle(mailstream_low *s)
{
	(void)s;
	return -1;
}

static mailstream_low_driver low_driver = {
	.mailstream_read = low_read,
	.mailstream_write = low_write,
	.mailstream_close = low_close,
	.mailstream_get_fd = low_get_fd,
	.mailstream_free = low_free,
	.mailstream_cancel = low_cancel,
	.mailstream_get_cancel = low_get_cancel,
	.mailstream_get_certificate_chain = low_get_chain,
	.mailstream_setup_idle = low_no_idle,
	.mailstream_unsetup_idle = low_no_idle,
	.mailstream_interrupt_idle = low_no_idle,
};

static struct low *
low_of(mailstream *s)
{
	mailstream_low *low = mailstream_get_low(s);

	return low != NULL && low->driver == &low_driver ? low->data : NULL;
}

/* What went wrong with a connect, in the words of the log. */
static const char *
conn_strerror(int e)
{
	switch (e) {
	case ECONNREFUSED:	return "connection refused";
	case ETIMEDOUT:		return "timed out";
	case ECANCELED:		return "stopping";
	default:		return strerror(e);
	}
}

/* Connects fd to ai, waiting at most as l allows. */
static int
connect_one(struct low *l, const struct addrinfo *ai)
{
	socklen_t	len = sizeof(int);
	int		soerr = 0, one = 1;

	l->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (l->fd == -1)
		return -1;
	/* A peer that vanished while we wait in IDLE is noticed. */
	(void)setsockopt(l->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (connect(l->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno == EINPROGRESS && low_wait(l, POLLOUT) == 0 &&
	    getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0) {
		if (soerr == 0)
			return 0;
		errno = soerr;
	}
	soerr = errno;
	close(l->fd);
	l->fd = -1;
	errno = soerr;
	return -1;
}

mailstream *
imap_stream_connect(const char *host, int port, int timeout_s,
    int cancel_fd, const char *what, struct sd_err *err)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct low	*l;
	mailstream_low	*low;
	mailstream	*s;
	char		 serv[16];
	int		 r, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(serv, sizeof(serv), "%d", port);
	if ((r = getaddrinfo(host, serv, &hints, &res)) != 0) {
		sd_err_set(err, SD_E_TEMP, "%s: connect: %s", what,
		    gai_strerror(r));
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->fd = -1;
	l->cancel_fd = cancel_fd;
	l->timeout_ms = timeout_s * 1000;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (connect_one(l, ai) == 0)
			break;
		saved = errno;
	}
	freeaddrinfo(res);
	if (l->fd == -1) {
		sd_err_set(err, SD_E_TEMP, "%s: connect: %s", what,
		    conn_strerror(saved ? saved : ECONNREFUSED));
		free(l);
		return NULL;
	}
	if ((low = mailstream_low_new(l, &low_driver)) == NULL ||
	    (s = mailstream_new(low, 8192)) == NULL) {
		if (low != NULL)
			mailstream_low_free(low);
		else {
			close(l->fd);
			free(l);
		}
		sd_err_set(err, SD_E_BUG, "%s: out of memory", what);
		return NULL;
	}
	return s;
}

/* One set of credentials for every session; the peer is verified by
 * imap_tls_verify, not by GnuTLS during the handshake. */
static gnutls_certificate_credentials_t
tls_creds(void)
{
	static gsize				 once;
	static gnutls_certificate_credentials_t	 creds;

	if (g_once_init_enter(&once)) {
		if (gnutls_certificate_allocate_credentials(&creds) < 0)
			creds = NULL;
		g_once_init_leave(&once, 1);
	}
	return creds;
}

int
imap_stream_tls(mailstream *s, const char *host, const char *what,
    struct sd_err *err)
{
	struct low	*l = low_of(s);
	struct in6_addr	 a6;
	struct in_addr	 a4;
	int		 r;

	if (l == NULL || l->tls != NULL || tls_creds() == NULL)
		return sd_err_set(err, SD_E_BUG, "%s: TLS: cannot start",
		    what);
	if ((r = gnutls_init(&l->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0 ||
	    (r = gnutls_set_default_priority(l->tls)) < 0 ||
	    (r = gnutls_credentials_set(l->tls, GNUTLS_CRD_CERTIFICATE,
	    tls_creds())) < 0)
		goto fail;
	/* SNI carries names only (RFC 6066), never an address literal. */
	if (inet_pton(AF_INET, host, &a4) != 1 &&
	    inet_pton(AF_INET6, host, &a6) != 1 &&
	    (r = gnutls_server_name_set(l->tls, GNUTLS_NAME_DNS, host,
	    strlen(host))) < 0)
		goto fail;
	gnutls_transport_set_int(l->tls, l->fd);
	while ((r = gnutls_handshake(l->tls)) < 0) {
		if (gnutls_error_is_fatal(r))
			goto fail;
		if (tls_wait(l) == -1)
			return sd_err_set(err, SD_E_TEMP, "%s: TLS handshake: "
			    "%s", what, conn_strerror(errno));
	}
	return 0;
 fail:
	sd_err_set(err, SD_E_TEMP, "%s: TLS: %s", what, gnutls_strerror(r));
	if (l->tls != NULL)
		gnutls_deinit(l->tls);
	l->tls = NULL;
	return -1;
}

void
imap_stream_deadline(mailstream *s, int secs)
{
	struct low *l = low_of(s);

	if (l != NULL)
		l->deadline = secs > 0 ? g_get_monotonic_time() +
		    (gint64)secs * G_USEC_PER_SEC : 0;
}

int
imap_stream_fd(mailstream *s)
{
	struct low *l = low_of(s);

	return l != NULL ? l->fd : -1;
}

bool
imap_stream_pending(mailstream *s)
{
	struct low *l = low_of(s);

	return s->read_buffer_len > 0 ||
	    (l != NULL && l->tls != NULL &&
	    gnutls_record_check_pending(l->tls) > 0);
}
