/* SPDX-License-Identifier: MIT */
/*
 * test-corpus.c - mime_parse over the real-mail corpus in
 * tests/fixtures/corpus/ (byte-exact copies of permissively licensed
 * test mail from other projects; MANIFEST.tsv names source, path and
 * licence of each).  Nothing may crash; every mail a person wrote
 * ("ticket") parses with a sender address; every string that comes out
 * is valid UTF-8; robot_reason agrees with the expect column (SPEC
 * §3.7); and every file cut short at several lengths still parses or is
 * refused cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/mail.h"
#include "supportd/robot.h"
#include "harness.h"
#include "mailcheck.h"

struct row {
	char	*file, *category, *expect;
	bool	 no_from;	/* traits: the file has no From field */
};

static struct row *rows;
static size_t	 nrows;

static bool	 load_manifest(void);

/* Reads MANIFEST.tsv: a header line naming the columns, then one file a
 * line. */
static bool
load_manifest(void)
{
	char	 *text, **lines, **cols;
	size_t	  len;
	int	  cf = -1, cc = -1, ce = -1, ct = -1;

	if ((text = test_slurp("fixtures/corpus/MANIFEST.tsv", &len)) == NULL)
		return false;
	text = xrealloc(text, len + 1);
	text[len] = '\0';
	lines = g_strsplit(text, "\n", -1);
	free(text);
	cols = g_strsplit(lines[0], "\t", -1);
	for (int i = 0; cols[i] != NULL; i++) {
		if (strcmp(cols[i], "file") == 0)
			cf = i;
		else if (strcmp(cols[i], "category") == 0)
			cc = i;
		else if (strcmp(cols[i], "expect") == 0)
			ce = i;
		else if (strcmp(cols[i], "traits") == 0)
			ct = i;
	}
	g_strfreev(cols);
	for (size_t l = 1; cf >= 0 && cc >= 0 && ce >= 0 && lines[l] != NULL;
	    l++) {
		guint n;

		if (*lines[l] == '\0')
			continue;
		cols = g_strsplit(lines[l], "\t", -1);
		n = g_strv_length(cols);
		if (n > (guint)cf && n > (guint)cc && n > (guint)ce) {
			rows = xrealloc(rows, (nrows + 1) * sizeof(*rows));
			rows[nrows].file = xstrdup(cols[cf]);
			rows[nrows].category = xstrdup(cols[cc]);
			rows[nrows].expect = xstrdup(cols[ce]);
			rows[nrows].no_from = ct >= 0 && n > (guint)ct &&
			    strstr(cols[ct], "no-from") != NULL;
			nrows++;
		}
		g_strfreev(cols);
	}
	g_strfreev(lines);
	return nrows > 0;
}

static void
test_corpus_manifest(void)
{
	size_t ticket = 0;

	test_begin("corpus: MANIFEST.tsv lists the files");
	test_assert(load_manifest());
	for (size_t i = 0; i < nrows; i++) {
		char	 rel[512];
		char	*buf;
		size_t	 len;

		snprintf(rel, sizeof(rel), "fixtures/corpus/%s", rows[i].file);
		buf = test_slurp(rel, &len);
		if (buf == NULL)
			printf("# missing: %s\n", rel);
		test_assert_idx(buf != NULL, i);
		test_assert_idx(g_str_has_prefix(rows[i].file, rows[i].category), i);
		free(buf);
		ticket += strcmp(rows[i].expect, "ticket") == 0;
	}
	printf("# %zu files, %zu of them ticket\n", nrows, ticket);
	test_assert(nrows >= 90 && ticket >= 30);
	test_end();
}

static void
test_corpus_parse(void)
{
	size_t parsed = 0, refused = 0;

	test_begin("corpus: every file parses or is refused; tickets parse");
	for (size_t i = 0; i < nrows; i++) {
		struct sd_mail	*m = NULL;
		struct sd_err	 err;
		char		 rel[512];
		char		*buf;
		size_t		 len;
		int		 rc;
		bool		 ticket = strcmp(rows[i].expect, "ticket") == 0;

		snprintf(rel, sizeof(rel), "fixtures/corpus/%s", rows[i].file);
		if ((buf = test_slurp(rel, &len)) == NULL)
			continue;
		sd_err_clear(&err);
		rc = mime_parse(buf, len, &m, &err);
		if (rc == -1) {
			refused++;
			printf("# refused (%s): %s: %s\n", rows[i].expect,
			    rows[i].file, err.msg);
			test_assert_idx(m == NULL && err.cls == SD_E_PERM, i);
			test_assert_idx(!ticket, i);
		} else {
			parsed++;
			test_assert_idx(m != NULL && mail_utf8_ok(m), i);
			/* A person's mail has a sender address, unless its
			 * From field was cut away (traits "no-from"). */
			if (ticket && !rows[i].no_from) {
				if (m->from.addr == NULL ||
				    strchr(m->from.addr, '@') == NULL)
					printf("# ticket without sender: %s\n",
					    rows[i].file);
				test_assert_idx(m->from.addr != NULL &&
				    strchr(m->from.addr, '@') != NULL, i);
			}
			if (rows[i].no_from)
				test_assert_idx(m->from.addr == NULL, i);
		}
		mail_free(&m);
		free(buf);
	}
	printf("# %zu parsed, %zu refused\n", parsed, refused);
	test_end();
}

/*
 * SPEC §3.7 on the corpus: every file marked no-autoreply is seen as
 * automatic (or has no sender, so nobody could be answered), and no
 * person's mail ("ticket") is taken for a robot.
 */
static void
test_corpus_robots(void)
{
	size_t robots = 0;

	test_begin("corpus: robots are robots, people are people");
	for (size_t i = 0; i < nrows; i++) {
		struct sd_mail	*m = NULL;
		struct sd_err	 err;
		const char	*why;
		char		 rel[512];
		char		*buf;
		size_t		 len;
		bool		 ok = true;

		snprintf(rel, sizeof(rel), "fixtures/corpus/%s", rows[i].file);
		if ((buf = test_slurp(rel, &len)) == NULL)
			continue;
		if (mime_parse(buf, len, &m, &err) == 0) {
			why = robot_reason(m);
			if (strcmp(rows[i].expect, "no-autoreply") == 0) {
				ok = why != NULL || m->from.addr == NULL;
				robots++;
			} else if (strcmp(rows[i].expect, "ticket") == 0)
				ok = why == NULL;
			if (!ok)
				printf("# %s (%s): robot_reason %s\n",
				    rows[i].file, rows[i].expect,
				    why ? why : "NULL");
		}
		test_assert_idx(ok, i);
		mail_free(&m);
		free(buf);
	}
	printf("# %zu no-autoreply files\n", robots);
	test_end();
}

static void
test_corpus_truncated(void)
{
	size_t runs = 0;

	test_begin("corpus: every file cut short at several lengths");
	for (size_t i = 0; i < nrows; i++) {
		char	 rel[512];
		char	*buf;
		size_t	 len;

		snprintf(rel, sizeof(rel), "fixtures/corpus/%s", rows[i].file);
		if ((buf = test_slurp(rel, &len)) == NULL)
			continue;
		const size_t cuts[] = { 1, 64, len / 3, len / 2, 2 * len / 3,
		    len > 0 ? len - 1 : 0 };
		for (size_t k = 0; k < nitems(cuts); k++) {
			struct sd_mail	*m = NULL;
			struct sd_err	 err;
			size_t		 n = cuts[k] < len ? cuts[k] : len;
			char		*cut = xmalloc(n ? n : 1);

			memcpy(cut, buf, n);
			if (mime_parse(cut, n, &m, &err) == 0)
				test_assert_idx(m != NULL && mail_utf8_ok(m), i);
			else
				test_assert_idx(m == NULL && err.cls == SD_E_PERM, i);
			mail_free(&m);
			free(cut);
			runs++;
		}
		free(buf);
	}
	printf("# %zu truncated parses\n", runs);
	test_end();
}

int
main(void)
{
	static void (*const fns[])(void) = {
		test_corpus_manifest,
		test_corpus_parse,
		test_corpus_robots,
		test_corpus_truncated,
		NULL,
	};
	int rc;

	mime_init();
	rc = test_run(fns);
	for (size_t i = 0; i < nrows; i++) {
		free(rows[i].file);
		free(rows[i].category);
		free(rows[i].expect);
	}
	free(rows);
	mime_shutdown();
	return rc;
}
