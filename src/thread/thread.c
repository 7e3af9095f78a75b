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

struct sd_note_pattern *
thread_note_compile(const char *pattern, const char *mbox)
{
	struct sd_note_pattern	*np;
	char			*p = note_pattern(pattern, mbox), *t, *k;

	if (p == NULL || !thread_note_pattern_ok(p)) {
		free(p);
		return NULL;
	}
	t = strstr(p, P_TICKET);
	k = strstr(p, P_TOKEN);
	*t = '\0';
	*k = '\0';
	np = xcalloc(1, sizeof(*np));
	np->prefix = xstrdup(p);
	np->mid = xstrdup(t + strlen(P_TICKET));
	np->tail = xstrdup(k + strlen(P_TOKEN));
	free(p);
	return np;
}

void
thread_note_free(struct sd_note_pattern **npp)
{
	struct sd_note_pattern *np = *npp;

	if (np == NULL)
		return;
	free(np->prefix);
	free(np->mid);
	free(np->tail);
	free(np);
	*npp = NULL;
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
thread_note_format(const struct sd_note_pattern *np, int64_t ticket,
    const char *token)
{
	if (np == NULL)
		return NULL;
	return xasprintf("%s%lld%s%s%s", np->prefix, (long long)ticket,
	    np->mid, token, np->tail);
}

int64_t
thread_note_parse(const struct sd_note_pattern *np, const char *addr,
    char *token)
{
	const char	*a = addr;
	size_t		 n;
	int64_t		 id = 0;
	int		 digits = 0;

	if (np == NULL || addr == NULL)
		goto none;
	n = strlen(np->prefix);
	/* The number as we write it: no leading zero, so that one address
	 * is one ticket's only. */
	if (g_ascii_strncasecmp(a, np->prefix, n) != 0 || a[n] == '0')
		goto none;
	for (a += n; g_ascii_isdigit(*a) && digits < 18; a++, digits++)
		id = id * 10 + (*a - '0');
	n = strlen(np->mid);
	if (digits == 0 || id == 0 || g_ascii_strncasecmp(a, np->mid, n) != 0)
		goto none;
	a += n;
	for (n = 0; n < THREAD_TOKEN_LEN && g_ascii_isxdigit(a[n]); n++)
		token[n] = g_ascii_tolower(a[n]);
	token[n] = '\0';
	if (n != THREAD_TOKEN_LEN || g_ascii_strcasecmp(a + n, np->tail) != 0)
		goto none;
	return id;
 none:
	if (token != NULL)
		token[0] = '\0';
	return 0;
}
