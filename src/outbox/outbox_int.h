/* SPDX-License-Identifier: MIT */
/* outbox_int.h - private to src/outbox/. */
#ifndef SUPPORTD_OUTBOX_INT_H
#define SUPPORTD_OUTBOX_INT_H

#include <curl/curl.h>
#include <glib.h>

#include "supportd/oauth.h"
#include "supportd/outbox.h"

/* A row of the sent journal: accepted by the relay at `at`; tag is a
 * hash of its Message-ID. */
struct jentry {
	int64_t		id;
	sd_time		at;
	unsigned	tag;
};

/* The sent journal (journal.c): rows the relay accepted that the store
 * does not yet say are sent. */
struct journal {
	char	*path;		/* <database>-sent */
	int	 fd;		/* -1: not open */
	off_t	 size;		/* what it holds */
	bool	 broken;	/* unusable until the next flush */
	bool	 warned;	/* "cannot create" said */
	GArray	*rows;		/* struct jentry */
};

/* What journal_open found. */
enum jstate {
	J_READY,	/* open and locked */
	J_NONE,		/* none exists and none can be made: rows are
			 * recorded in the store one batch at a time */
	J_BUSY,		/* another process flushes: skip this round */
};

void	journal_init(struct journal *j, const char *database);
void	journal_free(struct journal *j);
/* Opens and locks the journal, waiting lock_wait seconds (-1: as long
 * as it takes) while another process holds it.  -1 with err when a
 * journal exists but cannot be used: its rows might be sent again, so
 * nothing is sent. */
int	journal_open(struct journal *j, int lock_wait, enum jstate *js,
	    struct sd_err *err);
void	journal_unlock(struct journal *j);
/* Reads the rows an earlier run left; -1 with err when it cannot. */
int	journal_load(struct journal *j, struct sd_err *err);
/* Appends an accepted row; -1 when there is no journal or the write
 * failed (then the caller marks it sent in the store at once). */
int	journal_add(struct journal *j, const struct sd_outrow *o, sd_time at);
/* Marks the journal's rows sent in the store in one transaction and
 * empties it; with wait false it gives up at once when another
 * connection is writing.  -1 on a database error (the rows stay). */
int	journal_fold(struct journal *j, struct sd_store *st, bool wait,
	    struct sd_err *err);

/* One SMTP transaction in flight. */
struct smtp_slot {
	CURL			*c;
	struct sd_outrow	 o;		/* the row, while busy */
	bool			 busy;
	bool			 auth_wait;	/* refused login: see retry_auth */
	CURLcode		 result;	/* when finished */
	const char		*p;		/* the part of o.raw not yet read */
	size_t			 left;
	/* A message read in parts from the store (o.raw_apart): where. */
	struct sd_store		*st;
	size_t			 off;
	struct curl_slist	*rcpts;
	char			*from;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct sd_outbox {
	const struct sd_conf_smtp	*smtp;		/* borrowed */
	int64_t				 max_age;
	char				*password;	/* owned, or NULL */
	struct sd_oauth			*oauth;		/* borrowed, or NULL */
	bool				 bearer_set;	/* this flush's token */
	char				*webhook_token;	/* owned, or NULL */
	CURL				*curl;		/* webhooks */
	char				 errbuf[CURL_ERROR_SIZE];
	/* SMTP: smtp->connections slots on one multi handle, whose
	 * connection cache keeps the connections to the relay open. */
	CURLM				*multi;
	struct smtp_slot		*slots;
	int				 nslots;
	struct journal			 journal;
	int				 lock_wait;	/* see outbox.h */
	bool				 relay_down;	/* last flush's */
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
