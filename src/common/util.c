/* SPDX-License-Identifier: MIT */
/* util.c - allocation, string lists, the clock; see util.h. */
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

#include <glib.h>

#include "supportd/log.h"
#include "supportd/util.h"

static void
oom(void)
{
	fputs("supportd: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom();
	return q;
}

char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		oom();
	return p;
}

void
secret_free(char **s)
{
	if (*s == NULL)
		return;
	explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = strndup(s, n)) == NULL)
		oom();
	return p;
}

/* Most results are short: formatted once into the stack, then copied
 * out at their size.  vasprintf's growing buffer (a malloc and two
 * reallocs) was a third of its cost (benchmark, callgrind). */
char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[256], *p;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	if ((size_t)n < sizeof(buf)) {
		p = xmalloc((size_t)n + 1);
		memcpy(p, buf, (size_t)n + 1);
		return p;
	}
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) == -1)
		oom();
	va_end(ap);
	return p;
}

void
strv_push(struct sd_strv *sv, const char *s)
{
	sv->v = xrealloc(sv->v, (sv->n + 2) * sizeof(*sv->v));
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

bool
strv_contains_ci(const struct sd_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcasecmp(sv->v[i], s) == 0)
			return true;
	return false;
}

void
strv_free(struct sd_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

char *
sd_strdup_lower(const char *s)
{
	char *p = xstrdup(s);

	for (char *q = p; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

bool
sd_addr_plain(const char *a)
{
	const char	*at = a ? strrchr(a, '@') : NULL;
	size_t		 n;

	if (at == NULL || at == a || at[1] == '\0' || strlen(a) > 254)
		return false;
	for (const char *p = a; p < at; p++)
		if (!g_ascii_isalnum(*p) &&
		    strchr("!#$%&'*+/=?^_`{|}~.-", *p) == NULL)
			return false;
	n = strspn(at + 1, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
	return at[1 + n] == '\0' && at[1] != '.' && at[1] != '-';
}

/* --now: the offset between the fake clock and the real one. */
static sd_time	clock_offset;

sd_time
sd_now(void)
{
	return (sd_time)time(NULL) + clock_offset;
}

void
sd_clock_set(sd_time t)
{
	clock_offset = t - (sd_time)time(NULL);
}

int
sd_time_parse(const char *s, sd_time *t_r)
{
	GDateTime	*dt;
	GTimeZone	*utc;
	int		 y, m, d;
	char		 tail;

	if (s == NULL || *s == '\0')
		return -1;
	/* A bare date is midnight UTC; g_date_time_new_from_iso8601 wants
	 * a time part. */
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
		if ((dt = g_date_time_new_utc(y, m, d, 0, 0, 0)) == NULL)
			return -1;
	} else {
		utc = g_time_zone_new_utc();
		dt = g_date_time_new_from_iso8601(s, utc);
		g_time_zone_unref(utc);
		if (dt == NULL)
			return -1;
	}
	*t_r = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return 0;
}

char *
sd_time_format(sd_time t, const char *tz)
{
	GDateTime	*utc, *loc;
	GTimeZone	*zone;
	gchar		*s;
	char		*out;

	if ((utc = g_date_time_new_from_unix_utc(t)) == NULL)
		return xstrdup("1970-01-01T00:00:00Z");
	if (tz == NULL || *tz == '\0') {
		s = g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
	} else {
		zone = g_time_zone_new_identifier(tz);
		if (zone == NULL)
			zone = g_time_zone_new_utc();
		loc = g_date_time_to_timezone(utc, zone);
		s = g_date_time_format(loc, "%Y-%m-%dT%H:%M:%S%:z");
		g_date_time_unref(loc);
		g_time_zone_unref(zone);
	}
	g_date_time_unref(utc);
	out = xstrdup(s);
	g_free(s);
	return out;
}

int
sd_clock_set_arg(const char *prog, const char *t)
{
	sd_time now;

	if (sd_time_parse(t, &now) == -1) {
		fprintf(stderr, "%s: --now: not an ISO 8601 time: %s\n", prog, t);
		return -1;
	}
	sd_clock_set(now);
	return 0;
}

GThread *
sd_thread_try_new(const char *name, GThreadFunc fn, gpointer data,
    GError **ge)
{
	sigset_t	 all, old;
	GThread		*th;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	th = g_thread_try_new(name, fn, data, ge);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return th;
}

void
sd_pipe_poke(int fd, const char *what)
{
	char c = 1;

	if (write(fd, &c, 1) == -1 && errno != EAGAIN)
		log_warn("%s", what);
}

void
sd_pipe_drain(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

const char *const sd_status_names[SD_ST__COUNT] = {
	[SD_ST_OPEN] = "open",
	[SD_ST_PENDING] = "pending",
	[SD_ST_REVIEW] = "review-required",
	[SD_ST_WAITING_CUST] = "waiting-on-customer",
	[SD_ST_WAITING_DEV] = "waiting-for-development",
	[SD_ST_IN_DEV] = "in-development",
	[SD_ST_BC_TESTING] = "bc-testing",
	[SD_ST_RESOLVED] = "resolved",
	[SD_ST_CLOSED] = "closed",
};
