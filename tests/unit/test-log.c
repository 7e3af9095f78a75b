/* SPDX-License-Identifier: MIT */
/* test-log.c - the log sink: one line per event, control characters
 * escaped so a value cannot forge a second line, lines cut at 2 KiB;
 * and xasprintf, which formats the log's and everyone's strings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "harness.h"
#include "supportd/log.h"
#include "supportd/util.h"

/* What the log wrote to stderr while fn ran. */
static char *
captured(void (*fn)(void))
{
	char	*path = g_strdup("/tmp/sd-log-XXXXXX"), *out = NULL;
	int	 fd = g_mkstemp(path), saved = dup(STDERR_FILENO);

	if (fd == -1 || saved == -1)
		abort();
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	if (!g_file_get_contents(path, &out, NULL, NULL))
		out = g_strdup("");
	unlink(path);
	g_free(path);
	return out;
}

static void
log_hostile(void)
{
	log_info("subject=%s", "hi\r\nlevel=info forged\x1b[31m\x7f");
}

static void
log_long(void)
{
	char *big = g_strnfill(5000, 'a');

	log_warnx("big=%s", big);
	g_free(big);
}

static void
log_suffix(void)
{
	errno = ENOENT;
	log_warn("open %s", "x\ny");
}

static void
test_lines(void)
{
	char *s;

	test_begin("log: one line, control characters escaped, 2 KiB cap");
	log_init("supportd", true, false);
	s = captured(log_hostile);
	test_assert_streq(s, "supportd: level=info subject=hi\\x0d\\x0a"
	    "level=info forged\\x1b[31m\\x7f\n");
	g_free(s);
	s = captured(log_long);
	test_assert(strncmp(s, "supportd: level=warn big=aaaa", 29) == 0);
	test_assert(strchr(s, '\n') == s + strlen(s) - 1);
	test_assert(strlen(s) < 2048 + 32 && strlen(s) > 2000);
	g_free(s);
	s = captured(log_suffix);
	test_assert_streq(s, "supportd: level=warn open x\\x0ay: "
	    "No such file or directory\n");
	g_free(s);
	test_end();
}

/* xasprintf formats short results on the stack and long ones with
 * vasprintf: both sides of the 256-byte edge, and a NUL from %c. */
static void
test_xasprintf(void)
{
	char	*s, *want;

	test_begin("util: xasprintf short, at the stack buffer's edge, long");
	s = xasprintf("%s-%d", "ticket", 42);
	test_assert_streq(s, "ticket-42");
	free(s);
	for (int n = 250; n <= 260; n++) {
		want = g_strnfill((gsize)n, 'x');
		s = xasprintf("%.*s", n, want);
		test_assert_idx(strcmp(s, want) == 0, (size_t)n);
		free(s);
		g_free(want);
	}
	want = g_strnfill(100000, 'y');
	s = xasprintf("<%s>", want);
	test_assert(strlen(s) == 100002 && s[0] == '<' && s[100001] == '>');
	free(s);
	g_free(want);
	s = xasprintf("a%cb", 0);
	test_assert(s[0] == 'a' && s[1] == '\0' && s[2] == 'b' && s[3] == '\0');
	free(s);
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_lines, test_xasprintf,
	    NULL };

	return test_run(tests);
}
