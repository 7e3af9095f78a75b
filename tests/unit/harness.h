/* SPDX-License-Identifier: MIT */
/*
 * harness.h - a small TAP harness in the style of dovecot's test-common.
 * Each test_assert is one TAP line; test_main prints the plan and the
 * closing "N passed, N failed" line and returns the exit status.
 */
#ifndef SUPPORTD_TEST_HARNESS_H
#define SUPPORTD_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

void	test_begin(const char *name);
void	test_assert_at(bool ok, const char *expr, const char *file, int line,
	    long idx);
void	test_end(void);
/* Runs fns (NULL-terminated) and returns 0 if all passed, 1 otherwise. */
int	test_run(void (*const fns[])(void));
/* Path of a file under tests/ (uses $srcdir).  Static buffer. */
const char *test_srcpath(const char *rel);
/* The bytes of the file under tests/ named rel, in an exact-size buffer
 * (no NUL after them, so ASan sees a read past the end); NULL when it
 * cannot be read.  Caller owns. */
char	*test_slurp(const char *rel, size_t *len_r);
/* Writes text to dir/name with mode (aborts on failure); caller owns the
 * path returned. */
char	*test_write_tmp(const char *dir, const char *name, const char *text,
	    unsigned mode);

#define test_assert(e)		test_assert_at((e), #e, __FILE__, __LINE__, -1)
#define test_assert_idx(e, i)	test_assert_at((e), #e, __FILE__, __LINE__, (long)(i))
#define test_assert_streq(a, b)	test_assert_at(test_streq((a), (b)), #a " == " #b, __FILE__, __LINE__, -1)
#define test_assert_streq_idx(a, b, i)	test_assert_at(test_streq((a), (b)), #a " == " #b, __FILE__, __LINE__, (long)(i))

/* The built-in priorities by place (conf.h: a priority is its index). */
enum { T_C1 = 0, T_C2, T_C3, T_C4, T_NPRIO };

/* Compares, printing both sides as a TAP comment when they differ. */
bool	test_streq(const char *a, const char *b);

#endif
