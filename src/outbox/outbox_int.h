/* SPDX-License-Identifier: MIT */
/* outbox_int.h - private to src/outbox/. */
#ifndef SUPPORTD_OUTBOX_INT_H
#define SUPPORTD_OUTBOX_INT_H

#include <curl/curl.h>
#include <glib.h>

#include "supportd/outbox.h"

/* One SMTP transaction in flight. */
struct smtp_slot {
	CURL			*c;
	struct sd_outrow	 o;		/* the row, while busy */
	bool			 busy;
	CURLcode		 result;	/* when finished */
	const char		*p;		/* the part of o.raw not yet read */
	size_t			 left;
	struct curl_slist	*rcpts;
	char			*from;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct sd_outbox {
	const struct sd_conf_smtp	*smtp;		/* borrowed */
	int64_t				 max_age;
	char				*password;	/* owned, or NULL */
	char				*webhook_token;	/* owned, or NULL */
	CURL				*curl;		/* webhooks */
	char				 errbuf[CURL_ERROR_SIZE];
	/* SMTP: smtp->connections slots on one multi handle, whose
	 * connection cache keeps the connections to the relay open. */
	CURLM				*multi;
	struct smtp_slot		*slots;
	int				 nslots;
	/* The sent journal (see outbox.c): rows the relay accepted that
	 * the store does not yet say are sent. */
	char				*jpath;		/* <database>-sent */
	int				 jfd;		/* -1: not open */
	off_t				 jsize;		/* what it holds */
	bool				 jbroken;	/* unusable until the
							 * next flush */
	bool				 jwarned;	/* "cannot create" said */
	GArray				*jrows;		/* struct jentry */
	int				 lock_wait;	/* see outbox.h */
	bool				 relay_down;	/* last flush's */
};

/* A row of the sent journal: accepted by the relay at `at`; tag is a
 * hash of its Message-ID. */
struct jentry {
	int64_t		id;
	sd_time		at;
	unsigned	tag;
};

/* Kind of the outbox rows that are webhook POSTs, not mail. */
#define OUTBOX_KIND_WEBHOOK	"webhook"

/*
 * POSTs o->raw (JSON) to the URL in o->rcpts.  0 on a 2xx answer; -1
 * with err: SD_E_TEMP for no answer, 429 and 5xx (retry), SD_E_PERM for
 * other answers.  *status_r is the HTTP status, 0 when none came.
 */
int	webhook_post(struct sd_outbox *ob, const struct sd_outrow *o,
	    long *status_r, struct sd_err *err);

#endif
