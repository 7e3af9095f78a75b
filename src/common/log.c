/* SPDX-License-Identifier: MIT */
/*
 * log.c - the log sink.  One line per event; stderr in the foreground,
 * syslog otherwise.  Lines are cut at 2 KiB so a hostile value cannot
 * flood the log, and control characters are escaped so a value cannot
 * forge a second line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>

#include "supportd/log.h"

static bool	log_fg = true;
static bool	log_dbg;
static const char *log_ident = "supportd";

void
log_init(const char *ident, bool foreground, bool debug)
{
	log_ident = ident;
	log_fg = foreground;
	log_dbg = debug;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void vlog(int, const char *, const char *, va_list, const char *)
    __attribute__((format(printf, 3, 0)));

static void
vlog(int pri, const char *lvl, const char *fmt, va_list ap, const char *suffix)
{
	static const char hex[] = "0123456789abcdef";
	char	raw[2048], line[2048 + 256];
	size_t	i, j, start;
	int	n;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* In the foreground the line is written whole with one write(2):
	 * stdio's formatting and flush were half of logging a mail. */
	n = snprintf(line, 256, "%s: level=%s ", log_ident, lvl);
	start = n < 0 ? 0 : (size_t)n > 255 ? 255 : (size_t)n;
	for (i = 0, j = start; raw[i] != '\0' && j + 4 < 2048 + start; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c < 0x20 || c == 0x7f) {
			line[j++] = '\\';
			line[j++] = 'x';
			line[j++] = hex[c >> 4];
			line[j++] = hex[c & 0xf];
		} else
			line[j++] = (char)c;
	}
	line[j] = '\0';
	if (log_fg) {
		struct iovec	iov[4];
		int		k = 0;

		iov[k++] = (struct iovec){ line, j };
		if (suffix != NULL) {
			iov[k++] = (struct iovec){ (char *)": ", 2 };
			iov[k++] = (struct iovec){ (char *)suffix,
			    strlen(suffix) };
		}
		iov[k++] = (struct iovec){ (char *)"\n", 1 };
		fflush(stderr);
		(void)writev(STDERR_FILENO, iov, k);
	} else
		syslog(pri, "level=%s %s%s%s", lvl, line + start,
		    suffix ? ": " : "", suffix ? suffix : "");
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_dbg)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, "info", fmt, ap, NULL);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "warn", fmt, ap, NULL);
	va_end(ap);
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "error", fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "warn", fmt, ap, strerror(saved));
	va_end(ap);
}
