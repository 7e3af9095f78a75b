/* SPDX-License-Identifier: MIT */
/*
 * conf_priv.h - the machinery shared by conf.c (the table walker, value
 * parsers, load/free) and conf_keys.c (the key tables, built-in defaults
 * and the checks that span several settings).  Private to src/conf/, the
 * only place that sees <libconfig.h>.
 */
#ifndef SUPPORTD_CONF_PRIV_H
#define SUPPORTD_CONF_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/stat.h>

#include <libconfig.h>

#include "supportd/conf.h"

/*
 * What a key holds and how its value is written in the file.  The stored
 * C type is given after each; durations are strings with a unit.
 */
enum ck_type {
	CK_STR,		/* char *; a string */
	CK_INT,		/* int; an integer in [min, max] */
	CK_BOOL,	/* bool; true or false */
	CK_ENUM,	/* an int-sized enum; a string from .enums */
	CK_SECS,	/* int64_t seconds; a wall-clock duration */
	CK_SECS_INT,	/* int seconds; a wall-clock duration */
	CK_DUR,		/* struct sd_dur; any kind, not "none" */
	CK_SLA,		/* struct sd_dur; any kind or "none" */
	CK_SIZE,	/* int64_t bytes; "25M" or an integer */
	CK_TZ,		/* char *; a tz database name */
	CK_HHMM,	/* int minutes after midnight; "HH:MM" */
	CK_STRFN,	/* a string handed to .strfn */
	CK_STRV,	/* struct sd_strv; an array or list of strings */
	CK_DAYS,	/* unsigned day bits; an array of "Mon".."Sun" */
	CK_DATES,	/* struct sd_strv; an array of "YYYY-MM-DD" */
	CK_GROUP,	/* a nested group { }, keys in .sub */
	CK_LIST,	/* a list ( { }, ... ) of groups, see .list */
	CK_FUNC,	/* anything; .setfn does it all */
};

#define CK_REQUIRED	0x01	/* missing is an error */
#define CK_EMAIL	0x02	/* string(s) must look like an address */
#define CK_LOWER	0x04	/* string(s) stored lower-cased */
#define CK_NONEMPTY	0x08	/* string, or array, must not be empty */
#define CK_DOMAIN	0x10	/* string(s) must look like a domain name */
#define CK_SECRET	0x20	/* never echo the value in a message */
#define CK_PATH		0x40	/* relative: taken from the config's directory */
#define CK_SECRET_FILE	0x80	/* a file conf_check_files must read */
#define CK_LINES	0x100	/* string may hold line ends (and tabs) */

struct ctx;
struct conf_section;
struct conf_list;

struct conf_enum {
	const char	*name;
	int		 val;
};

/* Parses s into dst (base is the enclosing struct); returns NULL or the
 * problem, which the caller frees. */
typedef char	*(*ck_strfn)(const char *s, void *dst, void *base);
/* Handles the setting s (NULL when absent: apply the default). */
typedef void	 (*ck_setfn)(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
/* Checks a whole group after its keys were read; grp is NULL when the
 * group was absent and only defaults were applied. */
typedef void	 (*ck_checkfn)(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);

struct conf_key {
	const char			*name;
	enum ck_type			 type;
	size_t				 off;	/* into the enclosing struct */
	const char			*def;	/* as written in the file */
	unsigned			 flags;
	int64_t				 min, max;	/* both 0: unchecked */
	const struct conf_enum		*enums;
	const struct conf_section	*sub;
	const struct conf_list		*list;
	ck_strfn			 strfn;
	ck_setfn			 setfn;
};

struct conf_section {
	const struct conf_key	*keys;		/* ends with a NULL name */
	ck_checkfn		 check;		/* or NULL */
	const char		*unknown;	/* problem text for unknown names */
};

struct conf_list {
	const struct conf_section *sec;
	size_t		 elem_size;
	size_t		 arr_off;	/* the T * array in the parent struct */
	size_t		 n_off;		/* its size_t count */
	const char	*what;		/* "mailbox" */
	void		(*init)(void *elem);	/* or NULL */
};

/* One load. */
struct ctx {
	const char	*path;		/* the file given to conf_load */
	char		*dir;		/* its directory, absolute if possible */
	struct sd_strv	*errs;		/* borrowed, may be NULL */
	struct sd_strv	*warns;		/* borrowed, may be NULL */
	int		 nerr;
	struct sd_conf	*conf;		/* the one being read */
};

extern const struct conf_section conf_root_section;

/* Fills c->vendor_set from a loaded config (keys borrowed from c). */
void	conf_vendor_set_build(struct sd_conf *c);
/* Reads priorities and categories of the file's root into cx->conf. */
void	conf_vocabulary_read(struct ctx *cx, const config_setting_t *root);
/* Reads setting s as key k says into base + k->off. */
void	conf_read_value(struct ctx *cx, const config_setting_t *s,
	    const struct conf_key *k, void *base, const char *path);
/* Frees what pr holds and zeroes it. */
void	conf_priority_clear(struct sd_conf_priority *pr);
/* Frees what cal holds (not cal). */
void	conf_calendar_clear(struct sd_conf_calendar *cal);
/* path opened for reading if it is a regular file (O_NONBLOCK: a FIFO
 * named by mistake must not hang us), else -1 and *why_r. */
int	conf_open_regular(const char *path, struct stat *st,
	    const char **why_r);

/* Fills what the key table cannot: the per-priority defaults. */
void	conf_builtin_init(struct sd_conf *c);

/* The file setting s came from.  Caller owns. */
char	*conf_source_file(struct ctx *cx, const config_setting_t *s);
/* Keeps file, the secret file setting s (at path) names, for
 * conf_check_files. */
void	conf_note_file(struct ctx *cx, const config_setting_t *s,
	    const char *path, const char *file);

/* Errors and warnings "FILE:LINE: PATH: problem", at setting at (the
 * line is left out when at is NULL or the root). */
void	conf_error(struct ctx *cx, const config_setting_t *at, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	conf_warning(struct ctx *cx, const config_setting_t *at,
	    const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* The same, at member name of grp (or at grp when it has no such member);
 * the path is gpath.name. */
void	conf_error_at(struct ctx *cx, const config_setting_t *grp,
	    const char *gpath, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* NULL-safe config_setting_get_member / _get_elem. */
config_setting_t *conf_member(const config_setting_t *grp, const char *name);
config_setting_t *conf_elem(const config_setting_t *s, unsigned i);
/* "prefix.name", or "name" at the root; "prefix.[i]".  Caller owns. */
char	*conf_path_join(const char *prefix, const char *name);
char	*conf_path_index(const char *prefix, unsigned i);

/* Reads grp (NULL: absent) against sec into base. */
void	conf_section_read(struct ctx *cx, const config_setting_t *grp,
	    const struct conf_section *sec, void *base, const char *path);

/* 127.0.0.0/8, ::1, localhost (brackets allowed). */
bool	conf_host_is_loopback(const char *host);
/* Whether the file the setting came from is open to group or others. */
bool	conf_file_open_to_others(struct ctx *cx, const config_setting_t *s);

/* conf_values.c: the values conf.c's walker checks. */
extern const char *const cv_day_names[7];
int	 cv_duration(const char *s, bool allow_none, struct sd_dur *d_r);
int	 cv_parse_hhmm(const char *s, int *min_r);
int	 cv_parse_day(const char *s);
bool	 cv_valid_date(const char *s);
bool	 cv_looks_like_address(const char *s);
bool	 cv_looks_like_domain(const char *s);

#endif
