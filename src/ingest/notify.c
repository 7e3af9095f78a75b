/* SPDX-License-Identifier: MIT */
/*
 * notify.c - who hears of a new C1 (SPEC §6).  After hours on-call is
 * paged by mail and webhook; a sender of no known organization pages
 * nobody (unless oncall.page_unknown_senders), so spam cannot wake people
 * at 03:00; and an organization pages at most max_pages_per_hour times an
 * hour.  Every new ticket, a C1 in business hours too, tells the team
 * and the organization's level-1 contact (desk.c, notify-new).
 * Automatic mail is never here: robots page nobody.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/json.h"
#include "supportd/metrics.h"
#include "supportd/thread.h"

int
notify_webhook(const struct sd_ingest *in, const struct sd_ticket *t,
    const char *event, sd_time now, struct sd_err *err)
{
	const char		*tz = in->conf->calendar.timezone;
	GString			*js;
	gchar			*id;
	char			*tag;
	bool			 first = true;
	int			 ret;

	if (in->conf->oncall_webhook == NULL)
		return 0;
	js = g_string_new("{");
	id = g_uuid_string_random();
	tag = thread_format_tag(in->conf->ticket_tag, t->id);
	json_kv_str(js, &first, "event", event);
	json_kv_str(js, &first, "id", id);
	json_kv_int(js, &first, "ticket", t->id);
	json_kv_str(js, &first, "tag", tag);
	json_kv_str(js, &first, "subject", t->subject);
	json_kv_str(js, &first, "priority", t->priority);
	json_kv_str(js, &first, "organization", t->organization);
	json_kv_str(js, &first, "requester", t->requester_email);
	json_kv_time(js, &first, "created_at", t->created_at, tz);
	json_kv_time(js, &first, "response_due", t->response_due, tz);
	json_kv_int(js, &first, "escalation_level", t->escalation_level);
	g_string_append(js, "}");
	ret = store_outbox_queue_webhook(in->store, t->id,
	    in->conf->oncall_webhook, id, js, now, err);
	free(tag);
	g_free(id);
	g_string_free(js, TRUE);
	return ret;
}

static int
page_oncall(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const struct sd_mail *cause, sd_time now,
    struct sd_err *err)
{
	const struct sd_conf	*c = in->conf;
	int64_t			 pages;
	char			*detail;
	int			 ret;

	if (t->organization == NULL && !c->oncall_page_unknown_senders)
		return store_event_add(in->store, t->id, now, "system",
		    "page-skipped", "sender of no known organization", err);
	if (c->oncall_emails.n == 0 && c->oncall_webhook == NULL)
		return store_event_add(in->store, t->id, now, "system",
		    "page-skipped", "no oncall.emails or oncall.webhook set", err);
	if (store_pages_since(in->store, t->organization, now - 3600, &pages,
	    err) == -1)
		return -1;
	if (pages >= c->oncall_max_pages_per_hour)
		return store_event_add(in->store, t->id, now, "system",
		    "page-suppressed", "max_pages_per_hour reached", err);
	if (ingest_queue_notice(in, mb, t, "oncall-page", &c->oncall_emails,
	    cause, now, err) == -1 ||
	    notify_webhook(in, t, ingest_prio(in, t) == SD_PRIO_TOP ?
	    "c1-after-hours" :
	    "after-hours-page", now, err) == -1)
		return -1;
	detail = xasprintf("mails=%zu webhook=%s", c->oncall_emails.n,
	    c->oncall_webhook ? "yes" : "no");
	ret = store_event_add(in->store, t->id, now, "system", "page", detail,
	    err);
	if (ret == 0)
		metrics_add(SD_MET_PAGES, NULL, 1);
	free(detail);
	return ret;
}


int
notify_new_ticket(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const struct sd_mail *cause, sd_time now,
    struct sd_err *err)
{
	/* After hours what the tier has on-call for (a C1 by default) pages
	 * it; the team and the level-1 contact get notify-new for every new
	 * ticket, a C1 in hours included. */
	if (t->after_hours &&
	    conf_tier_oncall(in->conf, t->tier, ingest_prio(in, t)) &&
	    page_oncall(in, mb, t, cause, now, err) == -1)
		return -1;
	return desk_notify(in, mb, t, "notify-new", cause, NULL, now, err);
}
