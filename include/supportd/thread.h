/* SPDX-License-Identifier: MIT */
/*
 * thread.h - pure threading helpers (SPEC §3.8): the ticket tag in a
 * subject and the domain of an address.  The lookups that need the
 * database live in the ingest pipeline.
 */
#ifndef SUPPORTD_THREAD_H
#define SUPPORTD_THREAD_H

#include <stdint.h>

/* The ticket number of the first "[TAG#123]" in subject (tag compared
 * case-insensitively, spaces around '#' allowed), or 0. */
int64_t	thread_parse_tag(const char *subject, const char *tag);
/* "[Ticket#123]".  Caller owns. */
char	*thread_format_tag(const char *tag, int64_t id);
/* The lower-case domain of an address, or NULL.  Caller owns. */
char	*thread_addr_domain(const char *addr);

#endif
