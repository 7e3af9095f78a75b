/* SPDX-License-Identifier: MIT */
/*
 * queue.c - the outgoing side of the pipeline: the values templates see,
 * and queuing a rendered mail in the outbox within the transaction that
 * caused it, recorded on its ticket so replies to it thread back.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest_int.h"
#include "supportd/sla.h"
#include "supportd/thread.h"

static const char *
prio_meaning(const char *p)
{
	if (strcmp(p, "C1") == 0)
		return "critical: a production system is down";
	if (strcmp(p, "C2") == 0)
		return "high: a major function is impaired";
	if (strcmp(p, "C3") == 0)
		return "normal: a minor function is impaired or a question";
	return "low: a cosmetic issue or a request";
}

/* A time for a customer: "Mon 23 Nov 2026 17:00 IST" (ISO without a
 * calendar). */
static void
set_time(struct sd_tmpl_vars *v, const char *name,
    const struct sd_calendar *cal, const char *tz, sd_time t)
{
	char *s;

	if (t == 0)
		return;
	s = cal ? sla_format(cal, t) : sd_time_format(t, tz);
	tmpl_vars_set(v, name, s);
	free(s);
}

void
ingest_ticket_vars(const struct sd_conf *conf, const struct sd_calendar *cal,
    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
    struct sd_tmpl_vars *v)
{
	static const char *const dnames[] = { "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat", "Sun" };
	const struct sd_conf_calendar	*cc = &conf->calendar;
	GString				*days = g_string_new(NULL);
	char				*s;

	s = xasprintf("%lld", (long long)t->id);
	tmpl_vars_set(v, "ticket.id", s);
	free(s);
	s = thread_format_tag(conf->ticket_tag, t->id);
	tmpl_vars_set(v, "ticket.tag", s);
	free(s);
	tmpl_vars_set(v, "ticket.subject", t->subject);
	tmpl_vars_set(v, "ticket.priority", t->priority);
	tmpl_vars_set(v, "ticket.priority_meaning", prio_meaning(t->priority));
	tmpl_vars_set(v, "ticket.category", t->category);
	tmpl_vars_set(v, "ticket.status", t->status);
	set_time(v, "ticket.response_due", cal, cc->timezone, t->response_due);
	set_time(v, "ticket.resolution_due", cal, cc->timezone,
	    t->resolution_due);
	tmpl_vars_set(v, "ticket.after_hours", t->after_hours ? "yes" : "");
	if (cal != NULL && t->after_hours)
		set_time(v, "next_business_open", cal, cc->timezone,
		    sla_next_open(cal, t->created_at));
	tmpl_vars_set(v, "requester.name", t->requester_name ?
	    t->requester_name : "");
	tmpl_vars_set(v, "requester.email", t->requester_email);
	tmpl_vars_set(v, "organization.name", t->organization);
	s = xasprintf("%d", t->escalation_level);
	tmpl_vars_set(v, "escalation.level", s);
	free(s);
	for (int d = 0; d < 7; d++)
		if (cc->days & (1u << d))
			g_string_append_printf(days, "%s%s", days->len ? ", " :
			    "", dnames[d]);
	s = xasprintf("%s, %02d:%02d-%02d:%02d (%s)", days->str,
	    cc->open / 60, cc->open % 60, cc->close / 60, cc->close % 60,
	    cc->timezone);
	tmpl_vars_set(v, "business_hours", s);
	free(s);
	g_string_free(days, TRUE);
	if (mb != NULL) {
		tmpl_vars_set(v, "mailbox.address", mb->address);
		tmpl_vars_set(v, "mailbox.name", mb->display_name);
	}
	if (t->linked_to) {
		s = thread_format_tag(conf->ticket_tag, t->linked_to);
		tmpl_vars_set(v, "duplicate_of", s);
		free(s);
	}
}

/* The mailbox's domain, for Message-IDs. */
static const char *
addr_domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : "supportd.invalid";
}

int
ingest_queue_mail(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const char *name, const char *to_name,
    const char *to_addr, const struct sd_strv *cc, const struct sd_mail *cause,
    sd_time now, bool first_response, struct sd_err *err)
{
	const struct sd_tmpl	*tp = tmpl_get(in->tmpl, name);
	struct sd_tmpl_vars	*vars;
	struct sd_rendered	 r;
	struct sd_outmail	 om;
	struct sd_outrow	 o;
	struct sd_msgrec	 rec;
	struct sd_strv		 refs = { 0 };
	GString			*rcpts;
	char			*msgid, *raw;
	int			 ret = -1;

	if (tp == NULL)
		return sd_err_set(err, SD_E_BUG, "ingest: no template %s", name);
	vars = tmpl_vars_new();
	ingest_ticket_vars(in->conf, in->calendar, mb, t, vars);
	tmpl_render(tp, vars, &r);
	tmpl_vars_free(&vars);

	msgid = mime_message_id_new(addr_domain_of(mb->address));
	for (size_t i = 0; cause && i < cause->references.n; i++)
		strv_push(&refs, cause->references.v[i]);
	if (cause && cause->message_id)
		strv_push(&refs, cause->message_id);
	memset(&om, 0, sizeof(om));
	om.from_name = mb->display_name;
	om.from_addr = mb->address;
	om.to_name = to_name;
	om.to_addr = to_addr;
	om.cc = cc;
	om.subject = r.subject;
	om.message_id = msgid;
	om.in_reply_to = cause ? cause->message_id : NULL;
	om.references = refs.n ? &refs : NULL;
	om.body = r.body;
	om.date = now;
	om.automatic = true;
	om.ticket_id = t->id;
	om.extra_headers = r.headers.n ? &r.headers : NULL;
	raw = mime_build(&om);

	rcpts = g_string_new(to_addr);
	for (size_t i = 0; cc != NULL && i < cc->n; i++)
		g_string_append_printf(rcpts, "\n%s", cc->v[i]);
	memset(&o, 0, sizeof(o));
	o.ticket_id = t->id;
	o.kind = (char *)name;
	o.mail_from = (char *)"";	/* null sender: bounces never loop */
	o.rcpts = rcpts->str;
	o.message_id = msgid;
	o.raw = raw;
	o.rawlen = strlen(raw);
	o.created_at = now;
	o.first_response = first_response;
	if (store_outbox_queue(in->store, &o, err) == -1)
		goto out;

	memset(&rec, 0, sizeof(rec));
	rec.ticket_id = t->id;
	rec.direction = "out";
	rec.mailbox = mb->name;
	rec.message_id = msgid;
	rec.in_reply_to = om.in_reply_to;
	rec.from_addr = mb->address;
	rec.subject = r.subject;
	rec.disposition = "response";
	rec.reason = name;
	rec.body = r.body;
	rec.at = now;
	if (store_message_insert(in->store, &rec, NULL, err) == -1 ||
	    store_event_add(in->store, t->id, now, "system", "response-queued",
	    name, err) == -1)
		goto out;
	ret = 0;
 out:
	g_string_free(rcpts, TRUE);
	free(raw);
	free(msgid);
	strv_free(&refs);
	tmpl_rendered_clear(&r);
	return ret;
}

