/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - supportctl report (SPEC §9, §14.8): SLA compliance per
 * priority and tier (or organization).  A target is met when its answer
 * came by its due time, breached when it came later or has not come and
 * the due time passed; tickets without a target (best effort) count in
 * neither.  The response target is an agent's answer; the first
 * response, the automatic one included, is reported beside it.  The
 * resolution counts against an agent's date where one was set.  A
 * priority change closes an SLA period (§14.6): the closed periods count
 * in their own priority's group with the outcome they had, a downgrade
 * that met the resolution included.  Times are medians and 90th
 * percentiles (nearest rank) in seconds.  text, json, csv, or one html
 * file with its charts drawn in SVG.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <glib.h>

#include "supportctl.h"

struct resp {
	int	 met, breached;
	GArray	*secs;		/* int64: how long each took */
};

struct group {
	char		*priority;
	int		 rank;		/* its place; unknown names last */
	char		*by;		/* the tier, or the organization */
	int		 tickets;	/* whose current period is this */
	int		 periods;	/* closed periods of this priority */
	struct resp	 first, agent, resolution;
	int		 met_by_downgrade;
	int		 update_met, update_breached;
	int64_t		 update_breaches;	/* silences too long */
	int		 later_periods;		/* after a priority change */
	int		 later_breached;	/* their response or resolution */
	int		 level2, level3;
	int		 after_hours, after_hours_c1;
	int64_t		 pages;
};

/* Agent response times, for the html chart (upper bounds, seconds). */
static const int64_t buckets[] = { 900, 1800, 3600, 7200, 14400, 28800,
    86400, INT64_MAX };
static const char *const bucket_names[] = { "15m", "30m", "1h", "2h",
    "4h", "8h", "24h", "more" };

struct report {
	GHashTable		*groups;	/* "C1\037premium" -> group */
	const struct sd_conf	*conf;
	const struct sd_calendar *cal;		/* for times shown */
	GTimeZone		*tz;		/* weeks begin on its Monday */
	bool			 by_org;
	sd_time			 now;
	GTree			*weeks;		/* "2026-11-16" -> breaches */
	int			 hist[nitems(buckets)];
};

static void
group_free(gpointer p)
{
	struct group *g = p;

	g_array_free(g->first.secs, TRUE);
	g_array_free(g->agent.secs, TRUE);
	g_array_free(g->resolution.secs, TRUE);
	free(g->priority);
	free(g->by);
	free(g);
}

static struct group *
group_of(struct report *rp, const char *priority, const char *tier,
    const char *org)
{
	const char	*by = rp->by_org ? (org ? org : "(none)") : tier;
	char		*key = xasprintf("%s\037%s", priority, by);
	struct group	*g = g_hash_table_lookup(rp->groups, key);

	if (g != NULL) {
		free(key);
		return g;
	}
	g = xcalloc(1, sizeof(*g));
	g->priority = xstrdup(priority);
	g->rank = conf_prio_index(rp->conf, priority);
	if (g->rank < 0)
		g->rank = SD_MAXPRIO;
	g->by = xstrdup(by);
	g->first.secs = g_array_new(FALSE, FALSE, sizeof(int64_t));
	g->agent.secs = g_array_new(FALSE, FALSE, sizeof(int64_t));
	g->resolution.secs = g_array_new(FALSE, FALSE, sizeof(int64_t));
	g_hash_table_insert(rp->groups, key, g);
	return g;
}

static void
count(struct resp *r, sd_time created, sd_time at, sd_time due, sd_time now)
{
	if (at != 0) {
		int64_t secs = at - created;

		g_array_append_val(r->secs, secs);
	}
	if (due == 0)
		return;
	if (at != 0 && at <= due)
		r->met++;
	else if (at != 0 || now > due)
		r->breached++;
}

/* Whether tier has an update target for priority (by name). */
static bool
has_update(const struct sd_conf *c, const char *tier, const char *priority)
{
	const struct sd_conf_tier	*t = conf_tier_or_default(c, tier);
	int				 p = conf_prio_of(c, priority);

	return t != NULL && t->update[p].kind != SD_DUR_NONE;
}

static int
add_row(void *arg, const struct sd_report_row *row)
{
	struct report	*rp = arg;
	struct group	*g = group_of(rp, row->priority, row->tier,
			    row->organization);
	size_t		 b;

	g->tickets++;
	/* An answer before a priority change counted in its period. */
	if (row->period <= 1 || row->agent_response_at == 0 ||
	    row->agent_response_at >= row->period_start) {
		count(&g->first, row->created_at, row->first_response_at,
		    row->response_due, rp->now);
		count(&g->agent, row->created_at, row->agent_response_at,
		    row->response_due, rp->now);
	}
	count(&g->resolution, row->created_at, row->resolved_at,
	    row->resolution_due, rp->now);
	if (row->agent_response_at != 0) {
		for (b = 0; row->agent_response_at - row->created_at >
		    buckets[b]; b++)
			;
		rp->hist[b]++;
	}
	if (row->update_breaches > 0)
		g->update_breached++;
	else if (row->resolved_at != 0 && has_update(rp->conf, row->tier,
	    row->priority))
		g->update_met++;
	g->update_breaches += row->update_breaches;
	if (row->period > 1) {
		g->later_periods++;
		g->later_breached += (row->sla_sent &
		    (SD_SENT_RESPONSE_BREACH | SD_SENT_RESOLUTION_BREACH)) != 0;
	}
	g->level2 += row->escalation_level >= 2;
	g->level3 += row->escalation_level >= 3;
	g->after_hours += row->after_hours;
	g->after_hours_c1 += row->after_hours && g->rank == SD_PRIO_TOP;
	g->pages += row->pages;
	return 0;
}

/* A closed period: its outcome as it was when it closed. */
static int
add_period(void *arg, const struct sd_report_period *r)
{
	struct report	*rp = arg;
	struct group	*g = group_of(rp, r->p.priority, r->p.tier,
			    r->organization);
	bool		 breached;

	g->periods++;
	g->agent.met += strcmp(r->p.response, "met") == 0;
	g->agent.breached += strcmp(r->p.response, "breached") == 0;
	g->resolution.met += strncmp(r->p.resolution, "met", 3) == 0;
	g->resolution.breached += strcmp(r->p.resolution, "breached") == 0;
	g->met_by_downgrade += strcmp(r->p.resolution, "met-by-downgrade") ==
	    0;
	breached = strcmp(r->p.response, "breached") == 0 ||
	    strcmp(r->p.resolution, "breached") == 0;
	if (r->seq > 1) {
		g->later_periods++;
		g->later_breached += breached;
	}
	return 0;
}

/* A breach, counted in the week (Monday) it happened in. */
static int
add_breach(void *arg, sd_time at)
{
	struct report	*rp = arg;
	GDateTime	*utc = g_date_time_new_from_unix_utc(at), *dt, *mon;
	gpointer	 n;
	char		*week;

	dt = g_date_time_to_timezone(utc, rp->tz);
	g_date_time_unref(utc);
	mon = g_date_time_add_days(dt, 1 - g_date_time_get_day_of_week(dt));
	week = g_date_time_format(mon, "%Y-%m-%d");
	n = g_tree_lookup(rp->weeks, week);
	g_tree_replace(rp->weeks, week, GINT_TO_POINTER(GPOINTER_TO_INT(n) +
	    1));
	g_date_time_unref(mon);
	g_date_time_unref(dt);
	return 0;
}

static gint
cmp_week(gconstpointer a, gconstpointer b, gpointer arg)
{
	(void)arg;
	return strcmp(a, b);
}

static gint
cmp_i64(gconstpointer a, gconstpointer b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile; -1 when there is nothing to rank. */
static int64_t
percentile(GArray *a, int pct)
{
	size_t rank;

	if (a->len == 0)
		return -1;
	g_array_sort(a, cmp_i64);
	rank = ((size_t)pct * a->len + 99) / 100;
	return g_array_index(a, int64_t, rank ? rank - 1 : 0);
}

static gint
cmp_group(gconstpointer a, gconstpointer b)
{
	const struct group *x = *(struct group *const *)a;
	const struct group *y = *(struct group *const *)b;
	int c;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if ((c = strcmp(x->priority, y->priority)) != 0)
		return c;
	return strcmp(x->by, y->by);
}

static void
resp_fields(struct out *o, const char *key, struct resp *r)
{
	out_obj(o, key);
	out_int(o, "met", r->met);
	out_int(o, "breached", r->breached);
	out_int(o, "responses", r->secs->len);
	if (r->secs->len) {
		out_int(o, "median_seconds", percentile(r->secs, 50));
		out_int(o, "p90_seconds", percentile(r->secs, 90));
	} else {
		out_null(o, "median_seconds");
		out_null(o, "p90_seconds");
	}
}

/* "1h05m" for people; "-" for nothing. */
static char *
human(int64_t secs)
{
	if (secs < 0)
		return xstrdup("-");
	if (secs < 3600)
		return xasprintf("%lldm", (long long)(secs / 60));
	return xasprintf("%lldh%02lldm", (long long)(secs / 3600),
	    (long long)(secs % 3600 / 60));
}

/* A bare date is midnight in the calendar's zone. */
static int
parse_since(const struct ctx *cx, const char *s, sd_time *t_r)
{
	GTimeZone	*tz;
	GDateTime	*dt;
	int		 y, m, d;
	char		 tail;

	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return sd_time_parse(s, t_r);
	if ((tz = g_time_zone_new_identifier(cx->conf->calendar.timezone))
	    == NULL)
		tz = g_time_zone_new_utc();
	dt = g_date_time_new(tz, y, m, d, 0, 0, 0);
	g_time_zone_unref(tz);
	if (dt == NULL)
		return -1;
	*t_r = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return 0;
}

static void
print_json_text(struct ctx *cx, struct report *rp, GPtrArray *list,
    sd_time since, bool json)
{
	struct out	 o;
	const char	*col = rp->by_org ? "organization" : "tier";
	int		 w = prio_width(cx->conf);

	out_begin(&o, cx, json);
	out_obj(&o, NULL);
	out_time(&o, "since", since);
	out_time(&o, "generated_at", rp->now);
	out_str(&o, "by", col);
	out_arr(&o, "groups");
	out_text(&o, "%-*s %-10s %7s %13s %13s %13s %11s %11s %6s %6s %5s "
	    "%13s %11s %11s %5s %6s\n", w, "pri", col, "tickets",
	    "first met/br", "agent met/br", "resol met/br", "first p50",
	    "first p90", "esc2", "esc3", "ahC1", "update met/br", "resol p50",
	    "resol p90", "pages", "later");
	for (guint i = 0; i < list->len; i++) {
		struct group	*g = list->pdata[i];
		char		*p50 = human(percentile(g->first.secs, 50));
		char		*p90 = human(percentile(g->first.secs, 90));
		char		*r50 = human(percentile(g->resolution.secs, 50));
		char		*r90 = human(percentile(g->resolution.secs, 90));

		out_obj(&o, NULL);
		out_str(&o, "priority", g->priority);
		out_str(&o, col, g->by);
		out_int(&o, "tickets", g->tickets);
		out_int(&o, "periods_closed", g->periods);
		resp_fields(&o, "first_response", &g->first);
		out_close(&o);
		resp_fields(&o, "agent_response", &g->agent);
		out_close(&o);
		resp_fields(&o, "resolution", &g->resolution);
		out_int(&o, "met_by_downgrade", g->met_by_downgrade);
		out_close(&o);
		out_obj(&o, "update");
		out_int(&o, "met", g->update_met);
		out_int(&o, "breached", g->update_breached);
		out_int(&o, "silences_too_long", g->update_breaches);
		out_close(&o);
		out_obj(&o, "after_priority_change");
		out_int(&o, "periods", g->later_periods);
		out_int(&o, "breached", g->later_breached);
		out_close(&o);
		out_obj(&o, "escalations");
		out_int(&o, "level2", g->level2);
		out_int(&o, "level3", g->level3);
		out_close(&o);
		out_int(&o, "after_hours", g->after_hours);
		out_int(&o, "after_hours_c1", g->after_hours_c1);
		out_int(&o, "pages", g->pages);
		out_close(&o);
		out_text(&o, "%-*s %-10s %7d %6d/%-6d %6d/%-6d %6d/%-6d %11s "
		    "%11s %6d %6d %5d %6d/%-6d %11s %11s %5lld %6d\n", w,
		    g->priority, g->by, g->tickets, g->first.met,
		    g->first.breached, g->agent.met, g->agent.breached,
		    g->resolution.met, g->resolution.breached, p50, p90,
		    g->level2, g->level3, g->after_hours_c1, g->update_met,
		    g->update_breached, r50, r90, (long long)g->pages,
		    g->later_breached);
		free(p50);
		free(p90);
		free(r50);
		free(r90);
	}
	out_close(&o);
	out_close(&o);
	out_end(&o, true);
}

static void
csv_field(GString *s, const char *v, bool last)
{
	bool quote = strpbrk(v, ",\"\r\n") != NULL;

	if (quote) {
		g_string_append_c(s, '"');
		for (const char *p = v; *p != '\0'; p++) {
			if (*p == '"')
				g_string_append_c(s, '"');
			g_string_append_c(s, *p);
		}
		g_string_append_c(s, '"');
	} else
		g_string_append(s, v);
	g_string_append(s, last ? "\r\n" : ",");
}

/* RFC 4180, one line per group, times in seconds (empty: none). */
static void
print_csv(struct report *rp, GPtrArray *list)
{
	GString	*s = g_string_new(NULL);
	char	 buf[32];

	g_string_append_printf(s, "priority,%s,tickets,periods_closed,"
	    "first_met,first_breached,first_p50_s,first_p90_s,response_met,"
	    "response_breached,response_p50_s,response_p90_s,update_met,"
	    "update_breached,update_silences_too_long,resolution_met,"
	    "resolution_breached,resolution_met_by_downgrade,resolution_p50_s,"
	    "resolution_p90_s,after_change_periods,after_change_breached,"
	    "escalated_level2,escalated_level3,after_hours,after_hours_c1,"
	    "pages\r\n", rp->by_org ? "organization" : "tier");
	for (guint i = 0; i < list->len; i++) {
		struct group	*g = list->pdata[i];
		int64_t		 v[] = { g->tickets, g->periods, g->first.met,
		    g->first.breached, percentile(g->first.secs, 50),
		    percentile(g->first.secs, 90), g->agent.met,
		    g->agent.breached, percentile(g->agent.secs, 50),
		    percentile(g->agent.secs, 90), g->update_met,
		    g->update_breached, g->update_breaches,
		    g->resolution.met, g->resolution.breached,
		    g->met_by_downgrade, percentile(g->resolution.secs, 50),
		    percentile(g->resolution.secs, 90), g->later_periods,
		    g->later_breached, g->level2, g->level3, g->after_hours,
		    g->after_hours_c1, g->pages };

		csv_field(s, g->priority, false);
		csv_field(s, g->by, false);
		for (size_t k = 0; k < nitems(v); k++) {
			if (v[k] < 0)
				buf[0] = '\0';
			else
				snprintf(buf, sizeof(buf), "%lld",
				    (long long)v[k]);
			csv_field(s, buf, k + 1 == nitems(v));
		}
	}
	fwrite(s->str, 1, s->len, stdout);
	g_string_free(s, TRUE);
}

static void
html_text(GString *s, const char *v)
{
	char *e = g_markup_escape_text(v, -1);

	g_string_append(s, e);
	g_free(e);
}

struct bars {
	GString	*s;
	int	 i, n, max;
	int	 x0, w;
};

/* One bar of a bar chart, labelled below, its value above. */
static void
bar(struct bars *b, const char *label, int v)
{
	int h = b->max > 0 ? v * 160 / b->max : 0;
	int x = b->x0 + b->i * b->w;

	g_string_append_printf(b->s, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" fill=\"#3b6ea8\"/>", x + 4, 190 - h, b->w - 8, h);
	g_string_append_printf(b->s, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
	    "text-anchor=\"middle\">%d</text>", x + b->w / 2, 185 - h, v);
	g_string_append_printf(b->s, "<text x=\"%d\" y=\"206\" font-size=\"10\" "
	    "text-anchor=\"middle\">", x + b->w / 2);
	html_text(b->s, label);
	g_string_append(b->s, "</text>");
	b->i++;
}

static void
svg_open(GString *s, const char *title, int n, int w)
{
	g_string_append_printf(s, "<h2>%s</h2>\n<svg xmlns=\"http://www.w3.org/"
	    "2000/svg\" width=\"%d\" height=\"215\" role=\"img\" "
	    "aria-label=\"%s\"><line x1=\"20\" y1=\"190\" x2=\"%d\" y2=\"190\" "
	    "stroke=\"#888\"/>", title, 40 + n * w, title, 20 + n * w);
}

static gboolean
week_max(gpointer k, gpointer v, gpointer arg)
{
	(void)k;
	if (GPOINTER_TO_INT(v) > *(int *)arg)
		*(int *)arg = GPOINTER_TO_INT(v);
	return FALSE;
}

/* The Mondays of the first and the last breach; false without one. */
static bool
week_range(struct report *rp, GDate *a, GDate *z)
{
	GTreeNode	*first = g_tree_node_first(rp->weeks);
	GTreeNode	*last = g_tree_node_last(rp->weeks);
	int		 y1, m1, d1, y2, m2, d2;

	if (first == NULL || sscanf(g_tree_node_key(first), "%d-%d-%d", &y1,
	    &m1, &d1) != 3 || sscanf(g_tree_node_key(last), "%d-%d-%d", &y2,
	    &m2, &d2) != 3)
		return false;
	g_date_clear(a, 1);
	g_date_clear(z, 1);
	g_date_set_dmy(a, (GDateDay)d1, (GDateMonth)m1, (GDateYear)y1);
	g_date_set_dmy(z, (GDateDay)d2, (GDateMonth)m2, (GDateYear)y2);
	return true;
}

/* Every week from the first breach's to the last's, none left out. */
static void
week_bars(struct report *rp, struct bars *b)
{
	GDate	d, end;
	char	day[16];

	if (!week_range(rp, &d, &end))
		return;
	for (; g_date_compare(&d, &end) <= 0; g_date_add_days(&d, 7)) {
		snprintf(day, sizeof(day), "%04d-%02d-%02d",
		    g_date_get_year(&d), g_date_get_month(&d),
		    g_date_get_day(&d));
		bar(b, day, GPOINTER_TO_INT(g_tree_lookup(rp->weeks, day)));
	}
}

/* How many weeks week_bars draws. */
static int
weeks_between(struct report *rp)
{
	GDate a, z;

	return week_range(rp, &a, &z) ? g_date_days_between(&a, &z) / 7 + 1 :
	    0;
}

/* One self-contained page: no script, no link, no font to fetch. */
static void
print_html(struct report *rp, GPtrArray *list, sd_time since)
{
	static const char *const head[] = { "priority", NULL, "tickets",
	    "periods closed", "first met/br", "response met/br",
	    "response p50", "update met/br", "resolution met/br",
	    "by downgrade", "resolution p50", "resolution p90",
	    "after a change: breached", "escalated L2/L3", "after hours",
	    "pages" };
	GString		*s = g_string_new(NULL);
	struct bars	 b;
	char		*t;

	g_string_append(s, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>supportd SLA report</title>"
	    "<style>body{font-family:sans-serif;margin:2em;color:#222}"
	    "table{border-collapse:collapse}th,td{border:1px solid #bbb;"
	    "padding:.3em .6em;text-align:right}th{background:#eef}"
	    "td:first-child,td:nth-child(2),th:first-child,th:nth-child(2)"
	    "{text-align:left}"
	    ".bad{color:#b00;font-weight:bold}</style></head><body>\n"
	    "<h1>SLA report</h1>\n<p>");
	t = since ? sla_format(rp->cal, since) : xstrdup("the beginning");
	g_string_append(s, "Tickets created since ");
	html_text(s, t);
	free(t);
	t = sla_format(rp->cal, rp->now);
	g_string_append(s, "; made ");
	html_text(s, t);
	free(t);
	g_string_append(s, ".</p>\n<table><tr>");
	for (size_t i = 0; i < nitems(head); i++) {
		g_string_append(s, "<th>");
		html_text(s, head[i] ? head[i] : rp->by_org ? "organization" :
		    "tier");
		g_string_append(s, "</th>");
	}
	g_string_append(s, "</tr>\n");
	for (guint i = 0; i < list->len; i++) {
		struct group	*g = list->pdata[i];
		char		*r50 = human(percentile(g->resolution.secs, 50));
		char		*r90 = human(percentile(g->resolution.secs, 90));
		char		*a50 = human(percentile(g->agent.secs, 50));

		g_string_append(s, "<tr><td>");
		html_text(s, g->priority);
		g_string_append(s, "</td><td>");
		html_text(s, g->by);
		g_string_append_printf(s, "</td><td>%d</td><td>%d</td>"
		    "<td>%d/%d</td><td%s>%d/%d</td><td>%s</td>"
		    "<td%s>%d/%d</td><td%s>%d/%d</td><td>%d</td><td>%s</td>"
		    "<td>%s</td><td>%d</td><td>%d/%d</td><td>%d</td>"
		    "<td>%lld</td></tr>\n", g->tickets, g->periods,
		    g->first.met, g->first.breached,
		    g->agent.breached ? " class=\"bad\"" : "", g->agent.met,
		    g->agent.breached, a50,
		    g->update_breached ? " class=\"bad\"" : "", g->update_met,
		    g->update_breached,
		    g->resolution.breached ? " class=\"bad\"" : "",
		    g->resolution.met, g->resolution.breached,
		    g->met_by_downgrade, r50, r90, g->later_breached,
		    g->level2, g->level3, g->after_hours,
		    (long long)g->pages);
		free(r50);
		free(r90);
		free(a50);
	}
	g_string_append(s, "</table>\n");

	memset(&b, 0, sizeof(b));
	b.s = s;
	b.x0 = 20;
	b.w = 90;
	b.n = weeks_between(rp);
	g_tree_foreach(rp->weeks, week_max, &b.max);
	svg_open(s, "Breaches per week", b.n ? b.n : 1, b.w);
	if (b.n == 0)
		g_string_append(s, "<text x=\"30\" y=\"100\">no breach</text>");
	week_bars(rp, &b);
	g_string_append(s, "</svg>\n");

	memset(&b, 0, sizeof(b));
	b.s = s;
	b.x0 = 20;
	b.w = 60;
	b.n = (int)nitems(buckets);
	for (size_t i = 0; i < nitems(buckets); i++)
		if (rp->hist[i] > b.max)
			b.max = rp->hist[i];
	svg_open(s, "Agent response times (tickets, up to)", b.n, b.w);
	for (size_t i = 0; i < nitems(buckets); i++)
		bar(&b, bucket_names[i], rp->hist[i]);
	g_string_append(s, "</svg>\n</body></html>\n");
	fwrite(s->str, 1, s->len, stdout);
	g_string_free(s, TRUE);
}

int
cmd_report(struct ctx *cx, int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", "csv",
	    "html" };
	struct listopts	 lo;
	struct report	 rp;
	struct sd_err	 err;
	GHashTableIter	 it;
	gpointer	 val;
	GPtrArray	*list;
	sd_time		 since = 0;
	const char	*fmt;
	int		 r;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc)
		return EX_USAGE;
	if (lo.since && parse_since(cx, lo.since, &since) == -1) {
		fprintf(stderr, "supportctl: report: --since: not a date: %s\n",
		    lo.since);
		return EX_USAGE;
	}
	fmt = lo.format ? lo.format : lo.json ? "json" : "text";
	for (r = 0; r < (int)nitems(formats); r++)
		if (strcmp(fmt, formats[r]) == 0)
			break;
	if (r == (int)nitems(formats) || (lo.json && lo.format &&
	    strcmp(lo.format, "json") != 0)) {
		fprintf(stderr, "supportctl: report: --format text, json, csv "
		    "or html, not \"%s\"\n", fmt);
		return EX_USAGE;
	}
	if (lo.by != NULL && strcmp(lo.by, "org") != 0 &&
	    strcmp(lo.by, "tier") != 0) {
		fprintf(stderr, "supportctl: report: --by tier or org, not "
		    "\"%s\"\n", lo.by);
		return EX_USAGE;
	}
	memset(&rp, 0, sizeof(rp));
	rp.now = sd_now();
	rp.conf = cx->conf;
	rp.cal = sla_calendars_get(cx->calendars, "business");
	rp.by_org = lo.by != NULL && strcmp(lo.by, "org") == 0;
	rp.groups = g_hash_table_new_full(g_str_hash, g_str_equal, free,
	    group_free);
	rp.weeks = g_tree_new_full(cmp_week, NULL, g_free, NULL);
	if ((rp.tz = g_time_zone_new_identifier(cx->conf->calendar.timezone))
	    == NULL)
		rp.tz = g_time_zone_new_utc();
	if (store_report(cx->store, since, add_row, &rp, &err) == -1 ||
	    store_report_periods(cx->store, since, add_period, &rp,
	    &err) == -1 ||
	    store_report_breaches(cx->store, since, add_breach, &rp,
	    &err) == -1) {
		fprintf(stderr, "supportctl: report: %s\n", err.msg);
		g_hash_table_destroy(rp.groups);
		g_tree_destroy(rp.weeks);
		g_time_zone_unref(rp.tz);
		return EX_SOFTWARE;
	}
	list = g_ptr_array_new();
	g_hash_table_iter_init(&it, rp.groups);
	while (g_hash_table_iter_next(&it, NULL, &val))
		g_ptr_array_add(list, val);
	g_ptr_array_sort(list, cmp_group);
	if (strcmp(fmt, "csv") == 0)
		print_csv(&rp, list);
	else if (strcmp(fmt, "html") == 0)
		print_html(&rp, list, since);
	else
		print_json_text(cx, &rp, list, since, strcmp(fmt, "json") == 0);
	g_ptr_array_free(list, TRUE);
	g_hash_table_destroy(rp.groups);
	g_tree_destroy(rp.weeks);
	g_time_zone_unref(rp.tz);
	return 0;
}
