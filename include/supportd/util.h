/* SPDX-License-Identifier: MIT */
/*
 * util.h - small helpers every module may use: allocation that aborts on
 * out-of-memory (sizes from the network are bounded before allocating),
 * string lists, and UTC time in seconds.
 */
#ifndef SUPPORTD_UTIL_H
#define SUPPORTD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* A wake-up pipe (non-blocking, both ends): poke writes a byte (a full
 * pipe already means "wake up"; what names it in the log on error),
 * drain reads all that is there. */
void	sd_pipe_poke(int fd, const char *what);
void	sd_pipe_drain(int fd);

/* g_thread_try_new with every signal blocked in the new thread: signals
 * stay with the threads that handle them. */
GThread	*sd_thread_try_new(const char *name, GThreadFunc fn, gpointer data,
	    GError **ge);

/* All abort with a message on out-of-memory.  Caller owns; free(). */
void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t sz);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);		/* NULL in, NULL out */
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wipes a password or token (a string) before freeing it; *s = NULL. */
void	secret_free(char **s);

/* A NULL-terminated array of owned strings. */
struct sd_strv {
	char	**v;	/* owned; v[n] == NULL */
	size_t	  n;
};
void	strv_push(struct sd_strv *sv, const char *s);	/* copies s */
bool	strv_contains_ci(const struct sd_strv *sv, const char *s);
void	strv_free(struct sd_strv *sv);			/* leaves it empty */

/*
 * Time.  Everything inside supportd is int64 seconds since the epoch, UTC.
 * --now T shifts the clock: sd_now() returns T plus the time elapsed since
 * sd_clock_set() was called, so the program "runs on from T".
 */
typedef int64_t sd_time;
sd_time	sd_now(void);
void	sd_clock_set(sd_time t);
/* --now T for both programs: parses T and sets the clock, or says on
 * stderr (prefixed with prog) that T is no ISO 8601 time and returns -1. */
int	sd_clock_set_arg(const char *prog, const char *t);
/* ISO 8601 ("2026-11-20T03:00:00+05:30", "...Z", or a bare date = 00:00
 * UTC).  Returns 0 and sets *t_r, or -1. */
int	sd_time_parse(const char *s, sd_time *t_r);
/* ISO 8601 with offset in the zone tz (NULL or "" = UTC).  Caller owns. */
char	*sd_time_format(sd_time t, const char *tz);

/* A ticket's status (SPEC §4), here as the configuration names them
 * too.  Text only in the database and at the edges: sd_status_names[s]
 * is its exact name. */
enum sd_status {
	SD_ST_OPEN, SD_ST_PENDING, SD_ST_REVIEW, SD_ST_WAITING_CUST,
	SD_ST_WAITING_DEV, SD_ST_IN_DEV, SD_ST_BC_TESTING, SD_ST_RESOLVED,
	SD_ST_CLOSED, SD_ST__COUNT
};
extern const char *const sd_status_names[SD_ST__COUNT];

/* Whether a is a plain address: ASCII local@domain, the local part of
 * RFC 5322 atoms and dots, the domain of letters, digits, dots and
 * hyphens.  What is not is never put in an envelope or a header. */
bool	sd_addr_plain(const char *a);

/* Lower-case ASCII copy.  Caller owns. */
char	*sd_strdup_lower(const char *s);

#endif
