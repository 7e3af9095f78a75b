/* SPDX-License-Identifier: MIT */
/*
 * imapfetch.c - the benchmark's baseline: the plainest libetpan IMAP
 * client.  LOGIN, SELECT a folder, UID SEARCH ALL, then UID FETCH
 * (UID BODY.PEEK[]) in batches of BATCH mails, as supportd does; it only
 * counts the messages and the bytes.  Prints one line:
 *
 *	mails=N bytes=B secs=S rate=R
 *
 * where secs is the wall time from connect to the last FETCH (monotonic
 * clock) and rate = mails / secs.
 *
 *	imapfetch HOST PORT USER PASSWORD [FOLDER [BATCH]]
 *
 * Build: cc -O2 -o imapfetch imapfetch.c $(pkg-config --cflags --libs libetpan)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libetpan/libetpan.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "imapfetch: %s failed (libetpan error %d)\n", what, r);
	exit(1);
}

int
main(int argc, char **argv)
{
	const char	*host, *user, *pass, *folder = "INBOX";
	int		 port, batch = 500, r;
	mailimap	*imap;
	clist		*found = NULL;
	clistiter	*it;
	uint32_t	*uids;
	size_t		 n = 0, mails = 0, bytes = 0;
	double		 t0, t1;

	if (argc < 5) {
		fprintf(stderr, "usage: imapfetch HOST PORT USER PASSWORD "
		    "[FOLDER [BATCH]]\n");
		return 64;
	}
	host = argv[1];
	port = atoi(argv[2]);
	user = argv[3];
	pass = argv[4];
	if (argc > 5)
		folder = argv[5];
	if (argc > 6 && (batch = atoi(argv[6])) <= 0)
		batch = 500;

	t0 = now();
	imap = mailimap_new(0, NULL);
	if ((r = mailimap_socket_connect(imap, host, (uint16_t)port)) !=
	    MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		die("connect", r);
	if ((r = mailimap_login(imap, user, pass)) != MAILIMAP_NO_ERROR)
		die("LOGIN", r);
	if ((r = mailimap_select(imap, folder)) != MAILIMAP_NO_ERROR)
		die("SELECT", r);

	{
		struct mailimap_set *set = mailimap_set_new_interval(1, 0);
		struct mailimap_search_key *key = mailimap_search_key_new_uid(set);

		r = mailimap_uid_search(imap, NULL, key, &found);
		mailimap_search_key_free(key);
		if (r != MAILIMAP_NO_ERROR)
			die("UID SEARCH", r);
	}
	uids = calloc(clist_count(found) + 1, sizeof(*uids));
	if (uids == NULL)
		die("calloc", 0);
	for (it = clist_begin(found); it != NULL; it = clist_next(it))
		uids[n++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(found);

	for (size_t i = 0; i < n; i += (size_t)batch) {
		size_t			 m = n - i < (size_t)batch ? n - i : (size_t)batch;
		struct mailimap_set	*set = mailimap_set_new_empty();
		struct mailimap_fetch_type *ft;
		clist			*res = NULL;

		for (size_t k = 0; k < m; k++)
			mailimap_set_add_single(set, uids[i + k]);
		ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_uid());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(
		    mailimap_section_new(NULL)));
		r = mailimap_uid_fetch(imap, set, ft, &res);
		mailimap_fetch_type_free(ft);
		mailimap_set_free(set);
		if (r != MAILIMAP_NO_ERROR)
			die("UID FETCH", r);
		for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
			struct mailimap_msg_att *ma = clist_content(it);
			clistiter *ai;

			for (ai = clist_begin(ma->att_list); ai; ai = clist_next(ai)) {
				struct mailimap_msg_att_item *item = clist_content(ai);
				struct mailimap_msg_att_static *s;

				if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
					continue;
				s = item->att_data.att_static;
				if (s->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
				    s->att_data.att_body_section->sec_body_part) {
					bytes += s->att_data.att_body_section->sec_length;
					mails++;
				}
			}
		}
		mailimap_fetch_list_free(res);
	}
	t1 = now();
	mailimap_logout(imap);
	mailimap_free(imap);
	free(uids);
	printf("mails=%zu bytes=%zu secs=%.4f rate=%.1f\n", mails, bytes,
	    t1 - t0, t1 > t0 ? mails / (t1 - t0) : 0.0);
	return mails == n ? 0 : 1;
}
