/* SPDX-License-Identifier: MIT */
/*
 * ckpt.c - the writer's WAL checkpointed on a thread of its own
 * (store_checkpoint_apart), with a hard bound on the WAL's size.
 */
#include <glib.h>

#include "store_int.h"
#include "supportd/log.h"

/* WAL pages after which a checkpoint is due: SQLite's own default.
 * Past CKPT_PAGES_MAX the writer checkpoints itself, so the next commit
 * starts the WAL over (bench/RESULTS.md, session 10: a WAL that grew
 * through a whole intake cost the writer's pwrite(2)s 60 % more CPU).
 * That checkpoint is PASSIVE and gives way to the checkpointer; past
 * CKPT_PAGES_HARD it waits for it and for readers (RESTART), so the WAL
 * holds no more than CKPT_PAGES_HARD pages and one transaction, however
 * slow the machine.  A reader on an old snapshot (a long supportctl
 * report) or another connection's checkpoint can keep a RESTART from
 * finishing: it is waited for RESTART_WAIT_MS, and tried again only
 * CKPT_PAGES later, so such a reader costs the writer a second per 8 MB
 * written, not the busy timeout on every commit. */
#define CKPT_PAGES	1000
#define CKPT_PAGES_MAX	(2 * CKPT_PAGES)
#define CKPT_PAGES_HARD	(3 * CKPT_PAGES)
#define RESTART_WAIT_MS	1000

/* A checkpointing thread with its own connection (store_checkpoint_apart). */
struct ckpt {
	GThread		*th;
	sqlite3		*db;
	GMutex		 mu;
	GCond		 cv;
	bool		 due, stop;
	bool		 running;	/* in a checkpoint */
	bool		 held;		/* the writer checkpoints: wait */
	unsigned	 done;		/* checkpoints that succeeded */
	int		 hard_at;	/* the writer's: next RESTART */
};

/* The writer's WAL hook: wakes the checkpointer, never waits for it
 * below CKPT_PAGES_HARD.  Only the writer starts the WAL over, at a
 * transaction that finds it all copied; a writer that never finds so
 * (the checkpointer still at work each time) checkpoints itself past
 * CKPT_PAGES_MAX, as SQLite would have at CKPT_PAGES, so the WAL stays
 * small.  Most of its frames are copied by then, so that checkpoint is
 * short; while the checkpointer holds the checkpoint lock it is
 * SQLITE_BUSY and is tried again at the next commit.  A checkpointer
 * that falls that far behind (a busy machine) is waited for. */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct ckpt *ck = arg;

	if (pages >= ck->hard_at) {
		/* SQLite does not wait for another connection's checkpoint:
		 * wait for the thread here, and keep it out meanwhile. */
		g_mutex_lock(&ck->mu);
		ck->held = true;
		while (ck->running)
			g_cond_wait(&ck->cv, &ck->mu);
		g_mutex_unlock(&ck->mu);
		sqlite3_busy_timeout(db, RESTART_WAIT_MS);
		if (sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_RESTART, NULL, NULL) == SQLITE_OK)
			ck->hard_at = CKPT_PAGES_HARD;
		else {
			log_warnx("store: checkpoint at %d WAL pages: %s; "
			    "next try at %d", pages, sqlite3_errmsg(db),
			    pages + CKPT_PAGES);
			ck->hard_at = pages + CKPT_PAGES;
		}
		sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
		g_mutex_lock(&ck->mu);
		ck->held = false;
		g_cond_broadcast(&ck->cv);
		g_mutex_unlock(&ck->mu);
	} else if (pages >= CKPT_PAGES_MAX)
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	else if (pages >= CKPT_PAGES) {
		g_mutex_lock(&ck->mu);
		ck->due = true;
		g_cond_broadcast(&ck->cv);
		g_mutex_unlock(&ck->mu);
	}
	return SQLITE_OK;
}

static gpointer
ckpt_main(gpointer arg)
{
	struct ckpt	*ck = arg;
	int		 r, copied;

	g_mutex_lock(&ck->mu);
	for (;;) {
		while ((!ck->due || ck->held) && !ck->stop)
			g_cond_wait(&ck->cv, &ck->mu);
		if (ck->stop)
			break;
		ck->due = false;
		ck->running = true;
		g_mutex_unlock(&ck->mu);
		/* PASSIVE: copies what no reader needs, waits for nobody;
		 * what is left is copied next time. */
		r = sqlite3_wal_checkpoint_v2(ck->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, &copied);
		if (r != SQLITE_OK && (r & 0xff) != SQLITE_BUSY)
			log_warnx("store: checkpoint: %s",
			    sqlite3_errmsg(ck->db));
		g_mutex_lock(&ck->mu);
		ck->running = false;
		g_cond_broadcast(&ck->cv);
		if (r == SQLITE_OK && copied > 0)	/* frames are in the db */
			ck->done++;
	}
	g_mutex_unlock(&ck->mu);
	return NULL;
}

static void
ckpt_free(struct ckpt *ck)
{
	if (ck == NULL)
		return;
	if (ck->th != NULL) {
		g_mutex_lock(&ck->mu);
		ck->stop = true;
		g_cond_broadcast(&ck->cv);
		g_mutex_unlock(&ck->mu);
		g_thread_join(ck->th);
	}
	if (ck->db != NULL)
		(void)sqlite3_close(ck->db);
	g_mutex_clear(&ck->mu);
	g_cond_clear(&ck->cv);
	free(ck);
}

/*
 * Checkpoints st's WAL on a thread of its own, with a connection of its
 * own, instead of in the commit that finds the WAL over CKPT_PAGES.
 * Found by the benchmark: the checkpoints' fsyncs stalled intake's
 * thread, about a tenth of its wall time (A/B with synchronous=OFF).
 * Without it, SQLite checkpoints as usual.
 */
int
store_checkpoint_apart(struct sd_store *st, struct sd_err *err)
{
	struct ckpt	*ck;
	GError		*ge = NULL;

	if (st->ck != NULL)
		return 0;
	ck = xcalloc(1, sizeof(*ck));
	ck->hard_at = CKPT_PAGES_HARD;
	g_mutex_init(&ck->mu);
	g_cond_init(&ck->cv);
	if (sqlite3_open_v2(st->path, &ck->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(ck->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
	    NULL) != SQLITE_OK) {
		sd_err_set(err, SD_E_TEMP, "store: %s: checkpointer: %s",
		    st->path, ck->db ? sqlite3_errmsg(ck->db) : "cannot open");
		ckpt_free(ck);
		return -1;
	}
	sqlite3_busy_timeout(ck->db, BUSY_TIMEOUT_MS);
	if ((ck->th = sd_thread_try_new("checkpoint", ckpt_main, ck,
	    &ge)) == NULL) {
		sd_err_set(err, SD_E_TEMP, "store: %s: checkpointer: %s",
		    st->path, ge->message);
		g_error_free(ge);
		ckpt_free(ck);
		return -1;
	}
	/* Replaces SQLite's own checkpoint-on-commit hook. */
	sqlite3_wal_hook(st->db, ckpt_hook, ck);
	st->ck = ck;
	return 0;
}

unsigned
store_checkpoints(struct sd_store *st)
{
	unsigned n;

	if (st->ck == NULL)
		return 0;
	g_mutex_lock(&st->ck->mu);
	n = st->ck->done;
	g_mutex_unlock(&st->ck->mu);
	return n;
}


void
store_ckpt_stop(struct sd_store *st)
{
	if (st->ck == NULL)
		return;
	/* The checkpointer's connection first: the last one to close
	 * checkpoints.  No hook may reach it once it is gone. */
	sqlite3_wal_hook(st->db, NULL, NULL);
	ckpt_free(st->ck);
	st->ck = NULL;
}
