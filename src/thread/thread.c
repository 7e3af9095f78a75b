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
