/* SPDX-License-Identifier: MIT */
/*
 * journal.c - the outbox's sent journal.
 *
 * Marking a row sent needs SQLite's write lock, which ingest holds for
 * a whole unit of mails; waiting for it after each accepted row would
 * leave the SMTP connections idle for most of the intake.  So a row the
 * relay accepted is first appended to <database>-sent (one write(2), as
 * durable against a crash of supportd as a WAL commit with
 * synchronous=NORMAL), and marked sent in the store as soon as the lock
 * is free: after each finished transaction if no one holds it, and at
 * the latest before outbox_flush returns.  A crash in between leaves the
 * file, and the next flush marks its rows sent before it sends anything,
 * so a crash still repeats at most the rows in flight.  flock(2) on the
 * file keeps two processes (the daemon and supportctl tick) from
 * flushing at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outbox_int.h"
#include "supportd/log.h"

void
journal_init(struct journal *j, const char *database)
{
	j->path = xasprintf("%s-sent", database);
	j->fd = -1;
	j->rows = g_array_new(FALSE, FALSE, sizeof(struct jentry));
}

void
journal_free(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	if (j->rows)
		g_array_free(j->rows, TRUE);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
}

void
journal_unlock(struct journal *j)
{
	flock(j->fd, LOCK_UN);
}

int
journal_open(struct journal *j, int lock_wait, enum jstate *js,
    struct sd_err *err)
{
	struct stat	a, b;
	int		waited = 0;

	g_array_set_size(j->rows, 0);
	j->broken = false;
	/* Replaced or removed since the last flush: use the one on disk,
	 * the one other processes lock. */
	if (j->fd >= 0 && (stat(j->path, &a) == -1 ||
	    fstat(j->fd, &b) == -1 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev)) {
		close(j->fd);
		j->fd = -1;
	}
	if (j->fd < 0 && (j->fd = open(j->path,
	    O_RDWR | O_APPEND | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			return sd_err_set(err, SD_E_TEMP, "outbox: cannot open "
			    "the sent journal %s: %s; nothing is sent until it "
			    "can be read", j->path, strerror(errno));
		if ((j->fd = open(j->path, O_RDWR | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0600)) == -1) {
			if (!j->warned)
				log_warn("outbox: cannot create the sent journal "
				    "%s; each sent row is recorded in the database "
				    "at once", j->path);
			j->warned = true;
			*js = J_NONE;
			return 0;
		}
	}
	while (flock(j->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return sd_err_set(err, SD_E_TEMP, "outbox: flock %s: %s",
			    j->path, strerror(errno));
		if (lock_wait >= 0 && waited >= lock_wait * 1000) {
			*js = J_BUSY;
			return 0;
		}
		usleep(50 * 1000);
		waited += 50;
	}
	*js = J_READY;
	return 0;
}

/* Ties a journal line to its row: a database restored beside an old
 * journal reuses ids, not Message-IDs. */
static unsigned
journal_tag(const struct sd_outrow *o)
{
	return g_str_hash(o->message_id ? o->message_id : "");
}

/* Reads what the file holds, left by a run that stopped before it could
 * mark those rows sent.  A torn last line is skipped: its row was being
 * recorded when the run died, which SPEC §10 allows to repeat.  -1 with
 * err when the file cannot be read (then nothing is sent). */
int
journal_load(struct journal *j, struct sd_err *err)
{
	GString		*buf = g_string_new(NULL);
	char		 chunk[4096];
	const char	*p, *nl, *end;
	ssize_t		 n;
	off_t		 off = 0;

	while ((n = pread(j->fd, chunk, sizeof(chunk), off)) > 0) {
		g_string_append_len(buf, chunk, n);
		off += n;
	}
	if (n == -1) {
		g_string_free(buf, TRUE);
		return sd_err_set(err, SD_E_TEMP, "outbox: read %s: %s; "
		    "nothing is sent until it can be read", j->path,
		    strerror(errno));
	}
	j->size = off;
	end = buf->str + buf->len;
	for (p = buf->str; p < end; p = nl + 1) {
		struct jentry	 e = { 0, 0, 0 };
		char		*q;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			log_warnx("outbox: %s: skipping a torn line", j->path);
			break;
		}
		/* "id at tag": NUL bytes or junk make it a bad line. */
		e.id = g_ascii_strtoll(p, &q, 10);
		if (*q == ' ')
			e.at = g_ascii_strtoll(q + 1, &q, 10);
		if (*q == ' ')
			e.tag = (unsigned)g_ascii_strtoull(q + 1, &q, 10);
		if (q != nl || e.id <= 0 || e.at <= 0) {
			log_warnx("outbox: %s: skipping a bad line", j->path);
			continue;
		}
		g_array_append_val(j->rows, e);
	}
	if (j->rows->len > 0)
		log_info("outbox: %u accepted row(s) in %s from an earlier run",
		    j->rows->len, j->path);
	g_string_free(buf, TRUE);
	return 0;
}

int
journal_add(struct journal *j, const struct sd_outrow *o, sd_time at)
{
	struct jentry	e = { o->id, at, journal_tag(o) };
	char		line[80];
	ssize_t		w;
	int		n;

	if (j->fd < 0 || j->broken)
		return -1;
	n = snprintf(line, sizeof(line), "%lld %lld %u\n", (long long)e.id,
	    (long long)e.at, e.tag);
	if ((w = write(j->fd, line, (size_t)n)) != n) {
		log_warn("outbox: write %s", j->path);
		/* A part of a line would run into the next one. */
		if (w > 0 && ftruncate(j->fd, j->size) == -1)
			j->broken = true;
		return -1;
	}
	j->size += n;
	g_array_append_val(j->rows, e);
	return 0;
}

/* Rows already sent (a crash between this commit and the truncate) are
 * skipped. */
int
journal_fold(struct journal *j, struct sd_store *st, bool wait,
    struct sd_err *err)
{
	bool	busy = false;
	int	ret = 0;

	if (j->rows->len == 0)
		return 0;
	if ((wait ? store_begin(st, err) :
	    store_try_begin(st, &busy, err)) == -1)
		return -1;
	if (busy)
		return 0;
	for (guint i = 0; ret == 0 && i < j->rows->len; i++) {
		const struct jentry	*e = &g_array_index(j->rows,
					    struct jentry, i);
		struct sd_outrow	 o;
		bool			 found;

		if (store_outbox_get(st, e->id, &o, &found, err) == -1)
			ret = -1;
		else if (found && o.status == SD_OUT_QUEUED &&
		    journal_tag(&o) != e->tag)
			log_warnx("outbox: %s: row id=%lld is not the row the "
			    "journal names (database restored?); left queued",
			    j->path, (long long)e->id);
		else if (found && o.status == SD_OUT_QUEUED)
			ret = store_outbox_sent(st, &o, e->at, err);
		store_outrow_clear(&o);
	}
	if (ret == -1) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st, err) == -1)
		return -1;
	g_array_set_size(j->rows, 0);
	/* If this fails the rows are folded again, and skipped. */
	if (ftruncate(j->fd, 0) == -1) {
		log_warn("outbox: truncate %s", j->path);
		j->broken = true;
	} else
		j->size = 0;
	return 0;
}
