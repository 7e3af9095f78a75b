/* SPDX-License-Identifier: MIT */
/*
 * fuzz-conf.c - libFuzzer target for the configuration loader (SPEC §10,
 * §12).  conf.h has no from-memory entry point (conf_load reads a path,
 * relative paths in the file are made absolute against its directory),
 * so each input is written to supportd.conf in a private temporary
 * directory (under /dev/shm when there is one) and loaded from there.
 * Checks: a load succeeds exactly when it reports no error, and every
 * error names the file ("FILE:LINE: SETTING: problem").  The first line
 * of the input also goes through conf_parse_duration and conf_parse_size,
 * and the whole of it through the iCalendar reader (holidays_ics), which
 * must give dates or an error with a line, never both.
 *
 * Inputs with "@include" are skipped: libconfig would read whatever file
 * they name (/dev/zero, /dev/stdin, ...), which fuzzes the host rather
 * than our code.  libconfig 1.5 leaks a token on some syntax errors: run
 * with LSAN_OPTIONS=suppressions=tests/lsan.supp (tests/fuzz/run.sh
 * does).  Without libFuzzer (-DFUZZ_MAIN) it loads the files named on
 * the command line.
 *
 *   make fuzz && tests/fuzz/run.sh 60 conf	(in a configured build tree)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "supportd/conf.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	*dir, *path;

static void
cleanup(void)
{
	if (path != NULL)
		unlink(path);
	if (dir != NULL)
		rmdir(dir);
	free(path);
	free(dir);
	path = dir = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";

	(void)argc;
	(void)argv;
	if (asprintf(&dir, "%s/fuzz-conf.XXXXXX", tmp) == -1 ||
	    mkdtemp(dir) == NULL ||
	    asprintf(&path, "%s/supportd.conf", dir) == -1) {
		perror("fuzz-conf: temporary directory");
		exit(1);
	}
	atexit(cleanup);
	return 0;
}

static void
write_input(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1) {
		perror("fuzz-conf: open");
		exit(1);
	}
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("fuzz-conf: write");
			exit(1);
		}
		data += n;
		size -= (size_t)n;
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_strv	 errs, warns;
	struct sd_conf	*c = NULL;
	struct sd_dur	 d;
	const uint8_t	*eol;
	size_t		 plen;
	int64_t		 bytes;
	char		*line;
	int		 r;

	if (dir == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	/* The value parsers on the first line. */
	eol = memchr(data, '\n', size);
	line = g_strndup((const char *)data, eol ? (size_t)(eol - data) : size);
	(void)conf_parse_duration(line, true, &d);
	(void)conf_parse_size(line, &bytes);
	g_free(line);

	{
		struct sd_strv	 dates = { 0 };
		char		*problem = NULL;
		int		 ln = 0;

		r = conf_ical_dates((const char *)data, size, &dates, &ln,
		    &problem);
		if (r == -1 ? problem == NULL || ln < 1 || dates.n != 0 :
		    problem != NULL)
			abort();
		for (size_t i = 0; i < dates.n; i++)
			if (strlen(dates.v[i]) != 10)
				abort();
		free(problem);
		strv_free(&dates);
	}
	if (memmem(data, size, "@include", 8) != NULL)
		return 0;
	write_input(data, size);
	memset(&errs, 0, sizeof(errs));
	memset(&warns, 0, sizeof(warns));
	r = conf_load(path, &c, &errs, &warns);
	if (r == 0) {
		if (c == NULL || errs.n != 0)
			abort();
		/* The lookups on what was loaded. */
		(void)conf_tier(c, "premium");
		(void)conf_org_for_domain(c, "acme.example");
		(void)conf_mailbox(c, "support");
		/* What the rest of supportd counts on (SPEC §14.3). */
		if (c->npriorities < 1 || c->npriorities > SD_MAXPRIO ||
		    c->default_priority < 0 ||
		    c->default_priority >= c->npriorities ||
		    conf_category(c, c->default_category) == NULL ||
		    conf_category(c, "Duplicate") == NULL)
			abort();
		for (int p = 0; p < c->npriorities; p++)
			if (c->priorities[p].name == NULL ||
			    c->priorities[p].label == NULL ||
			    c->priorities[p].description == NULL ||
			    conf_prio_index(c, c->priorities[p].name) != p)
				abort();
		conf_free(&c);
	} else if (r != -1 || c != NULL || errs.n == 0) {
		abort();
	}
	plen = strlen(path);
	for (size_t i = 0; i < errs.n; i++)
		if (strncmp(errs.v[i], path, plen) != 0 ||
		    errs.v[i][plen] != ':')
			abort();	/* an error that does not name the file */
	strv_free(&errs);
	strv_free(&warns);
	return 0;
}

#define FUZZ_INIT(c, v)	LLVMFuzzerInitialize(c, v)
#include "fuzz-main.h"
