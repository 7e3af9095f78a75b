/* SPDX-License-Identifier: MIT */
/* harness.c - see harness.h. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supportd/util.h"
#include "harness.h"

static const char *cur_name;
static bool	cur_ok;
static int	n_pass, n_fail, n_checks;

void
test_begin(const char *name)
{
	cur_name = name;
	cur_ok = true;
}

void
test_assert_at(bool ok, const char *expr, const char *file, int line,
    long idx)
{
	n_checks++;
	if (ok)
		return;
	cur_ok = false;
	if (idx >= 0)
		printf("# %s:%d: assertion failed: %s (case %ld)\n", file, line,
		    expr, idx);
	else
		printf("# %s:%d: assertion failed: %s\n", file, line, expr);
}

bool
test_streq(const char *a, const char *b)
{
	if (a == NULL && b == NULL)
		return true;
	if (a != NULL && b != NULL && strcmp(a, b) == 0)
		return true;
	printf("#   got:  \"%s\"\n#   want: \"%s\"\n", a ? a : "(null)",
	    b ? b : "(null)");
	return false;
}

void
test_end(void)
{
	if (cur_ok) {
		n_pass++;
		printf("ok %d - %s\n", n_pass + n_fail, cur_name);
	} else {
		n_fail++;
		printf("not ok %d - %s\n", n_pass + n_fail, cur_name);
	}
	fflush(stdout);
}

int
test_run(void (*const fns[])(void))
{
	size_t n = 0;

	while (fns[n] != NULL)
		n++;
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++)
		fns[i]();
	printf("# %d checks\n", n_checks);
	printf("# %d passed, %d failed\n", n_pass, n_fail);
	return n_fail == 0 && n_pass == (int)n ? 0 : 1;
}

const char *
test_srcpath(const char *rel)
{
	static char	 buf[4096];
	const char	*top = getenv("srcdir");

	snprintf(buf, sizeof(buf), "%s/%s", top ? top : ".", rel);
	return buf;
}

char *
test_slurp(const char *rel, size_t *len_r)
{
	FILE	*f = fopen(test_srcpath(rel), "rb");
	char	*buf = NULL;
	long	 n;

	*len_r = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = xmalloc(n > 0 ? (size_t)n : 1);
		if ((*len_r = fread(buf, 1, (size_t)n, f)) != (size_t)n) {
			free(buf);
			buf = NULL;
			*len_r = 0;
		}
	}
	fclose(f);
	return buf;
}

char *
test_write_tmp(const char *dir, const char *name, const char *text,
    unsigned mode)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*fp = fopen(path, "w");

	if (fp == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		abort();
	}
	fputs(text, fp);
	fclose(fp);
	chmod(path, (mode_t)mode);
	return path;
}

