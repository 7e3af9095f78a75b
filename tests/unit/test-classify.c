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

static struct sd_classifier	*new_cl(const char *const *m[SD_NPRIO],
				    enum sd_prio def);
static void	free_prios(struct sd_conf_priority p[SD_NPRIO]);

static const char *const def_c1[] = { "C1", "System Down", NULL };
static const char *const def_c2[] = { "C2", NULL };
static const char *const def_c3[] = { "C3", NULL };
static const char *const def_c4[] = { "C4", NULL };
static const char *const *const defaults[SD_NPRIO] = {
	def_c1, def_c2, def_c3, def_c4,
};

static void
free_prios(struct sd_conf_priority p[SD_NPRIO])
{
	for (int i = 0; i < SD_NPRIO; i++)
		strv_free(&p[i].markers);
}

/* A classifier from NULL-terminated marker lists, as conf would give. */
static struct sd_classifier *
new_cl(const char *const *m[SD_NPRIO], enum sd_prio def)
{
	struct sd_conf_priority	 p[SD_NPRIO];
	struct sd_classifier	*cl;
	struct sd_err		 err;

	memset(p, 0, sizeof(p));
	for (int i = 0; i < SD_NPRIO; i++)
		for (size_t k = 0; m[i] != NULL && m[i][k] != NULL; k++)
			strv_push(&p[i].markers, m[i][k]);
	sd_err_clear(&err);
	cl = classify_new(p, def, &err);
	if (cl == NULL)
		printf("# classify_new: %s\n", err.msg);
	free_prios(p);
	return cl;
}

static void
test_priority_defaults(void)
{
	static const struct { const char *subj; int want; } t[] = {
		/* SPEC §3.6: these match */
		{ "C1", SD_C1 },
		{ "[C1]", SD_C1 },
		{ "(c1)", SD_C1 },
		{ "C1:", SD_C1 },
		{ "C1 -", SD_C1 },
		{ "c1 issue", SD_C1 },
		{ "Re: C1 printer on fire", SD_C1 },
		{ "printer on fire C1", SD_C1 },
		{ "System Down", SD_C1 },
		{ "system   down!", SD_C1 },
		{ "system\tdown", SD_C1 },
		{ "URGENT SYSTEM DOWN", SD_C1 },
		{ "=> C2 and C1", SD_C1 },		/* most urgent wins */
		{ "C4 C3 C2", SD_C2 },
		{ "[C2] slow reports", SD_C2 },
		{ "c3: question", SD_C3 },
		{ "[C4] minor", SD_C4 },
		{ "C4/typo", SD_C4 },
		{ "\"C1\"", SD_C1 },
		{ "«C1»", SD_C1 },			/* punctuation, not letters */
		{ "C1\xc2\xa0issue", SD_C1 },		/* NBSP is not a letter */
		{ "prod is system\xc2\xa0" "down", SD_C1 },	/* NBSP is white space */
		{ "-C1-", SD_C1 },
		{ "C1.", SD_C1 },
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
		{ "\xff\xfe C1", SD_C1 },		/* invalid UTF-8 is made valid */
		{ "\xff" "C1", SD_C1 },			/* U+FFFD is not a letter */
	};
	struct sd_classifier	*cl = new_cl((const char *const **)defaults, SD_C3);
	bool			 matched;
	enum sd_prio		 p;

	test_begin("classify: default markers, match and no-match lists");
	test_assert(cl != NULL);
	for (size_t i = 0; cl != NULL && i < nitems(t); i++) {
		matched = !(t[i].want == NONE);
		p = classify_priority(cl, t[i].subj, &matched);
		test_assert_idx(matched == (t[i].want != NONE), i);
		test_assert_idx(p == (t[i].want == NONE ? SD_C3 :
		    (enum sd_prio)t[i].want), i);
	}
	/* NULL subject, NULL matched_r */
	if (cl != NULL) {
		test_assert(classify_priority(cl, NULL, &matched) == SD_C3 &&
		    !matched);
		test_assert(classify_priority(cl, "C2", NULL) == SD_C2);
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
	static const char *const *const m[SD_NPRIO] = { c1, c2, NULL, NULL };
	static const struct { const char *subj; int want; } t[] = {
		{ "P1 now", SD_C1 },
		{ "prod down", SD_C1 },
		{ "PROD\n down", SD_C1 },
		{ "sev-1 outage", SD_C1 },
		{ "sev-12 outage", NONE },
		{ "[URGENT] help", SD_C1 },
		{ "x[urgent]", NONE },		/* '[' needs a non-word before */
		{ "a.b*c", SD_C1 },		/* regex characters are literal */
		{ "axb*c", NONE },
		{ "aab", NONE },
		{ "Totalausfall", NONE },
		{ "AUSFALL!", SD_C1 },
		{ "P2 and P1", SD_C1 },
		{ "hoch", SD_C2 },
		{ "C1", NONE },			/* the defaults are replaced */
		{ "System Down", NONE },
		{ "P3", NONE },
	};
	struct sd_classifier	*cl = new_cl((const char *const **)m, SD_C4);
	bool			 matched;

	test_begin("classify: custom markers, empty priorities, default C4");
	test_assert(cl != NULL);
	for (size_t i = 0; cl != NULL && i < nitems(t); i++) {
		enum sd_prio p = classify_priority(cl, t[i].subj, &matched);

		test_assert_idx(matched == (t[i].want != NONE), i);
		test_assert_idx(p == (t[i].want == NONE ? SD_C4 :
		    (enum sd_prio)t[i].want), i);
	}
	classify_free(&cl);
	test_end();
}

static void
test_priority_bad_markers(void)
{
	static const char *const empty[] = { "C1", "   ", NULL };
	static const char *const badutf[] = { "\xc3", NULL };
	static const char *const *const m1[SD_NPRIO] = { empty, NULL, NULL, NULL };
	static const char *const *const m2[SD_NPRIO] = { NULL, badutf, NULL, NULL };
	struct sd_conf_priority	 p[SD_NPRIO];
	struct sd_classifier	*cl;
	struct sd_err		 err;

	test_begin("classify: empty and invalid markers are config errors");
	for (int k = 0; k < 2; k++) {
		const char *const *const *m = k == 0 ? m1 : m2;

		memset(p, 0, sizeof(p));
		for (int i = 0; i < SD_NPRIO; i++)
			for (size_t j = 0; m[i] != NULL && m[i][j] != NULL; j++)
				strv_push(&p[i].markers, m[i][j]);
		sd_err_clear(&err);
		cl = classify_new(p, SD_C3, &err);
		test_assert_idx(cl == NULL, k);
		test_assert_idx(err.cls == SD_E_CONFIG, k);
		test_assert_idx(strstr(err.msg, k == 0 ? "C1" : "C2") != NULL, k);
		classify_free(&cl);
		free_prios(p);
	}
	/* No markers at all: everything is the default. */
	memset(p, 0, sizeof(p));
	cl = classify_new(p, SD_C2, &err);
	test_assert(cl != NULL);
	if (cl != NULL) {
		bool matched = true;

		test_assert(classify_priority(cl, "C1 System Down", &matched) ==
		    SD_C2 && !matched);
	}
	classify_free(&cl);
	test_end();
}

static void
test_category(void)
{
	static const struct { const char *subj; const char *want; } t[] = {
		{ "[BUG] crash on save", SD_CAT_BUG },
		{ "[bug] crash", SD_CAT_BUG },
		{ "Re: [Bug] crash", SD_CAT_BUG },
		{ "[ BUG ] crash", SD_CAT_BUG },
		{ "[Feature Request] dark mode", SD_CAT_FEATURE },
		{ "[feature   request] dark mode", SD_CAT_FEATURE },
		{ "[FEATURE\tREQUEST]", SD_CAT_FEATURE },
		{ "[Existing Scope] report", SD_CAT_EXISTING },
		{ "[Information Request] prices", SD_CAT_INFO },
		{ "[information request]", SD_CAT_INFO },
		{ "[General Support] hi", SD_CAT_GENERAL },
		{ "[Change Request] new field", SD_CAT_CHANGE },
		{ "[Ticket#12] [BUG] again", SD_CAT_BUG },	/* first that names one */
		{ "[C1] [Change Request] x", SD_CAT_CHANGE },
		{ "[BUG][Feature Request]", SD_CAT_BUG },
		{ "BUG crash", SD_CAT_GENERAL },		/* a tag needs brackets */
		{ "[BUGS] crash", SD_CAT_GENERAL },
		{ "[Feature-Request]", SD_CAT_GENERAL },
		{ "[FeatureRequest]", SD_CAT_GENERAL },
		{ "[BUG crash", SD_CAT_GENERAL },
		{ "BUG] crash", SD_CAT_GENERAL },
		{ "[[BUG]]", SD_CAT_GENERAL },
		{ "[]", SD_CAT_GENERAL },
		{ "", SD_CAT_GENERAL },
		{ "[Duplicate]", SD_CAT_GENERAL },	/* set by grouping, not tags */
		{ "[Information Request and more text that is long]", SD_CAT_GENERAL },
	};

	test_begin("classify: category tags");
	for (size_t i = 0; i < nitems(t); i++)
		test_assert_streq_idx(classify_category(t[i].subj), t[i].want, i);
	test_assert_streq(classify_category(NULL), SD_CAT_GENERAL);
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
		NULL,
	};

	return test_run(fns);
}
