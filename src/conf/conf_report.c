/* SPDX-License-Identifier: MIT */
/*
 * conf_report.c - where a setting is: its file and line in messages
 * ("FILE:LINE: SETTING: problem"), the paths of settings, and the secret
 * files settings name (for conf_check_files).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "supportd/conf.h"
#include "supportd/util.h"

#include "conf_priv.h"

static void	 report(struct ctx *cx, struct sd_strv *to,
		    const config_setting_t *at, const char *path,
		    const char *fmt, va_list ap)
		    __attribute__((format(printf, 5, 0)));

/* libconfig names an @include'd file as written in the directive,
 * which is relative to the config's directory (config_set_include_dir). */
char *
conf_source_file(struct ctx *cx, const config_setting_t *s)
{
	const char *file = s ? config_setting_source_file(s) : NULL;

	if (file == NULL || strcmp(file, cx->path) == 0)
		return xstrdup(cx->path);
	if (*file == '/')
		return xstrdup(file);
	return xasprintf("%s/%s", cx->dir, file);
}

void
conf_note_file(struct ctx *cx, const config_setting_t *s, const char *path,
    const char *file)
{
	struct sd_conf	*c = cx->conf;
	char		*src;

	if (file == NULL || c == NULL)
		return;
	src = conf_source_file(cx, s);
	c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof(*c->files));
	c->files[c->nfiles].path = xstrdup(file);
	c->files[c->nfiles++].where = xasprintf("%s:%u: %s", src,
	    config_setting_source_line(s), path);
	free(src);
}

static void
report(struct ctx *cx, struct sd_strv *to, const config_setting_t *at,
    const char *path, const char *fmt, va_list ap)
{
	unsigned	 line = at ? config_setting_source_line(at) : 0;
	char		*file, *problem, *msg;

	file = conf_source_file(cx, at);
	if (vasprintf(&problem, fmt, ap) == -1)
		abort();
	if (line > 0)
		msg = xasprintf("%s:%u: %s: %s", file, line, path, problem);
	else
		msg = xasprintf("%s: %s: %s", file, path, problem);
	if (to != NULL)
		strv_push(to, msg);
	free(msg);
	free(problem);
	free(file);
}

void
conf_error(struct ctx *cx, const config_setting_t *at, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	cx->nerr++;
	va_start(ap, fmt);
	report(cx, cx->errs, at, path, fmt, ap);
	va_end(ap);
}

void
conf_warning(struct ctx *cx, const config_setting_t *at, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cx, cx->warns, at, path, fmt, ap);
	va_end(ap);
}

void
conf_error_at(struct ctx *cx, const config_setting_t *grp, const char *gpath,
    const char *name, const char *fmt, ...)
{
	const config_setting_t	*at;
	char			*path;
	va_list			 ap;

	if ((at = conf_member(grp, name)) == NULL)
		at = grp;
	path = conf_path_join(gpath, name);
	cx->nerr++;
	va_start(ap, fmt);
	report(cx, cx->errs, at, path, fmt, ap);
	va_end(ap);
	free(path);
}

config_setting_t *
conf_member(const config_setting_t *grp, const char *name)
{
	if (grp == NULL || !config_setting_is_group(grp))
		return NULL;
	return config_setting_get_member(grp, name);
}

config_setting_t *
conf_elem(const config_setting_t *s, unsigned i)
{
	if (s == NULL || !config_setting_is_aggregate(s))
		return NULL;
	return config_setting_get_elem(s, i);
}

char *
conf_path_join(const char *prefix, const char *name)
{
	if (prefix == NULL || *prefix == '\0')
		return xstrdup(name);
	return xasprintf("%s.%s", prefix, name);
}

char *
conf_path_index(const char *prefix, unsigned i)
{
	return xasprintf("%s.[%u]", prefix, i);
}
