/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - supportctl report (SPEC §9): SLA compliance per
 * priority and tier.  A response is met when it came by its due time,
 * breached when it came later or has not come and the due time passed;
 * tickets without a target (best effort) count in neither.  Resolution
 * counts the same way against the resolution due time, an agent's date
 * (supportctl set ID due) where one was set.  Times are
 * medians and 90th percentiles (nearest rank) in seconds.
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
	GArray	*secs;		/* int64: how long each response took */
};

struct group {
	char		*priority;
	int		 rank;		/* its place; unknown names last */
	char		*tier;
	int		 tickets;
	struct resp	 first, agent, resolution;
	int		 level2, level3;
	int		 after_hours_c1;
	int64_t		 pages;
};

struct report {
	GHashTable	*groups;	/* "C1\037premium" -> struct group */
	const struct sd_conf *conf;
	sd_time		 now;
};

static void
group_free(gpointer p)
{
	struct group *g = p;

	g_array_free(g->first.secs, TRUE);
	g_array_free(g->agent.secs, TRUE);
	g_array_free(g->resolution.secs, TRUE);
	free(g->priority);
	free(g->tier);
	free(g);
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

static int
add_row(void *arg, const struct sd_report_row *row)
{
	struct report	*rp = arg;
	char		*key = xasprintf("%s\037%s", row->priority,
			    row->tier);
	struct group	*g = g_hash_table_lookup(rp->groups, key);

	if (g == NULL) {
		g = xcalloc(1, sizeof(*g));
		g->priority = xstrdup(row->priority);
		g->rank = conf_prio_index(rp->conf, row->priority);
		if (g->rank < 0)
			g->rank = SD_MAXPRIO;
		g->tier = xstrdup(row->tier);
		g->first.secs = g_array_new(FALSE, FALSE, sizeof(int64_t));
		g->agent.secs = g_array_new(FALSE, FALSE, sizeof(int64_t));
		g->resolution.secs = g_array_new(FALSE, FALSE,
		    sizeof(int64_t));
		g_hash_table_insert(rp->groups, key, g);
	} else
		free(key);
	g->tickets++;
	count(&g->first, row->created_at, row->first_response_at,
	    row->response_due, rp->now);
	count(&g->agent, row->created_at, row->agent_response_at,
	    row->response_due, rp->now);
	count(&g->resolution, row->created_at, row->resolved_at,
	    row->resolution_due, rp->now);
	g->level2 += row->escalation_level >= 2;
	g->level3 += row->escalation_level >= 3;
	g->after_hours_c1 += row->after_hours && g->rank == SD_PRIO_TOP;
	g->pages += row->pages;
	return 0;
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
	return strcmp(x->tier, y->tier);
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
	out_close(o);
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

int
cmd_report(struct ctx *cx, int argc, char **argv)
{
	struct listopts	 lo;
	struct report	 rp;
	struct sd_err	 err;
	GHashTableIter	 it;
	gpointer	 val;
	GPtrArray	*list;
	struct out	 o;
	sd_time		 since = 0;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc)
		return EX_USAGE;
	if (lo.since && parse_since(cx, lo.since, &since) == -1) {
		fprintf(stderr, "supportctl: report: --since: not a date: %s\n",
		    lo.since);
		return EX_USAGE;
	}
	rp.now = sd_now();
	rp.conf = cx->conf;
	rp.groups = g_hash_table_new_full(g_str_hash, g_str_equal, free,
	    group_free);
	if (store_report(cx->store, since, add_row, &rp, &err) == -1) {
		fprintf(stderr, "supportctl: report: %s\n", err.msg);
		g_hash_table_destroy(rp.groups);
		return EX_SOFTWARE;
	}
	list = g_ptr_array_new();
	g_hash_table_iter_init(&it, rp.groups);
	while (g_hash_table_iter_next(&it, NULL, &val))
		g_ptr_array_add(list, val);
	g_ptr_array_sort(list, cmp_group);
	out_begin(&o, cx, lo.json);
	out_obj(&o, NULL);
	out_time(&o, "since", since);
	out_time(&o, "generated_at", rp.now);
	out_arr(&o, "groups");
	out_text(&o, "%-*s %-10s %7s %13s %13s %13s %11s %11s %6s %6s %5s\n",
	    prio_width(cx->conf), "pri", "tier", "tickets", "first met/br",
	    "agent met/br", "resol met/br", "first p50", "first p90", "esc2", "esc3", "ahC1");
	for (guint i = 0; i < list->len; i++) {
		struct group	*g = list->pdata[i];
		char		*p50 = human(percentile(g->first.secs, 50));
		char		*p90 = human(percentile(g->first.secs, 90));

		out_obj(&o, NULL);
		out_str(&o, "priority", g->priority);
		out_str(&o, "tier", g->tier);
		out_int(&o, "tickets", g->tickets);
		resp_fields(&o, "first_response", &g->first);
		resp_fields(&o, "agent_response", &g->agent);
		resp_fields(&o, "resolution", &g->resolution);
		out_obj(&o, "escalations");
		out_int(&o, "level2", g->level2);
		out_int(&o, "level3", g->level3);
		out_close(&o);
		out_int(&o, "after_hours_c1", g->after_hours_c1);
		out_int(&o, "pages", g->pages);
		out_close(&o);
		out_text(&o, "%-*s %-10s %7d %6d/%-6d %6d/%-6d %6d/%-6d %11s "
		    "%11s %6d %6d %5d\n", prio_width(cx->conf), g->priority,
		    g->tier,
		    g->tickets, g->first.met, g->first.breached, g->agent.met,
		    g->agent.breached, g->resolution.met,
		    g->resolution.breached, p50, p90, g->level2, g->level3,
		    g->after_hours_c1);
		free(p50);
		free(p90);
	}
	out_close(&o);
	out_close(&o);
	out_end(&o, true);
	g_ptr_array_free(list, TRUE);
	g_hash_table_destroy(rp.groups);
	return 0;
}
