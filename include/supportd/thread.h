/* SPDX-License-Identifier: MIT */
/*
 * thread.h - pure threading helpers (SPEC §3.8): the ticket tag in a
 * subject and the domain of an address.  The lookups that need the
 * database live in the ingest pipeline.
 */
#ifndef SUPPORTD_THREAD_H
#define SUPPORTD_THREAD_H

#include <stdbool.h>
#include <stdint.h>

/* The ticket number of the first "[TAG#123]" in subject (tag compared
 * case-insensitively, spaces around '#' allowed), or 0. */
int64_t	thread_parse_tag(const char *subject, const char *tag);
/* "[Ticket#123]".  Caller owns. */
char	*thread_format_tag(const char *tag, int64_t id);
/* The lower-case domain of an address, or NULL.  Caller owns. */
char	*thread_addr_domain(const char *addr);

/*
 * Note addresses (SPEC §13.2): where a reply to a notification goes, so
 * that it becomes an internal note.  pattern has "{ticket}" then
 * "{token}", once each, e.g. "notes+{ticket}-{token}@vendor.example";
 * NULL is the mailbox's own address plus "+note-{ticket}-{token}".
 */
#define THREAD_TOKEN_LEN	16	/* hex digits */
/* Whether pattern is one that works (for the config's check). */
bool	thread_note_pattern_ok(const char *pattern);
/* A pattern split once (at config load) around its two fields, for
 * the per-address work; NULL when pattern (or mbox's default) is not
 * one that works.  Caller owns (thread_note_free). */
struct sd_note_pattern {
	char	*prefix, *mid, *tail;
};
struct sd_note_pattern *thread_note_compile(const char *pattern,
	    const char *mbox);
void	thread_note_free(struct sd_note_pattern **np);
/* The note address of ticket.  Caller owns; NULL when np is. */
char	*thread_note_format(const struct sd_note_pattern *np, int64_t ticket,
	    const char *token);
/* The ticket named by note address addr (any case), its token copied
 * to token (THREAD_TOKEN_LEN + 1 bytes); 0 when addr is none. */
int64_t	thread_note_parse(const struct sd_note_pattern *np, const char *addr,
	    char *token);

#endif
