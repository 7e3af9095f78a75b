/* SPDX-License-Identifier: MIT */
/*
 * imap.c - IMAP sessions with libetpan: login, UID cursor, batched
 * fetch, disposition after commit.  Library memory never leaves this
 * file: bodies are copied before the fetch list is freed.
 *
 * The transport is stream.c's (poll(2), bounded waits), not libetpan's
 * (select(2)).  imap_tls.c checks the peer's chain and host name before
 * LOGIN (isync's way).  Plain tls =
 * "none" is allowed by the config only for loopback hosts, unless
 * allow_plaintext says otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>

#include <glib.h>
#include <libetpan/libetpan.h>

#include "imap_int.h"
#include "supportd/intake.h"
#include "supportd/log.h"
#include "supportd/mail.h"

/* Mails per FETCH, and bytes per FETCH of whole bodies: libetpan holds
 * a whole response in memory, so a FETCH of the first PROBE_BYTES of
 * FETCH_BATCH mails is at most BODY_BATCH_BYTES, and the mails fetched
 * again whole are fetched in groups whose RFC822.SIZE adds up to at
 * most that much. */
#define FETCH_BATCH	500
#define BODY_BATCH_BYTES	(16 * 1024 * 1024)
#define PROBE_BYTES	(BODY_BATCH_BYTES / FETCH_BATCH)
#define IMAP_TIMEOUT	30	/* seconds a server may stay silent */
#define LOGIN_DEADLINE	60	/* seconds from connect to logged in */
#define LOGOUT_DEADLINE	2	/* seconds a LOGOUT may take */

struct sd_intake {
	const struct sd_conf_mailbox	*mb;		/* borrowed */
	struct sd_store			*st;		/* borrowed */
	int64_t				 max_size;
	mailimap			*imap;		/* owned, or NULL */
	bool				 idling;	/* IDLE sent, DONE not yet */
	bool				 swept;		/* see sweep() */
	int				 cancel_fd;	/* see intake_set_cancel */
	pthread_mutex_t			*writer;	/* borrowed, or NULL */
	uint32_t			 search_exists;	/* see mail_announced() */
	bool				 expunged;	/* since the search */
	void				(*on_commit)(void *);
	void				*on_commit_arg;
};

struct meta {
	uint32_t	uid;
	uint32_t	size;
	sd_time		internaldate;
};

static const char *
imap_strerror(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:		return "connection lost";
	case MAILIMAP_ERROR_CONNECTION_REFUSED:	return "connection refused";
	case MAILIMAP_ERROR_BAD_STATE:		return "bad state";
	case MAILIMAP_ERROR_LOGIN:		return "login refused";
	case MAILIMAP_ERROR_SELECT:		return "SELECT failed";
	case MAILIMAP_ERROR_FETCH:		return "FETCH failed";
	case MAILIMAP_ERROR_UID_FETCH:		return "UID FETCH failed";
	case MAILIMAP_ERROR_STORE:		return "STORE failed";
	case MAILIMAP_ERROR_UID_STORE:		return "UID STORE failed";
	case MAILIMAP_ERROR_UID_SEARCH:		return "UID SEARCH failed";
	case MAILIMAP_ERROR_SSL:		return "TLS error";
	case MAILIMAP_ERROR_MEMORY:		return "out of memory";
	case MAILIMAP_ERROR_PARSE:		return "unparsable server response";
	default:				return "IMAP error";
	}
}

static enum sd_errcls
imap_errcls(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_LOGIN:
	case MAILIMAP_ERROR_SELECT:
		return SD_E_CONFIG;
	default:
		return SD_E_TEMP;
	}
}

struct sd_intake *
intake_new(const struct sd_conf_mailbox *mb, int64_t max_message_size,
    struct sd_store *st)
{
	struct sd_intake *in = xcalloc(1, sizeof(*in));

	in->mb = mb;
	in->st = st;
	in->max_size = max_message_size;
	in->cancel_fd = -1;
	return in;
}

void
intake_set_cancel(struct sd_intake *in, int fd)
{
	in->cancel_fd = fd;
}

void
intake_share_store(struct sd_intake *in, pthread_mutex_t *writer)
{
	in->writer = writer;
}

static void
writer_lock(const struct sd_intake *in)
{
	if (in->writer != NULL)
		pthread_mutex_lock(in->writer);
}

static void
writer_unlock(const struct sd_intake *in)
{
	if (in->writer != NULL)
		pthread_mutex_unlock(in->writer);
}

void
intake_on_commit(struct sd_intake *in, void (*fn)(void *arg), void *arg)
{
	in->on_commit = fn;
	in->on_commit_arg = arg;
}

void
intake_disconnect(struct sd_intake *in)
{
	if (in->imap == NULL)
		return;
	in->swept = false;
	/* A LOGOUT inside IDLE would be a bad command; a server that does
	 * not answer it is not waited for. */
	if (in->imap->imap_stream != NULL && !in->idling) {
		imap_stream_deadline(in->imap->imap_stream, LOGOUT_DEADLINE);
		mailimap_logout(in->imap);
	}
	in->idling = false;
	mailimap_free(in->imap);
	in->imap = NULL;
}

void
intake_free(struct sd_intake **inp)
{
	if (*inp == NULL)
		return;
	intake_disconnect(*inp);
	free(*inp);
	*inp = NULL;
}

static bool
connected(int r)
{
	return r == MAILIMAP_NO_ERROR || r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	    r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

/* Connects, reads the greeting, and for imaps/starttls verifies the
 * certificate; no credential has been sent when this returns. */
static int
imap_open(struct sd_intake *in, struct sd_err *err)
{
	const struct sd_conf_imap	*c = &in->mb->imap;
	struct mailimap_capability_data	*cap = NULL;
	mailstream			*stream;
	char				 what[512];
	int				 r;

	snprintf(what, sizeof(what), "intake: mailbox=%s host=%s port=%d",
	    in->mb->name, c->host, c->port);
	if ((stream = imap_stream_connect(c->host, c->port, IMAP_TIMEOUT,
	    in->cancel_fd, what, err)) == NULL)
		return -1;
	imap_stream_deadline(stream, LOGIN_DEADLINE);
	if (c->tls == SD_TLS_IMAPS && imap_stream_tls(stream, c->host, what,
	    err) == -1) {
		mailstream_close(stream);
		return -1;
	}
	/* The session owns the stream from here, even on error. */
	r = mailimap_connect(in->imap, stream);
	if (!connected(r))
		return sd_err_set(err, SD_E_TEMP, "%s: greeting: %s", what,
		    imap_strerror(r));
	if (c->tls == SD_TLS_STARTTLS) {
		if ((r = mailimap_starttls(in->imap)) != MAILIMAP_NO_ERROR)
			return sd_err_set(err, SD_E_CONFIG, "%s: STARTTLS: %s",
			    what, imap_strerror(r));
		if (imap_stream_tls(stream, c->host, what, err) == -1)
			return -1;
	}
	if (c->tls != SD_TLS_NONE &&
	    imap_tls_verify(in->imap->imap_stream, c->host, c->ca_file, what,
	    err) == -1)
		return -1;
	/* The greeting's capabilities may predate STARTTLS: ask again. */
	if (mailimap_capability(in->imap, &cap) == MAILIMAP_NO_ERROR)
		mailimap_capability_data_free(cap);
	return 0;
}

static int
imap_connect(struct sd_intake *in, struct sd_err *err)
{
	const struct sd_conf_imap	*c = &in->mb->imap;
	struct mailimap_capability_data	*cap = NULL;
	char				*pass;
	int				 r;

	if ((pass = conf_read_secret(c->password, c->password_file, err))
	    == NULL)
		return -1;
	in->imap = mailimap_new(0, NULL);
	if (in->imap == NULL) {
		free(pass);
		return sd_err_set(err, SD_E_BUG, "intake: out of memory");
	}
	if (imap_open(in, err) == -1)
		goto fail;
	r = mailimap_login(in->imap, c->user, pass);
	if (r != MAILIMAP_NO_ERROR) {
		/* Never log the password or the LOGIN line. */
		sd_err_set(err, imap_errcls(r), "intake: mailbox=%s user=%s: "
		    "login: %s", in->mb->name, c->user, imap_strerror(r));
		goto fail;
	}
	explicit_bzero(pass, strlen(pass));
	free(pass);
	/* Servers list more (or fewer: no IDLE) capabilities after LOGIN. */
	if (mailimap_capability(in->imap, &cap) == MAILIMAP_NO_ERROR)
		mailimap_capability_data_free(cap);
	imap_stream_deadline(in->imap->imap_stream, 0);
	log_info("intake: mailbox=%s host=%s port=%d tls=%s: connected",
	    in->mb->name, c->host, c->port, c->tls == SD_TLS_IMAPS ? "imaps" :
	    c->tls == SD_TLS_STARTTLS ? "starttls" : "none");
	return 0;
 fail:
	explicit_bzero(pass, strlen(pass));
	free(pass);
	mailimap_free(in->imap);
	in->imap = NULL;
	return -1;
}

static sd_time
imap_date_to_time(const struct mailimap_date_time *d)
{
	GDateTime	*dt;
	sd_time		 t;
	int		 zone = d->dt_zone, sign = zone < 0 ? -1 : 1;
	int		 offset;

	/* dt_zone is the written "+hhmm" as a number. */
	zone *= sign;
	offset = sign * ((zone / 100) * 3600 + (zone % 100) * 60);
	dt = g_date_time_new_utc(d->dt_year, d->dt_month, d->dt_day,
	    d->dt_hour, d->dt_min, d->dt_sec);
	if (dt == NULL)
		return 0;
	t = g_date_time_to_unix(dt) - offset;
	g_date_time_unref(dt);
	return t;
}

/* UIDs above last, ascending. */
static int
search_new(struct sd_intake *in, uint32_t last, GArray *uids,
    struct sd_err *err)
{
	struct mailimap_set		*set;
	struct mailimap_search_key	*key;
	clist				*res = NULL;
	clistiter			*it;
	int				 r;

	/* From here on an EXISTS may name mail this search misses: say
	 * so to intake_idle (mail_announced). */
	if (in->imap->imap_selection_info != NULL) {
		in->imap->imap_selection_info->sel_has_exists = 0;
		in->search_exists = in->imap->imap_selection_info->sel_exists;
	}
	in->expunged = false;
	/* A 0 end means '*'; the key owns the set. */
	set = mailimap_set_new_interval(last + 1, 0);
	key = mailimap_search_key_new_uid(set);
	r = mailimap_uid_search(in->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return sd_err_set(err, imap_errcls(r), "intake: mailbox=%s: "
		    "UID SEARCH: %s", in->mb->name, imap_strerror(r));
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);

		/* "n:*" always includes the highest UID, even below n. */
		if (uid > last)
			g_array_append_val(uids, uid);
	}
	mailimap_search_result_free(res);
	return 0;
}

static gint
cmp_u32(gconstpointer a, gconstpointer b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct mailimap_set *
set_of(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();

	for (size_t i = 0; i < n; i++)
		mailimap_set_add_single(set, uids[i]);
	return set;
}

/* A fetched body, copied out of libetpan's memory. */
struct body {
	uint32_t	 uid;
	char		*data;
	size_t		 len;
	/* Parsed (see the feed): state goes FREE -> CLAIMED (by the
	 * thread that parses it) -> PARSED; mail and perr are the parser's
	 * until PARSED. */
	gint		 state;
	struct sd_mail	*mail;		/* NULL: unparsable, see perr */
	char		 perr[512];
};

enum { BODY_FREE, BODY_CLAIMED, BODY_PARSED };

/* What one FETCH answer says of a mail: its metadata (zero when not
 * asked for) and its body section (data NULL when there is none). */
struct answer {
	struct meta	 m;
	const char	*data;
	size_t		 len;
};

static void
read_answer(struct mailimap_msg_att *ma, struct answer *a)
{
	clistiter *ai;

	memset(a, 0, sizeof(*a));
	for (ai = clist_begin(ma->att_list); ai; ai = clist_next(ai)) {
		struct mailimap_msg_att_item	*item = clist_content(ai);
		struct mailimap_msg_att_static	*s;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		s = item->att_data.att_static;
		switch (s->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			a->m.uid = s->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			a->m.size = s->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			if (s->att_data.att_internal_date)
				a->m.internaldate = imap_date_to_time(
				    s->att_data.att_internal_date);
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (s->att_data.att_body_section->sec_body_part) {
				a->data = s->att_data.att_body_section->
				    sec_body_part;
				a->len = s->att_data.att_body_section->
				    sec_length;
			}
			break;
		default:
			break;
		}
	}
}

/* UID FETCH of uids[0..n): UID, body (owned), and with meta also
 * RFC822.SIZE and INTERNALDATE.  *res is the caller's to free. */
static int
uid_fetch(struct sd_intake *in, const uint32_t *uids, size_t n, bool meta,
    struct mailimap_fetch_att *body, const char *what, clist **res,
    struct sd_err *err)
{
	struct mailimap_set		*set = set_of(uids, n);
	struct mailimap_fetch_type	*ft;
	int				 r;

	*res = NULL;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	if (meta) {
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_rfc822_size());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_internaldate());
	}
	mailimap_fetch_type_new_fetch_att_list_add(ft, body);
	r = mailimap_uid_fetch(in->imap, set, ft, res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return sd_err_set(err, imap_errcls(r), "intake: mailbox=%s: "
		    "%s: %s", in->mb->name, what, imap_strerror(r));
	return 0;
}

/* The index in uids[0..n) of uid, looked for from hint on (answers
 * come in the order asked for), or n. */
static size_t
uid_index(const uint32_t *uids, size_t n, uint32_t uid, size_t hint)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = (hint + k) % n;

		if (uids[i] == uid)
			return i;
	}
	return n;
}

static char *
copy_body(const char *data, size_t len)
{
	char *s = xmalloc(len + 1);

	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/*
 * UID, RFC822.SIZE, INTERNALDATE and the first PROBE_BYTES (at most
 * max_message_size + 1) of each of uids[0..n), in one FETCH; pre[i]
 * gets mail i if it came whole, i.e. in fewer bytes than asked for (a
 * server sends no more than there is).
 * Found by the benchmark: a FETCH of the metadata before the bodies
 * cost Dovecot a third more CPU than the bodies alone.  A mail that did
 * not come whole is fetched again (feed_groups), whole or, over
 * max_message_size, its headers only.
 */
static int
fetch_probe(struct sd_intake *in, const uint32_t *uids, size_t n,
    struct meta *meta, struct body *pre, struct sd_err *err)
{
	clist		*res;
	clistiter	*it;
	size_t		 hint = 0;
	/* Mail over max_message_size is not downloaded whole, even here. */
	uint32_t	 probe = (uint32_t)MIN((int64_t)PROBE_BYTES,
	    in->max_size + 1);

	if (uid_fetch(in, uids, n, true,
	    mailimap_fetch_att_new_body_peek_section_partial(
	    mailimap_section_new(NULL), 0, probe), "UID FETCH", &res,
	    err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		meta[i] = (struct meta){ .uid = uids[i] };
		pre[i].uid = uids[i];
	}
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		struct answer	a;
		size_t		i;

		read_answer(clist_content(it), &a);
		/* Ignore items for UIDs we did not ask for. */
		if ((i = uid_index(uids, n, a.m.uid, hint)) == n)
			continue;
		hint = i + 1;
		meta[i] = a.m;
		if (a.data != NULL && a.len < probe && pre[i].data == NULL) {
			pre[i].data = copy_body(a.data, a.len);
			pre[i].len = a.len;
		}
	}
	mailimap_fetch_list_free(res);
	return 0;
}

/* Fetches the mails of bodies[0..nb) named in uids[0..n), whole or
 * their headers only, into those whose data is NULL. */
static int
fetch_bodies(struct sd_intake *in, const uint32_t *uids, size_t n,
    bool headers_only, struct body *bodies, size_t nb, struct sd_err *err)
{
	clist		*res;
	clistiter	*it;

	if (uid_fetch(in, uids, n, false,
	    mailimap_fetch_att_new_body_peek_section(headers_only ?
	    mailimap_section_new_header() : mailimap_section_new(NULL)),
	    "UID FETCH (body)", &res, err) == -1)
		return -1;
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		struct answer a;

		read_answer(clist_content(it), &a);
		for (size_t i = 0; a.data != NULL && i < nb; i++)
			if (bodies[i].uid == a.m.uid &&
			    bodies[i].data == NULL) {
				bodies[i].data = copy_body(a.data, a.len);
				bodies[i].len = a.len;
				break;
			}
	}
	mailimap_fetch_list_free(res);
	return 0;
}

/* SPEC §3.3: after the commit, set \Seen, move, or delete. */
static int
dispose(struct sd_intake *in, const uint32_t *uids, size_t n,
    struct sd_err *err)
{
	struct mailimap_set		*set;
	struct mailimap_flag_list	*fl;
	struct mailimap_store_att_flags	*sa;
	int				 r;

	if (n == 0)
		return 0;
	set = set_of(uids, n);
	if (in->mb->processed == SD_PROC_MOVE &&
	    mailimap_has_extension(in->imap, "MOVE")) {
		r = mailimap_uid_move(in->imap, set, in->mb->move_folder);
		mailimap_set_free(set);
		in->expunged = true;
		goto done;
	}
	if (in->mb->processed == SD_PROC_MOVE &&
	    (r = mailimap_uid_copy(in->imap, set, in->mb->move_folder))
	    != MAILIMAP_NO_ERROR) {
		mailimap_set_free(set);
		goto done;
	}
	fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, in->mb->processed == SD_PROC_SEEN ?
	    mailimap_flag_new_seen() : mailimap_flag_new_deleted());
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(in->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r == MAILIMAP_NO_ERROR && in->mb->processed != SD_PROC_SEEN) {
		r = mailimap_has_extension(in->imap, "UIDPLUS") ?
		    mailimap_uid_expunge(in->imap, set) :
		    mailimap_expunge(in->imap);
		in->expunged = true;	/* perhaps in part, even on error */
	}
	mailimap_set_free(set);
 done:
	if (r != MAILIMAP_NO_ERROR)
		return sd_err_set(err, imap_errcls(r), "intake: mailbox=%s: "
		    "marking %zu processed mail(s): %s", in->mb->name, n,
		    imap_strerror(r));
	return 0;
}

/*
 * Mail at or below the cursor is committed; a crash between the commit
 * and dispose() leaves it unmarked, unmoved or undeleted for good,
 * since polls look above the cursor only.  So once per session (always
 * after a restart), whatever is still waiting there is disposed of: for
 * "seen" the UNSEEN ones, for move and delete everything still in the
 * folder.
 */
static int
sweep(struct sd_intake *in, uint32_t last, struct sd_err *err)
{
	struct mailimap_search_key	*key;
	clist				*res = NULL;
	clistiter			*it;
	GArray				*uids;
	int				 r, ret = 0;

	key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key, mailimap_search_key_new_uid(
	    mailimap_set_new_interval(1, last)));
	if (in->mb->processed == SD_PROC_SEEN)
		mailimap_search_key_multiple_add(key, mailimap_search_key_new(
		    MAILIMAP_SEARCH_KEY_UNSEEN, NULL, NULL, NULL, NULL, NULL,
		    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
		    NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL));
	r = mailimap_uid_search(in->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return sd_err_set(err, imap_errcls(r), "intake: mailbox=%s: "
		    "UID SEARCH (sweep): %s", in->mb->name, imap_strerror(r));
	uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);

		if (uid <= last)	/* "1:last" may answer the last UID */
			g_array_append_val(uids, uid);
	}
	mailimap_search_result_free(res);
	if (uids->len > 0)
		log_info("intake: mailbox=%s: %u committed mail(s) left over "
		    "from before; marking them processed", in->mb->name,
		    uids->len);
	for (guint i = 0; ret == 0 && i < uids->len; i += FETCH_BATCH)
		ret = dispose(in, &g_array_index(uids, uint32_t, i),
		    MIN((guint)FETCH_BATCH, uids->len - i), err);
	g_array_free(uids, TRUE);
	return ret;
}

/*
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
#define FEED_BYTES	BODY_BATCH_BYTES	/* fetched, not yet freed */
#define FIRST_GROUP	32	/* mails: the caller starts soon */
#define PARSE_NICE	10
#define PARSE_GAP	2	/* the parser starts this far past the caller */

struct group {
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
		mail_free(&g->bodies[k].mail);
		free(g->bodies[k].data);
	}
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
		(void)dispose(fd->in, (uint32_t *)(void *)uids->data,
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
		    fetch_bodies(in, uids, m, big, g->bodies, g->n, &e);
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
parse_body(struct body *b)
{
	struct sd_mail	*m = NULL;
	struct sd_err	 e;

	sd_err_clear(&e);
	if (b->data != NULL && mime_parse(b->data, b->len, &m, &e) == -1)
		m = NULL;
	b->mail = m;
	snprintf(b->perr, sizeof(b->perr), "%s", e.msg);
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
		parse_body(b);
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
		parse_body(b);
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
		go = fetch_probe(fd->in, fd->uids + i, n, meta, pre, &e) == 0;
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
feed_start(struct feed *fd, struct sd_intake *in, const uint32_t *uids,
    size_t n, struct sd_err *err)
{
	GError		*ge = NULL;

	memset(fd, 0, sizeof(*fd));
	fd->in = in;
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

static void
fetched_of(const struct sd_intake *in, uint32_t uidvalidity,
    const struct group *g, size_t k, struct sd_fetched *f)
{
	memset(f, 0, sizeof(*f));
	f->mailbox = in->mb;
	f->uidvalidity = uidvalidity;
	f->uid = g->meta[k].uid;
	f->internaldate = g->meta[k].internaldate;
	f->raw = g->bodies[k].data;
	f->len = g->bodies[k].len;
	f->headers_only = g->big;
	f->full_size = g->meta[k].size;
	f->mail = g->bodies[k].mail;
	f->parse_err = g->bodies[k].perr;
}

/*
 * After the mail with UID failed could not be taken in, the group's
 * transaction holds its half-done writes: all is rolled back, and the n
 * (> 0) mails taken in before it are parsed and taken in again as a new
 * group (the parser works only past the failed one).  Returns 0, or -1
 * (then nothing of g is kept).
 */
static int
retake(struct sd_intake *in, uint32_t uidvalidity, struct group *g,
    size_t n, uint32_t failed, intake_mail_cb cb, void *arg,
    struct sd_err *err)
{
	struct sd_err	 e;
	size_t		 done = 0;
	int		 r;

	store_group_rollback(in->st);
	log_info("intake: mailbox=%s: taking the %zu mail(s) before uid=%u "
	    "in again", in->mb->name, n, failed);
	if (store_group_begin(in->st, err) == -1)
		return -1;
	for (size_t k = 0; k < g->n && done < n; k++) {
		struct sd_fetched f;

		if (g->bodies[k].data == NULL)
			continue;
		/* Freed after its first use: parsed again. */
		parse_body(&g->bodies[k]);
		fetched_of(in, uidvalidity, g, k, &f);
		f.again = true;
		sd_err_clear(&e);
		r = cb(arg, &f, &e);
		mail_free(&g->bodies[k].mail);
		if (r != 0) {
			store_group_rollback(in->st);
			*err = e;
			return -1;
		}
		done++;
	}
	return 0;
}

/* Takes group g in: hands its mails to cb in UID order in one
 * transaction.  The committed UIDs go to *done_r. */
static int
take_group(struct sd_intake *in, struct feed *fd, uint32_t uidvalidity,
    struct group *g, intake_mail_cb cb, void *arg, int *count,
    GArray **done_r, struct sd_err *err)
{
	GArray		*done_uids;
	struct sd_err	 gerr;
	uint32_t	 failed = 0;
	int		 r = 0, committed = 0;

	*done_r = done_uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	sd_err_clear(&gerr);
	if (store_group_begin(in->st, &gerr) == -1)
		return sd_err_set(err, gerr.cls, "intake: mailbox=%s uid=%u: "
		    "%s", in->mb->name, g->meta[0].uid, gerr.msg);
	for (size_t k = 0; k < g->n && r == 0; k++) {
		struct sd_fetched f;

		if (g->bodies[k].data == NULL) {
			/* Expunged between SEARCH and FETCH. */
			log_info("intake: mailbox=%s uid=%u: gone before "
			    "fetch", in->mb->name, g->meta[k].uid);
			continue;
		}
		feed_wait_parsed(fd, g, k);
		fetched_of(in, uidvalidity, g, k, &f);
		if ((r = cb(arg, &f, err)) == -1)
			failed = f.uid;
		else
			g_array_append_val(done_uids, g->meta[k].uid);
		mail_free(&g->bodies[k].mail);
	}
	/* A mail that failed left its writes half done: the mails before
	 * it are taken in again without it.  (A savepoint per mail would
	 * spare that, but cost a tenth of intake's time.) */
	if (r == -1 && done_uids->len == 0) {	/* nothing before it */
		store_group_rollback(in->st);
		return -1;
	}
	sd_err_clear(&gerr);
	if (r == -1)
		committed = retake(in, uidvalidity, g, done_uids->len, failed,
		    cb, arg, &gerr);
	/* One commit for the group, with the cursor at its last mail
	 * taken in: the WAL is written once, not per mail.  If the commit
	 * fails nothing is kept, and nothing is marked. */
	if (committed == 0 && done_uids->len > 0 && store_cursor_set(in->st,
	    in->mb->name, uidvalidity, g_array_index(done_uids, uint32_t,
	    done_uids->len - 1), &gerr) == -1) {
		store_group_rollback(in->st);
		committed = -1;
	}
	if (committed == 0)
		committed = store_group_commit(in->st, &gerr);
	if (committed == -1) {
		log_warnx("intake: mailbox=%s: %s; %u mail(s) stay for the "
		    "next poll", in->mb->name, gerr.msg, done_uids->len);
		if (r == 0)
			*err = gerr;
		g_array_set_size(done_uids, 0);
		return -1;
	}
	*count += (int)done_uids->len;
	if (done_uids->len > 0 && in->on_commit)
		in->on_commit(in->on_commit_arg);
	/* r == 1: the last mail was kept, and the poll stops (cb's err). */
	return r == 0 ? 0 : -1;
}

/* Takes uids[0..n) in, in UID order; what was committed is marked even
 * when a later mail failed. */
static int
take_all(struct sd_intake *in, uint32_t uidvalidity, const uint32_t *uids,
    size_t n, intake_mail_cb cb, void *arg, int *count, struct sd_err *err)
{
	struct feed	 fd;
	struct group	*g;
	GArray		*done;
	struct sd_err	 ferr;
	int		 ret = 0;

	if (feed_start(&fd, in, uids, n, err) == -1)
		return -1;
	while (ret == 0 && (g = feed_next(&fd)) != NULL) {
		writer_lock(in);
		ret = take_group(in, &fd, uidvalidity, g, cb, arg, count,
		    &done, err);
		writer_unlock(in);
		feed_done(&fd, g, done);
	}
	sd_err_clear(&ferr);
	if (feed_end(&fd, &ferr) == -1 && ret == 0) {
		*err = ferr;
		ret = -1;
	}
	return ret;
}

int
intake_poll(struct sd_intake *in, intake_mail_cb cb, void *arg, int *count_r,
    struct sd_err *err)
{
	uint32_t	 uidvalidity, stored_validity = 0, last = 0;
	bool		 found;
	GArray		*uids = NULL;
	int		 r, count = 0, ret = -1;

	if (count_r)
		*count_r = 0;
	if (in->idling && intake_idle_end(in, err) == -1)
		return -1;
	if (in->imap == NULL && imap_connect(in, err) == -1)
		return -1;
	r = mailimap_select(in->imap, in->mb->imap.folder);
	if (r != MAILIMAP_NO_ERROR) {
		sd_err_set(err, imap_errcls(r), "intake: mailbox=%s folder=%s: "
		    "SELECT: %s", in->mb->name, in->mb->imap.folder,
		    imap_strerror(r));
		goto out;
	}
	uidvalidity = in->imap->imap_selection_info ?
	    in->imap->imap_selection_info->sel_uidvalidity : 0;
	writer_lock(in);
	r = store_cursor_get(in->st, in->mb->name, &stored_validity, &last,
	    &found, err);
	writer_unlock(in);
	if (r == -1)
		goto out;
	if (found && stored_validity != uidvalidity) {
		/* The folder was recreated: rescan; the dedupe keys keep old
		 * mail from becoming new tickets. */
		log_warnx("intake: mailbox=%s: UIDVALIDITY changed %u -> %u; "
		    "rescanning", in->mb->name, stored_validity, uidvalidity);
		last = 0;
	}
	if (!in->swept && last > 0) {
		if (sweep(in, last, err) == -1)
			goto out;
		in->swept = true;
	}
	uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	if (search_new(in, last, uids, err) == -1)
		goto out;
	g_array_sort(uids, cmp_u32);
	if (uids->len > 0 && take_all(in, uidvalidity, (uint32_t *)(void *)
	    uids->data, uids->len, cb, arg, &count, err) == -1)
		goto out;
	ret = 0;
 out:
	if (uids)
		g_array_free(uids, TRUE);
	if (count_r)
		*count_r = count;
	/* After a stream error the session is unusable: reconnect next time. */
	if (ret == -1 && err->cls == SD_E_TEMP)
		intake_disconnect(in);
	return ret;
}

/*
 * Whether the server announced mail (an EXISTS) since the last poll's
 * search began.  A mail that arrives while a batch is fetched, or while
 * it is marked \Seen, is announced in the answer to that command, and
 * IDLE does not announce it again: entering IDLE then would leave it
 * there until the next mail or the IDLE renewal (found by the
 * benchmark: a mail waited 10 s for the next one).  An EXISTS that
 * repeats the count the search began with is no news (a server may
 * send one with every answer), unless mail was expunged since: libetpan
 * counts the expunges down, the EXISTS sets the count again.
 */
static bool
mail_announced(const struct sd_intake *in)
{
	const struct mailimap_selection_info *si =
	    in->imap->imap_selection_info;

	return si != NULL && si->sel_has_exists &&
	    (si->sel_exists != in->search_exists || in->expunged);
}

int
intake_idle_begin(struct sd_intake *in, int *fd_r, bool *no_idle_r,
    struct sd_err *err)
{
	int r;

	*no_idle_r = false;
	*fd_r = -1;
	if (in->idling)
		goto idling;
	if (in->imap == NULL)
		return 1;	/* not connected: the next poll reconnects */
	if (!mailimap_has_idle(in->imap)) {
		*no_idle_r = true;
		return 0;
	}
	if (mail_announced(in))
		return 1;
	if ((r = mailimap_idle(in->imap)) != MAILIMAP_NO_ERROR) {
		sd_err_set(err, SD_E_TEMP, "intake: mailbox=%s: IDLE: %s",
		    in->mb->name, imap_strerror(r));
		intake_disconnect(in);
		return -1;
	}
	in->idling = true;
 idling:
	/* Dovecot checks the mailbox right after its "+ idling": an EXISTS
	 * read with that line sits in the stream's buffer, where waiting on
	 * the socket would not see it. */
	if (imap_stream_pending(in->imap->imap_stream))
		return intake_idle_end(in, err) == -1 ? -1 : 1;
	*fd_r = imap_stream_fd(in->imap->imap_stream);
	return 0;
}

int
intake_idle_end(struct sd_intake *in, struct sd_err *err)
{
	int r;

	if (!in->idling)
		return 0;
	in->idling = false;
	if ((r = mailimap_idle_done(in->imap)) != MAILIMAP_NO_ERROR) {
		sd_err_set(err, SD_E_TEMP, "intake: mailbox=%s: DONE: %s",
		    in->mb->name, imap_strerror(r));
		intake_disconnect(in);
		return -1;
	}
	return 0;
}
