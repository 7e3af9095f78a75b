/* SPDX-License-Identifier: MIT */
/* err.c - the error value; see include/supportd/err.h. */
#include <stdio.h>
#include <string.h>

#include "supportd/err.h"

int
sd_err_set(struct sd_err *err, enum sd_errcls cls, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->cls = cls;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
sd_err_clear(struct sd_err *err)
{
	if (err == NULL)
		return;
	err->cls = SD_E_NONE;
	err->msg[0] = '\0';
}

const char *
sd_errcls_name(enum sd_errcls cls)
{
	switch (cls) {
	case SD_E_NONE:		return "none";
	case SD_E_TEMP:		return "temporary";
	case SD_E_PERM:		return "permanent";
	case SD_E_CONFIG:	return "config";
	case SD_E_BUG:		return "bug";
	}
	return "unknown";
}
