/* SPDX-License-Identifier: MIT */
/*
 * merge.c - supportctl merge (SPEC §13.6): two tickets about one thing
 * become one.  FROM's mail, people and history move to INTO; FROM is
 * closed as a Duplicate linked to INTO, and mail that names FROM later
 * threads onto INTO (ingest.c follows the link).
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/classify.h"
#include "supportd/log.h"

bool
ingest_is_merged(const struct sd_ticket *t)
{
	return t->status == SD_ST_CLOSED && t->linked_to != 0 &&
	    t->category != NULL && strcmp(t->category, SD_CAT_DUPLICATE) == 0;
}

int
ingest_merge(const struct sd_ingest *in, int64_t from, int64_t into,
    const char *actor, sd_time now, struct sd_err *err)
{
	struct sd_ticket	 f, t;
	bool			 ffound = false, tfound = false;
	char			*detail = NULL;
	int			 ret = -1;

	memset(&f, 0, sizeof(f));
	memset(&t, 0, sizeof(t));
	if (from == into)
		return sd_err_set(err, SD_E_PERM, "cannot merge a ticket "
		    "into itself");
	if (store_begin(in->store, err) == -1)
		return -1;
	if (store_ticket_get(in->store, from, &f, &ffound, err) == -1 ||
	    store_ticket_get(in->store, into, &t, &tfound, err) == -1)
		goto fail;
	if (!ffound || !tfound) {
		sd_err_set(err, SD_E_PERM, "no ticket %lld",
		    (long long)(ffound ? into : from));
		goto fail;
	}
	/* Merging into a merged ticket would leave a chain to follow. */
	if (ingest_is_merged(&f) || ingest_is_merged(&t)) {
		sd_err_set(err, SD_E_PERM, "ticket %lld was merged into %lld "
		    "already", (long long)(ingest_is_merged(&f) ? from : into),
		    (long long)(ingest_is_merged(&f) ? f.linked_to :
		    t.linked_to));
		goto fail;
	}
	/* FROM's people become INTO's, copied on its mail: never across
	 * customers. */
	if (g_strcmp0(f.organization, t.organization) != 0) {
		sd_err_set(err, SD_E_PERM, "ticket %lld is %s's and %lld is "
		    "%s's: tickets of different customers are not merged",
		    (long long)from, f.organization ? f.organization :
		    "a stranger", (long long)into, t.organization ?
		    t.organization : "a stranger");
		goto fail;
	}
	detail = xasprintf("merged %lld into %lld", (long long)from,
	    (long long)into);
	/* FROM's status change is its last event and stays with it; the
	 * merge is an event of both. */
	if (store_ticket_merge(in->store, from, into, err) == -1 ||
	    store_event_add(in->store, into, now, actor, "merged", detail,
	    err) == -1 ||
	    store_ticket_touch(in->store, into, now, err) == -1 ||
	    timers_set_status(in, &f, SD_ST_CLOSED, actor, now, err) == -1 ||
	    store_event_add(in->store, from, now, actor, "merged", detail,
	    err) == -1)
		goto fail;
	if (store_commit(in->store, err) == -1)
		goto out;
	log_info("ingest: ticket=%lld merged into ticket=%lld by %s",
	    (long long)from, (long long)into, actor);
	ret = 0;
	goto out;
 fail:
	store_rollback(in->store);
 out:
	free(detail);
	store_ticket_clear(&f);
	store_ticket_clear(&t);
	return ret;
}
