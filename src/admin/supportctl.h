/* SPDX-License-Identifier: MIT */
/* supportctl.h - private to src/admin/: what the commands share. */
#ifndef SUPPORTD_SUPPORTCTL_H
#define SUPPORTD_SUPPORTCTL_H

#include <stdbool.h>

#include <glib.h>

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
	struct sd_calendars	*calendars;
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
	O_NOW = 1 << 9, O_FILTER = 1 << 10, O_LIMIT = 1 << 11,
	O_OUTPUT = 1 << 12, O_ATTACH = 1 << 13, O_FORMAT = 1 << 14,
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
	/* list's filters (O_FILTER) */
	const char	*assignee, *org, *tier, *category, *due_before, *sort;
	bool		 breached;
	int		 limit;
	const char	*output;	/* -o FILE */
	const char	*format;	/* --format (report) */
	const char	*attach[32];	/* --attach FILE, repeated */
	int		 nattach;
};

/* Parses a command's options (argv[0] is the command); -1 on a bad one
 * or one the command does not take (cx->opts).  optind is left at the
 * first operand. */
int	parse_listopts(const struct ctx *cx, int argc, char **argv,
	    struct listopts *lo);

/* The width of the priority column: the longest configured name. */
int	prio_width(const struct sd_conf *c);

/* A command's output (out.c): JSON members and structure are written
 * only with --json, text only without; out_end prints it. */
struct out {
	GString		*s;
	char		*tbuf;		/* out_when's */
	bool		 json;
	const char	*tz;
	int		 depth;
	bool		 first[8];	/* per depth: no member yet */
	char		 close[8];	/* per depth: '}' or ']' */
};
void	out_begin(struct out *o, const struct ctx *cx, bool json);
/* Prints (JSON gets its newline) when print; frees in any case. */
void	out_end(struct out *o, bool print);
/* An object or array: the member key, or (key NULL) an element. */
void	out_obj(struct out *o, const char *key);
void	out_arr(struct out *o, const char *key);
void	out_close(struct out *o);
/* key NULL: an element of the enclosing array. */
void	out_str(struct out *o, const char *key, const char *v);
void	out_int(struct out *o, const char *key, int64_t v);
/* 0 is null, as for optional ids. */
void	out_int_or_null(struct out *o, const char *key, int64_t v);
void	out_null(struct out *o, const char *key);
void	out_bool(struct out *o, const char *key, bool v);
/* A time in the calendar's zone, ISO 8601 (0: null). */
void	out_time(struct out *o, const char *key, sd_time t);
void	out_text(struct out *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A time for out_text, in the calendar's zone; valid until the next
 * call. */
const char *out_when(struct out *o, sd_time t);

/* Every OAuth2 login's state, as elements of the open array (cmd_oauth.c);
 * *bad_r set when one cannot get a token by itself, *n_r the number of
 * logins.  0, or -1 with err. */
int	oauth_rows(struct ctx *cx, struct out *o, bool *bad_r, int *n_r,
	    struct sd_err *err);

#endif
