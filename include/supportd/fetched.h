/* SPDX-License-Identifier: MIT */
/*
 * fetched.h - one mail as the IMAP side hands it over: plain data shared
 * by intake (which fills it) and ingest (which takes it in).
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

#endif
