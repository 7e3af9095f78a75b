/* SPDX-License-Identifier: MIT */
/*
 * classify.c - priority and category from a subject (SPEC §3.6).  Pure:
 * the markers of each priority are compiled once into one GRegex per
 * priority (classify_new, at start-up and reload) and matching touches
 * no global state.  A marker matches case-insensitively as a whole word:
 * not preceded or followed by a letter, digit, combining mark or
 * underscore (Unicode-aware, so "éC1" is no match), and a space inside
 * a marker matches any run of white space.  The underscore counts as a
 * word character so that identifiers such as "PRJ_C1" or "C1_2" do not
 * wake anyone at night.
 */
#include <string.h>

#include <glib.h>

#include "supportd/classify.h"
#include "supportd/err.h"

struct sd_classifier {
	GRegex		*re[SD_MAXPRIO]; /* owned; NULL: no markers */
	int		 nprio;
	int		 def;
	GHashTable	*tags;		/* tag_key -> category name, owned */
	char		*def_category;
};

static char	*marker_pattern(const char *marker);
static char	*tag_key(const char *s, size_t n);

/* What may not touch a marker on either side. */
#define WORDCH	"[\\p{L}\\p{N}\\p{M}_]"

/* The regex text for one marker: its words escaped, joined by \s+.
 * NULL when the marker has no words.  g_free. */
static char *
marker_pattern(const char *marker)
{
	GString	*gs = g_string_new(NULL);
	char	**words = g_strsplit_set(marker, " \t\r\n\f\v", -1);
	char	*esc;

	for (size_t i = 0; words[i] != NULL; i++) {
		if (*words[i] == '\0')
			continue;
		if (gs->len > 0)
			g_string_append(gs, "\\s+");
		esc = g_regex_escape_string(words[i], -1);
		g_string_append(gs, esc);
		g_free(esc);
	}
	g_strfreev(words);
	if (gs->len == 0) {
		g_string_free(gs, TRUE);
		return NULL;
	}
	return g_string_free(gs, FALSE);
}

/* One priority's markers as one regex; NULL with err, or with *re_r
 * NULL when it has none. */
static int
compile_markers(const struct sd_conf_priority *pr, GRegex **re_r,
    struct sd_err *err)
{
	const struct sd_strv	*mk = &pr->markers;
	GString			*alt = g_string_new(NULL);
	GError			*gerr = NULL;
	char			*pat;

	*re_r = NULL;
	for (size_t i = 0; i < mk->n; i++) {
		if (mk->v[i] == NULL || !g_utf8_validate(mk->v[i], -1, NULL)) {
			sd_err_set(err, SD_E_CONFIG, "classify: %s: marker %zu "
			    "is not valid UTF-8", pr->name, i + 1);
			goto fail;
		}
		if ((pat = marker_pattern(mk->v[i])) == NULL) {
			sd_err_set(err, SD_E_CONFIG, "classify: %s: marker %zu "
			    "is empty", pr->name, i + 1);
			goto fail;
		}
		g_string_append_printf(alt, "%s(?:%s)", alt->len ? "|" : "",
		    pat);
		g_free(pat);
	}
	if (alt->len > 0) {
		pat = g_strdup_printf("(?<!" WORDCH ")(?:%s)(?!" WORDCH ")",
		    alt->str);
		/* No G_REGEX_OPTIMIZE: PCRE2's JIT gains nothing on a
		 * subject line, and its vector reads past the string end
		 * make valgrind useless on the daemon. */
		*re_r = g_regex_new(pat, G_REGEX_CASELESS, 0, &gerr);
		g_free(pat);
		if (*re_r == NULL) {
			sd_err_set(err, SD_E_CONFIG, "classify: %s: markers: "
			    "%s", pr->name, gerr->message);
			g_error_free(gerr);
			goto fail;
		}
	}
	g_string_free(alt, TRUE);
	return 0;
 fail:
	g_string_free(alt, TRUE);
	return -1;
}

struct sd_classifier *
classify_new(const struct sd_conf *c, struct sd_err *err)
{
	struct sd_classifier	*cl = g_new0(struct sd_classifier, 1);

	cl->nprio = c->npriorities;
	cl->def = c->default_priority;
	for (int p = 0; p < c->npriorities; p++)
		if (compile_markers(&c->priorities[p], &cl->re[p], err) == -1) {
			classify_free(&cl);
			return NULL;
		}
	cl->tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	for (size_t i = 0; i < c->ncategories; i++)
		for (size_t t = 0; t < c->categories[i].tags.n; t++) {
			const char *tag = c->categories[i].tags.v[t];

			g_hash_table_insert(cl->tags, tag_key(tag, strlen(tag)),
			    g_strdup(c->categories[i].name));
		}
	cl->def_category = g_strdup(c->default_category);
	return cl;
}

void
classify_free(struct sd_classifier **clp)
{
	struct sd_classifier *cl;

	if (clp == NULL || (cl = *clp) == NULL)
		return;
	for (int p = 0; p < SD_MAXPRIO; p++)
		if (cl->re[p] != NULL)
			g_regex_unref(cl->re[p]);
	if (cl->tags != NULL)
		g_hash_table_destroy(cl->tags);
	g_free(cl->def_category);
	g_free(cl);
	*clp = NULL;
}

int
classify_priority(const struct sd_classifier *cl, const char *subject,
    bool *matched_r)
{
	char		*valid = NULL;
	const char	*s = subject;
	int		 prio = cl->def;
	bool		 matched = false;

	if (s == NULL)
		goto out;
	/* PCRE must never see invalid UTF-8. */
	if (!g_utf8_validate(s, -1, NULL))
		s = valid = g_utf8_make_valid(s, -1);
	for (int p = 0; p < cl->nprio && !matched; p++) {
		if (cl->re[p] != NULL && g_regex_match(cl->re[p], s, 0, NULL)) {
			prio = p;
			matched = true;
		}
	}
	g_free(valid);
 out:
	if (matched_r != NULL)
		*matched_r = matched;
	return prio;
}

/* The words of s[0..n) joined by one space, case-folded: tags and
 * what a subject has between brackets compare by this.  g_free. */
static char *
tag_key(const char *s, size_t n)
{
	GString	*gs = g_string_sized_new(n);
	char	*valid, *key;

	for (const char *q = s; q < s + n; q++)
		if (!g_ascii_isspace(*q))
			g_string_append_c(gs, *q);
		else if (gs->len > 0 && gs->str[gs->len - 1] != ' ')
			g_string_append_c(gs, ' ');
	if (gs->len > 0 && gs->str[gs->len - 1] == ' ')
		g_string_truncate(gs, gs->len - 1);
	valid = g_utf8_make_valid(gs->str, (gssize)gs->len);
	key = g_utf8_casefold(valid, -1);
	g_free(valid);
	g_string_free(gs, TRUE);
	return key;
}

const char *
classify_category(const struct sd_classifier *cl, const char *subject)
{
	const char	*p = subject, *e, *cat = NULL;
	char		*key;

	if (subject == NULL)
		return cl->def_category;
	/*
	 * Every "[...]" in turn, compared as tag_key says, so "[ bug ]"
	 * and "[Feature   request]" count.  The first tag that names a
	 * category wins ("[Ticket#12] [BUG]" is a BUG).
	 */
	while (cat == NULL && (p = strchr(p, '[')) != NULL) {
		if ((e = strchr(++p, ']')) == NULL)
			break;
		if (e - p <= 256) {
			key = tag_key(p, (size_t)(e - p));
			cat = g_hash_table_lookup(cl->tags, key);
			g_free(key);
		}
		p = e + 1;
	}
	return cat != NULL ? cat : cl->def_category;
}
