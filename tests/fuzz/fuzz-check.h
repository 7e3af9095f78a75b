/* SPDX-License-Identifier: MIT */
/*
 * fuzz-check.h - oracles shared by the fuzz targets that build outgoing
 * mail (SPEC §8, §10): the wire form has CRLF lines of at most 998
 * octets, and no untrusted field can start a header of its own.  A
 * failed check aborts, which libFuzzer reports as a crash.
 */
#ifndef SUPPORTD_FUZZ_CHECK_H
#define SUPPORTD_FUZZ_CHECK_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every line ends in CRLF and has at most 998 octets before it. */
static inline void
fuzz_check_wire(const char *raw)
{
	size_t col = 0;

	for (const char *p = raw; *p != '\0'; p++) {
		if (*p == '\n' && (p == raw || p[-1] != '\r'))
			abort();
		if (*p == '\r' && p[1] != '\n')
			abort();
		if (*p == '\r' || *p == '\n')
			col = 0;
		else if (++col > 998)
			abort();
	}
}

/*
 * The header block of a message mime_build made: every line is a
 * "Name: value" field or its folded continuation, the fields mime_build
 * sets itself appear at most once (From and Subject exactly once), and
 * the envelope's fields (Bcc, Sender, Return-Path, ...) never appear --
 * Cc only when the caller gave Cc addresses.  A subject, name or
 * template value that smuggled a CRLF in would break one of these.
 */
static inline void
fuzz_check_headers(const char *raw, bool cc_allowed)
{
	static const char *const once[] = {
		"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To",
		"References", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding", "Auto-Submitted",
		"X-Auto-Response-Suppress", "X-Supportd-Ticket", "Cc",
	};
	static const char *const never[] = {
		"Bcc", "Sender", "Return-Path", "Received", "Resent-To",
		"Resent-Cc", "Resent-Bcc", "Content-Disposition",
	};
	int		 count[sizeof(once) / sizeof(once[0])] = { 0 };
	const char	*p = raw, *eol, *colon;

	while (*p != '\0' && !(p[0] == '\r' && p[1] == '\n')) {
		eol = strstr(p, "\r\n");
		if (eol == NULL)
			abort();	/* no end of header block */
		if (*p != ' ' && *p != '\t') {
			colon = memchr(p, ':', (size_t)(eol - p));
			if (colon == NULL || colon == p)
				abort();	/* a line that is no field */
			for (const char *q = p; q < colon; q++)
				if (!((*q >= 'A' && *q <= 'Z') ||
				    (*q >= 'a' && *q <= 'z') ||
				    (*q >= '0' && *q <= '9') || *q == '-'))
					abort();
			for (size_t i = 0; i < sizeof(once) / sizeof(once[0]);
			    i++)
				if (strlen(once[i]) == (size_t)(colon - p) &&
				    strncasecmp(p, once[i], colon - p) == 0)
					count[i]++;
			for (size_t i = 0; i < sizeof(never) / sizeof(never[0]);
			    i++)
				if (strlen(never[i]) == (size_t)(colon - p) &&
				    strncasecmp(p, never[i], colon - p) == 0)
					abort();
		}
		p = eol + 2;
	}
	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		if (count[i] > 1)
			abort();
		if (count[i] == 0 && (strcmp(once[i], "From") == 0 ||
		    strcmp(once[i], "Subject") == 0))
			abort();
		if (count[i] == 1 && !cc_allowed && strcmp(once[i], "Cc") == 0)
			abort();
	}
}

#endif
