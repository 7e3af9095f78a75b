/* SPDX-License-Identifier: MIT */
/*
 * fuzz-main.h - without libFuzzer (-DFUZZ_MAIN) a target runs once over
 * each file named on the command line: for replaying a crash under gdb
 * or valgrind.  Include it last; define FUZZ_INIT(argcp, argvp) to set
 * up as libFuzzer would, FUZZ_CLEANUP() for what to release at exit.
 */
#ifdef FUZZ_MAIN
#include <glib.h>

#ifndef FUZZ_CLEANUP
#define FUZZ_CLEANUP()	do { } while (0)
#endif

int
main(int argc, char **argv)
{
#ifdef FUZZ_INIT
	FUZZ_INIT(&argc, &argv);
#endif
	for (int i = 1; i < argc; i++) {
		gchar	*buf;
		gsize	 len;

		if (!g_file_get_contents(argv[i], &buf, &len, NULL))
			continue;
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		g_free(buf);
	}
	FUZZ_CLEANUP();
	return 0;
}
#endif
