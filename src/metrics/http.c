/* SPDX-License-Identifier: MIT */
/*
 * http.c - the metrics endpoint (SPEC §16.2): GET /metrics, served by
 * libmicrohttpd from one thread of its own that polls every connection.
 * It reads only the registry's copy in memory, so a scrape never waits
 * for the store or the mail; and a slow or hostile client cannot hold
 * it: a few connections at once (fewer from one address), a small
 * memory bound each, and a timeout after which an idle one is closed.
 */
#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include <microhttpd.h>

#include <glib.h>

#include "supportd/conf.h"
#include "supportd/log.h"
#include "supportd/metrics.h"

#define MAX_CONNS	16	/* at once */
#define MAX_PER_IP	8
#define TIMEOUT_S	10	/* an idle connection is closed after */
#define CONN_MEM	16384	/* bytes a connection may hold */

static const char exposition_type[] = "text/plain; version=0.0.4; "
    "charset=utf-8";

struct sd_metrics_http {
	struct MHD_Daemon *d;
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *text,
    const char *allow)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	if (allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	char			*text;

	(void)cls;
	(void)version;
	(void)upload;
	(void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		*upload_size = 0;	/* a body is not read */
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "only GET /metrics\n", "GET, HEAD");
	}
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "only GET /metrics\n", NULL);
	text = metrics_render();
	r = MHD_create_response_from_buffer_with_free_callback(strlen(text),
	    text, g_free);
	if (r == NULL) {
		g_free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    exposition_type);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* What libmicrohttpd says is of clients (refused at the limit, timed
 * out): a flood of them must not flood the log. */
static void	mhd_log(void *cls, const char *fmt, va_list ap)
		    G_GNUC_PRINTF(2, 0);

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char *s = g_strdup_vprintf(fmt, ap);

	(void)cls;
	g_strchomp(s);
	log_debug("metrics: %s", s);
	g_free(s);
}

struct sd_metrics_http *
metrics_http_start(const char *listen, struct sd_err *err)
{
	struct sd_metrics_http	*h;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	sigset_t		 all, old;
	unsigned		 flags = MHD_USE_AUTO_INTERNAL_THREAD |
				    MHD_USE_ERROR_LOG;

	if (conf_listen_addr(listen, &ss, &len) == -1) {
		sd_err_set(err, SD_E_CONFIG, "metrics: bad listen address %s",
		    listen);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h = g_new0(struct sd_metrics_http, 1);
	/* Its thread takes no signal: the main thread handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MAX_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEM,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h->d == NULL) {
		sd_err_set(err, SD_E_CONFIG, "metrics: cannot serve on %s "
		    "(in use, or not an address of this host?)", listen);
		g_free(h);
		return NULL;
	}
	log_info("metrics: serving http://%s/metrics", listen);
	return h;
}

void
metrics_http_stop(struct sd_metrics_http **hp)
{
	if (*hp == NULL)
		return;
	MHD_stop_daemon((*hp)->d);
	g_free(*hp);
	*hp = NULL;
}
