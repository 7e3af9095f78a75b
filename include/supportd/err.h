/* SPDX-License-Identifier: MIT */
/*
 * err.h - error values passed up the call chain.
 *
 * Functions return 0 or -1 and fill a struct sd_err.  Callers branch on
 * the class (what to do next) and never parse the message, which is for
 * people and carries the subsystem and object as a prefix.
 */
#ifndef SUPPORTD_ERR_H
#define SUPPORTD_ERR_H

#include <stdarg.h>

enum sd_errcls {
	SD_E_NONE = 0,
	SD_E_TEMP,	/* network, timeout, SQLITE_BUSY, SMTP 4xx: retry */
	SD_E_PERM,	/* rejected or malformed: SMTP 5xx, unparsable mail */
	SD_E_CONFIG,	/* the operator must act: auth denied, bad cert, path */
	SD_E_BUG,	/* an invariant broke: log loudly, stop the component */
};

struct sd_err {
	enum sd_errcls	cls;
	char		msg[512];
};

/* Sets cls and formats msg; always returns -1 so callers can
 * "return sd_err_set(...)". err may be NULL. */
int	sd_err_set(struct sd_err *err, enum sd_errcls cls, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	sd_err_clear(struct sd_err *err);
/* Name of a class ("temporary", "permanent", ...). Borrowed, static. */
const char *sd_errcls_name(enum sd_errcls cls);

#endif
