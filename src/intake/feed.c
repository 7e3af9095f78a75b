/* SPDX-License-Identifier: MIT */
/*
 * feed.c - the groups of one poll: fetched, parsed ahead, handed to the
 * sink as units of work (struct sd_fetch_group), and marked on the
 * server once the sink has kept them.
 *
 * The feed: while the caller's thread takes group k in (SQLite), a
 * fetching thread owns the IMAP session and fetches the groups after
 * it, and marks each group processed once the caller says it is
 * committed; a parsing thread parses the fetched mails in order.
 * Found by the benchmark: done in turn, the IMAP round trips were a
 * third of intake's time.  The caller parses a mail itself when the
 * parser has not reached it, so neither core waits for the other.
 * The session is the fetcher's from feed_start to feed_end; the caller
 * touches only the queues.
 *
 * The caller takes a parsed mail without the lock (an atomic state per
 * mail), and the parser keeps PARSE_GAP mails ahead of it: when the two
 * met at the same mail the caller slept on the lock or on that parse a
 * thousand times per 10,000 mails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <glib.h>

#include "imap_int.h"
#include "supportd/log.h"

#define FEED_BYTES	BODY_BATCH_BYTES	/* fetched, not yet freed */
#define FIRST_GROUP	32	/* mails: the caller starts soon */
#define PARSE_NICE	10
#define PARSE_GAP	2	/* the parser starts this far past the caller */

struct group {
	struct sd_fetch_group pub;	/* first: what the sink gets */
	struct feed	*fd;
	struct sd_fetched f;		/* what pub.mail handed out */
	size_t		 cur;		/* its index, or SIZE_MAX */
	bool		*kept;		/* pub.keep's */
	size_t		 n;
	struct meta	*meta;
	struct body	*bodies;
	size_t		 bytes;
	bool		 big;		/* one mail, headers only */
	gint		 pos;		/* atomic: the mail the caller is at */
	gint		 abandon;	/* atomic: the caller is done with it */
	bool		 parsing;	/* under the lock: the parser is in it */
};

struct feed {
	struct sd_intake	*in;
	const struct sd_intake_sink *sink;	/* borrowed */
	uint32_t		 uidvalidity;
	const uint32_t		*uids;
	size_t			 nuids;
	GThread			*th, *parser;
	GMutex			 mu;
	GCond			 cv;
	GQueue			 ready;		/* struct group *, UID order */
	GQueue			 unparsed;	/* groups the parser has not done */
	gint			 caller_waits;	/* atomic: wake it when parsed */
	GQueue			 marks;		/* GArray * of committed UIDs */
	size_t			 held;		/* bytes fetched, not freed */
	bool			 fetched;	/* no more groups will come */
	bool			 stop;		/* caller: fetch no more */
	bool			 last_mark;	/* caller: no more marks */
	struct sd_err		 ferr;		/* fetching failed: cls set */
	struct sd_err		 merr;		/* the first marking error */
};

static void
group_free(struct group *g)
{
	for (size_t k = 0; k < g->n; k++) {
		g->fd->sink->parse_free(&g->bodies[k].mail);
		free(g->bodies[k].data);
	}
	free(g->kept);
	free(g->bodies);
	free(g->meta);
	free(g);
}

/* Marks what the caller has committed.  Called and returns locked. */
static void
feed_mark(struct feed *fd)
{
	GArray		*uids;
	struct sd_err	 e;

	while ((uids = g_queue_pop_head(&fd->marks)) != NULL) {
		g_mutex_unlock(&fd->mu);
		sd_err_clear(&e);
		(void)imap_dispose(fd->in, (uint32_t *)(void *)uids->data,
		    uids->len, &e);
		g_mutex_lock(&fd->mu);
		if (fd->merr.cls == SD_E_NONE)
			fd->merr = e;
		g_array_free(uids, TRUE);
	}
}

/* Hands meta[0..n) on in size-bounded groups: a run of small mails up
 * to BODY_BATCH_BYTES, or one big one; the mails that did not come
 * whole in pre[0..n) are fetched.  Called and returns locked; false
 * when the fetcher is to stop. */
static bool
feed_groups(struct feed *fd, struct meta *meta, struct body *pre, size_t n)
{
	struct sd_intake	*in = fd->in;
	size_t			 i = 0, j, k, m, bytes;

	while (i < n) {
		struct group	*g;
		uint32_t	*uids;
		struct sd_err	 e;
		bool		 big = (int64_t)meta[i].size > in->max_size;
		int		 r;

		bytes = 0;	/* headers only: their size is not known */
		j = i;
		if (big)
			j = i + 1;
		else
			while (j < n && (int64_t)meta[j].size <= in->max_size &&
			    (j == i || bytes + meta[j].size <= BODY_BATCH_BYTES))
				bytes += meta[j++].size;
		/* One group ahead is enough to hide the round trips; memory
		 * stays bounded: at most FEED_BYTES of fetched mail waits or
		 * is being taken in, besides the group being fetched. */
		for (;;) {
			feed_mark(fd);
			if (fd->stop)
				return false;
			if (fd->held == 0 || (fd->ready.length == 0 &&
			    fd->held + bytes <= FEED_BYTES))
				break;
			g_cond_wait(&fd->cv, &fd->mu);
		}
		g_mutex_unlock(&fd->mu);
		g = xcalloc(1, sizeof(*g));
		g->fd = fd;
		g->n = j - i;
		g->big = big;
		g->meta = xcalloc(g->n, sizeof(*meta));
		memcpy(g->meta, meta + i, g->n * sizeof(*meta));
		g->bodies = xcalloc(g->n, sizeof(*g->bodies));
		uids = xcalloc(g->n, sizeof(*uids));
		m = 0;
		for (k = 0; k < g->n; k++) {
			struct body *p = &pre[i + k];

			g->bodies[k].uid = meta[i + k].uid;
			if (!big && p->data != NULL) {
				g->bodies[k].data = p->data;
				g->bodies[k].len = p->len;
				p->data = NULL;
			} else
				uids[m++] = meta[i + k].uid;
		}
		sd_err_clear(&e);
		r = m == 0 ? 0 :
		    imap_fetch_bodies(in, uids, m, big, g->bodies, g->n, &e);
		free(uids);
		g_mutex_lock(&fd->mu);
		if (r == -1) {
			group_free(g);
			fd->ferr = e;
			return false;
		}
		for (k = 0; k < g->n; k++)
			g->bytes += g->bodies[k].len;
		fd->held += g->bytes;
		g_queue_push_tail(&fd->ready, g);
		g_queue_push_tail(&fd->unparsed, g);
		g_cond_broadcast(&fd->cv);
		i = j;
	}
	return true;
}

/* Parses b, claimed by this thread. */
static void
parse_body(const struct feed *fd, struct body *b)
{
	b->perr[0] = '\0';
	b->mail = b->data == NULL ? NULL : fd->sink->parse(b->data, b->len,
	    b->perr, sizeof(b->perr));
	g_atomic_int_set(&b->state, BODY_PARSED);
}

/* The parser's pass over g, unlocked: each mail PARSE_GAP or more past
 * the caller that nobody has claimed. */
static void
parse_group(struct feed *fd, struct group *g)
{
	for (size_t k = 0; k < g->n; k++) {
		size_t		 ahead = (size_t)g_atomic_int_get(&g->pos) +
		    PARSE_GAP;
		struct body	*b;

		if (g_atomic_int_get(&g->abandon))
			return;
		if (k < ahead)
			k = ahead;
		if (k >= g->n)
			return;
		b = &g->bodies[k];
		if (!g_atomic_int_compare_and_exchange(&b->state, BODY_FREE,
		    BODY_CLAIMED))
			continue;
		parse_body(fd, b);
		/* A futex wake per mail would cost more than a parse: only
		 * when the caller sleeps. */
		if (g_atomic_int_get(&fd->caller_waits)) {
			g_mutex_lock(&fd->mu);
			g_cond_broadcast(&fd->cv);
			g_mutex_unlock(&fd->mu);
		}
	}
}

static gpointer
parse_main(gpointer data)
{
	struct feed	*fd = data;
	struct group	*g;

	/* Parsing ahead uses what CPU is spare: the caller parses what it
	 * needs itself, and the sending thread's SMTP round trips (end to
	 * end, one connection) must not wait behind it. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), PARSE_NICE);
	g_mutex_lock(&fd->mu);
	while (!fd->stop) {
		if ((g = g_queue_pop_head(&fd->unparsed)) == NULL) {
			g_cond_wait(&fd->cv, &fd->mu);
			continue;
		}
		g->parsing = true;
		g_mutex_unlock(&fd->mu);
		parse_group(fd, g);
		g_mutex_lock(&fd->mu);
		g->parsing = false;
		if (g_atomic_int_get(&fd->caller_waits))
			g_cond_broadcast(&fd->cv);
	}
	g_mutex_unlock(&fd->mu);
	return NULL;
}

/* Waits until g->bodies[k] is parsed, parsing it here when the parser
 * has not claimed it. */
static void
feed_wait_parsed(struct feed *fd, struct group *g, size_t k)
{
	struct body *b = &g->bodies[k];

	g_atomic_int_set(&g->pos, (gint)k);
	if (g_atomic_int_compare_and_exchange(&b->state, BODY_FREE,
	    BODY_CLAIMED)) {
		parse_body(fd, b);
		return;
	}
	if (g_atomic_int_get(&b->state) == BODY_PARSED)
		return;
	g_mutex_lock(&fd->mu);
	g_atomic_int_set(&fd->caller_waits, 1);
	while (g_atomic_int_get(&b->state) != BODY_PARSED)
		g_cond_wait(&fd->cv, &fd->mu);
	g_atomic_int_set(&fd->caller_waits, 0);
	g_mutex_unlock(&fd->mu);
}

static gpointer
feed_main(gpointer data)
{
	struct feed	*fd = data;
	struct meta	*meta;
	struct body	*pre;
	struct sd_err	 e;
	bool		 go = true;
	size_t		 n;

	g_mutex_lock(&fd->mu);
	for (size_t i = 0; go && i < fd->nuids; i += n) {
		/* The first FETCH is small: the caller starts soon. */
		n = MIN(i == 0 ? (size_t)FIRST_GROUP : (size_t)FETCH_BATCH,
		    fd->nuids - i);
		feed_mark(fd);
		if (fd->stop)
			break;
		g_mutex_unlock(&fd->mu);
		meta = xcalloc(n, sizeof(*meta));
		pre = xcalloc(n, sizeof(*pre));
		sd_err_clear(&e);
		go = imap_fetch_probe(fd->in, fd->uids + i, n, meta, pre,
		    &e) == 0;
		g_mutex_lock(&fd->mu);
		if (!go)
			fd->ferr = e;
		else
			go = feed_groups(fd, meta, pre, n);
		for (size_t k = 0; k < n; k++)
			free(pre[k].data);
		free(pre);
		free(meta);
	}
	fd->fetched = true;
	g_cond_broadcast(&fd->cv);
	/* Whatever the caller commits is still marked. */
	for (;;) {
		feed_mark(fd);
		if (fd->last_mark)
			break;
		g_cond_wait(&fd->cv, &fd->mu);
	}
	g_mutex_unlock(&fd->mu);
	return NULL;
}

static int
feed_start(struct feed *fd, struct sd_intake *in, uint32_t uidvalidity,
    const uint32_t *uids, size_t n, const struct sd_intake_sink *sink,
    struct sd_err *err)
{
	GError		*ge = NULL;

	memset(fd, 0, sizeof(*fd));
	fd->in = in;
	fd->sink = sink;
	fd->uidvalidity = uidvalidity;
	fd->uids = uids;
	fd->nuids = n;
	g_mutex_init(&fd->mu);
	g_cond_init(&fd->cv);
	g_queue_init(&fd->ready);
	g_queue_init(&fd->unparsed);
	g_queue_init(&fd->marks);
	/* Signals stay with the threads that handle them (as in --once,
	 * where this is the main thread).  Without a parser the caller
	 * parses every mail itself. */
	if ((fd->parser = sd_thread_try_new("parse", parse_main, fd,
	    &ge)) == NULL) {
		log_warnx("intake: mailbox=%s: cannot start the parsing "
		    "thread: %s", in->mb->name, ge->message);
		g_clear_error(&ge);
	}
	if ((fd->th = sd_thread_try_new("fetch", feed_main, fd,
	    &ge)) == NULL) {
		sd_err_set(err, SD_E_TEMP, "intake: mailbox=%s: cannot start "
		    "the fetching thread: %s", in->mb->name, ge->message);
		g_error_free(ge);
		g_mutex_lock(&fd->mu);
		fd->stop = true;
		g_cond_broadcast(&fd->cv);
		g_mutex_unlock(&fd->mu);
		if (fd->parser != NULL)
			g_thread_join(fd->parser);
		g_mutex_clear(&fd->mu);
		g_cond_clear(&fd->cv);
		return -1;
	}
	return 0;
}

/* The next fetched group, or NULL when there is none (all fetched, or
 * fetching failed). */
static struct group *
feed_next(struct feed *fd)
{
	struct group *g;

	g_mutex_lock(&fd->mu);
	while ((g = g_queue_pop_head(&fd->ready)) == NULL && !fd->fetched)
		g_cond_wait(&fd->cv, &fd->mu);
	g_mutex_unlock(&fd->mu);
	return g;
}

/* The caller is done with g; uids (committed) are to be marked. */
static void
feed_done(struct feed *fd, struct group *g, GArray *uids)
{
	/* Left early (an error): what is not parsed yet never will be. */
	g_atomic_int_set(&g->abandon, 1);
	g_mutex_lock(&fd->mu);
	g_queue_remove(&fd->unparsed, g);
	if (g->parsing) {
		g_atomic_int_set(&fd->caller_waits, 1);
		while (g->parsing)
			g_cond_wait(&fd->cv, &fd->mu);
		g_atomic_int_set(&fd->caller_waits, 0);
	}
	fd->held -= g->bytes;
	if (uids->len > 0)
		g_queue_push_tail(&fd->marks, uids);
	else
		g_array_free(uids, TRUE);
	g_cond_broadcast(&fd->cv);
	g_mutex_unlock(&fd->mu);
	group_free(g);
}

/* Stops fetching, waits until all marks are made.  Returns the first
 * error of the fetcher (fetching, then marking) in *err, or 0. */
static int
feed_end(struct feed *fd, struct sd_err *err)
{
	struct group	*g;
	int		 ret = 0;

	g_mutex_lock(&fd->mu);
	fd->stop = fd->last_mark = true;
	g_cond_broadcast(&fd->cv);
	g_mutex_unlock(&fd->mu);
	g_thread_join(fd->th);
	if (fd->parser != NULL)
		g_thread_join(fd->parser);
	g_queue_clear(&fd->unparsed);
	while ((g = g_queue_pop_head(&fd->ready)) != NULL)
		group_free(g);
	if (fd->ferr.cls != SD_E_NONE || fd->merr.cls != SD_E_NONE) {
		*err = fd->ferr.cls != SD_E_NONE ? fd->ferr : fd->merr;
		ret = -1;
	}
	g_mutex_clear(&fd->mu);
	g_cond_clear(&fd->cv);
	return ret;
}

/* pub.mail: mail k of g, parsed (again: anew); see fetched.h. */
static const struct sd_fetched *
group_mail(struct sd_fetch_group *pub, size_t k, bool again)
{
	struct group	*g = (struct group *)pub;
	struct body	*b = &g->bodies[k];
	struct sd_fetched *f = &g->f;

	/* What was handed out before is done with. */
	if (g->cur != SIZE_MAX)
		g->fd->sink->parse_free(&g->bodies[g->cur].mail);
	g->cur = SIZE_MAX;
	if (b->data == NULL) {
		if (!again)	/* expunged between SEARCH and FETCH */
			log_info("intake: mailbox=%s uid=%u: gone before fetch",
			    g->fd->in->mb->name, g->meta[k].uid);
		return NULL;
	}
	if (again)	/* freed after its first use: parsed again */
		parse_body(g->fd, b);
	else
		feed_wait_parsed(g->fd, g, k);
	g->cur = k;
	memset(f, 0, sizeof(*f));
	f->mailbox = g->fd->in->mb;
	f->uidvalidity = g->fd->uidvalidity;
	f->uid = g->meta[k].uid;
	f->internaldate = g->meta[k].internaldate;
	f->raw = b->data;
	f->len = b->len;
	f->headers_only = g->big;
	f->full_size = g->meta[k].size;
	f->mail = b->mail;
	f->parse_err = b->perr;
	f->again = again;
	return f;
}

static void
group_keep(struct sd_fetch_group *pub, size_t k)
{
	((struct group *)pub)->kept[k] = true;
}

/* Hands g to the sink; the UIDs it kept go to *kept_r. */
static int
take_group(struct feed *fd, struct group *g, int *count, GArray **kept_r,
    struct sd_err *err)
{
	GArray	*kept;
	int	 r;

	g->pub.mailbox = fd->in->mb;
	g->pub.uidvalidity = fd->uidvalidity;
	g->pub.first_uid = g->meta[0].uid;
	g->pub.n = g->n;
	g->pub.mail = group_mail;
	g->pub.keep = group_keep;
	g->cur = SIZE_MAX;
	g->kept = xcalloc(g->n, sizeof(*g->kept));
	r = fd->sink->take(fd->sink->arg, &g->pub, err);
	if (g->cur != SIZE_MAX)
		fd->sink->parse_free(&g->bodies[g->cur].mail);
	g->cur = SIZE_MAX;
	*kept_r = kept = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (size_t k = 0; k < g->n; k++)
		if (g->kept[k])
			g_array_append_val(kept, g->meta[k].uid);
	*count += (int)kept->len;
	return r;
}

int
feed_take_all(struct sd_intake *in, uint32_t uidvalidity,
    const uint32_t *uids, size_t n, const struct sd_intake_sink *sink,
    int *count, struct sd_err *err)
{
	struct feed	 fd;
	struct group	*g;
	GArray		*done;
	struct sd_err	 ferr;
	int		 ret = 0;

	if (feed_start(&fd, in, uidvalidity, uids, n, sink, err) == -1)
		return -1;
	while (ret == 0 && (g = feed_next(&fd)) != NULL) {
		ret = take_group(&fd, g, count, &done, err);
		feed_done(&fd, g, done);
	}
	sd_err_clear(&ferr);
	if (feed_end(&fd, &ferr) == -1 && ret == 0) {
		*err = ferr;
		ret = -1;
	}
	return ret;
}
