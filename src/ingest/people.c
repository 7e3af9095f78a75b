/* SPDX-License-Identifier: MIT */
/*
 * people.c - a ticket's people (SPEC §13.3): who besides the requester
 * gets what is sent to the customer.  The policy, for a mail operator:
 * - Only a ticket of a known organization gains people from To and Cc,
 *   and only addresses of that organization's domains: a stranger, or a
 *   forged From, cannot have us copy a ticket to an outsider or use us
 *   to mail a list of his choosing.  With trusted_authserv_id set, only
 *   a mail that authenticates (§9) adds anyone.  Our mailboxes (note addresses
 *   included) and the vendor side are never people of a ticket; robots
 *   never get here.  At most MAX_COPIED join by mail.
 * - A Cc of the first mail may #close as the requester may; one copied
 *   later (role "joined") may not.
 * - Agents add and remove anyone but the requester (#cc, supportctl
 *   participants); a removal sticks, a later Cc does not undo it.
 * - Responses to the customer go To the requester, Cc the others, when
 *   cc_participants is on.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/log.h"
#include "supportd/robot.h"
#include "supportd/thread.h"

#define MAX_COPIED	10	/* people a ticket gains from mail */

/* Never one of a ticket's people: ours, the vendor side, no address. */
static bool
never_people(const struct sd_conf *c, const char *addr)
{
	return !sd_addr_plain(addr) || ingest_is_our_address(c, addr) ||
	    conf_is_vendor(c, addr) || robot_local_part(addr);
}

struct count {
	size_t			 n;
	struct sd_strv		*out;	/* or NULL: count only */
	const char		*skip;	/* the To address */
};

static int
count_one(void *arg, const char *email, const char *role)
{
	struct count *k = arg;

	if (strcmp(role, "cc") != 0 && strcmp(role, "joined") != 0)
		return 0;
	k->n++;
	if (k->out != NULL && (k->skip == NULL ||
	    g_ascii_strcasecmp(email, k->skip) != 0) &&
	    !strv_contains_ci(k->out, email))
		strv_push(k->out, email);
	return 0;
}

int
people_from_mail(const struct sd_ingest *in, const struct sd_ticket *t,
    const struct sd_mail *m, bool first, struct sd_err *err)
{
	const struct sd_strv	*lists[] = { &m->to, &m->cc };
	const struct sd_conf_org *org;
	struct count		 k = { 0, NULL, NULL };
	bool			 counted = false;
	char			*dom;

	/* With an MX that authenticates, only an authenticated mail adds
	 * people: a forged From of the customer's domain must not. */
	if (t->organization == NULL || (in->conf->trusted_authserv_id != NULL &&
	    ingest_unauthenticated(in->conf, m) != NULL))
		return 0;
	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			const char *a = lists[l]->v[i];

			if (never_people(in->conf, a) ||
			    g_ascii_strcasecmp(a, t->requester_email) == 0)
				continue;
			dom = thread_addr_domain(a);
			org = dom ? conf_org_for_domain(in->conf, dom) : NULL;
			free(dom);
			if (org == NULL || strcmp(org->name, t->organization))
				continue;
			if (!counted && store_participants(in->store, t->id,
			    count_one, &k, err) == -1)
				return -1;
			counted = true;
			if (k.n >= MAX_COPIED) {
				log_info("ingest: ticket=%lld: %d people copied "
				    "already; not %s", (long long)t->id,
				    MAX_COPIED, a);
				continue;
			}
			if (store_participant_add(in->store, t->id, a,
			    first ? "cc" : "joined", err) == -1)
				return -1;
			k.n++;
		}
	return 0;
}

int
people_copies(const struct sd_ingest *in, const struct sd_ticket *t,
    const char *to, struct sd_strv *cc, struct sd_err *err)
{
	struct count k = { 0, cc, to };

	if (!in->conf->cc_participants || t->organization == NULL)
		return 0;
	return store_participants(in->store, t->id, count_one, &k, err);
}

struct part_args {
	const char	*op, *addr, *actor;
	sd_time		 now;
};

static int
participant_fn(const struct sd_ingest *in, struct sd_ticket *t, void *arg,
    struct sd_err *err)
{
	struct part_args *a = arg;

	return people_change(in, t, a->op, a->addr, a->actor, a->now, err);
}

int
people_is_customer(const struct sd_ingest *in, const struct sd_ticket *t,
    const char *addr, bool *is_r, struct sd_err *err)
{
	*is_r = g_ascii_strcasecmp(addr, t->requester_email) == 0;
	if (*is_r || conf_is_vendor(in->conf, addr))
		return 0;
	return store_participant_is(in->store, t->id, addr, false, is_r, err);
}

char *
people_refusal(const struct sd_conf *c, const struct sd_ticket *t,
    const char *op, const char *addr)
{
	if (strcmp(op, "add") != 0 && strcmp(op, "remove") != 0)
		return xasprintf("add or remove, not \"%.20s\"", op);
	if (!sd_addr_plain(addr))
		return xasprintf("not an address: \"%.80s\"", addr ? addr :
		    "");
	if (ingest_is_our_address(c, addr))
		return xasprintf("%s is one of our mailboxes", addr);
	if (g_ascii_strcasecmp(addr, t->requester_email) == 0)
		return xasprintf("%s is the requester, who always gets the "
		    "ticket's mail", addr);
	return NULL;
}

int
people_change(const struct sd_ingest *in, const struct sd_ticket *t,
    const char *op, const char *addr, const char *actor, sd_time now,
    struct sd_err *err)
{
	bool	 add = strcmp(op, "add") == 0;
	char	*low, *detail, *why;
	int	 r;

	if ((why = people_refusal(in->conf, t, op, addr)) != NULL) {
		sd_err_set(err, SD_E_PERM, "%s", why);
		free(why);
		return -1;
	}
	low = sd_strdup_lower(addr);
	detail = xasprintf("%s %s", add ? "added" : "removed", low);
	r = store_participant_set(in->store, t->id, low, add ? "cc" :
	    "removed", err) == -1 || store_event_add(in->store, t->id, now,
	    actor, "participant", detail, err) == -1;
	free(detail);
	free(low);
	return r ? -1 : 0;
}

int
ingest_participant(const struct sd_ingest *in, int64_t id, const char *op,
    const char *addr, const char *actor, sd_time now, struct sd_err *err)
{
	struct part_args a = { op, addr, actor, now };

	return ingest_on_ticket(in, id, participant_fn, &a, err);
}
