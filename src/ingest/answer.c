/* SPDX-License-Identifier: MIT */
/*
 * answer.c - whom an automatic reply goes to and what it may echo
 * (SPEC §3.7; issue #19 points 4 and 5).  The policy, for a mail
 * operator's eyes:
 * - Reply-To is followed only for a sender of a known organization, and
 *   only within his own domain or organization; otherwise the reply goes
 *   to From.  A spammer naming a victim in Reply-To, even one at the same
 *   free mail provider, reaches only the address he sent from.
 * - A stranger (a sender of no known organization) sees at most a short
 *   excerpt of his own name and subject in our reply, links removed:
 *   no one can have us mail a thousand characters of his choosing.
 * - At most stranger_reply_limit replies per clock hour go to strangers
 *   all together, and the per-address and per-ticket limits hold for
 *   everyone.  Past a limit the ticket is made and says so; nothing is
 *   sent.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/log.h"
#include "supportd/thread.h"

#define TICKET_ACKS_PER_HOUR	10
#define EXCERPT_NAME		40	/* characters of a stranger's name */
#define EXCERPT_SUBJECT		60	/* ... and of his subject */
#define STRANGER_RATE		"stranger-replies"

bool
ingest_is_our_address(const struct sd_conf *c, const char *addr)
{
	char tok[THREAD_TOKEN_LEN + 1];

	for (size_t i = 0; addr != NULL && i < c->nmailboxes; i++)
		if (g_ascii_strcasecmp(c->mailboxes[i].address, addr) == 0 ||
		    thread_note_parse(c->mailboxes[i].note, addr, tok) != 0)
			return true;
	return false;
}

void
ingest_answer_to(const struct sd_conf *c, const struct sd_mail *m,
    const char **name_r, const char **addr_r)
{
	const struct sd_conf_org	*fo;
	char				*fd, *rd;
	bool				 ok;

	*name_r = m->from.name;
	*addr_r = m->from.addr;
	if (m->reply_to.addr == NULL)
		return;
	fd = thread_addr_domain(m->from.addr);
	rd = thread_addr_domain(m->reply_to.addr);
	ok = fd != NULL && rd != NULL &&
	    (fo = conf_org_for_domain(c, fd)) != NULL &&
	    (g_ascii_strcasecmp(fd, rd) == 0 ||
	    fo == conf_org_for_domain(c, rd));
	if (ok) {
		*name_r = m->reply_to.name;
		*addr_r = m->reply_to.addr;
	} else
		log_info("ingest: from=%s: Reply-To %s is not the sender's own "
		    "organization; answering From", m->from.addr,
		    m->reply_to.addr);
	free(fd);
	free(rd);
}

/* At most max characters of s, cut after a word with "...", words with
 * a link in them replaced by "[link]".  NULL for NULL.  Caller owns
 * (g_free). */
static char *
excerpt(const char *s, glong max)
{
	GString	*out;
	gchar	**words;

	if (s == NULL)
		return NULL;
	out = g_string_new(NULL);
	words = g_strsplit_set(s, " \t", -1);
	for (size_t i = 0; words[i] != NULL; i++) {
		const char	*w = words[i];
		glong		 have = g_utf8_strlen(out->str, -1);

		if (*w == '\0')
			continue;
		if (strstr(w, "://") != NULL || g_ascii_strncasecmp(w, "www.",
		    4) == 0)
			w = "[link]";
		if (have + (out->len ? 1 : 0) + g_utf8_strlen(w, -1) > max) {
			if (out->len == 0) {	/* one long word */
				gchar *cut = g_utf8_substring(w, 0, max);

				g_string_append(out, cut);
				g_free(cut);
			}
			g_string_append(out, "...");
			break;
		}
		if (out->len)
			g_string_append_c(out, ' ');
		g_string_append(out, w);
	}
	g_strfreev(words);
	return g_string_free(out, FALSE);
}

int
ingest_address_limited(const struct sd_ingest *in, const char *addr,
    sd_time now, const char **why_r, struct sd_err *err)
{
	int64_t n;

	*why_r = NULL;
	if (store_autoreplies_to(in->store, addr, now -
	    in->conf->autoreply_window, &n, err) == -1)
		return -1;
	if (n >= in->conf->autoreply_limit)
		*why_r = "autoreply_limit reached for this address";
	return 0;
}

/* Why an automatic reply to addr about ticket t may not go now, or NULL
 * (SPEC §3.7: autoreply_limit per address per window, 10 per ticket per
 * hour; stranger_reply_limit per hour for strangers). */
static int
gate(const struct sd_ingest *in, const struct sd_ticket *t, bool fresh,
    const char *addr, sd_time now, const char **why_r, struct sd_err *err)
{
	int64_t n;

	if (ingest_address_limited(in, addr, now, why_r, err) == -1)
		return -1;
	if (*why_r != NULL)
		return 0;
	if (t->organization == NULL) {
		if (store_rate_get(in->store, STRANGER_RATE, now - now % 3600,
		    &n, err) == -1)
			return -1;
		if (n >= in->conf->stranger_reply_limit) {
			*why_r = "stranger_reply_limit reached this hour";
			return 0;
		}
	}
	/* A ticket made by this very mail has had no reply yet. */
	if (fresh)
		return 0;
	if (store_autoreplies_ticket(in->store, t->id, now - 3600, &n,
	    err) == -1)
		return -1;
	if (n >= TICKET_ACKS_PER_HOUR)
		*why_r = "10 automatic replies on this ticket in the last hour";
	return 0;
}

int
ingest_acknowledge(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const char *name, const char *to_name,
    const char *to_addr, const struct sd_mail *cause, sd_time now,
    bool first_response, struct sd_err *err)
{
	struct sd_ticket	 shown;
	struct sd_strv		 cc = { 0 };
	const char		*why;
	char			*subj = NULL, *req = NULL, *to = NULL;
	int			 ret;

	if (ingest_is_our_address(in->conf, to_addr)) {
		log_warnx("ingest: ticket=%lld: reply address is our own "
		    "mailbox; no acknowledgement", (long long)t->id);
		return 0;
	}
	if (gate(in, t, first_response, to_addr, now, &why, err) == -1)
		return -1;
	if (why != NULL)
		return store_event_add(in->store, t->id, now, "system",
		    "ack-suppressed", why, err);
	/* The ticket keeps what the stranger wrote; the reply shows it
	 * as an excerpt (subject, greeting, the To name). */
	shown = *t;
	if (t->organization == NULL) {
		shown.subject = subj = excerpt(t->subject, EXCERPT_SUBJECT);
		shown.requester_name = req = excerpt(t->requester_name,
		    EXCERPT_NAME);
		to_name = to = excerpt(to_name, EXCERPT_NAME);
		if (store_rate_add(in->store, STRANGER_RATE, now - now % 3600,
		    err) == -1) {
			ret = -1;
			goto out;
		}
	}
	/* The requester's colleagues are copied (SPEC §13.3); one who
	 * joined an incident is answered alone. */
	if (strcmp(name, "ack-duplicate") != 0 &&
	    people_copies(in, t, to_addr, &cc, err) == -1) {
		ret = -1;
		goto out;
	}
	ret = ingest_queue_mail(in, mb, &shown, name, to_name, to_addr, &cc,
	    cause, now, first_response, err);
 out:
	strv_free(&cc);
	g_free(subj);
	g_free(req);
	g_free(to);
	return ret;
}
