/* SPDX-License-Identifier: MIT */
/*
 * route.c - mail from the vendor side (SPEC §13.2).  What reaches a
 * customer is decided by the address a mail was sent to, not by
 * guessing: every mail to the vendor side carries Reply-To: a note
 * address of its ticket, whose token (an HMAC of the ticket number
 * under a key kept in the database) no stranger can forge, and a reply
 * there is an internal note, as is one whose In-Reply-To or References
 * names such a mail (vendor_mail).  A mail from the vendor side anywhere else
 * on a ticket is never customer mail: an agent's goes through the §9
 * rules, anyone else's is a note when authenticated and changes nothing
 * when not.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/log.h"
#include "supportd/thread.h"



/* The token of ticket id: HMAC-SHA256 of "note:<id>" under the
 * installation's key, its first THREAD_TOKEN_LEN hex digits. */
static int
note_token(const struct sd_ingest *in, int64_t id,
    char tok[THREAD_TOKEN_LEN + 1], struct sd_err *err)
{
	char	msg[32], mac[65];
	int	len;

	len = snprintf(msg, sizeof(msg), "note:%lld", (long long)id);
	if (store_note_hmac(in->store, msg, (size_t)len, mac, err) == -1)
		return -1;
	memcpy(tok, mac, THREAD_TOKEN_LEN);
	tok[THREAD_TOKEN_LEN] = '\0';
	return 0;
}

int
ingest_note_address(const struct sd_ingest *in,
    const struct sd_conf_mailbox *mb, int64_t ticket, char **addr_r,
    struct sd_err *err)
{
	char tok[THREAD_TOKEN_LEN + 1];

	*addr_r = NULL;
	if (note_token(in, ticket, tok, err) == -1)
		return -1;
	*addr_r = thread_note_format(mb->note, ticket, tok);
	return 0;
}

/* Equal in time that does not depend on where they differ. */
static bool
same_token(const char *a, const char *b)
{
	unsigned char d = 0;

	for (size_t i = 0; i < THREAD_TOKEN_LEN; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* addr as a note address of one of our mailboxes with the right token:
 * its ticket, else 0. */
static int
note_of(const struct sd_ingest *in, const char *addr, int64_t *ticket_r,
    struct sd_err *err)
{
	char	got[THREAD_TOKEN_LEN + 1], want[THREAD_TOKEN_LEN + 1];
	int64_t	id;

	*ticket_r = 0;
	for (size_t i = 0; i < in->conf->nmailboxes; i++) {
		const struct sd_conf_mailbox *mb = &in->conf->mailboxes[i];

		if ((id = thread_note_parse(mb->note, addr, got)) == 0)
			continue;
		if (note_token(in, id, want, err) == -1)
			return -1;
		if (same_token(got, want)) {
			*ticket_r = id;
			return 0;
		}
		log_info("ingest: %s: a note address with a wrong token", addr);
	}
	return 0;
}

int
ingest_note_ticket(const struct sd_ingest *in, const struct sd_mail *m,
    int64_t *ticket_r, struct sd_err *err)
{
	const struct sd_strv *lists[] = { &m->to, &m->cc };

	*ticket_r = 0;
	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			if (note_of(in, lists[l]->v[i], ticket_r, err) == -1)
				return -1;
			if (*ticket_r != 0)
				return 0;
		}
	/* A reply to mail of ours to the vendor side whose Reply-To was
	 * lost (a list, a client, a forward) names it all the same, when
	 * the vendor side writes it: a Message-ID is no secret once a
	 * notification is forwarded, the token is. */
	if (!conf_is_vendor(in->conf, m->from.addr))
		return 0;
	if (m->in_reply_to != NULL && store_vendor_mail_ticket(in->store,
	    m->in_reply_to, ticket_r, err) == -1)
		return -1;
	for (size_t i = m->references.n; *ticket_r == 0 && i > 0; i--)
		if (store_vendor_mail_ticket(in->store, m->references.v[i - 1],
		    ticket_r, err) == -1)
			return -1;
	return 0;
}
