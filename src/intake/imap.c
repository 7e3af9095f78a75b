/* SPDX-License-Identifier: MIT */
/*
 * imap.c - the IMAP session with libetpan: login, UID cursor, search,
 * fetch, disposition after commit, IDLE.  Library memory never leaves
 * this file: bodies are copied before the fetch list is freed.  The
 * groups of a poll are fetched, parsed and handed to the sink by
 * feed.c; the transport is stream.c's (poll(2), bounded waits), not
 * libetpan's (select(2)); imap_tls.c checks the peer's chain and host
 * name before LOGIN (isync's way).  Plain tls = "none" is allowed by the
 * config only for loopback hosts, unless allow_plaintext says otherwise.
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

#define IMAP_TIMEOUT	30	/* seconds a server may stay silent */
#define LOGIN_DEADLINE	60	/* seconds from connect to logged in */
#define LOGOUT_DEADLINE	2	/* seconds a LOGOUT may take */
/* Seconds one command may take in all, however the server drips its
 * answer: a FETCH of a 16 MB batch at 140 KB/s. */
#define CMD_DEADLINE	120

const char *
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

enum sd_errcls
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
intake_new(const struct sd_conf_mailbox *mb, int64_t max_message_size)
{
	struct sd_intake *in = xcalloc(1, sizeof(*in));

	in->mb = mb;
	in->max_size = max_message_size;
	in->cancel_fd = -1;
	return in;
}

void
intake_set_cancel(struct sd_intake *in, int fd)
{
	in->cancel_fd = fd;
}

/* Frees a session.  libetpan's mailimap_free says LOGOUT on a session
 * that still has its stream: it may, briefly (a server that does not
 * answer is not waited for), unless logout is false (inside IDLE it
 * would be a bad command; after a failed greeting there is nobody to
 * tell), and then the stream is just closed. */
static void
imap_drop(mailimap *imap, bool logout)
{
	if (imap->imap_stream != NULL) {
		if (logout) {
			imap_stream_deadline(imap->imap_stream,
			    LOGOUT_DEADLINE);
			mailimap_logout(imap);
		}
		if (imap->imap_stream != NULL) {
			mailstream_close(imap->imap_stream);
			imap->imap_stream = NULL;
		}
	}
	mailimap_free(imap);
}

/* Every wait of the next command ends CMD_DEADLINE from now. */
void
imap_cmd_deadline(struct sd_intake *in)
{
	imap_stream_deadline(in->imap->imap_stream, CMD_DEADLINE);
}

void
intake_disconnect(struct sd_intake *in)
{
	if (in->imap == NULL)
		return;
	in->swept = false;
	imap_drop(in->imap, !in->idling);
	in->idling = false;
	in->imap = NULL;
}

bool
intake_connected(const struct sd_intake *in)
{
	return in->imap != NULL;
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
		/* Bytes after the OK would pass as TLS-protected answers
		 * (response injection, CVE-2020-15953). */
		if (imap_stream_pending(stream))
			return sd_err_set(err, SD_E_CONFIG, "%s: STARTTLS: "
			    "the server sent more than its answer", what);
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

/*
 * One login: connect, then LOGIN with the password or, for OAuth2,
 * AUTHENTICATE XOAUTH2 with the token (SPEC §15.2).  *refused_r: the
 * server said no to the credential itself.
 */
static int
imap_login_once(struct sd_intake *in, const struct sd_intake_sink *sink,
    bool stale, bool *refused_r, struct sd_err *err)
{
	const struct sd_conf_imap	*c = &in->mb->imap;
	char				*secret = NULL, login[512];
	bool				 oauth = c->auth == SD_AUTH_OAUTH2;
	int				 r;

	*refused_r = false;
	snprintf(login, sizeof(login), "imap:%s", in->mb->name);
	if (oauth && sink->bearer == NULL)
		return sd_err_set(err, SD_E_BUG, "intake: mailbox=%s: no "
		    "token source for OAuth2", in->mb->name);
	if (oauth ? sink->bearer(sink->arg, login, &c->oauth2, stale,
	    &secret, err) == -1 : (secret = conf_read_secret(c->password,
	    c->password_file, err)) == NULL)
		return -1;
	if ((in->imap = mailimap_new(0, NULL)) == NULL) {
		secret_free(&secret);
		return sd_err_set(err, SD_E_BUG, "intake: out of memory");
	}
	if (imap_open(in, err) == -1)
		goto fail;
	/* libetpan keeps either out of its own debug log. */
	r = oauth ? mailimap_oauth2_authenticate(in->imap, c->user, secret) :
	    mailimap_login(in->imap, c->user, secret);
	if (r != MAILIMAP_NO_ERROR) {
		/* Never log the secret or the line that carried it. */
		*refused_r = r == MAILIMAP_ERROR_LOGIN;
		sd_err_set(err, imap_errcls(r), "intake: mailbox=%s user=%s: "
		    "%s: %s", in->mb->name, c->user, oauth ? "XOAUTH2" :
		    "login", imap_strerror(r));
		goto fail;
	}
	secret_free(&secret);
	return 0;
 fail:
	secret_free(&secret);
	imap_drop(in->imap, in->imap->imap_state != MAILIMAP_STATE_DISCONNECTED);
	in->imap = NULL;
	return -1;
}

static int
imap_connect(struct sd_intake *in, const struct sd_intake_sink *sink,
    struct sd_err *err)
{
	const struct sd_conf_imap	*c = &in->mb->imap;
	struct mailimap_capability_data	*cap = NULL;
	bool				 refused;

	if (imap_login_once(in, sink, false, &refused, err) == -1) {
		/* An expired or revoked token looks like any refused
		 * login: a new one is got, and tried once (SPEC §15.3). */
		if (!refused || c->auth != SD_AUTH_OAUTH2)
			return -1;
		log_info("%s; renewing the token and trying once more",
		    err->msg);
		sd_err_clear(err);
		if (imap_login_once(in, sink, true, &refused, err) == -1)
			return -1;
	}
	/* Servers list more (or fewer: no IDLE) capabilities after LOGIN. */
	if (mailimap_capability(in->imap, &cap) == MAILIMAP_NO_ERROR)
		mailimap_capability_data_free(cap);
	imap_stream_deadline(in->imap->imap_stream, 0);
	log_info("intake: mailbox=%s host=%s port=%d tls=%s%s: connected",
	    in->mb->name, c->host, c->port, c->tls == SD_TLS_IMAPS ? "imaps" :
	    c->tls == SD_TLS_STARTTLS ? "starttls" : "none",
	    c->auth == SD_AUTH_OAUTH2 ? " auth=xoauth2" : "");
	return 0;
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
	imap_cmd_deadline(in);
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
	imap_cmd_deadline(in);
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
int
imap_fetch_probe(struct sd_intake *in, const uint32_t *uids, size_t n,
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
 * their headers only (at most HEADER_FETCH_BYTES of them), into those
 * whose data is NULL. */
int
imap_fetch_bodies(struct sd_intake *in, const uint32_t *uids, size_t n,
    bool headers_only, struct body *bodies, size_t nb, struct sd_err *err)
{
	clist		*res;
	clistiter	*it;
	size_t		 hint = 0;

	if (uid_fetch(in, uids, n, false, headers_only ?
	    mailimap_fetch_att_new_body_peek_section_partial(
	    mailimap_section_new_header(), 0, HEADER_FETCH_BYTES) :
	    mailimap_fetch_att_new_body_peek_section(
	    mailimap_section_new(NULL)), "UID FETCH (body)", &res,
	    err) == -1)
		return -1;
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		struct answer a;

		read_answer(clist_content(it), &a);
		/* Answers come in the order asked: start after the last. */
		for (size_t k = 0; a.data != NULL && k < nb; k++) {
			size_t i = (hint + k) % nb;

			if (bodies[i].uid == a.m.uid &&
			    bodies[i].data == NULL) {
				bodies[i].data = copy_body(a.data, a.len);
				bodies[i].len = a.len;
				hint = i + 1;
				break;
			}
		}
	}
	mailimap_fetch_list_free(res);
	return 0;
}

/* SPEC §3.3: after the commit, set \Seen, move, or delete. */
int
imap_dispose(struct sd_intake *in, const uint32_t *uids, size_t n,
    struct sd_err *err)
{
	struct mailimap_set		*set;
	struct mailimap_flag_list	*fl;
	struct mailimap_store_att_flags	*sa;
	int				 r;

	if (n == 0)
		return 0;
	/* One deadline for the two or three commands it takes. */
	imap_cmd_deadline(in);
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
	imap_cmd_deadline(in);
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
		ret = imap_dispose(in, &g_array_index(uids, uint32_t, i),
		    MIN((guint)FETCH_BATCH, uids->len - i), err);
	g_array_free(uids, TRUE);
	return ret;
}

int
intake_poll(struct sd_intake *in, const struct sd_intake_sink *sink,
    int *count_r, struct sd_err *err)
{
	uint32_t	 uidvalidity, stored_validity = 0, last = 0;
	bool		 found;
	GArray		*uids = NULL;
	int		 r, count = 0, ret = -1;

	if (count_r)
		*count_r = 0;
	if (in->idling && intake_idle_end(in, err) == -1)
		return -1;
	if (in->imap == NULL && imap_connect(in, sink, err) == -1)
		return -1;
	imap_cmd_deadline(in);
	r = mailimap_select(in->imap, in->mb->imap.folder);
	if (r != MAILIMAP_NO_ERROR) {
		sd_err_set(err, imap_errcls(r), "intake: mailbox=%s folder=%s: "
		    "SELECT: %s", in->mb->name, in->mb->imap.folder,
		    imap_strerror(r));
		goto out;
	}
	uidvalidity = in->imap->imap_selection_info ?
	    in->imap->imap_selection_info->sel_uidvalidity : 0;
	if (sink->cursor(sink->arg, in->mb->name, &stored_validity, &last,
	    &found, err) == -1)
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
	if (uids->len > 0 && feed_take_all(in, uidvalidity, (uint32_t *)
	    (void *)uids->data, uids->len, sink, &count, err) == -1)
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
	imap_cmd_deadline(in);
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
	imap_cmd_deadline(in);
	if ((r = mailimap_idle_done(in->imap)) != MAILIMAP_NO_ERROR) {
		sd_err_set(err, SD_E_TEMP, "intake: mailbox=%s: DONE: %s",
		    in->mb->name, imap_strerror(r));
		intake_disconnect(in);
		return -1;
	}
	return 0;
}
