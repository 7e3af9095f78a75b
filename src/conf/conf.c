/* SPDX-License-Identifier: MIT */
/*
 * conf.c - loads the configuration file (SPEC §12) into an immutable
 * struct sd_conf.  This file is the walker: it reads the libconfig tree
 * against the declarative key tables of conf_keys.c, which give each
 * setting's type, default and limits, so that types, defaults and the
 * unknown-setting check all come from one place.  Every problem is
 * collected as "FILE:LINE: SETTING: problem" rather than stopping at the
 * first, so one `check-config` run shows them all.  Every string is copied
 * out of libconfig before config_destroy(); nothing of libconfig escapes.
 * The values themselves are read by conf_values.c.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <libconfig.h>

#include "supportd/conf.h"
#include "supportd/thread.h"
#include "supportd/err.h"
#include "supportd/util.h"

#include "conf_priv.h"

/* Values are echoed in messages; a long one is cut. */
#define ECHO_MAX	80

static const char *expected(const struct conf_key *k);
static bool	 is_string_kind(enum ck_type t);
static char	*string_problem(const struct conf_key *k, const char *s);
static char	*parse_str(const struct conf_key *k, const char *s,
		    void *base);
static char	*parse_elem(const struct conf_key *k, const char *s,
		    void *base);
static char	*range_problem(const struct conf_key *k, int64_t v);
static void	 read_strings(struct ctx *cx, const config_setting_t *s,
		    const struct conf_key *k, void *base, const char *path);
static void	 read_list(struct ctx *cx, const config_setting_t *s,
		    const struct conf_key *k, void *base, const char *path);
static void	 apply_default(struct ctx *cx, const config_setting_t *grp,
		    const struct conf_key *k, void *base, const char *path);
static void	 clear_value(const struct conf_key *k, void *base);
static void	 absolutize(struct ctx *cx, const struct conf_key *k,
		    void *base);
static void	 free_mailbox(struct sd_conf_mailbox *mb);

/* Enums are stored through an int *; make sure they are int-sized. */
_Static_assert(sizeof(enum sd_tls) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sd_processed) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sd_clock) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sd_met_by) == sizeof(int), "enum size");

/*
 * The walker.
 */

void
conf_section_read(struct ctx *cx, const config_setting_t *grp,
    const struct conf_section *sec, void *base, const char *path)
{
	const struct conf_key	*k;
	config_setting_t	*s;
	const char		*name;
	char			*kpath;
	bool			 seen[64] = { false };
	size_t			 nkeys, ki;

	for (nkeys = 0; sec->keys[nkeys].name != NULL; nkeys++)
		;
	g_assert(nkeys <= nitems(seen));

	for (int i = 0; grp != NULL && i < config_setting_length(grp); i++) {
		s = config_setting_get_elem(grp, (unsigned)i);
		name = config_setting_name(s);
		kpath = conf_path_join(path, name);
		for (ki = 0; ki < nkeys; ki++)
			if (strcmp(sec->keys[ki].name, name) == 0)
				break;
		if (ki == nkeys) {
			conf_error(cx, s, kpath, "%s",
			    sec->unknown ? sec->unknown : "unknown setting");
		} else {
			seen[ki] = true;
			conf_read_value(cx, s, &sec->keys[ki], base, kpath);
			absolutize(cx, &sec->keys[ki], base);
			if (sec->keys[ki].flags & CK_SECRET_FILE)
				conf_note_file(cx, s, kpath, *(char **)(void *)
				    ((char *)base + sec->keys[ki].off));
		}
		free(kpath);
	}

	for (ki = 0; ki < nkeys; ki++) {
		k = &sec->keys[ki];
		if (seen[ki])
			continue;
		kpath = conf_path_join(path, k->name);
		if (k->flags & CK_REQUIRED)
			conf_error(cx, grp, kpath, "required setting missing");
		else {
			apply_default(cx, grp, k, base, kpath);
			absolutize(cx, k, base);
		}
		free(kpath);
	}

	if (sec->check != NULL)
		sec->check(cx, grp, base, path);
}

static void
apply_default(struct ctx *cx, const config_setting_t *grp,
    const struct conf_key *k, void *base, const char *path)
{
	void	*dst = (char *)base + k->off;
	char	*problem = NULL, *copy;

	switch (k->type) {
	case CK_GROUP:
		conf_section_read(cx, NULL, k->sub, dst, path);
		return;
	case CK_FUNC:
		k->setfn(cx, NULL, base, path);
		return;
	case CK_LIST:
		return;		/* none */
	case CK_INT:
		if (k->def != NULL)
			*(int *)dst = (int)strtol(k->def, NULL, 10);
		return;
	case CK_BOOL:
		if (k->def != NULL)
			*(bool *)dst = strcmp(k->def, "true") == 0;
		return;
	case CK_STRV:
	case CK_DAYS:
	case CK_DATES:
		if (k->def == NULL)
			return;
		/* A list default is written as words. */
		for (const char *w = k->def; *w != '\0' && problem == NULL;
		    w += strspn(w, " ")) {
			size_t len = strcspn(w, " ");

			copy = xstrndup(w, len);
			problem = parse_elem(k, copy, base);
			free(copy);
			w += len;
		}
		break;
	default:
		if (k->def != NULL)
			problem = parse_str(k, k->def, base);
		break;
	}
	if (problem != NULL) {
		/* A broken table: say so loudly, at the group. */
		conf_error(cx, grp, path, "bad built-in default: %s", problem);
		free(problem);
	}
}

static const char *
expected(const struct conf_key *k)
{
	switch (k->type) {
	case CK_INT:
		return "expected an integer";
	case CK_BOOL:
		return "expected true or false";
	case CK_SECS:
	case CK_SECS_INT:
	case CK_DUR:
		return "expected a duration string such as \"30m\"";
	case CK_SLA:
		return "expected a duration string such as \"4bh\", "
		    "or \"none\"";
	case CK_SIZE:
		return "expected a size such as \"25M\", or an integer";
	case CK_HHMM:
		return "expected a time string \"HH:MM\"";
	case CK_STRV:
	case CK_DAYS:
	case CK_DATES:
		return "expected an array of strings [ \"...\" ]";
	case CK_GROUP:
		return "expected a group { ... }";
	case CK_LIST:
		return "expected a list of groups ( { ... } )";
	default:
		return "expected a string";
	}
}

static bool
is_string_kind(enum ck_type t)
{
	switch (t) {
	case CK_STR:
	case CK_ENUM:
	case CK_SECS:
	case CK_SECS_INT:
	case CK_DUR:
	case CK_SLA:
	case CK_TZ:
	case CK_HHMM:
	case CK_STRFN:
		return true;
	default:
		return false;
	}
}

void
conf_read_value(struct ctx *cx, const config_setting_t *s, const struct conf_key *k,
    void *base, const char *path)
{
	void		*dst = (char *)base + k->off;
	int		 t = config_setting_type(s);
	int64_t		 v;
	char		*problem = NULL;

	if (is_string_kind(k->type)) {
		if (t != CONFIG_TYPE_STRING) {
			conf_error(cx, s, path, "%s", expected(k));
			return;
		}
		problem = parse_str(k, config_setting_get_string(s), base);
	} else switch (k->type) {
	case CK_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
			conf_error(cx, s, path, "%s", expected(k));
			return;
		}
		v = config_setting_get_int64(s);
		if ((problem = range_problem(k, v)) == NULL) {
			if (v < INT32_MIN || v > INT32_MAX)
				problem = xstrdup("integer out of range");
			else
				*(int *)dst = (int)v;
		}
		break;
	case CK_BOOL:
		if (t != CONFIG_TYPE_BOOL) {
			conf_error(cx, s, path, "%s", expected(k));
			return;
		}
		*(bool *)dst = config_setting_get_bool(s);
		break;
	case CK_SIZE:
		if (t == CONFIG_TYPE_STRING) {
			problem = parse_str(k, config_setting_get_string(s),
			    base);
		} else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
			v = config_setting_get_int64(s);
			if ((problem = range_problem(k, v)) == NULL)
				*(int64_t *)dst = v;
		} else {
			conf_error(cx, s, path, "%s", expected(k));
			return;
		}
		break;
	case CK_STRV:
	case CK_DAYS:
	case CK_DATES:
		read_strings(cx, s, k, base, path);
		return;
	case CK_GROUP:
		if (t != CONFIG_TYPE_GROUP) {
			/* Its keys are neither read nor reported missing. */
			conf_error(cx, s, path, "%s", expected(k));
			return;
		}
		conf_section_read(cx, s, k->sub, dst, path);
		return;
	case CK_LIST:
		read_list(cx, s, k, base, path);
		return;
	case CK_FUNC:
		k->setfn(cx, s, base, path);
		return;
	default:
		g_assert_not_reached();
	}
	if (problem != NULL) {
		conf_error(cx, s, path, "%s", problem);
		free(problem);
	}
}

/* An array [ ] or a list ( ) of strings; each element is checked, and
 * reported, on its own. */
static void
read_strings(struct ctx *cx, const config_setting_t *s,
    const struct conf_key *k, void *base, const char *path)
{
	config_setting_t	*e;
	char			*epath, *problem;
	int			 t = config_setting_type(s), n;

	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		conf_error(cx, s, path, "%s", expected(k));
		return;
	}
	clear_value(k, base);
	n = config_setting_length(s);
	if (n == 0 && (k->flags & CK_NONEMPTY)) {
		conf_error(cx, s, path, "must not be empty");
		return;
	}
	for (int i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		epath = conf_path_index(path, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			conf_error(cx, e, epath, "expected a string");
		else if ((problem = parse_elem(k, config_setting_get_string(e),
		    base)) != NULL) {
			conf_error(cx, e, epath, "%s", problem);
			free(problem);
		}
		free(epath);
	}
}

static void
read_list(struct ctx *cx, const config_setting_t *s, const struct conf_key *k,
    void *base, const char *path)
{
	const struct conf_list	*l = k->list;
	config_setting_t	*e;
	char			*epath, *arr;
	int			 t = config_setting_type(s), n;

	n = config_setting_length(s);
	/* "x = [];" parses as an empty array; take it as an empty list. */
	if (t != CONFIG_TYPE_LIST && !(t == CONFIG_TYPE_ARRAY && n == 0)) {
		conf_error(cx, s, path, "%s", expected(k));
		return;
	}
	if (n == 0) {
		if (k->flags & CK_REQUIRED)
			conf_error(cx, s, path, "at least one %s is required",
			    l->what);
		return;
	}
	arr = xcalloc((size_t)n, l->elem_size);
	*(void **)((char *)base + l->arr_off) = arr;
	*(size_t *)((char *)base + l->n_off) = (size_t)n;
	for (int i = 0; i < n; i++) {
		void *elem = arr + (size_t)i * l->elem_size;

		e = config_setting_get_elem(s, (unsigned)i);
		epath = conf_path_index(path, (unsigned)i);
		if (l->init != NULL)
			l->init(elem);
		if (!config_setting_is_group(e))
			conf_error(cx, e, epath, "expected a group { ... }");
		else
			conf_section_read(cx, e, l->sec, elem, epath);
		free(epath);
	}
}

/* Frees what a key already holds (a default) before it is set again. */
static void
clear_value(const struct conf_key *k, void *base)
{
	void *dst = (char *)base + k->off;

	switch (k->type) {
	case CK_STR:
	case CK_TZ:
		free(*(char **)dst);
		*(char **)dst = NULL;
		break;
	case CK_STRV:
	case CK_DATES:
		strv_free(dst);
		break;
	case CK_DAYS:
		*(unsigned *)dst = 0;
		break;
	default:
		break;
	}
}

/*
 * A relative path is taken from the config file's directory, so that a
 * daemon that changes directory, or a config moved with its files, still
 * finds them.
 */
static void
absolutize(struct ctx *cx, const struct conf_key *k, void *base)
{
	char **dst = (char **)((char *)base + k->off);
	char *abs;

	if (!(k->flags & CK_PATH) || *dst == NULL || **dst == '/' ||
	    **dst == '\0')
		return;
	abs = xasprintf("%s/%s", cx->dir, *dst);
	free(*dst);
	*dst = abs;
}

/*
 * Values.
 */

static char *
string_problem(const struct conf_key *k, const char *s)
{
	if (!(k->flags & CK_SECRET))
		for (const char *p = s; *p != '\0'; p++)
			if (iscntrl((unsigned char)*p) && !((k->flags &
			    CK_LINES) && (*p == '\n' || *p == '\t')))
				return xstrdup("contains a control character");
	if (*s == '\0' && (k->flags & (CK_NONEMPTY | CK_EMAIL | CK_DOMAIN |
	    CK_SECRET)))
		return xstrdup("must not be empty");
	if ((k->flags & CK_EMAIL) && !cv_looks_like_address(s))
		return xasprintf("expected an e-mail address, got \"%.*s\"",
		    ECHO_MAX, s);
	if ((k->flags & CK_DOMAIN) && !cv_looks_like_domain(s))
		return xasprintf("bad domain name \"%.*s\"", ECHO_MAX, s);
	return NULL;
}

static char *
range_problem(const struct conf_key *k, int64_t v)
{
	const char	*unit = "";
	char		 num[32];
	int64_t		 lim;

	if (k->min == 0 && k->max == 0)
		return NULL;
	if (v >= k->min && (k->max == 0 || v <= k->max))
		return NULL;
	if (v < k->min && k->min == 0)
		return xstrdup("must not be negative");
	if (v < k->min && k->min == 1 && k->type != CK_INT)
		return xstrdup("must be greater than zero");
	lim = v < k->min ? k->min : k->max;
	snprintf(num, sizeof(num), "%" PRId64, lim);
	if (k->type == CK_SECS || k->type == CK_SECS_INT)
		unit = "s";
	else if (k->type == CK_SIZE) {
		/* Say "1G" rather than 1073741824. */
		static const char sfx[] = "KMG";

		for (int i = 2; i >= 0; i--)
			if (lim % (1LL << (10 * (i + 1))) == 0) {
				snprintf(num, sizeof(num), "%" PRId64 "%c",
				    lim >> (10 * (i + 1)), sfx[i]);
				break;
			}
	}
	return xasprintf("must be at %s %s%s", v < k->min ? "least" : "most",
	    num, unit);
}

/* A scalar string value for key k. */
static char *
parse_str(const struct conf_key *k, const char *s, void *base)
{
	void		*dst = (char *)base + k->off;
	struct sd_dur	 d;
	GTimeZone	*tz;
	int64_t		 v;
	char		*problem, *names;
	int		 r, m;

	if ((problem = string_problem(k, s)) != NULL)
		return problem;

	switch (k->type) {
	case CK_STR:
		clear_value(k, base);
		*(char **)dst = (k->flags & CK_LOWER) ? sd_strdup_lower(s) :
		    xstrdup(s);
		return NULL;
	case CK_ENUM:
		for (const struct conf_enum *e = k->enums; e->name; e++)
			if (strcmp(e->name, s) == 0) {
				*(int *)dst = e->val;
				return NULL;
			}
		names = xstrdup("");
		for (const struct conf_enum *e = k->enums; e->name; e++) {
			char *t = xasprintf("%s%s%s", names,
			    e == k->enums ? "" : ", ", e->name);
			free(names);
			names = t;
		}
		problem = xasprintf("unknown value \"%.*s\" (use %s)",
		    ECHO_MAX, s, names);
		free(names);
		return problem;
	case CK_SECS:
	case CK_SECS_INT:
	case CK_DUR:
	case CK_SLA:
		r = cv_duration(s, k->type == CK_SLA, &d);
		if (r == -2)
			return xasprintf("duration \"%.*s\" is longer than "
			    "10 years", ECHO_MAX, s);
		if (r == -1)
			return xasprintf("bad duration \"%.*s\" (use s, m, h, "
			    "d, bh, bd%s)", ECHO_MAX, s,
			    k->type == CK_SLA ? ", or none" : "");
		if (k->type == CK_DUR || k->type == CK_SLA) {
			if (d.kind != SD_DUR_NONE && d.n <= 0)
				return xstrdup("must be greater than zero");
			*(struct sd_dur *)dst = d;
			return NULL;
		}
		if (d.kind != SD_DUR_WALL)
			return xasprintf("\"%.*s\" is business time; this "
			    "setting runs on the wall clock (use s, m, h, d)",
			    ECHO_MAX, s);
		if ((problem = range_problem(k, d.n)) != NULL)
			return problem;
		if (k->type == CK_SECS)
			*(int64_t *)dst = d.n;
		else
			*(int *)dst = (int)d.n;	/* bounded by max */
		return NULL;
	case CK_SIZE:
		if (conf_parse_size(s, &v) == -1)
			return xasprintf("bad size \"%.*s\" (use a number "
			    "with K, M or G)", ECHO_MAX, s);
		if ((problem = range_problem(k, v)) != NULL)
			return problem;
		*(int64_t *)dst = v;
		return NULL;
	case CK_TZ:
		/* GLib would also take a file path here; we want a zone
		 * name from the system tz database. */
		if (*s == '\0' || *s == '/' || *s == ':' ||
		    strstr(s, "..") != NULL ||
		    (tz = g_time_zone_new_identifier(s)) == NULL)
			return xasprintf("unknown time zone \"%.*s\"",
			    ECHO_MAX, s);
		g_time_zone_unref(tz);
		clear_value(k, base);
		*(char **)dst = xstrdup(s);
		return NULL;
	case CK_HHMM:
		if (cv_parse_hhmm(s, &m) == -1)
			return xasprintf("bad time \"%.*s\" (use HH:MM, "
			    "00:00 to 24:00)", ECHO_MAX, s);
		*(int *)dst = m;
		return NULL;
	case CK_STRFN:
		return k->strfn(s, dst, base);
	default:
		g_assert_not_reached();
	}
	return NULL;
}

/* One element of an array-valued key. */
static char *
parse_elem(const struct conf_key *k, const char *s, void *base)
{
	void	*dst = (char *)base + k->off;
	char	*problem;
	int	 day;

	if ((problem = string_problem(k, s)) != NULL)
		return problem;
	switch (k->type) {
	case CK_STRV:
		if (*s == '\0')
			return xstrdup("must not be empty");
		if (k->flags & CK_LOWER) {
			char *low = sd_strdup_lower(s);

			strv_push(dst, low);
			free(low);
		} else
			strv_push(dst, s);
		return NULL;
	case CK_DATES:
		if (!cv_valid_date(s))
			return xasprintf("bad date \"%.*s\" (use YYYY-MM-DD)",
			    ECHO_MAX, s);
		strv_push(dst, s);
		return NULL;
	case CK_DAYS:
		if ((day = cv_parse_day(s)) == -1)
			return xasprintf("unknown day \"%.*s\" (use Mon, Tue, "
			    "Wed, Thu, Fri, Sat, Sun)", ECHO_MAX, s);
		if (*(unsigned *)dst & (1u << day))
			return xasprintf("day \"%s\" given twice",
			    cv_day_names[day]);
		*(unsigned *)dst |= 1u << day;
		return NULL;
	default:
		g_assert_not_reached();
	}
	return NULL;
}

/*
 * Public parsers.
 */

bool
conf_file_open_to_others(struct ctx *cx, const config_setting_t *s)
{
	struct stat	 st;
	char		*file = conf_source_file(cx, s);
	bool		 open = stat(file, &st) == 0 && (st.st_mode & 077) != 0;

	free(file);
	return open;
}

/*
 * Load and free.
 */

int
conf_load(const char *path, struct sd_conf **conf_r, struct sd_strv *errs,
    struct sd_strv *warns)
{
	struct ctx	 cx = { .path = path, .errs = errs, .warns = warns };
	struct sd_conf	*c = NULL;
	config_t	 cfg;
	struct stat	 st;
	FILE		*fp;
	const char	*file, *text;
	char		*msg, *dir, *base, *ffile;
	int		 ret = -1, e;

	*conf_r = NULL;

	/* libconfig says only "file I/O error"; find the errno first. */
	if ((fp = fopen(path, "re")) == NULL ||
	    (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode))) {
		e = fp == NULL ? errno : EISDIR;
		if (fp != NULL)
			fclose(fp);
		msg = xasprintf("%s: cannot read: %s", path, strerror(e));
		if (errs != NULL)
			strv_push(errs, msg);
		free(msg);
		return -1;
	}
	fclose(fp);

	/* dirname() may write into its argument: call it once. */
	dir = xstrdup(path);
	base = dirname(dir);
	if ((cx.dir = realpath(base, NULL)) == NULL)
		cx.dir = xstrdup(base);
	free(dir);

	config_init(&cfg);
	config_set_auto_convert(&cfg, 0);
	/* @include names a file beside the config, not in our cwd. */
	config_set_include_dir(&cfg, cx.dir);

	if (!config_read_file(&cfg, path)) {
		/* As in source_file(): an include is named as written. */
		file = config_error_file(&cfg);
		if (file == NULL || strcmp(file, path) == 0)
			ffile = xstrdup(path);
		else if (*file == '/')
			ffile = xstrdup(file);
		else
			ffile = xasprintf("%s/%s", cx.dir, file);
		file = ffile;
		text = config_error_text(&cfg) ? config_error_text(&cfg) :
		    "unknown error";
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			msg = xasprintf("%s: cannot read: %s", file, text);
		else if (strcmp(text, "syntax error") == 0)
			/* Not "syntax error: syntax error". */
			msg = xasprintf("%s:%d: syntax error", file,
			    config_error_line(&cfg));
		else
			msg = xasprintf("%s:%d: syntax error: %s", file,
			    config_error_line(&cfg), text);
		if (errs != NULL)
			strv_push(errs, msg);
		free(msg);
		free(ffile);
		goto out;
	}

	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	cx.conf = c;
	conf_builtin_init(c);
	conf_vocabulary_read(&cx, config_root_setting(&cfg));
	conf_section_read(&cx, config_root_setting(&cfg), &conf_root_section,
	    c, "");
	if (cx.nerr > 0)
		goto out;
	conf_vendor_set_build(c);
	*conf_r = c;
	c = NULL;
	ret = 0;
 out:
	conf_free(&c);
	config_destroy(&cfg);
	free(cx.dir);
	return ret;
}

void
conf_calendar_clear(struct sd_conf_calendar *cal)
{
	free(cal->name);
	free(cal->timezone);
	strv_free(&cal->holidays);
	free(cal->holidays_ics);
}

void
conf_priority_clear(struct sd_conf_priority *pr)
{
	free(pr->name);
	free(pr->label);
	free(pr->description);
	strv_free(&pr->markers);
	memset(pr, 0, sizeof(*pr));
}

static void
free_oauth2(struct sd_conf_oauth2 *o)
{
	free(o->tenant);
	free(o->token_url);
	free(o->device_url);
	free(o->client_id);
	free(o->client_secret_file);
	free(o->scope);
	free(o->key_file);
	free(o->subject);
	free(o->ca_file);
}

static void
free_mailbox(struct sd_conf_mailbox *mb)
{
	free(mb->name);
	free(mb->address);
	free(mb->display_name);
	free(mb->move_folder);
	free(mb->reply_address);
	thread_note_free(&mb->note);
	free(mb->imap.host);
	free(mb->imap.user);
	secret_free(&mb->imap.password);
	free(mb->imap.password_file);
	free(mb->imap.folder);
	free(mb->imap.ca_file);
	free_oauth2(&mb->imap.oauth2);
}

void
conf_free(struct sd_conf **conf)
{
	struct sd_conf *c;

	if (conf == NULL || (c = *conf) == NULL)
		return;
	free(c->path);
	free(c->database);
	free(c->templates_dir);
	free(c->ticket_tag);
	strv_free(&c->agents);
	for (size_t i = 0; i < c->nagent_info; i++) {
		free(c->agent_info[i].email);
		free(c->agent_info[i].name);
		free(c->agent_info[i].signature);
	}
	g_free(c->agent_info);
	free(c->trusted_authserv_id);
	for (size_t i = 0; i < c->nmailboxes; i++)
		free_mailbox(&c->mailboxes[i]);
	free(c->mailboxes);
	free(c->smtp.url);
	free(c->smtp.user);
	secret_free(&c->smtp.password);
	free(c->smtp.password_file);
	free(c->smtp.ca_file);
	free_oauth2(&c->smtp.oauth2);
	conf_calendar_clear(&c->calendar);
	for (size_t i = 0; i < c->ncalendars; i++)
		conf_calendar_clear(&c->calendars[i]);
	free(c->calendars);
	for (int p = 0; p < SD_MAXPRIO; p++)
		conf_priority_clear(&c->priorities[p]);
	for (size_t i = 0; i < c->ncategories; i++) {
		free(c->categories[i].name);
		strv_free(&c->categories[i].tags);
	}
	free(c->categories);
	free(c->default_category);
	free(c->urgent_markers);
	for (size_t i = 0; i < c->ntiers; i++) {
		free(c->tiers[i].name);
		free(c->tiers[i].calendar);
	}
	free(c->tiers);
	for (size_t i = 0; i < c->norgs; i++) {
		free(c->orgs[i].name);
		strv_free(&c->orgs[i].domains);
		free(c->orgs[i].tier);
		free(c->orgs[i].calendar);
		for (int l = 0; l < SD_MAXLEVEL; l++)
			free(c->orgs[i].contacts[l]);
	}
	free(c->orgs);
	for (int l = 0; l < SD_MAXLEVEL; l++) {
		free(c->escalation[l]);
		free(c->escalation_names[l]);
	}
	strv_free(&c->team_emails);
	strv_free(&c->oncall_emails);
	strv_free(&c->admin_emails);
	free(c->metrics_listen);
	if (c->vendor_set != NULL)
		g_hash_table_destroy(c->vendor_set);
	free(c->oncall_webhook);
	free(c->oncall_webhook_token_file);
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].where);
	}
	free(c->files);
	free(c);
	*conf = NULL;
}
