/* SPDX-License-Identifier: MIT */
/*
 * mailcheck.h - what the tests of mime_parse share: parsing a fixture or
 * a string, and the promise every parsed mail keeps.
 */
#ifndef SUPPORTD_TEST_MAILCHECK_H
#define SUPPORTD_TEST_MAILCHECK_H

#include <stdbool.h>

#include "supportd/mail.h"

/* Parses tests/fixtures/mail/name.  *rc_r is mime_parse's result, or -2
 * when the file cannot be read, -3 when a refusal is not SD_E_PERM. */
struct sd_mail *parse_fixture(const char *name, int *rc_r);
/* A mail from a C string (LF line ends are fine for GMime); NULL when
 * it is refused. */
struct sd_mail *parse_str(const char *s);
/* Every string of m is valid UTF-8, subject, body and content type are
 * set, the subject is one line, and attachment names are plain file
 * names (no path, no control characters). */
bool	mail_utf8_ok(const struct sd_mail *m);

#endif
