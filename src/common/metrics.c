/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - the registry of counters and gauges (SPEC §16.2), and its
 * Prometheus text exposition (version 0.0.4).  One mutex: a counter is
 * a hash lookup and an add, a scrape a copy of a few hundred lines.
 */
#include <string.h>

#include <glib.h>

#include "supportd/metrics.h"

static const struct family {
	const char	*name;
	const char	*type;
	const char	*label;		/* its label's name, or NULL */
	const char	*help;
} families[SD_MET__COUNT] = {
	[SD_MET_MAILS] = { "supportd_mails_taken_total", "counter", "mailbox",
	    "Mails taken in from a mailbox by this process." },
	[SD_MET_TICKETS] = { "supportd_tickets_created_total", "counter",
	    "mailbox", "Tickets created from a mailbox's mail by this process." },
	[SD_MET_SENT] = { "supportd_responses_sent_total", "counter", NULL,
	    "Outgoing mails (responses, notifications, replies) the relay "
	    "took from this process." },
	[SD_MET_FAILED] = { "supportd_responses_failed_total", "counter", NULL,
	    "Outgoing mails this process gave up on." },
	[SD_MET_WARNINGS] = { "supportd_sla_warnings_total", "counter",
	    "priority", "SLA target warnings fired by this process." },
	[SD_MET_BREACHES] = { "supportd_sla_breaches_total", "counter",
	    "priority", "SLA target breaches fired by this process." },
	[SD_MET_PAGES] = { "supportd_pages_total", "counter", NULL,
	    "On-call pages for after-hours mail sent by this process." },
	[SD_MET_UP] = { "supportd_mailbox_up", "gauge", "mailbox",
	    "1 when the mailbox's last poll worked, 0 when it is backing off "
	    "or refused." },
	[SD_MET_LAST_SUCCESS] = {
	    "supportd_mailbox_last_success_timestamp_seconds", "gauge",
	    "mailbox", "When the mailbox last polled successfully (0: never)." },
	[SD_MET_QUARANTINED] = { "supportd_quarantined_mails", "gauge",
	    "mailbox", "Mails of the mailbox held in quarantine." },
	[SD_MET_QUEUED] = { "supportd_outbox_queued_mails", "gauge", NULL,
	    "Outgoing mails and webhooks waiting to be sent." },
	[SD_MET_OLDEST] = { "supportd_outbox_oldest_age_seconds", "gauge",
	    NULL, "How long the oldest queued one has waited (0: none)." },
	[SD_MET_GIVEN_UP] = { "supportd_outbox_failed_mails", "gauge", NULL,
	    "Outgoing mails and webhooks given up, kept in the outbox." },
	[SD_MET_TIMERS_DUE] = { "supportd_timers_due", "gauge", NULL,
	    "SLA timers due and not fired yet." },
	[SD_MET_TOKEN_EXPIRY] = {
	    "supportd_oauth_token_expiry_timestamp_seconds", "gauge", "login",
	    "When an OAuth2 login's access token expires (0: none held)." },
	[SD_MET_HEARTBEAT] = { "supportd_heartbeat_timestamp_seconds",
	    "gauge", NULL, "When the daemon last wrote its heartbeat." },
	[SD_MET_START] = { "supportd_start_time_seconds", "gauge", NULL,
	    "When this process started." },
};

struct sd_gauges {
	GHashTable	*series[SD_MET__COUNT];	/* label -> double * */
};

static GMutex		 mu;
static GHashTable	*series[SD_MET__COUNT];	/* under mu */

static GHashTable *
table_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static double *
slot(GHashTable **t, const char *label)
{
	double *v;

	if (*t == NULL)
		*t = table_new();
	if ((v = g_hash_table_lookup(*t, label ? label : "")) == NULL) {
		v = g_new0(double, 1);
		g_hash_table_insert(*t, g_strdup(label ? label : ""), v);
	}
	return v;
}

void
metrics_add(enum sd_metric m, const char *label, double n)
{
	g_mutex_lock(&mu);
	*slot(&series[m], label) += n;
	g_mutex_unlock(&mu);
}

void
metrics_declare(enum sd_metric m, const char *label)
{
	metrics_add(m, label, 0);
}

struct sd_gauges *
metrics_gauges_new(void)
{
	return g_new0(struct sd_gauges, 1);
}

void
metrics_gauge(struct sd_gauges *g, enum sd_metric m, const char *label,
    double v)
{
	*slot(&g->series[m], label) = v;
}

void
metrics_gauges_publish(struct sd_gauges **gp)
{
	struct sd_gauges *g = *gp;

	g_mutex_lock(&mu);
	for (int m = SD_MET_UP; m < SD_MET__COUNT; m++) {
		if (series[m] != NULL)
			g_hash_table_destroy(series[m]);
		series[m] = g->series[m];
		g->series[m] = NULL;
	}
	g_mutex_unlock(&mu);
	g_free(g);
	*gp = NULL;
}

/* A label value: backslash, double quote and line feed escaped. */
static void
append_label(GString *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			g_string_append_c(out, '\\');
		if (*v == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *v);
	}
}

static void
append_value(GString *out, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (v >= -1e15 && v <= 1e15 && v == (double)(long long)v)
		g_string_append_printf(out, "%lld", (long long)v);
	else
		g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), v));
}

static void
render_family(GString *out, int m)
{
	const struct family	*f = &families[m];
	GList			*keys, *k;

	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name,
	    f->help, f->name, f->type);
	if (series[m] == NULL) {
		/* A family without a label has its one series from the
		 * start; one with labels has none until there is one. */
		if (f->label == NULL)
			g_string_append_printf(out, "%s 0\n", f->name);
		return;
	}
	keys = g_list_sort(g_hash_table_get_keys(series[m]),
	    (GCompareFunc)strcmp);
	for (k = keys; k != NULL; k = k->next) {
		g_string_append(out, f->name);
		if (f->label != NULL) {
			g_string_append_printf(out, "{%s=\"", f->label);
			append_label(out, k->data);
			g_string_append(out, "\"}");
		}
		g_string_append_c(out, ' ');
		append_value(out, *(double *)g_hash_table_lookup(series[m],
		    k->data));
		g_string_append_c(out, '\n');
	}
	g_list_free(keys);
}

char *
metrics_render(void)
{
	GString *out = g_string_sized_new(4096);

	g_mutex_lock(&mu);
	for (int m = 0; m < SD_MET__COUNT; m++)
		render_family(out, m);
	g_mutex_unlock(&mu);
	return g_string_free(out, FALSE);
}

void
metrics_reset(void)
{
	g_mutex_lock(&mu);
	for (int m = 0; m < SD_MET__COUNT; m++)
		if (series[m] != NULL) {
			g_hash_table_destroy(series[m]);
			series[m] = NULL;
		}
	g_mutex_unlock(&mu);
}
