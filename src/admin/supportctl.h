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
};

/* Options shared by the listing commands; getopt state is reset per call. */
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

/* Parses a command's options (argv[0] is the command); -1 on a bad one.
 * optind is left at the first operand. */
int	parse_listopts(int argc, char **argv, struct listopts *lo);

#endif
