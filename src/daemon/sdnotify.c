/* SPDX-License-Identifier: MIT */
/*
 * sdnotify.c - sd_notify(3) messages (SPEC §16.4).  A message systemd
 * did not take is logged at debug level only: the daemon runs the same
 * outside systemd.
 */
#include <time.h>

#include <systemd/sd-daemon.h>

#include "sdnotify.h"
#include "supportd/log.h"

static void
say(const char *what, int r)
{
	if (r < 0)
		log_debug("daemon: sd_notify %s: error %d", what, -r);
}

void
sdn_starting(void)
{
	say("EXTEND_TIMEOUT_USEC", sd_notify(0, "EXTEND_TIMEOUT_USEC="
	    "1800000000\nSTATUS=starting: opening the database"));
}

void
sdn_ready(const char *status)
{
	say("READY", sd_notifyf(0, "READY=1\nSTATUS=%s", status));
}

void
sdn_status(const char *status)
{
	say("STATUS", sd_notifyf(0, "STATUS=%s", status));
}

void
sdn_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	say("RELOADING", sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\n"
	    "STATUS=reloading", (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000));
}

void
sdn_stopping(void)
{
	say("STOPPING", sd_notify(0, "STOPPING=1\nSTATUS=stopping"));
}

uint64_t
sdn_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void
sdn_watchdog(void)
{
	say("WATCHDOG", sd_notify(0, "WATCHDOG=1"));
}
