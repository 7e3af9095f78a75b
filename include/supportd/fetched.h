/* SPDX-License-Identifier: MIT */
/*
 * fetched.h - mail as the IMAP side hands it over: plain data shared by
 * intake (which fills it) and ingest (which takes it in).
 */
#ifndef SUPPORTD_FETCHED_H
#define SUPPORTD_FETCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supportd/conf.h"

struct sd_mail;

struct sd_fetched {
	const struct sd_conf_mailbox *mailbox;	/* borrowed */
	uint32_t	 uidvalidity;
	uint32_t	 uid;
	sd_time		 internaldate;	/* 0 if the server gave none */
	const char	*raw;		/* borrowed, valid during the callback */
	size_t		 len;
	bool		 headers_only;	/* larger than max_message_size */
	size_t		 full_size;	/* RFC822.SIZE */
	/* Intake has run mime_parse(raw) (on another thread): mail is the
	 * result (borrowed, valid during the callback), or NULL with the
	 * parse error in parse_err. */
	struct sd_mail	*mail;
	const char	*parse_err;
	/* Taken in a second time: a later mail of its group failed and the
	 * group was rolled back.  Say nothing of it twice; do not stop. */
	bool		 again;
};

/*
 * A group of fetched mails, intake's, that ingest takes in as one unit
 * of work (one transaction with the mailbox cursor; see ingest_group).
 * mail(g, k, false) is mail k of n, parsed (the parse runs ahead on
 * another thread, or here), or NULL when the server had no body for it
 * (expunged between SEARCH and FETCH); again = true parses it anew, for
 * a unit taken in a second time.  What it returns is valid until the
 * next call of mail() on g.  keep(g, k) says mail k was committed: only
 * then is it marked on the server.
 */
struct sd_fetch_group {
	const struct sd_conf_mailbox *mailbox;	/* borrowed */
	uint32_t	 uidvalidity;
	uint32_t	 first_uid;	/* of mail 0, for the log */
	size_t		 n;
	const struct sd_fetched *(*mail)(struct sd_fetch_group *g, size_t k,
	    bool again);
	void		(*keep)(struct sd_fetch_group *g, size_t k);
};

#endif
