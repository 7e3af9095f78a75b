/* SPDX-License-Identifier: MIT */
/* thread.c - ticket tags and address domains; see thread.h. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/thread.h"
#include "supportd/util.h"

int64_t
thread_parse_tag(const char *subject, const char *tag)
{
	size_t		 tlen = strlen(tag);
	const char	*p;

	if (subject == NULL || tlen == 0)
		return 0;
	for (p = strchr(subject, '['); p != NULL; p = strchr(p + 1, '[')) {
		const char	*q = p + 1;
		int64_t		 id = 0;
		int		 digits = 0;

		while (*q == ' ')
			q++;
		if (g_ascii_strncasecmp(q, tag, tlen) != 0)
			continue;
		q += tlen;
		while (*q == ' ')
			q++;
		if (*q++ != '#')
			continue;
		while (*q == ' ')
			q++;
		/* 15 digits keep id far from overflow. */
		while (g_ascii_isdigit(*q) && digits < 15) {
			id = id * 10 + (*q++ - '0');
			digits++;
		}
		while (*q == ' ')
			q++;
		if (digits > 0 && *q == ']' && id > 0)
			return id;
	}
	return 0;
}

char *
thread_format_tag(const char *tag, int64_t id)
{
	return xasprintf("[%s#%lld]", tag, (long long)id);
}

char *
thread_addr_domain(const char *addr)
{
	const char *at;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL || at[1] == '\0')
		return NULL;
	return sd_strdup_lower(at + 1);
}

#define P_TICKET	"{ticket}"
#define P_TOKEN		"{token}"

/* The pattern to use: the given one, or mbox's own with "+note-". */
static char *
note_pattern(const char *pattern, const char *mbox)
{
	const char *at;

	if (pattern != NULL)
		return xstrdup(pattern);
	if (mbox == NULL || (at = strrchr(mbox, '@')) == NULL)
		return NULL;
	return xasprintf("%.*s+note-" P_TICKET "-" P_TOKEN "%s",
	    (int)(at - mbox), mbox, at);
}

bool
thread_note_pattern_ok(const char *pattern)
{
	const char *t = strstr(pattern, P_TICKET);
	const char *k = strstr(pattern, P_TOKEN);

	/* Each once, the ticket first, something between them (a ticket
	 * number's digits would run into the token's), an '@' after. */
	return t != NULL && k != NULL && k > t + strlen(P_TICKET) &&
	    strstr(t + 1, P_TICKET) == NULL && strstr(k + 1, P_TOKEN) == NULL &&
	    strchr(k, '@') != NULL && strchr(pattern, ' ') == NULL;
}

char *
thread_note_format(const char *pattern, const char *mbox, int64_t ticket,
    const char *token)
{
	char	*p = note_pattern(pattern, mbox), *t, *k, *out;

	if (p == NULL || !thread_note_pattern_ok(p)) {
		free(p);
		return NULL;
	}
	t = strstr(p, P_TICKET);
	k = strstr(p, P_TOKEN);
	*t = '\0';
	*k = '\0';
	out = xasprintf("%s%lld%s%s%s", p, (long long)ticket,
	    t + strlen(P_TICKET), token, k + strlen(P_TOKEN));
	free(p);
	return out;
}

int64_t
thread_note_parse(const char *pattern, const char *mbox, const char *addr,
    char *token)
{
	char		*p = note_pattern(pattern, mbox), *t, *k;
	const char	*a = addr, *mid, *tail;
	size_t		 n;
	int64_t		 id = 0;
	int		 digits = 0;

	if (p == NULL || addr == NULL || !thread_note_pattern_ok(p))
		goto none;
	t = strstr(p, P_TICKET);
	k = strstr(p, P_TOKEN);
	*t = '\0';
	*k = '\0';
	mid = t + strlen(P_TICKET);
	tail = k + strlen(P_TOKEN);
	n = strlen(p);
	/* The number as we write it: no leading zero, so that one address
	 * is one ticket's only. */
	if (g_ascii_strncasecmp(a, p, n) != 0 || a[n] == '0')
		goto none;
	for (a += n; g_ascii_isdigit(*a) && digits < 18; a++, digits++)
		id = id * 10 + (*a - '0');
	n = strlen(mid);
	if (digits == 0 || id == 0 || g_ascii_strncasecmp(a, mid, n) != 0)
		goto none;
	a += n;
	for (n = 0; n < THREAD_TOKEN_LEN && g_ascii_isxdigit(a[n]); n++)
		token[n] = g_ascii_tolower(a[n]);
	token[n] = '\0';
	if (n != THREAD_TOKEN_LEN || g_ascii_strcasecmp(a + n, tail) != 0)
		goto none;
	free(p);
	return id;
 none:
	free(p);
	if (token != NULL)
		token[0] = '\0';
	return 0;
}
