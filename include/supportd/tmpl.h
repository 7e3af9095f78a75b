/* SPDX-License-Identifier: MIT */
/*
 * tmpl.h - reply templates (SPEC §9).  A template file is header lines
 * ("Subject: ...") then a blank line then the body.  {{name}} inserts a
 * value; {{#name}}...{{/name}} keeps its text when the value is set and
 * not empty, {{^name}}...{{/name}} when it is not.  Templates are checked
 * when loaded: an unknown placeholder, an unclosed or mismatched section
 * or a missing header block is an error naming file and line.  Pure: no
 * I/O but reading the files at load.
 */
#ifndef SUPPORTD_TMPL_H
#define SUPPORTD_TMPL_H

#include <stddef.h>

#include "supportd/util.h"

struct sd_tmpl;
struct sd_tmpl_set;
struct sd_tmpl_vars;

/* The shipped templates, all required in a templates_dir. */
extern const char *const tmpl_names[];
extern const size_t tmpl_nnames;

/* Parses one template from memory; file names it in errors.  Returns the
 * template (caller owns; tmpl_free) or NULL with errors appended. */
struct sd_tmpl *tmpl_parse(const char *file, const char *buf, size_t len,
	    struct sd_strv *errs);
void	tmpl_free(struct sd_tmpl **t);

/* Loads every template of tmpl_names from dir.  0 and *set_r (caller
 * owns; tmpl_set_free), or -1 with every error appended to errs. */
int	tmpl_set_load(const char *dir, struct sd_tmpl_set **set_r,
	    struct sd_strv *errs);
void	tmpl_set_free(struct sd_tmpl_set **set);
/* Borrowed, valid while the set lives; NULL if unknown. */
const struct sd_tmpl *tmpl_get(const struct sd_tmpl_set *set, const char *name);

/* Whether t has the placeholder name (its value is worth computing). */
bool	tmpl_uses(const struct sd_tmpl *t, const char *name);

/* Values for rendering.  Names are the placeholders without braces;
 * a name no template may use is ignored. */
struct sd_tmpl_vars *tmpl_vars_new(void);
void	tmpl_vars_set(struct sd_tmpl_vars *v, const char *name, const char *value);
void	tmpl_vars_free(struct sd_tmpl_vars **v);

/* A rendered message: the Subject header, the other headers as "Name:
 * value" lines (CR/LF removed from values), and the body.  All owned. */
struct sd_rendered {
	char		*subject;
	struct sd_strv	 headers;
	char		*body;
};
void	tmpl_render(const struct sd_tmpl *t, const struct sd_tmpl_vars *v,
	    struct sd_rendered *out);
void	tmpl_rendered_clear(struct sd_rendered *out);

#endif
