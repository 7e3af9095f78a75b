/* SPDX-License-Identifier: MIT */
/* supportctl.h - private to src/admin/: what the commands share. */
#ifndef SUPPORTD_SUPPORTCTL_H
#define SUPPORTD_SUPPORTCTL_H

#include <stdbool.h>

#include "supportd/conf.h"
#include "supportd/ingest.h"
#include "supportd/sla.h"
#include "supportd/store.h"
#include "supportd/tmpl.h"

struct ctx {
	const char		*conf_path;
	struct sd_conf		*conf;
	struct sd_store		*store;
	/* For commands that change tickets or send: the same pipeline as
	 * the daemon (needs_ingest). */
	struct sd_tmpl_set	*tmpl;
	struct sd_calendar	*calendar;
	struct sd_ingest	 ingest;
	const char		*cmd;		/* the command's name */
	unsigned		 opts;		/* and its options, O_* */
};

/* The options a command may take (struct command's opts); --now is
 * every command's. */
enum {
	O_JSON = 1 << 0, O_ALL = 1 << 1, O_STATUS = 1 << 2,
	O_PRIORITY = 1 << 3, O_BY = 1 << 4, O_SINCE = 1 << 5,
	O_FILE = 1 << 6, O_INTERNAL = 1 << 7, O_TICKET = 1 << 8,
	O_NOW = 1 << 9,
};

/* The commands' options; getopt state is reset per call. */
struct listopts {
	bool		 json;
	bool		 all;
	const char	*status;
	const char	*priority;
	const char	*by;
	const char	*since;
	const char	*file;
	bool		 internal;
	int64_t		 ticket;
};

/* Parses a command's options (argv[0] is the command); -1 on a bad one
 * or one the command does not take (cx->opts).  optind is left at the
 * first operand. */
int	parse_listopts(const struct ctx *cx, int argc, char **argv,
	    struct listopts *lo);

#endif
