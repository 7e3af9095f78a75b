/* SPDX-License-Identifier: MIT */
/*
 * test-classify.c - priority markers and category tags (SPEC §3.6),
 * table-driven: the match and no-match lists of the spec, Unicode
 * neighbours, white space inside markers, custom markers, bad markers.
 */
#include <stdio.h>
#include <string.h>

#include "supportd/classify.h"
#include "harness.h"

#define NONE	(-1)	/* no marker: the default applies */

#define CAT_BUG		"BUG"
#define CAT_FEATURE	"Feature Request"
#define CAT_EXISTING	"Existing Scope"
#define CAT_INFO	"Information Request"
#define CAT_GENERAL	"General Support"
#define CAT_CHANGE	"Change Request"

static struct sd_classifier	*new_cl(const char *const *const m[T_NPRIO],
				    int def);
static void	fill_conf(struct sd_conf *c, const char *const *const m[T_NPRIO],
		    int def);
static void	clear_conf(struct sd_conf *c);

static const char *const def_c1[] = { "C1", "System Down", NULL };
static const char *const def_c2[] = { "C2", NULL };
static const char *const def_c3[] = { "C3", NULL };
static const char *const def_c4[] = { "C4", NULL };
static const char *const *const defaults[T_NPRIO] = {
	def_c1, def_c2, def_c3, def_c4,
};

static char *const prio_names[T_NPRIO] = { "C1", "C2", "C3", "C4" };

/* The built-in categories of SPEC §3.6, as conf_load gives them. */
static const char *const builtin_cats[] = {
	"BUG", "Feature Request", "Existing Scope", "Information Request",
	"General Support", "Change Request", "Duplicate",
};

static void
add_cat(struct sd_conf *c, const char *name, const char *const *tags)
{
	struct sd_conf_category *cat;

	c->categories = g_renew(struct sd_conf_category, c->categories,
	    c->ncategories + 1);
	cat = &c->categories[c->ncategories++];
	memset(cat, 0, sizeof(*cat));
	cat->name = g_strdup(name);
	for (size_t k = 0; tags != NULL && tags[k] != NULL; k++)
		strv_push(&cat->tags, tags[k]);
}

/* A configuration as conf_load would make it: the four priorities with
 * markers m (NULL-terminated lists), the seven categories. */
static void
fill_conf(struct sd_conf *c, const char *const *const m[T_NPRIO], int def)
{
	memset(c, 0, sizeof(*c));
	c->npriorities = T_NPRIO;
	c->default_priority = def;
	for (int i = 0; i < T_NPRIO; i++) {
		c->priorities[i].name = prio_names[i];
		for (size_t k = 0; m[i] != NULL && m[i][k] != NULL; k++)
			strv_push(&c->priorities[i].markers, m[i][k]);
	}
	for (size_t i = 0; i < nitems(builtin_cats); i++) {
		const char *one[] = { builtin_cats[i], NULL };

		add_cat(c, builtin_cats[i], i + 1 < nitems(builtin_cats) ?
		    one : NULL);
	}
	c->default_category = (char *)"General Support";
}

static void
clear_conf(struct sd_conf *c)
{
	for (int i = 0; i < SD_MAXPRIO; i++)
		strv_free(&c->priorities[i].markers);
	for (size_t i = 0; i < c->ncategories; i++) {
		g_free(c->categories[i].name);
		strv_free(&c->categories[i].tags);
	}
	g_free(c->categories);
	memset(c, 0, sizeof(*c));
}

/* A classifier from NULL-terminated marker lists, as conf would give. */
static struct sd_classifier *
new_cl(const char *const *const m[T_NPRIO], int def)
{
	struct sd_conf		 c;
	struct sd_classifier	*cl;
	struct sd_err		 err;

	fill_conf(&c, m, def);
	sd_err_clear(&err);
	cl = classify_new(&c, &err);
	if (cl == NULL)
		printf("# classify_new: %s\n", err.msg);
	clear_conf(&c);
	return cl;
}

static void
test_priority_defaults(void)
{
	static const struct { const char *subj; int want; } t[] = {
		/* SPEC §3.6: these match */
		{ "C1", T_C1 },
		{ "[C1]", T_C1 },
		{ "(c1)", T_C1 },
		{ "C1:", T_C1 },
		{ "C1 -", T_C1 },
		{ "c1 issue", T_C1 },
		{ "Re: C1 printer on fire", T_C1 },
		{ "printer on fire C1", T_C1 },
		{ "System Down", T_C1 },
		{ "system   down!", T_C1 },
		{ "system\tdown", T_C1 },
		{ "URGENT SYSTEM DOWN", T_C1 },
		{ "=> C2 and C1", T_C1 },		/* most urgent wins */
		{ "C4 C3 C2", T_C2 },
		{ "[C2] slow reports", T_C2 },
		{ "c3: question", T_C3 },
		{ "[C4] minor", T_C4 },
		{ "C4/typo", T_C4 },
		{ "\"C1\"", T_C1 },
		{ "«C1»", T_C1 },			/* punctuation, not letters */
		{ "C1\xc2\xa0issue", T_C1 },		/* NBSP is not a letter */
		{ "prod is system\xc2\xa0" "down", T_C1 },	/* NBSP is white space */
		{ "-C1-", T_C1 },
		{ "C1.", T_C1 },
		/* SPEC §3.6: these do not */
		{ "C12", NONE },
		{ "ABC1", NONE },
		{ "C1x", NONE },
		{ "xC1", NONE },
		{ "1C1", NONE },
		{ "C1_2", NONE },			/* '_' is a word character */
		{ "PRJ_C1", NONE },
		{ "SystemDown", NONE },
		{ "Systems Down", NONE },
		{ "System Downtime", NONE },
		{ "éC1", NONE },			/* any script's letters */
		{ "C1é", NONE },
		{ "ΔC1", NONE },
		{ "C1٣", NONE },			/* Arabic-Indic digit */
		{ "C\xcc\x81" "1", NONE },		/* combining mark inside */
		{ "C1\xcc\x81", NONE },			/* combining mark after */
		{ "C 1", NONE },
		{ "", NONE },
		{ "hello world", NONE },
		{ "C5", NONE },
		{ "\xff\xfe C1", T_C1 },		/* invalid UTF-8 is made valid */
		{ "\xff" "C1", T_C1 },			/* U+FFFD is not a letter */
	};
	struct sd_classifier	*cl = new_cl(defaults, T_C3);
	bool			 matched;
	int		 p;

	test_begin("classify: default markers, match and no-match lists");
	test_assert(cl != NULL);
	for (size_t i = 0; cl != NULL && i < nitems(t); i++) {
		matched = !(t[i].want == NONE);
		p = classify_priority(cl, t[i].subj, &matched);
		test_assert_idx(matched == (t[i].want != NONE), i);
		test_assert_idx(p == (t[i].want == NONE ? T_C3 :
		    (int)t[i].want), i);
	}
	/* NULL subject, NULL matched_r */
	if (cl != NULL) {
		test_assert(classify_priority(cl, NULL, &matched) == T_C3 &&
		    !matched);
		test_assert(classify_priority(cl, "C2", NULL) == T_C2);
	}
	classify_free(&cl);
	test_assert(cl == NULL);
	classify_free(&cl);			/* NULL-safe */
	test_end();
}

static void
test_priority_custom(void)
{
	static const char *const c1[] = { "P1", "prod  down", "Sev-1",
	    "[urgent]", "a.b*c", "Ausfall", NULL };
	static const char *const c2[] = { "P2", "hoch", NULL };
	static const char *const *const m[T_NPRIO] = { c1, c2, NULL, NULL };
	static const struct { const char *subj; int want; } t[] = {
		{ "P1 now", T_C1 },
		{ "prod down", T_C1 },
		{ "PROD\n down", T_C1 },
		{ "sev-1 outage", T_C1 },
		{ "sev-12 outage", NONE },
		{ "[URGENT] help", T_C1 },
		{ "x[urgent]", NONE },		/* '[' needs a non-word before */
		{ "a.b*c", T_C1 },		/* regex characters are literal */
		{ "axb*c", NONE },
		{ "aab", NONE },
		{ "Totalausfall", NONE },
		{ "AUSFALL!", T_C1 },
		{ "P2 and P1", T_C1 },
		{ "hoch", T_C2 },
		{ "C1", NONE },			/* the defaults are replaced */
		{ "System Down", NONE },
		{ "P3", NONE },
	};
	struct sd_classifier	*cl = new_cl(m, T_C4);
	bool			 matched;

	test_begin("classify: custom markers, empty priorities, default C4");
	test_assert(cl != NULL);
	for (size_t i = 0; cl != NULL && i < nitems(t); i++) {
		int p = classify_priority(cl, t[i].subj, &matched);

		test_assert_idx(matched == (t[i].want != NONE), i);
		test_assert_idx(p == (t[i].want == NONE ? T_C4 :
		    (int)t[i].want), i);
	}
	classify_free(&cl);
	test_end();
}

static void
test_priority_bad_markers(void)
{
	static const char *const empty[] = { "C1", "   ", NULL };
	static const char *const badutf[] = { "\xc3", NULL };
	static const char *const *const m1[T_NPRIO] = { empty, NULL, NULL, NULL };
	static const char *const *const m2[T_NPRIO] = { NULL, badutf, NULL, NULL };
	static const char *const *const none[T_NPRIO] = { NULL };
	struct sd_conf		 c;
	struct sd_classifier	*cl;
	struct sd_err		 err;

	test_begin("classify: empty and invalid markers are config errors");
	for (int k = 0; k < 2; k++) {
		fill_conf(&c, (k == 0 ? m1 : m2), T_C3);
		sd_err_clear(&err);
		cl = classify_new(&c, &err);
		test_assert_idx(cl == NULL, k);
		test_assert_idx(err.cls == SD_E_CONFIG, k);
		test_assert_idx(strstr(err.msg, k == 0 ? "C1" : "C2") != NULL, k);
		classify_free(&cl);
		clear_conf(&c);
	}
	/* No markers at all: everything is the default. */
	fill_conf(&c, none, T_C2);
	cl = classify_new(&c, &err);
	clear_conf(&c);
	test_assert(cl != NULL);
	if (cl != NULL) {
		bool matched = true;

		test_assert(classify_priority(cl, "C1 System Down", &matched) ==
		    T_C2 && !matched);
	}
	classify_free(&cl);
	test_end();
}

static void
test_category(void)
{
	static const struct { const char *subj; const char *want; } t[] = {
		{ "[BUG] crash on save", CAT_BUG },
		{ "[bug] crash", CAT_BUG },
		{ "Re: [Bug] crash", CAT_BUG },
		{ "[ BUG ] crash", CAT_BUG },
		{ "[Feature Request] dark mode", CAT_FEATURE },
		{ "[feature   request] dark mode", CAT_FEATURE },
		{ "[FEATURE\tREQUEST]", CAT_FEATURE },
		{ "[Existing Scope] report", CAT_EXISTING },
		{ "[Information Request] prices", CAT_INFO },
		{ "[information request]", CAT_INFO },
		{ "[General Support] hi", CAT_GENERAL },
		{ "[Change Request] new field", CAT_CHANGE },
		{ "[Ticket#12] [BUG] again", CAT_BUG },	/* first that names one */
		{ "[C1] [Change Request] x", CAT_CHANGE },
		{ "[BUG][Feature Request]", CAT_BUG },
		{ "BUG crash", CAT_GENERAL },		/* a tag needs brackets */
		{ "[BUGS] crash", CAT_GENERAL },
		{ "[Feature-Request]", CAT_GENERAL },
		{ "[FeatureRequest]", CAT_GENERAL },
		{ "[BUG crash", CAT_GENERAL },
		{ "BUG] crash", CAT_GENERAL },
		{ "[[BUG]]", CAT_GENERAL },
		{ "[]", CAT_GENERAL },
		{ "", CAT_GENERAL },
		{ "[Duplicate]", CAT_GENERAL },	/* set by grouping, not tags */
		{ "[Information Request and more text that is long]", CAT_GENERAL },
	};

	static const char *const *const m[T_NPRIO] = { NULL };
	struct sd_classifier *cl = new_cl(m, T_C3);

	test_begin("classify: category tags");
	test_assert(cl != NULL);
	for (size_t i = 0; cl != NULL && i < nitems(t); i++)
		test_assert_streq_idx(classify_category(cl, t[i].subj),
		    t[i].want, i);
	if (cl != NULL)
		test_assert_streq(classify_category(cl, NULL), CAT_GENERAL);
	classify_free(&cl);
	test_end();
}

/* SPEC §14.3: ADvendio's case reasons replace the seven. */
static void
test_category_custom(void)
{
	static const char *const bug[] = { "Bug", "Fehler", NULL };
	static const char *const how[] = { "Question about handling",
	    "Frage zur Bedienung", NULL };
	static const char *const dev[] = {
	    "Customization / development request", NULL };
	static const char *const feat[] = { "Feature request", "Änderung",
	    NULL };
	static const char *const *const m[T_NPRIO] = { NULL };
	static const struct { const char *subj; const char *want; } t[] = {
		{ "[bug] report broken", "Bug" },
		{ "[FEHLER] Bericht", "Bug" },
		{ "[question  about handling] how do I", "Question about handling" },
		{ "[customization / development request] new field",
		    "Customization / development request" },
		{ "[ÄNDERUNG] bitte", "Feature request" },
		{ "[BUG-ish] x", "Question about handling" },	/* the default */
		{ "[Information Request] prices", "Question about handling" },
		{ "[Duplicate]", "Question about handling" },
		{ "[Feature Request]", "Feature request" },
		{ "no tag", "Question about handling" },
	};
	struct sd_conf		 c;
	struct sd_classifier	*cl;
	struct sd_err		 err;

	test_begin("classify: configured categories and their tags");
	fill_conf(&c, m, T_C3);
	for (size_t i = 0; i < c.ncategories; i++) {
		g_free(c.categories[i].name);
		strv_free(&c.categories[i].tags);
	}
	c.ncategories = 0;
	add_cat(&c, "Bug", bug);
	add_cat(&c, "Question about handling", how);
	add_cat(&c, "Customization / development request", dev);
	add_cat(&c, "Feature request", feat);
	add_cat(&c, "Duplicate", NULL);
	c.default_category = (char *)"Question about handling";
	cl = classify_new(&c, &err);
	clear_conf(&c);		/* the classifier keeps copies */
	test_assert(cl != NULL);
	for (size_t i = 0; cl != NULL && i < nitems(t); i++)
		test_assert_streq_idx(classify_category(cl, t[i].subj),
		    t[i].want, i);
	classify_free(&cl);
	test_end();
}

int
main(void)
{
	static void (*const fns[])(void) = {
		test_priority_defaults,
		test_priority_custom,
		test_priority_bad_markers,
		test_category,
		test_category_custom,
		NULL,
	};

	return test_run(fns);
}
