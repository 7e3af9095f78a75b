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
	GRegex		*re[SD_NPRIO];	/* owned; NULL: no markers */
	enum sd_prio	 def;
};

static char	*marker_pattern(const char *marker);

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

struct sd_classifier *
classify_new(const struct sd_conf_priority prios[SD_NPRIO],
    enum sd_prio default_priority, struct sd_err *err)
{
	struct sd_classifier	*cl = g_new0(struct sd_classifier, 1);
	GString			*alt = NULL;
	GError			*gerr = NULL;
	char			*pat;

	cl->def = default_priority;
	for (int p = 0; p < SD_NPRIO; p++) {
		const struct sd_strv *mk = &prios[p].markers;

		alt = g_string_new(NULL);
		for (size_t i = 0; i < mk->n; i++) {
			if (mk->v[i] == NULL ||
			    !g_utf8_validate(mk->v[i], -1, NULL)) {
				sd_err_set(err, SD_E_CONFIG, "classify: C%d: "
				    "marker %zu is not valid UTF-8", p + 1,
				    i + 1);
				goto fail;
			}
			if ((pat = marker_pattern(mk->v[i])) == NULL) {
				sd_err_set(err, SD_E_CONFIG, "classify: C%d: "
				    "marker %zu is empty", p + 1, i + 1);
				goto fail;
			}
			g_string_append_printf(alt, "%s(?:%s)",
			    alt->len ? "|" : "", pat);
			g_free(pat);
		}
		if (alt->len > 0) {
			pat = g_strdup_printf("(?<!" WORDCH ")(?:%s)"
			    "(?!" WORDCH ")", alt->str);
			/* No G_REGEX_OPTIMIZE: PCRE2's JIT gains nothing
			 * on a subject line, and its vector reads past the
			 * string end make valgrind useless on the daemon. */
			cl->re[p] = g_regex_new(pat, G_REGEX_CASELESS, 0,
			    &gerr);
			g_free(pat);
			if (cl->re[p] == NULL) {
				sd_err_set(err, SD_E_CONFIG, "classify: C%d: "
				    "markers: %s", p + 1, gerr->message);
				g_error_free(gerr);
				goto fail;
			}
		}
		g_string_free(alt, TRUE);
		alt = NULL;
	}
	return cl;
 fail:
	if (alt != NULL)
		g_string_free(alt, TRUE);
	classify_free(&cl);
	return NULL;
}

void
classify_free(struct sd_classifier **clp)
{
	struct sd_classifier *cl;

	if (clp == NULL || (cl = *clp) == NULL)
		return;
	for (int p = 0; p < SD_NPRIO; p++)
		if (cl->re[p] != NULL)
			g_regex_unref(cl->re[p]);
	g_free(cl);
	*clp = NULL;
}

enum sd_prio
classify_priority(const struct sd_classifier *cl, const char *subject,
    bool *matched_r)
{
	char		*valid = NULL;
	const char	*s = subject;
	enum sd_prio	 prio = cl->def;
	bool		 matched = false;

	if (s == NULL)
		goto out;
	/* PCRE must never see invalid UTF-8. */
	if (!g_utf8_validate(s, -1, NULL))
		s = valid = g_utf8_make_valid(s, -1);
	for (int p = 0; p < SD_NPRIO && !matched; p++) {
		if (cl->re[p] != NULL && g_regex_match(cl->re[p], s, 0, NULL)) {
			prio = (enum sd_prio)p;
			matched = true;
		}
	}
	g_free(valid);
 out:
	if (matched_r != NULL)
		*matched_r = matched;
	return prio;
}

const char *
classify_category(const char *subject)
{
	static const char *const cats[] = {
		SD_CAT_BUG, SD_CAT_FEATURE, SD_CAT_EXISTING, SD_CAT_INFO,
		SD_CAT_GENERAL, SD_CAT_CHANGE,
	};
	const char	*p = subject, *e;
	char		 norm[32];
	size_t		 n;

	if (subject == NULL)
		return SD_CAT_GENERAL;
	/*
	 * Every "[...]" in turn; inside, words are compared case-blind
	 * with any run of white space equal to one space, so "[ bug ]" and
	 * "[Feature   request]" count.  The first tag that names a
	 * category wins ("[Ticket#12] [BUG]" is a BUG).
	 */
	while ((p = strchr(p, '[')) != NULL) {
		if ((e = strchr(++p, ']')) == NULL)
			break;
		n = 0;
		for (const char *q = p; q < e && n < sizeof(norm) - 1; q++) {
			if (g_ascii_isspace(*q)) {
				if (n > 0 && norm[n - 1] != ' ')
					norm[n++] = ' ';
			} else {
				norm[n++] = *q;
			}
		}
		if (n > 0 && norm[n - 1] == ' ')
			n--;
		norm[n] = '\0';
		for (size_t i = 0; i < G_N_ELEMENTS(cats); i++)
			if (g_ascii_strcasecmp(norm, cats[i]) == 0)
				return cats[i];
		p = e + 1;
	}
	return SD_CAT_GENERAL;
}
