/* SPDX-License-Identifier: MIT */
/*
 * unit.c - fetched mail taken in as units of work (SPEC §3.4, §10): a
 * group of one fetch in one transaction, with the mailbox cursor at its
 * last mail.  Found by the benchmark: a transaction (and a WAL write)
 * per mail was most of intake's time, and a savepoint per mail a tenth.
 * So a mail that fails spoils its unit: it is rolled back, and the
 * mails before the failing one are taken in again without it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ingest_int.h"
#include "supportd/log.h"
#include "supportd/metrics.h"

/* Takes f into the open unit and logs what became of it.  0, 1 when
 * the unit is to end after it (stopping), -1 when it failed. */
static int
take_one(const struct sd_ingest *in, const struct sd_fetched *f,
    bool (*stopping)(void *), void *arg, struct sd_err *err)
{
	enum sd_outcome	outcome;
	int64_t		ticket;

	if (ingest_mail(in, f, &outcome, &ticket, err) == -1) {
		log_warnx("intake: mailbox=%s uid=%u: %s", f->mailbox->name,
		    f->uid, err->msg);
		return -1;
	}
	if (f->again)	/* said the first time */
		return 0;
	log_info("intake: mailbox=%s uid=%u outcome=%s ticket=%lld size=%zu",
	    f->mailbox->name, f->uid, ingest_outcome_name(outcome),
	    (long long)ticket, f->len);
	metrics_add(SD_MET_MAILS, f->mailbox->name, 1);
	if (outcome == SD_IN_NEW_TICKET)
		metrics_add(SD_MET_TICKETS, f->mailbox->name, 1);
	/* SIGTERM: finish the mail in hand, then stop. */
	if (stopping != NULL && stopping(arg)) {
		sd_err_set(err, SD_E_TEMP, "stopping on signal");
		return 1;
	}
	return 0;
}

/* The unit failed at the mail with UID failed: it is rolled back, and
 * the n (> 0) mails taken in before it, taken[0..n), are taken in again
 * as a new unit.  0, or -1 (the unit is rolled back). */
static int
retake(const struct sd_ingest *in, struct sd_fetch_group *g,
    const size_t *taken, size_t n, uint32_t failed, struct sd_err *err)
{
	const struct sd_fetched	*f;
	struct sd_err		 e;

	store_rollback(in->store);
	log_info("intake: mailbox=%s: taking the %zu mail(s) before uid=%u "
	    "in again", g->mailbox->name, n, failed);
	if (store_begin(in->store, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sd_err_clear(&e);
		if ((f = g->mail(g, taken[i], true)) == NULL ||
		    take_one(in, f, NULL, NULL, &e) != 0) {
			store_rollback(in->store);
			*err = e;
			return -1;
		}
	}
	return 0;
}

int
ingest_group(const struct sd_ingest *in, struct sd_fetch_group *g,
    bool (*stopping)(void *), void *arg, size_t *kept_r, struct sd_err *err)
{
	const struct sd_fetched	*f;
	struct sd_err		 gerr;
	size_t			*taken, nt = 0;
	uint32_t		 failed = 0, last = 0;
	int			 r = 0, committed = 0;

	*kept_r = 0;
	sd_err_clear(&gerr);
	if (store_begin(in->store, &gerr) == -1)
		return sd_err_set(err, gerr.cls, "intake: mailbox=%s uid=%u: "
		    "%s", g->mailbox->name, g->first_uid, gerr.msg);
	taken = xcalloc(g->n > 0 ? g->n : 1, sizeof(*taken));
	for (size_t k = 0; k < g->n && r == 0; k++) {
		if ((f = g->mail(g, k, false)) == NULL)
			continue;
		if ((r = take_one(in, f, stopping, arg, err)) == -1)
			failed = f->uid;
		else {
			taken[nt++] = k;
			last = f->uid;
		}
	}
	if (r == -1 && nt == 0) {	/* nothing before it */
		store_rollback(in->store);
		free(taken);
		return -1;
	}
	if (r == -1)
		committed = retake(in, g, taken, nt, failed, &gerr);
	/* One commit for the unit, with the cursor at its last mail taken
	 * in.  If the commit fails nothing is kept, and nothing marked. */
	if (committed == 0 && nt > 0 && store_cursor_set(in->store,
	    g->mailbox->name, g->uidvalidity, last, &gerr) == -1) {
		store_rollback(in->store);
		committed = -1;
	}
	if (committed == 0)
		committed = store_commit(in->store, &gerr);
	if (committed == -1) {
		log_warnx("intake: mailbox=%s: %s; %zu mail(s) stay for the "
		    "next poll", g->mailbox->name, gerr.msg, nt);
		if (r == 0)
			*err = gerr;
		free(taken);
		return -1;
	}
	for (size_t i = 0; i < nt; i++)
		g->keep(g, taken[i]);
	*kept_r = nt;
	free(taken);
	/* r == 1: the last mail was kept, and the poll stops. */
	return r == 0 ? 0 : -1;
}

int
ingest_cursor(const struct sd_ingest *in, const char *mailbox,
    uint32_t *uidvalidity_r, uint32_t *last_uid_r, bool *found_r,
    struct sd_err *err)
{
	return store_cursor_get(in->store, mailbox, uidvalidity_r, last_uid_r,
	    found_r, err);
}

struct sd_mail *
ingest_parse(const char *raw, size_t len, char *errbuf, size_t errlen)
{
	struct sd_mail	*m = NULL;
	struct sd_err	 e;

	sd_err_clear(&e);
	if (mime_parse(raw, len, &m, &e) == -1)
		m = NULL;
	snprintf(errbuf, errlen, "%s", e.msg);
	return m;
}

void
ingest_parse_free(struct sd_mail **m)
{
	mail_free(m);
}
