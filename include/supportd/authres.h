/* SPDX-License-Identifier: MIT */
/*
 * authres.h - the Authentication-Results header (RFC 8601), read from
 * its raw value: comments, quoted strings, folding and case as the RFC
 * has them, so that no text a sender controls (a quoted local part, an
 * encoded word, a comment) can pass for a result.  No I/O, no state.
 */
#ifndef SUPPORTD_AUTHRES_H
#define SUPPORTD_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

/* ptype.property=value, e.g. header.d=vendor.example. */
struct sd_authres_prop {
	char	*ptype;		/* lower case: "smtp", "header", ... */
	char	*property;	/* lower case: "mailfrom", "d", ... */
	char	*value;		/* unquoted, comments removed */
};

/* One resinfo: method=result and its properties. */
struct sd_authres_result {
	char			*method;	/* lower case, no version */
	char			*result;	/* lower case */
	struct sd_authres_prop	*props;
	size_t			 nprops;
};

struct sd_authres {
	char			*authserv_id;
	struct sd_authres_result *results;
	size_t			 nresults;
};

/*
 * Parses the value of one header (its raw text, folded or not).  0 when
 * it has an authserv-id; a resinfo that breaks the grammar is left out
 * (from where it breaks to the next ';' outside quotes and comments),
 * and a property that is not ptype.property (Microsoft's action=none)
 * is skipped.  -1 when there is no authserv-id (Exchange Online's
 * header starts with "spf=pass") or a quoted string or comment is not
 * closed: nothing is kept then.  Clear ar after either.
 */
int	authres_parse(const char *raw, size_t len, struct sd_authres *ar);
void	authres_clear(struct sd_authres *ar);

/*
 * Whether ar, written by authserv_id (any case), shows that mail from
 * domain is that domain's: dkim=pass with header.d (or header.i's
 * domain) equal to domain, spf=pass with smtp.mailfrom's domain equal
 * to it, or dmarc=pass with header.from equal to it.
 */
bool	authres_passes(const struct sd_authres *ar, const char *authserv_id,
	    const char *domain);

#endif
