/* SPDX-License-Identifier: MIT */
/*
 * tmpl.c - template parsing, checking and rendering; see tmpl.h.
 *
 * A template is compiled once into a flat list of nodes (text, value,
 * section open, section close) so rendering is a single pass with no
 * re-parsing; sections are matched at parse time, so a broken template is
 * refused at load instead of producing a broken mail at 03:00.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/tmpl.h"

const char *const tmpl_names[] = {
	"ack", "ack-c1", "ack-c1-after-hours", "ack-after-hours",
	"ack-duplicate", "ack-followup", "oncall-page", "escalation",
	"c1-update-reminder", "closed", "notify-new", "notify-reply",
	"notify-assigned", "notify-reopened", "sla-warning", "sla-breach",
};
const size_t tmpl_nnames = nitems(tmpl_names);

/* The placeholders of SPEC §9; anything else is an error at load. */
static const char *const known_vars[] = {
	"ticket.id", "ticket.tag", "ticket.subject", "ticket.priority",
	"ticket.category", "ticket.status", "ticket.response_due",
	"ticket.resolution_due", "requester.name", "requester.email",
	"organization.name", "business_hours", "next_business_open",
	"duplicate_of", "escalation.level",
	/* Additions, documented in the README and supportd.conf(5). */
	"ticket.priority_meaning", "ticket.response_target",
	"ticket.priority_label", "ticket.priority_description",
	"ticket.after_hours",
	"ticket.url", "mailbox.address", "mailbox.name", "message.text",
	"ticket.assignee", "message.from", "message.attachments",
	"oncall_after_hours", "urgent_markers", "escalation.name",
	"sla.target", "sla.due",
};

#define MAX_TEMPLATE_SIZE	(256 * 1024)
#define MAX_DEPTH		16

enum node_kind { N_TEXT, N_VAR, N_OPEN, N_OPEN_INV, N_CLOSE };

struct node {
	enum node_kind	 kind;
	char		*s;	/* text, or the name */
	int		 var;	/* not N_TEXT: index in known_vars */
	size_t		 match;	/* N_OPEN*: index of its N_CLOSE */
};

struct part {
	struct node	*nodes;
	size_t		 n;
};

struct sd_tmpl {
	char		*name;
	struct part	 subject;
	char		**hnames;	/* other headers */
	struct part	*hvalues;
	size_t		 nheaders;
	struct part	 body;
	uint32_t	 uses;	/* bit i: known_vars[i] appears */
};

struct sd_tmpl_set {
	struct sd_tmpl	*t[nitems(tmpl_names)];
};

_Static_assert(nitems(known_vars) <= 32, "sd_tmpl.uses is 32 bits");

/* Indexed like known_vars: rendering is an array lookup, not a hash. */
struct sd_tmpl_vars {
	char		*val[nitems(known_vars)];
};

/* name's index in known_vars, or -1.  A response sets some twenty
 * values: a search of the list for each was 2 % of taking a mail in
 * (benchmark, callgrind).  The table is made once and never freed. */
static int
var_index(const char *name)
{
	static GHashTable *idx;

	if (g_once_init_enter(&idx)) {
		GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);

		for (size_t i = 0; i < nitems(known_vars); i++)
			g_hash_table_insert(h, (gpointer)known_vars[i],
			    GINT_TO_POINTER((int)i + 1));
		g_once_init_leave(&idx, h);
	}
	return GPOINTER_TO_INT(g_hash_table_lookup(idx, name)) - 1;
}

static void
part_push(struct part *p, enum node_kind k, const char *s, size_t len)
{
	p->nodes = xrealloc(p->nodes, (p->n + 1) * sizeof(*p->nodes));
	p->nodes[p->n].kind = k;
	p->nodes[p->n].s = xstrndup(s, len);
	p->nodes[p->n].var = k == N_TEXT ? -1 : var_index(p->nodes[p->n].s);
	p->nodes[p->n].match = 0;
	p->n++;
}

static void
part_free(struct part *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->nodes[i].s);
	free(p->nodes);
	p->nodes = NULL;
	p->n = 0;
}

static uint32_t
part_uses(const struct part *p)
{
	uint32_t m = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->nodes[i].var >= 0)
			m |= 1u << p->nodes[i].var;
	return m;
}

static void add_err(struct sd_strv *, const char *, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
add_err(struct sd_strv *errs, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *full;

	if (errs == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	va_end(ap);
	full = xasprintf("%s:%d: %s", file, line, msg);
	strv_push(errs, full);
	free(msg);
	free(full);
}

/*
 * Compiles s[0..len) into p.  line is the line s starts on; the open
 * section stack is per part, so a section cannot span header and body.
 * Returns the number of errors.
 */
static int
compile(struct part *p, const char *s, size_t len, const char *file,
    int line, struct sd_strv *errs)
{
	size_t	 stack[MAX_DEPTH];
	int	 stack_line[MAX_DEPTH];
	size_t	 depth = 0, i = 0, text = 0;
	int	 nerr = 0;

	while (i < len) {
		const char	*end, *name;
		size_t		 nlen;
		enum node_kind	 k = N_VAR;
		char		*nm;

		if (s[i] == '\n')
			line++;
		if (!(s[i] == '{' && i + 1 < len && s[i + 1] == '{')) {
			i++;
			continue;
		}
		if (i > text)
			part_push(p, N_TEXT, s + text, i - text);
		end = memmem(s + i + 2, len - i - 2, "}}", 2);
		if (end == NULL) {
			add_err(errs, file, line, "unclosed placeholder");
			return nerr + 1;
		}
		name = s + i + 2;
		nlen = (size_t)(end - name);
		if (nlen > 0 && (*name == '#' || *name == '^' || *name == '/')) {
			k = *name == '#' ? N_OPEN : *name == '^' ? N_OPEN_INV :
			    N_CLOSE;
			name++;
			nlen--;
		}
		while (nlen > 0 && g_ascii_isspace(*name)) {
			name++;
			nlen--;
		}
		while (nlen > 0 && g_ascii_isspace(name[nlen - 1]))
			nlen--;
		nm = xstrndup(name, nlen);
		if (memchr(nm, '\n', nlen) != NULL || memchr(nm, '{', nlen)) {
			add_err(errs, file, line, "malformed placeholder "
			    "\"{{%s}}\"", nm);
			nerr++;
		} else if (var_index(nm) < 0) {
			add_err(errs, file, line, "unknown placeholder "
			    "\"%s\"", nm);
			nerr++;
		} else if (k == N_OPEN || k == N_OPEN_INV) {
			if (depth == MAX_DEPTH) {
				add_err(errs, file, line, "sections nested too "
				    "deep at \"%s\"", nm);
				free(nm);
				return nerr + 1;
			}
			stack_line[depth] = line;
			stack[depth++] = p->n;
			part_push(p, k, nm, nlen);
		} else if (k == N_CLOSE) {
			if (depth == 0 || strcmp(p->nodes[stack[depth - 1]].s,
			    nm) != 0) {
				add_err(errs, file, line, depth == 0 ?
				    "section end \"%s\" without a start" :
				    "section end \"%s\" does not match the open "
				    "section", nm);
				nerr++;
			} else {
				p->nodes[stack[--depth]].match = p->n;
				part_push(p, N_CLOSE, nm, nlen);
			}
		} else
			part_push(p, N_VAR, nm, nlen);
		free(nm);
		i = (size_t)(end - s) + 2;
		text = i;
	}
	if (i > text)
		part_push(p, N_TEXT, s + text, i - text);
	while (depth > 0) {
		depth--;
		add_err(errs, file, stack_line[depth], "section \"%s\" is "
		    "never closed", p->nodes[stack[depth]].s);
		nerr++;
	}
	return nerr;
}

void
tmpl_free(struct sd_tmpl **tp)
{
	struct sd_tmpl *t = *tp;

	if (t == NULL)
		return;
	free(t->name);
	part_free(&t->subject);
	for (size_t i = 0; i < t->nheaders; i++) {
		free(t->hnames[i]);
		part_free(&t->hvalues[i]);
	}
	free(t->hnames);
	free(t->hvalues);
	part_free(&t->body);
	free(t);
	*tp = NULL;
}

static bool
header_name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

struct sd_tmpl *
tmpl_parse(const char *file, const char *buf, size_t len, struct sd_strv *errs)
{
	struct sd_tmpl	*t;
	size_t		 i = 0;
	int		 line = 1, nerr = 0;
	bool		 have_subject = false, blank = false;

	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(file);
	if (memchr(buf, '\0', len) != NULL) {
		add_err(errs, file, 1, "template contains a NUL byte");
		goto fail;
	}
	if (len > MAX_TEMPLATE_SIZE) {
		add_err(errs, file, 1, "template larger than 256 KiB");
		goto fail;
	}
	/* Header block: "Name: value" lines up to the first blank line. */
	while (i < len) {
		const char	*ls = buf + i, *nl, *colon;
		size_t		 ll, nlen;
		const char	*v;

		nl = memchr(ls, '\n', len - i);
		ll = nl ? (size_t)(nl - ls) : len - i;
		if (ll > 0 && ls[ll - 1] == '\r')
			ll--;
		if (ll == 0) {
			blank = true;
			i = nl ? (size_t)(nl - buf) + 1 : len;
			line++;
			break;
		}
		colon = memchr(ls, ':', ll);
		if (colon == NULL || !header_name_ok(ls, (size_t)(colon - ls))) {
			add_err(errs, file, line, "expected a header line "
			    "(\"Subject: ...\") before the blank line that "
			    "starts the body");
			nerr++;
		} else {
			nlen = (size_t)(colon - ls);
			v = colon + 1;
			while (v < ls + ll && (*v == ' ' || *v == '\t'))
				v++;
			if (nlen == 7 && g_ascii_strncasecmp(ls, "Subject", 7) == 0) {
				if (have_subject) {
					add_err(errs, file, line, "second "
					    "Subject header");
					nerr++;
				}
				have_subject = true;
				nerr += compile(&t->subject, v,
				    (size_t)(ls + ll - v), file, line, errs);
			} else {
				t->hnames = xrealloc(t->hnames,
				    (t->nheaders + 1) * sizeof(*t->hnames));
				t->hvalues = xrealloc(t->hvalues,
				    (t->nheaders + 1) * sizeof(*t->hvalues));
				t->hnames[t->nheaders] = xstrndup(ls, nlen);
				memset(&t->hvalues[t->nheaders], 0,
				    sizeof(struct part));
				nerr += compile(&t->hvalues[t->nheaders], v,
				    (size_t)(ls + ll - v), file, line, errs);
				t->nheaders++;
			}
		}
		i = nl ? (size_t)(nl - buf) + 1 : len;
		line++;
	}
	if (!have_subject || !blank) {
		add_err(errs, file, 1, "missing header block: a template "
		    "starts with \"Subject: ...\", then a blank line, then "
		    "the body");
		nerr++;
	}
	nerr += compile(&t->body, buf + i, len - i, file, line, errs);
	if (nerr > 0)
		goto fail;
	t->uses = part_uses(&t->subject) | part_uses(&t->body);
	for (size_t h = 0; h < t->nheaders; h++)
		t->uses |= part_uses(&t->hvalues[h]);
	return t;
 fail:
	tmpl_free(&t);
	return NULL;
}

int
tmpl_set_load(const char *dir, struct sd_tmpl_set **set_r,
    struct sd_strv *errs)
{
	struct sd_tmpl_set	*set = xcalloc(1, sizeof(*set));
	int			 bad = 0;

	*set_r = NULL;
	for (size_t i = 0; i < tmpl_nnames; i++) {
		char	*path = xasprintf("%s/%s", dir, tmpl_names[i]);
		gchar	*buf = NULL;
		gsize	 len = 0;
		GError	*gerr = NULL;

		if (!g_file_get_contents(path, &buf, &len, &gerr)) {
			char *m = xasprintf("%s: cannot read template: %s",
			    path, gerr->message);
			if (errs)
				strv_push(errs, m);
			free(m);
			g_error_free(gerr);
			bad++;
		} else if ((set->t[i] = tmpl_parse(path, buf, len, errs))
		    == NULL)
			bad++;
		g_free(buf);
		free(path);
	}
	if (bad) {
		tmpl_set_free(&set);
		return -1;
	}
	*set_r = set;
	return 0;
}

void
tmpl_set_free(struct sd_tmpl_set **setp)
{
	if (*setp == NULL)
		return;
	for (size_t i = 0; i < tmpl_nnames; i++)
		tmpl_free(&(*setp)->t[i]);
	free(*setp);
	*setp = NULL;
}

const struct sd_tmpl *
tmpl_get(const struct sd_tmpl_set *set, const char *name)
{
	for (size_t i = 0; set != NULL && i < tmpl_nnames; i++)
		if (strcmp(tmpl_names[i], name) == 0)
			return set->t[i];
	return NULL;
}

bool
tmpl_uses(const struct sd_tmpl *t, const char *name)
{
	int i = var_index(name);

	return t != NULL && i >= 0 && (t->uses & (1u << i)) != 0;
}

struct sd_tmpl_vars *
tmpl_vars_new(void)
{
	return xcalloc(1, sizeof(struct sd_tmpl_vars));
}

void
tmpl_vars_set(struct sd_tmpl_vars *v, const char *name, const char *value)
{
	int i = var_index(name);

	/* No template can name anything else (refused at load). */
	if (i < 0)
		return;
	free(v->val[i]);
	v->val[i] = xstrdup(value ? value : "");
}

void
tmpl_vars_free(struct sd_tmpl_vars **vp)
{
	if (*vp == NULL)
		return;
	for (size_t i = 0; i < nitems(known_vars); i++)
		free((*vp)->val[i]);
	free(*vp);
	*vp = NULL;
}

static const char *
lookup(const struct sd_tmpl_vars *v, int i)
{
	const char *s = v != NULL && i >= 0 ? v->val[i] : NULL;

	return s ? s : "";
}

static char *
render_part(const struct part *p, const struct sd_tmpl_vars *v, bool oneline)
{
	GString	*out = g_string_new(NULL);
	char	*ret;

	for (size_t i = 0; i < p->n; i++) {
		const struct node	*n = &p->nodes[i];
		bool			 set;

		switch (n->kind) {
		case N_TEXT:
			g_string_append(out, n->s);
			break;
		case N_VAR:
			g_string_append(out, lookup(v, n->var));
			break;
		case N_OPEN:
		case N_OPEN_INV:
			set = *lookup(v, n->var) != '\0';
			if (set != (n->kind == N_OPEN))
				i = n->match;	/* skip to the close */
			break;
		case N_CLOSE:
			break;
		}
	}
	/* A header value is one line: a value with CR or LF in it must not
	 * start a new header (header injection). */
	if (oneline)
		for (gsize i = 0; i < out->len; i++)
			if (out->str[i] == '\r' || out->str[i] == '\n')
				out->str[i] = ' ';
	ret = xstrdup(out->str);
	g_string_free(out, TRUE);
	return ret;
}

void
tmpl_render(const struct sd_tmpl *t, const struct sd_tmpl_vars *v,
    struct sd_rendered *out)
{
	memset(out, 0, sizeof(*out));
	out->subject = render_part(&t->subject, v, true);
	for (size_t i = 0; i < t->nheaders; i++) {
		char *val = render_part(&t->hvalues[i], v, true);
		char *line = xasprintf("%s: %s", t->hnames[i], val);

		strv_push(&out->headers, line);
		free(line);
		free(val);
	}
	out->body = render_part(&t->body, v, false);
}

void
tmpl_rendered_clear(struct sd_rendered *out)
{
	free(out->subject);
	strv_free(&out->headers);
	free(out->body);
	memset(out, 0, sizeof(*out));
}
