/* SPDX-License-Identifier: MIT */
/*
 * sdnotify.h - what the daemon tells systemd (SPEC §16.4): the unit is
 * Type=notify.  Without $NOTIFY_SOCKET nothing is sent.  Private to
 * src/daemon/, the only user of libsystemd.
 */
#ifndef SUPPORTD_SDNOTIFY_H
#define SUPPORTD_SDNOTIFY_H

#include <stdint.h>

/* Before the database is opened: a migration of a large one may take
 * longer than systemd waits for a start (TimeoutStartSec). */
void	sdn_starting(void);
/* READY=1 (the first start, or a reload done or refused), with a
 * STATUS= line. */
void	sdn_ready(const char *status);
void	sdn_status(const char *status);
/* RELOADING=1 on SIGHUP, with the monotonic time systemd 253 asks for. */
void	sdn_reloading(void);
void	sdn_stopping(void);
/* The watchdog's interval in µs when systemd wants WATCHDOG=1, else 0;
 * sdn_watchdog sends one. */
uint64_t sdn_watchdog_usec(void);
void	sdn_watchdog(void);

#endif
