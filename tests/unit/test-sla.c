/* SPDX-License-Identifier: MIT */
/* test-sla.c - the business calendar of SPEC §5, from tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "harness.h"
#include "supportd/sla.h"

static struct sd_calendar *
cal_new(const char *tz, const char *const *holidays)
{
	struct sd_conf_calendar	c;
	struct sd_calendar	*cal;
	struct sd_err		 err;

	memset(&c, 0, sizeof(c));
	c.timezone = (char *)tz;
	c.days = 0x1f;			/* Mon-Fri */
	c.open = 10 * 60;
	c.close = 18 * 60;
	for (size_t i = 0; holidays && holidays[i]; i++)
		strv_push(&c.holidays, holidays[i]);
	cal = sla_calendar_new(&c, &err);
	strv_free(&c.holidays);
	return cal;
}

static sd_time
T(const char *iso)
{
	sd_time t = 0;

	if (sd_time_parse(iso, &t) == -1)
		printf("# bad time in test: %s\n", iso);
	return t;
}

static void
test_add(void)
{
	static const char *const hol[] = { "2026-11-30", "2026-12-25", NULL };
	static const struct {
		const char		*start;
		enum sd_dur_kind	 kind;
		int64_t			 n;
		const char		*want;
	} t[] = {
		/* SPEC §5's two examples (2026-11-20 is a Friday). */
		{ "2026-11-20T17:00:00+05:30", SD_DUR_BD, 1, "2026-11-23T17:00:00+05:30" },
		{ "2026-11-21T12:00:00+05:30", SD_DUR_BD, 1, "2026-11-23T18:00:00+05:30" },
		/* Monday 30 Nov is a holiday: Friday 17:00 + 1bd is Tuesday. */
		{ "2026-11-27T17:00:00+05:30", SD_DUR_BD, 1, "2026-12-01T17:00:00+05:30" },
		/* Christmas Friday: Thursday 12:00 + 1bd is Monday 12:00. */
		{ "2026-12-24T12:00:00+05:30", SD_DUR_BD, 1, "2026-12-28T12:00:00+05:30" },
		{ "2026-11-23T09:00:00+05:30", SD_DUR_BH, 4 * 3600, "2026-11-23T14:00:00+05:30" },
		{ "2026-11-23T16:00:00+05:30", SD_DUR_BH, 4 * 3600, "2026-11-24T12:00:00+05:30" },
		{ "2026-11-23T18:00:00+05:30", SD_DUR_BH, 3600, "2026-11-24T11:00:00+05:30" },
		{ "2026-11-23T10:00:00+05:30", SD_DUR_BH, 8 * 3600, "2026-11-23T18:00:00+05:30" },
		{ "2026-11-23T10:00:00+05:30", SD_DUR_BD, 2, "2026-11-24T18:00:00+05:30" },
		{ "2026-11-20T17:30:00+05:30", SD_DUR_BD, 10, "2026-12-07T17:30:00+05:30" },
		/* Wall clock ignores the calendar. */
		{ "2026-11-21T03:00:00+05:30", SD_DUR_WALL, 3600, "2026-11-21T04:00:00+05:30" },
		{ "2026-11-21T03:00:00+05:30", SD_DUR_WALL, 3 * 86400, "2026-11-24T03:00:00+05:30" },
		{ "2026-11-23T12:00:00+05:30", SD_DUR_BH, 0, "2026-11-23T12:00:00+05:30" },
	};

	struct sd_calendar *cal = cal_new("Asia/Kolkata", hol);

	test_begin("sla: business and wall-clock durations (Kolkata)");
	test_assert(cal != NULL);
	for (size_t i = 0; cal && i < nitems(t); i++) {
		struct sd_dur	 d = { t[i].kind, t[i].n };
		char		*got = sd_time_format(sla_add(cal, T(t[i].start),
				    &d), "Asia/Kolkata");

		test_assert_streq_idx(got, t[i].want, i);
		free(got);
	}
	{
		struct sd_dur none = { SD_DUR_NONE, 0 };

		test_assert(sla_add(cal, T("2026-11-23T12:00:00Z"), &none) == 0);
	}
	sla_calendar_free(&cal);
	test_assert(cal == NULL);
	test_end();
}

static void
test_dst(void)
{
	static const struct {
		const char *start, *want;
		int64_t	    wall_hours;
	} t[] = {
		/* Summer time starts Sunday 29 March 2026: 71 wall hours. */
		{ "2026-03-27T17:00:00+01:00", "2026-03-30T17:00:00+02:00", 71 },
		/* ...and ends Sunday 25 October 2026: 73 wall hours. */
		{ "2026-10-23T17:00:00+02:00", "2026-10-26T17:00:00+01:00", 73 },
	};
	struct sd_calendar *cal = cal_new("Europe/Berlin", NULL);

	test_begin("sla: Europe/Berlin across both DST changes");
	for (size_t i = 0; i < nitems(t); i++) {
		struct sd_dur	 d = { SD_DUR_BD, 1 };
		sd_time		 got = sla_add(cal, T(t[i].start), &d);
		char		*s = sd_time_format(got, "Europe/Berlin");

		test_assert_streq_idx(s, t[i].want, i);
		test_assert_idx(got - T(t[i].start) == t[i].wall_hours * 3600, i);
		free(s);
	}
	sla_calendar_free(&cal);
	test_end();
}

/* Each date's hours are cached, and the cache starts over past 4096
 * dates: answers stay the same either way. */
static void
test_cache(void)
{
	struct sd_calendar	*cal = cal_new("Europe/Berlin", NULL);
	enum { N = 5000 };
	static sd_time		 first[N];
	sd_time			 t0 = T("2026-01-01T12:00:00Z");
	struct sd_dur		 d = { SD_DUR_BH, 9 * 3600 };
	bool			 same = true, sane = true;

	test_begin("sla: cached hours, the cache starting over");
	for (int i = 0; i < N; i++) {
		first[i] = sla_add(cal, t0 + (sd_time)i * 86400, &d);
		sane = sane && sla_in_hours(cal, sla_next_open(cal,
		    t0 + (sd_time)i * 86400));
	}
	for (int i = N - 1; i >= 0; i--)
		same = same && sla_add(cal, t0 + (sd_time)i * 86400, &d) ==
		    first[i];
	test_assert(same && sane);
	/* 9 business hours from a Thursday noon (13:00 in Berlin):
	 * 5 on Thursday, 4 on Friday: 14:00.  The others from Python's
	 * zoneinfo: a Saturday, one after the cache started over (2037),
	 * the last (2039, summer time). */
	test_assert(first[0] == T("2026-01-02T14:00:00+01:00"));
	test_assert(first[2] == T("2026-01-06T11:00:00+01:00"));
	test_assert(first[4097] == T("2037-03-24T11:00:00+01:00"));
	test_assert(first[4999] == T("2039-09-12T15:00:00+02:00"));
	sla_calendar_free(&cal);
	test_end();
}

static void
test_hours(void)
{
	static const char *const hol[] = { "2026-11-30", NULL };
	static const struct {
		const char	*t;
		bool		 in;
		const char	*next;
	} t[] = {
		{ "2026-11-23T10:00:00+05:30", true, "2026-11-23T10:00:00+05:30" },
		{ "2026-11-23T17:59:59+05:30", true, "2026-11-23T17:59:59+05:30" },
		{ "2026-11-23T18:00:00+05:30", false, "2026-11-24T10:00:00+05:30" },
		{ "2026-11-23T09:59:00+05:30", false, "2026-11-23T10:00:00+05:30" },
		{ "2026-11-20T18:30:00+05:30", false, "2026-11-23T10:00:00+05:30" },
		{ "2026-11-21T03:00:00+05:30", false, "2026-11-23T10:00:00+05:30" },
		/* Friday evening before the holiday Monday: Tuesday. */
		{ "2026-11-27T19:00:00+05:30", false, "2026-12-01T10:00:00+05:30" },
		{ "2026-11-30T12:00:00+05:30", false, "2026-12-01T10:00:00+05:30" },
		/* 03:00 IST Saturday is Friday 21:30 UTC: the zone decides. */
		{ "2026-11-20T21:30:00Z", false, "2026-11-23T04:30:00Z" },
		/* Either side of local midnight (18:30 UTC). */
		{ "2026-11-23T23:59:59+05:30", false, "2026-11-24T10:00:00+05:30" },
		{ "2026-11-24T00:00:00+05:30", false, "2026-11-24T10:00:00+05:30" },
		{ "1969-12-31T12:00:00+05:30", true, "1969-12-31T12:00:00+05:30" },
	};
	struct sd_calendar *cal = cal_new("Asia/Kolkata", hol);

	test_begin("sla: in hours and the next opening");
	for (size_t i = 0; i < nitems(t); i++) {
		char *next = sd_time_format(sla_next_open(cal, T(t[i].t)),
		    strchr(t[i].next, 'Z') ? NULL : "Asia/Kolkata");

		test_assert_idx(sla_in_hours(cal, T(t[i].t)) == t[i].in, i);
		test_assert_streq_idx(next, t[i].next, i);
		free(next);
	}
	sla_calendar_free(&cal);
	test_end();
}

static void
test_format_and_errors(void)
{
	struct sd_conf_calendar	 c;
	static const char *const zones[] = { "Asia/Kolkata", "Europe/Berlin",
	    "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
	    "UTC" };
	struct sd_calendar	*cal = cal_new("Asia/Kolkata", NULL);
	struct sd_err		 err;
	char			*s;

	test_begin("sla: format for people; unknown zone refused");
	s = sla_format(cal, T("2026-11-23T17:00:00+05:30"));
	test_assert_streq(s, "Mon 23 Nov 2026 17:00 IST");
	free(s);
	test_assert_streq(sla_hours_text(cal),
	    "Mon, Tue, Wed, Thu, Fri, 10:00-18:00 (Asia/Kolkata)");
	sla_calendar_free(&cal);
	/* As GLib formats it, every 7 h 13 min for three years, in zones
	 * with daylight saving, half hours and quarter hours. */
	for (size_t z = 0; z < nitems(zones); z++) {
		GTimeZone	*tz = g_time_zone_new_identifier(zones[z]);
		bool		 same = true;

		cal = cal_new(zones[z], NULL);
		for (sd_time t = T("2025-01-01T00:00:00Z");
		    t < T("2028-01-01T00:00:00Z"); t += 7 * 3600 + 13 * 60) {
			GDateTime	*u = g_date_time_new_from_unix_utc(t);
			GDateTime	*l = g_date_time_to_timezone(u, tz);
			gchar		*want = g_date_time_format(l,
					    "%a %d %b %Y %H:%M %Z");

			s = sla_format(cal, t);
			if (strcmp(s, want) != 0) {
				printf("# %s %lld: %s, want %s\n", zones[z],
				    (long long)t, s, want);
				same = false;
			}
			free(s);
			g_free(want);
			g_date_time_unref(l);
			g_date_time_unref(u);
		}
		test_assert_idx(same, z);
		sla_calendar_free(&cal);
		g_time_zone_unref(tz);
	}
	memset(&c, 0, sizeof(c));
	c.timezone = "Mars/Olympus_Mons";
	c.days = 0x41;			/* Monday and Sunday */
	c.open = 570;
	c.close = 1335;
	s = sla_hours_describe(&c);
	test_assert_streq(s, "Mon, Sun, 09:30-22:15 (Mars/Olympus_Mons)");
	free(s);
	test_assert(sla_calendar_new(&c, &err) == NULL);
	test_assert(err.cls == SD_E_CONFIG);
	test_end();
}

/* The SPEC §12 configuration: premium, standard, basic and default. */
static struct sd_conf *
spec_conf(void)
{
	struct sd_conf	*c = NULL;
	struct sd_strv	 errs = { 0 };

	if (conf_load(test_srcpath("fixtures/conf/good-spec12.conf"), &c, &errs,
	    NULL) == -1)
		for (size_t i = 0; i < errs.n; i++)
			printf("# %s\n", errs.v[i]);
	strv_free(&errs);
	return c;
}

static void
test_due_times(void)
{
	static const struct {
		const char	*tier;
		enum sd_prio	 p;
		const char	*created, *response, *resolution;
	} t[] = {
		/* A premium C1 at 03:00 Saturday: 1 h wall, resolution 6 h. */
		{ "premium", SD_C1, "2026-11-21T03:00:00+05:30",
		  "2026-11-21T04:00:00+05:30", "2026-11-21T09:00:00+05:30" },
		/* Default C2 Friday 17:00: 4bh is Monday 13:00, 24h wall. */
		{ "default", SD_C2, "2026-11-20T17:00:00+05:30",
		  "2026-11-23T13:00:00+05:30", "2026-11-21T17:00:00+05:30" },
		{ "default", SD_C3, "2026-11-20T17:00:00+05:30",
		  "2026-11-23T17:00:00+05:30", "2026-11-27T17:00:00+05:30" },
		{ "standard", SD_C3, "2026-11-20T17:00:00+05:30",
		  "2026-11-24T17:00:00+05:30", "2026-11-27T17:00:00+05:30" },
		{ "premium", SD_C4, "2026-11-21T12:00:00+05:30",
		  "2026-11-24T18:00:00+05:30", "2026-12-04T18:00:00+05:30" },
		/* An unknown tier falls back to default. */
		{ "no-such-tier", SD_C1, "2026-11-21T03:00:00+05:30",
		  "2026-11-21T05:00:00+05:30", "2026-11-21T09:00:00+05:30" },
	};
	struct sd_conf		*c = spec_conf();
	struct sd_calendar	*cal = NULL;
	struct sd_err		 err;

	test_begin("sla: due times per tier and priority (SPEC §5 table)");
	test_assert(c != NULL);
	if (c != NULL)
		cal = sla_calendar_new(&c->calendar, &err);
	for (size_t i = 0; cal && i < nitems(t); i++) {
		sd_time	 resp, res;
		char	*a, *b;

		sla_due_times(c, cal, t[i].tier, t[i].p, T(t[i].created),
		    &resp, &res);
		a = sd_time_format(resp, "Asia/Kolkata");
		b = sd_time_format(res, "Asia/Kolkata");
		test_assert_streq_idx(a, t[i].response, i);
		test_assert_streq_idx(b, t[i].resolution, i);
		free(a);
		free(b);
	}
	if (cal != NULL) {
		sd_time resp = 1, res = 1;

		/* basic: best effort, no targets at all. */
		sla_due_times(c, cal, "basic", SD_C1,
		    T("2026-11-21T03:00:00Z"), &resp, &res);
		test_assert(resp == 0 && res == 0);
	}
	sla_calendar_free(&cal);
	conf_free(&c);
	test_end();
}

static void
test_escalation(void)
{
	static const struct {
		enum sd_prio	 p;
		const char	*created;
		int		 level;
		const char	*want;	/* NULL: never */
	} t[] = {
		/* C1: 30 min on the wall clock, even at night. */
		{ SD_C1, "2026-11-21T03:00:00+05:30", 2, "2026-11-21T03:30:00+05:30" },
		{ SD_C1, "2026-11-21T03:00:00+05:30", 3, "2026-11-21T04:00:00+05:30" },
		/* C2: 1 business hour per level. */
		{ SD_C2, "2026-11-20T17:30:00+05:30", 2, "2026-11-23T10:30:00+05:30" },
		{ SD_C2, "2026-11-20T17:30:00+05:30", 3, "2026-11-23T11:30:00+05:30" },
		/* C3: 8 business hours per level. */
		{ SD_C3, "2026-11-23T10:00:00+05:30", 2, "2026-11-23T18:00:00+05:30" },
		{ SD_C3, "2026-11-23T10:00:00+05:30", 3, "2026-11-24T18:00:00+05:30" },
		{ SD_C4, "2026-11-23T10:00:00+05:30", 2, "2026-11-24T18:00:00+05:30" },
		{ SD_C1, "2026-11-21T03:00:00+05:30", 1, NULL },
		{ SD_C1, "2026-11-21T03:00:00+05:30", 4, NULL },
	};
	struct sd_conf		*c = spec_conf();
	struct sd_calendar	*cal = NULL;
	struct sd_err		 err;

	test_begin("sla: escalation levels on each priority's clock");
	if (c != NULL)
		cal = sla_calendar_new(&c->calendar, &err);
	test_assert(cal != NULL);
	for (size_t i = 0; cal && i < nitems(t); i++) {
		sd_time	 at = sla_escalation_at(c, cal, t[i].p,
			    T(t[i].created), t[i].level);
		char	*s = at ? sd_time_format(at, "Asia/Kolkata") : NULL;

		test_assert_streq_idx(s, t[i].want, i);
		free(s);
	}
	sla_calendar_free(&cal);
	conf_free(&c);
	test_end();
}

static void
test_ack_template(void)
{
	static const struct {
		enum sd_prio	 p;
		bool		 after, followup;
		const char	*want;
	} t[] = {
		{ SD_C1, false, false, "ack-c1" },
		{ SD_C1, true, false, "ack-c1-after-hours" },
		{ SD_C2, false, false, "ack" },
		{ SD_C3, true, false, "ack-after-hours" },
		{ SD_C1, true, true, "ack-followup" },
		{ SD_C4, false, true, "ack-followup" },
	};

	test_begin("sla: which acknowledgement a new ticket gets");
	for (size_t i = 0; i < nitems(t); i++)
		test_assert_streq_idx(sla_ack_template(t[i].p, t[i].after,
		    t[i].followup), t[i].want, i);
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_add, test_dst, test_hours,
	    test_cache,
	    test_format_and_errors, test_due_times, test_escalation,
	    test_ack_template, NULL };

	return test_run(tests);
}
