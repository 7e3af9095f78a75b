/* SPDX-License-Identifier: MIT */
/*
 * test-stream.c - the intake's transport (stream.c) against a server on
 * 127.0.0.1 that drips one byte at a time: the idle timeout never fires,
 * so only the command's overall deadline ends the read (issue #19 point
 * 10: a byte every 5 s kept --once running past 150 s).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "harness.h"
#include "../../src/intake/imap_int.h"

struct dripper {
	int		lfd;
	volatile bool	stop;
};

/* Accepts one connection and sends a byte every 200 ms, for 30 s at
 * most or until told to stop. */
static gpointer
drip(gpointer arg)
{
	struct dripper	*d = arg;
	int		 c = accept(d->lfd, NULL, NULL);

	for (int i = 0; c != -1 && i < 150 && !d->stop; i++) {
		if (write(c, "x", 1) != 1)
			break;
		g_usleep(200 * 1000);
	}
	if (c != -1)
		close(c);
	return NULL;
}

static void
test_deadline(void)
{
	struct sockaddr_in	 sa;
	socklen_t		 sl = sizeof(sa);
	struct dripper		 d = { -1, false };
	struct sd_err		 err;
	mailstream		*s;
	GThread			*th;
	char			 buf[64];
	ssize_t			 n, got = 0;
	gint64			 t0, secs;

	test_begin("stream: a dripping server ends at the command deadline");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d.lfd = socket(AF_INET, SOCK_STREAM, 0);
	test_assert(d.lfd != -1 &&
	    bind(d.lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    listen(d.lfd, 1) == 0 &&
	    getsockname(d.lfd, (struct sockaddr *)&sa, &sl) == 0);
	th = g_thread_new("drip", drip, &d);
	s = imap_stream_connect("127.0.0.1", ntohs(sa.sin_port), 5, -1,
	    "test", &err);
	test_assert(s != NULL);
	if (s != NULL) {
		imap_stream_deadline(s, 2);
		t0 = g_get_monotonic_time();
		while ((n = mailstream_read(s, buf, sizeof(buf))) > 0)
			got += n;
		secs = (g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
		printf("# %zd bytes in %lld s, then the read failed\n", got,
		    (long long)secs);
		/* The dripper goes on for 30 s; the deadline is 2 s.  The
		 * bound is loose so that a slow machine passes too. */
		test_assert(n < 0 && got > 0 && secs < 20);
		mailstream_close(s);
	}
	d.stop = true;
	g_thread_join(th);
	close(d.lfd);
	test_end();
}

int
main(void)
{
	static void (*const fns[])(void) = { test_deadline, NULL };

	return test_run(fns);
}
