/* SPDX-License-Identifier: MIT */
/*
 * log.h - one line per event, key=value, OpenSMTPD style.
 *
 * In the foreground (and in supportctl) lines go to stderr; otherwise to
 * syslog.  Never pass a password, token or mail body to these.
 */
#ifndef SUPPORTD_LOG_H
#define SUPPORTD_LOG_H

#include <stdbool.h>

/* ident is borrowed for the life of the process (syslog keeps it). */
void	log_init(const char *ident, bool foreground, bool debug);
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Something an administrator must mend (syslog's LOG_ERR). */
void	log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)". */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
