/* SPDX-License-Identifier: MIT */
/*
 * classify.h - pure decisions on a parsed mail (SPEC §3.6, §3.7):
 * priority and category from the subject.  No I/O, no global state.
 */
#ifndef SUPPORTD_CLASSIFY_H
#define SUPPORTD_CLASSIFY_H

#include <stdbool.h>

#include "supportd/conf.h"
#include "supportd/err.h"

/* Set by C1 grouping and merges; always a configured category. */
#define SD_CAT_DUPLICATE	"Duplicate"

struct sd_classifier;

/* Compiles the markers and category tags of c once (start-up and
 * reload); it keeps no pointer into c.  Caller owns; classify_free.
 * NULL with err when a marker cannot be compiled. */
struct sd_classifier *classify_new(const struct sd_conf *c,
	    struct sd_err *err);
void	classify_free(struct sd_classifier **cl);

/*
 * The priority a subject asks for: a marker matches case-insensitively as
 * a whole word (not preceded or followed by a letter or digit; any
 * script, and combining marks and '_' count as word characters too, so
 * "éC1" and "C1_2" do not match), spaces inside a marker match any run
 * of white space.  Several markers: the
 * most urgent wins.  None: the default.  *matched_r (may be NULL) says
 * whether any marker matched.
 */
int	classify_priority(const struct sd_classifier *cl,
	    const char *subject, bool *matched_r);

/* The category a subject tag selects ("[BUG]", "[feature request]":
 * any case, any run of white space as one space; the first tag that
 * selects one), or the default category.  Borrowed from cl. */
const char *classify_category(const struct sd_classifier *cl,
	    const char *subject);

#endif
