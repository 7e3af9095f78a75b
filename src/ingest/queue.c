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
    const struct sd_tmpl *tp, struct sd_tmpl_vars *v)
{
	const struct sd_conf_calendar	*cc = &conf->calendar;
	char				*s;
	int				 p;

	s = xasprintf("%lld", (long long)t->id);
	tmpl_vars_set(v, "ticket.id", s);
	free(s);
	s = thread_format_tag(conf->ticket_tag, t->id);
	tmpl_vars_set(v, "ticket.tag", s);
	free(s);
	tmpl_vars_set(v, "ticket.subject", t->subject);
	/* A name the configuration no longer has is shown as it is. */
	p = conf_prio_index(conf, t->priority);
	tmpl_vars_set(v, "ticket.priority", t->priority);
	tmpl_vars_set(v, "ticket.priority_label", p >= 0 ?
	    conf->priorities[p].label : t->priority);
	tmpl_vars_set(v, "ticket.priority_description", p >= 0 ?
	    conf->priorities[p].description : "");
	tmpl_vars_set(v, "ticket.priority_meaning", p >= 0 ?
	    conf->priorities[p].description : "");
	tmpl_vars_set(v, "ticket.category", t->category);
	tmpl_vars_set(v, "ticket.status", sd_status_names[t->status]);
	tmpl_vars_set(v, "ticket.after_hours", t->after_hours ? "yes" : "");
	tmpl_vars_set(v, "oncall_after_hours", sla_wakes(conf, t->tier,
	    t->organization != NULL, SD_PRIO_TOP) ? "yes" : "");
	tmpl_vars_set(v, "urgent_markers", conf->urgent_markers);
	tmpl_vars_set(v, "requester.name", t->requester_name ?
	    t->requester_name : "");
	tmpl_vars_set(v, "requester.email", t->requester_email);
	tmpl_vars_set(v, "organization.name", t->organization);
	tmpl_vars_set(v, "ticket.assignee", t->assignee);
	s = xasprintf("%d", t->escalation_level);
	tmpl_vars_set(v, "escalation.level", s);
	free(s);
	if (t->escalation_level >= 1 && t->escalation_level <= conf->nlevels)
		tmpl_vars_set(v, "escalation.name",
		    conf->escalation_names[t->escalation_level - 1]);
	if (mb != NULL) {
		tmpl_vars_set(v, "mailbox.address", mb->address);
		tmpl_vars_set(v, "mailbox.name", mb->display_name);
	}
	if (t->linked_to) {
		s = thread_format_tag(conf->ticket_tag, t->linked_to);
		tmpl_vars_set(v, "duplicate_of", s);
		free(s);
	}
	/* The times and the hours take the most making (a first response
	 * shows one of the three), so only those the template shows. */
	if (tmpl_uses(tp, "ticket.response_due"))
		set_time(v, "ticket.response_due", cal, cc->timezone,
		    t->response_due);
	if (tmpl_uses(tp, "ticket.resolution_due"))
		set_time(v, "ticket.resolution_due", cal, cc->timezone,
		    t->resolution_due);
	if (cal != NULL && t->after_hours &&
	    tmpl_uses(tp, "next_business_open"))
		set_time(v, "next_business_open", cal, cc->timezone,
		    sla_next_open(cal, t->created_at));
	if (tmpl_uses(tp, "business_hours")) {
		if (cal != NULL)
			tmpl_vars_set(v, "business_hours", sla_hours_text(cal));
		else {
			s = sla_hours_describe(cc);
			tmpl_vars_set(v, "business_hours", s);
			free(s);
		}
	}
}

const char *
ingest_domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : "supportd.invalid";
}

/* The outgoing message of q for ticket t, CRLF, with Message-ID msgid:
 * *raw_r (caller owns) and its length; -1 when an attachment cannot be
 * read. */
static int
build(const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
    const struct sd_queued *q, const char *msgid, sd_time now, char **raw_r,
    size_t *len_r, struct sd_err *err)
{
	struct sd_outmail om;

	memset(&om, 0, sizeof(om));
	om.from_name = mb->display_name;
	om.from_addr = mb->address;
	om.to_name = q->to_name;
	om.to_addr = q->to_addr;
	om.cc = q->cc;
	om.subject = q->subject;
	om.message_id = msgid;
	om.in_reply_to = q->in_reply_to;
	om.references = q->references && q->references->n ? q->references :
	    NULL;
	om.body = q->body;
	om.date = now;
	om.automatic = q->automatic;
	om.generated = q->vendor;
	om.reply_to = q->reply_to;
	om.ticket_id = t->id;
	om.extra_headers = q->extra_headers && q->extra_headers->n ?
	    q->extra_headers : NULL;
	om.atts = q->atts;
	om.natts = q->natts;
	return mime_build_att(&om, raw_r, len_r, err);
}

int
ingest_queue_built(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const struct sd_queued *q, sd_time now,
    struct sd_err *err)
{
	struct sd_outrow	 o;
	struct sd_msgrec	 rec;
	struct sd_attachment	*atts = NULL;
	GString			*rcpts;
	char			*msgid, *raw;
	size_t			 rawlen;
	int			 ret = -1;

	msgid = mime_message_id_new(ingest_domain_of(mb->address));
	if (build(mb, t, q, msgid, now, &raw, &rawlen, err) == -1) {
		free(msgid);
		return -1;
	}
	rcpts = g_string_new(q->to_addr);
	/* The envelope has what the headers have: an address the header
	 * would leave out is no recipient either. */
	for (size_t i = 0; q->cc != NULL && i < q->cc->n; i++)
		if (sd_addr_plain(q->cc->v[i]))
			g_string_append_printf(rcpts, "\n%s", q->cc->v[i]);
	memset(&o, 0, sizeof(o));
	o.ticket_id = t->id;
	o.kind = (char *)q->kind;
	/* Automatic mail goes out with the null sender so bounces never
	 * loop; a person's mail with the mailbox, so bounces come back. */
	o.mail_from = q->automatic && !q->vendor ? (char *)"" : mb->address;
	o.rcpts = rcpts->str;
	o.message_id = msgid;
	o.raw = raw;
	o.rawlen = rawlen;
	o.created_at = now;
	o.first_response = q->first_response;
	if (store_outbox_queue(in->store, &o, err) == -1)
		goto out;

	memset(&rec, 0, sizeof(rec));
	rec.ticket_id = t->id;
	rec.direction = SD_DIR_OUT;
	rec.mailbox = mb->name;
	rec.message_id = msgid;
	rec.in_reply_to = q->in_reply_to;
	rec.from_addr = mb->address;
	rec.subject = q->subject;
	rec.disposition = q->vendor ? "notification" : q->automatic ?
	    "response" : "reply";
	rec.reason = q->kind;
	rec.body = q->body;
	rec.at = now;
	/* What went out with it is recorded as what comes in is. */
	if (q->natts > 0) {
		atts = xcalloc(q->natts, sizeof(*atts));
		for (size_t i = 0; i < q->natts; i++) {
			atts[i].name = (char *)q->atts[i].name;
			atts[i].type = (char *)(q->atts[i].type ?
			    q->atts[i].type : "application/octet-stream");
			atts[i].size = q->atts[i].size;
			memcpy(atts[i].sha256, q->atts[i].sha256, 65);
		}
		rec.atts = atts;
		rec.natts = q->natts;
	}
	if (q->vendor)
		g_string_replace(rcpts, "\n", ", ", 0);
	/* A notification is an event and its outbox row, not a mail of the
	 * ticket (as a message it cost intake a third more; benchmark): a
	 * reply to it is known by its note address, or by its Message-ID
	 * in vendor_mail. */
	if ((q->vendor ? store_vendor_mail_add(in->store, msgid, t->id,
	    err) : store_message_insert(in->store, &rec, NULL, err)) == -1 ||
	    store_event_add(in->store, t->id, now, q->actor ? q->actor :
	    "system", q->vendor ? "notified" : q->automatic ?
	    "response-queued" : "reply-queued", q->vendor ? rcpts->str :
	    q->kind, err) == -1)
		goto out;
	ret = 0;
 out:
	g_string_free(rcpts, TRUE);
	free(atts);
	free(raw);
	free(msgid);
	return ret;
}

/* The attachments of m for people, a line each: "  name (type, 12 KB)". */
static char *
attachment_lines(const struct sd_mail *m)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < m->nattachments; i++) {
		const struct sd_attachment *a = &m->attachments[i];
		double kib = a->size / 1024.0;

		g_string_append_printf(s, "%s  %s (%s, ", i ? "\n" : "",
		    a->name ? a->name : "(no name)", a->type);
		if (a->size < 1024)
			g_string_append_printf(s, "%zu bytes)", a->size);
		else if (kib < 1024)
			g_string_append_printf(s, "%.1f KiB)", kib);
		else
			g_string_append_printf(s, "%.1f MiB)", kib / 1024);
	}
	return g_string_free(s, FALSE);
}

/* Renders template name into q's subject, headers and body (r owns).
 * {{message.text}} is the new text of cause (SPEC §13.4), only for a
 * ticket of a known organization or for the vendor side: a stranger's
 * text is never echoed to anyone outside. */
static int
render(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const char *name, const struct sd_mail *cause,
    bool vendor, const char *const *extra, struct sd_rendered *r,
    struct sd_queued *q, struct sd_err *err)
{
	const struct sd_tmpl	*tp = tmpl_get(in->tmpl, name);
	struct sd_tmpl_vars	*vars;
	char			*text;

	if (tp == NULL)
		return sd_err_set(err, SD_E_BUG, "ingest: no template %s", name);
	vars = tmpl_vars_new();
	ingest_ticket_vars(in->conf, ingest_calendar(in, t), mb, t, tp, vars);
	if (cause != NULL && (t->organization != NULL || vendor) &&
	    tmpl_uses(tp, "message.text")) {
		text = mail_new_text(cause->body, NULL);
		tmpl_vars_set(vars, "message.text", text);
		g_free(text);
	}
	if (cause != NULL && vendor)
		tmpl_vars_set(vars, "message.from", cause->from.addr);
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2)
		tmpl_vars_set(vars, extra[i], extra[i + 1]);
	if (cause != NULL && vendor && cause->nattachments > 0 &&
	    tmpl_uses(tp, "message.attachments")) {
		text = attachment_lines(cause);
		tmpl_vars_set(vars, "message.attachments", text);
		g_free(text);
	}
	tmpl_render(tp, vars, r);
	tmpl_vars_free(&vars);
	q->kind = name;
	q->subject = r->subject;
	q->body = r->body;
	q->extra_headers = &r->headers;
	return 0;
}

/* Templates that go to the vendor side: a reply to one is a note. */
static bool
to_vendor(const char *name)
{
	return strncmp(name, "notify-", 7) == 0 ||
	    strcmp(name, "oncall-page") == 0 ||
	    strcmp(name, "escalation") == 0 ||
	    strcmp(name, "c1-update-reminder") == 0 ||
	    strncmp(name, "sla-", 4) == 0;
}

static int
queue_mail(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const char *name, const char *to_name,
    const char *to_addr, const struct sd_strv *cc, const struct sd_mail *cause,
    const char *const *extra, sd_time now, bool first_response,
    struct sd_err *err)
{
	struct sd_rendered	r;
	struct sd_queued	q;
	struct sd_strv		refs = { 0 };
	char			*note = NULL;
	bool			 vendor = to_vendor(name);
	int			ret;

	memset(&q, 0, sizeof(q));
	if (vendor && ingest_note_address(in, mb, t->id, &note, err) == -1)
		return -1;
	if (render(in, mb, t, name, cause, vendor, extra, &r, &q, err) == -1) {
		free(note);
		return -1;
	}
	q.reply_to = note;
	for (size_t i = 0; cause && i < cause->references.n; i++)
		strv_push(&refs, cause->references.v[i]);
	if (cause && cause->message_id)
		strv_push(&refs, cause->message_id);
	q.to_name = to_name;
	q.to_addr = to_addr;
	q.cc = cc;
	q.in_reply_to = cause ? cause->message_id : NULL;
	q.references = &refs;
	q.automatic = true;
	q.vendor = vendor;
	q.first_response = first_response;
	ret = ingest_queue_built(in, mb, t, &q, now, err);
	strv_free(&refs);
	tmpl_rendered_clear(&r);
	free(note);
	return ret;
}

int
ingest_queue_mail(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const char *name, const char *to_name,
    const char *to_addr, const struct sd_strv *cc, const struct sd_mail *cause,
    sd_time now, bool first_response, struct sd_err *err)
{
	return queue_mail(in, mb, t, name, to_name, to_addr, cc, cause, NULL,
	    now, first_response, err);
}

int
ingest_queue_notice_vars(const struct sd_ingest *in,
    const struct sd_conf_mailbox *mb, const struct sd_ticket *t,
    const char *name, const struct sd_strv *rcpts, const char *const *extra,
    const struct sd_mail *cause, sd_time now, struct sd_err *err)
{
	struct sd_strv	cc = { 0 };
	int		ret;

	if (rcpts->n == 0)
		return 0;
	for (size_t i = 1; i < rcpts->n; i++)
		strv_push(&cc, rcpts->v[i]);
	ret = queue_mail(in, mb, t, name, NULL, rcpts->v[0], &cc, cause, extra,
	    now, false, err);
	strv_free(&cc);
	return ret;
}

int
ingest_queue_notice(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const char *name, const struct sd_strv *rcpts,
    const struct sd_mail *cause, sd_time now, struct sd_err *err)
{
	return ingest_queue_notice_vars(in, mb, t, name, rcpts, NULL, cause,
	    now, err);
}

char *
ingest_preview(const struct sd_ingest *in, const struct sd_conf_mailbox *mb,
    const struct sd_ticket *t, const char *name, struct sd_err *err)
{
	struct sd_rendered	 r;
	struct sd_queued	 q;
	char			*msgid, *raw = NULL;
	size_t			 len;

	memset(&q, 0, sizeof(q));
	if (render(in, mb, t, name, NULL, false, NULL, &r, &q, err) == -1)
		return NULL;
	q.to_name = t->requester_name;
	q.to_addr = t->requester_email;
	q.automatic = true;
	msgid = mime_message_id_new(ingest_domain_of(mb->address));
	(void)build(mb, t, &q, msgid, sd_now(), &raw, &len, err);
	free(msgid);
	tmpl_rendered_clear(&r);
	return raw;
}
