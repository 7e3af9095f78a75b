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

/*
 * SPEC §14.1: hours across midnight, whole days, 24x7, with DST changes
 * in both hemispheres inside a night shift.  Times in UTC; expected
 * values worked out by hand and checked with Python's zoneinfo.
 */
static void
test_calendar_kinds(void)
{
	static const struct {
		const char	*tz;
		unsigned	 days;
		int		 open, close;
		bool		 always;
		const char	*holiday;
		const char	*describe;
	} cals[] = {
		/* 0: every night 22:00-06:00 in New York. */
		{ "America/New_York", 0x7f, 22 * 60, 6 * 60, false, NULL,
		  "Mon, Tue, Wed, Thu, Fri, Sat, Sun, 22:00-06:00 the next day "
		  "(America/New_York)" },
		/* 1: every night 20:00-04:00 in Sydney. */
		{ "Australia/Sydney", 0x7f, 20 * 60, 4 * 60, false, NULL, NULL },
		/* 2: weeknights in Berlin; Christmas (a Friday) off. */
		{ "Europe/Berlin", 0x1f, 22 * 60, 6 * 60, false, "2026-12-25",
		  "Mon, Tue, Wed, Thu, Fri, 22:00-06:00 the next day "
		  "(Europe/Berlin)" },
		/* 3: 24x7. */
		{ "UTC", 0, 0, 0, true, NULL, "around the clock (UTC)" },
		/* 4: whole weekdays in Kolkata. */
		{ "Asia/Kolkata", 0x1f, 0, 24 * 60, false, NULL,
		  "Mon, Tue, Wed, Thu, Fri, 00:00-24:00 (Asia/Kolkata)" },
	};
	/* BETWEEN: business seconds from t to want are n. */
	enum { IN = 1, OUT, NEXT, ADD, BETWEEN };
	static const struct {
		int		 cal, op;
		const char	*t;
		enum sd_dur_kind kind;
		int64_t		 n;
		const char	*want;
	} t[] = {
		/* New York, spring forward inside Saturday night's shift
		 * (22:00 EST to 06:00 EDT: 7 hours). */
		{ 0, IN, "2026-03-08T06:30:00Z", 0, 0, NULL },		/* 01:30 EST */
		{ 0, IN, "2026-03-08T09:59:59Z", 0, 0, NULL },		/* 05:59 EDT */
		{ 0, OUT, "2026-03-08T10:00:00Z", 0, 0, NULL },		/* 06:00 EDT */
		{ 0, NEXT, "2026-03-08T11:00:00Z", 0, 0, "2026-03-09T02:00:00Z" },
		{ 0, ADD, "2026-03-08T03:00:00Z", SD_DUR_BH, 8 * 3600,
		  "2026-03-09T03:00:00Z" },
		/* One business day is the configured 8 hours. */
		{ 0, ADD, "2026-03-08T03:00:00Z", SD_DUR_BD, 1,
		  "2026-03-09T03:00:00Z" },
		/* ...and fall back: 22:00 EDT to 06:00 EST, 9 hours. */
		{ 0, ADD, "2026-11-01T02:00:00Z", SD_DUR_BH, 8 * 3600,
		  "2026-11-01T10:00:00Z" },
		{ 0, ADD, "2026-11-01T02:00:00Z", SD_DUR_BH, 9 * 3600,
		  "2026-11-01T11:00:00Z" },
		{ 0, ADD, "2026-11-01T02:00:00Z", SD_DUR_BH, 10 * 3600,
		  "2026-11-02T04:00:00Z" },
		/* Sydney: summer time ends in April (9-hour night), starts
		 * in October (7-hour night). */
		{ 1, ADD, "2026-04-04T09:00:00Z", SD_DUR_BH, 8 * 3600,
		  "2026-04-04T17:00:00Z" },
		{ 1, OUT, "2026-04-04T18:00:00Z", 0, 0, NULL },		/* 04:00 AEST */
		{ 1, IN, "2026-04-04T17:59:00Z", 0, 0, NULL },
		{ 1, ADD, "2026-10-03T10:00:00Z", SD_DUR_BH, 8 * 3600,
		  "2026-10-04T10:00:00Z" },
		{ 1, NEXT, "2026-10-03T17:00:00Z", 0, 0, "2026-10-04T09:00:00Z" },
		/* Berlin weeknights: Monday's shift ends Tuesday 06:00;
		 * Friday's runs into Saturday; Christmas Friday's is off. */
		{ 2, IN, "2026-12-01T02:00:00Z", 0, 0, NULL },		/* Tue 03:00 */
		{ 2, IN, "2026-12-05T02:00:00Z", 0, 0, NULL },		/* Sat 03:00 */
		{ 2, NEXT, "2026-12-05T06:00:00Z", 0, 0, "2026-12-07T21:00:00Z" },
		{ 2, OUT, "2026-12-06T02:00:00Z", 0, 0, NULL },		/* Sun 03:00 */
		{ 2, OUT, "2026-11-30T20:00:00Z", 0, 0, NULL },		/* Mon 21:00 */
		{ 2, IN, "2026-12-25T04:00:00Z", 0, 0, NULL },		/* Thu's, 05:00 */
		{ 2, NEXT, "2026-12-25T22:00:00Z", 0, 0, "2026-12-28T21:00:00Z" },
		{ 2, NEXT, "2026-12-26T02:00:00Z", 0, 0, "2026-12-28T21:00:00Z" },
		{ 2, ADD, "2026-12-03T22:00:00Z", SD_DUR_BD, 1,
		  "2026-12-04T22:00:00Z" },
		/* 24x7: business time is wall time, a day 24 hours. */
		{ 3, IN, "2026-12-06T03:00:00Z", 0, 0, NULL },
		{ 3, NEXT, "2026-12-06T03:00:00Z", 0, 0, "2026-12-06T03:00:00Z" },
		{ 3, ADD, "2026-12-06T03:00:00Z", SD_DUR_BH, 4 * 3600,
		  "2026-12-06T07:00:00Z" },
		{ 3, ADD, "2026-12-06T03:00:00Z", SD_DUR_BD, 2,
		  "2026-12-08T03:00:00Z" },
		/* Whole weekdays: Friday 23:00 IST + 2bh is Monday 01:00. */
		{ 4, ADD, "2026-12-04T17:30:00Z", SD_DUR_BH, 2 * 3600,
		  "2026-12-06T19:30:00Z" },
		{ 4, OUT, "2026-12-05T06:30:00Z", 0, 0, NULL },		/* Sat 12:00 */
		{ 4, NEXT, "2026-12-05T06:30:00Z", 0, 0, "2026-12-06T18:30:00Z" },
		{ 4, ADD, "2026-12-04T06:30:00Z", SD_DUR_BD, 1,
		  "2026-12-07T06:30:00Z" },
		{ 4, IN, "2026-12-06T18:30:00Z", 0, 0, NULL },		/* Mon 00:00 */
		/* Business time between two instants (SPEC §14.4: how long
		 * a clock stood still): the short night and the long one,
		 * a holiday night, 24x7, whole days over a weekend. */
		{ 0, BETWEEN, "2026-03-08T03:00:00Z", 0, 7 * 3600,
		  "2026-03-08T10:00:00Z" },
		{ 0, BETWEEN, "2026-11-01T02:00:00Z", 0, 9 * 3600,
		  "2026-11-01T11:00:00Z" },
		{ 0, BETWEEN, "2026-11-01T04:00:00Z", 0, 7 * 3600,
		  "2026-11-01T11:00:00Z" },
		{ 1, BETWEEN, "2026-04-04T09:00:00Z", 0, 9 * 3600,
		  "2026-04-04T18:00:00Z" },
		{ 2, BETWEEN, "2026-12-24T21:00:00Z", 0, 8 * 3600,
		  "2026-12-28T05:00:00Z" },
		{ 3, BETWEEN, "2026-12-06T03:00:00Z", 0, 100000,
		  "2026-12-07T06:46:40Z" },
		{ 4, BETWEEN, "2026-11-20T06:30:00Z", 0, 24 * 3600,
		  "2026-11-23T06:30:00Z" },
		{ 4, BETWEEN, "2026-11-23T06:30:00Z", 0, 0,
		  "2026-11-20T06:30:00Z" },		/* backwards: none */
	};
	struct sd_calendar *cal[nitems(cals)];
	struct sd_err err;

	test_begin("sla: across midnight, whole days, 24x7, DST north and "
	    "south");
	for (size_t i = 0; i < nitems(cals); i++) {
		struct sd_conf_calendar c;

		memset(&c, 0, sizeof(c));
		c.timezone = (char *)cals[i].tz;
		c.days = cals[i].days;
		c.open = cals[i].open;
		c.close = cals[i].close;
		c.always = cals[i].always;
		if (cals[i].holiday != NULL)
			strv_push(&c.holidays, cals[i].holiday);
		cal[i] = sla_calendar_new(&c, &err);
		strv_free(&c.holidays);
		test_assert_idx(cal[i] != NULL, i);
		if (cal[i] != NULL && cals[i].describe != NULL)
			test_assert_streq_idx(sla_hours_text(cal[i]),
			    cals[i].describe, i);
	}
	for (size_t i = 0; i < nitems(t); i++) {
		const struct sd_calendar	*c = cal[t[i].cal];
		struct sd_dur			 d = { t[i].kind, t[i].n };
		char				*got = NULL;

		if (c == NULL)
			continue;
		switch (t[i].op) {
		case IN:
		case OUT:
			test_assert_idx(sla_in_hours(c, T(t[i].t)) ==
			    (t[i].op == IN), i);
			continue;
		case NEXT:
			got = sd_time_format(sla_next_open(c, T(t[i].t)), NULL);
			break;
		case ADD:
			got = sd_time_format(sla_add(c, T(t[i].t), &d), NULL);
			break;
		case BETWEEN:
			test_assert_idx(sla_business_between(c, T(t[i].t),
			    T(t[i].want)) == t[i].n, i);
			continue;
		}
		test_assert_streq_idx(got, t[i].want, i);
		free(got);
	}
	for (size_t i = 0; i < nitems(cals); i++)
		sla_calendar_free(&cal[i]);
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
		int	 p;
		const char	*created, *response, *resolution;
	} t[] = {
		/* A premium C1 at 03:00 Saturday: 1 h wall, resolution 6 h. */
		{ "premium", T_C1, "2026-11-21T03:00:00+05:30",
		  "2026-11-21T04:00:00+05:30", "2026-11-21T09:00:00+05:30" },
		/* Default C2 Friday 17:00: 4bh is Monday 13:00, 24h wall. */
		{ "default", T_C2, "2026-11-20T17:00:00+05:30",
		  "2026-11-23T13:00:00+05:30", "2026-11-21T17:00:00+05:30" },
		{ "default", T_C3, "2026-11-20T17:00:00+05:30",
		  "2026-11-23T17:00:00+05:30", "2026-11-27T17:00:00+05:30" },
		{ "standard", T_C3, "2026-11-20T17:00:00+05:30",
		  "2026-11-24T17:00:00+05:30", "2026-11-27T17:00:00+05:30" },
		{ "premium", T_C4, "2026-11-21T12:00:00+05:30",
		  "2026-11-24T18:00:00+05:30", "2026-12-04T18:00:00+05:30" },
		/* An unknown tier falls back to default. */
		{ "no-such-tier", T_C1, "2026-11-21T03:00:00+05:30",
		  "2026-11-21T05:00:00+05:30", "2026-11-21T09:00:00+05:30" },
	};
	struct sd_conf		*c = spec_conf();
	struct sd_calendar	*cal = NULL;
	struct sd_err		 err;

	test_begin("sla: due times per tier and priority (SPEC §5 table), "
	    "their warnings");
	test_assert(c != NULL);
	if (c != NULL)
		cal = sla_calendar_new(&c->calendar, &err);
	for (size_t i = 0; cal && i < nitems(t); i++) {
		sd_time	 resp, res;
		char	*a, *b;

		sla_due_times(c, cal, t[i].tier, t[i].p, T(t[i].created),
		    NULL, &resp, &res);
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
		struct sla_pause pz = { 3600, 1800 };

		sla_due_times(c, cal, "basic", T_C1,
		    T("2026-11-21T03:00:00Z"), NULL, &resp, &res);
		test_assert(resp == 0 && res == 0);
		/* SPEC §14.4: the resolution's clock stood still, on its own
		 * clock (C1 6h wall, C3 5bd business); the response's not. */
		sla_due_times(c, cal, "default", T_C1,
		    T("2026-11-23T10:00:00+05:30"), &pz, &resp, &res);
		test_assert(resp == T("2026-11-23T12:00:00+05:30"));
		test_assert(res == T("2026-11-23T17:00:00+05:30"));
		sla_due_times(c, cal, "default", T_C3,
		    T("2026-11-23T10:00:00+05:30"), &pz, &resp, &res);
		test_assert(res == T("2026-11-30T10:30:00+05:30"));
	}
	if (cal != NULL) {
		/* SPEC §14.5: when a target warns, a share of its time on
		 * its own clock. */
		static const struct {
			const char	*start;
			enum sd_dur_kind kind;
			int64_t		 n;
			int		 pct;
			int64_t		 paused_bh;
			const char	*want;	/* NULL: 0 */
		} w[] = {
			{ "2026-11-23T10:00:00+05:30", SD_DUR_BD, 1, 80, 0,
			  "2026-11-23T16:24:00+05:30" },
			{ "2026-11-23T10:00:00+05:30", SD_DUR_WALL, 7200, 80, 0,
			  "2026-11-23T11:36:00+05:30" },
			{ "2026-11-20T17:00:00+05:30", SD_DUR_BH, 4 * 3600, 50, 0,
			  "2026-11-23T11:00:00+05:30" },
			{ "2026-11-23T10:00:00+05:30", SD_DUR_BD, 1, 80, 3600,
			  "2026-11-23T17:24:00+05:30" },
			{ "2026-11-21T03:00:00+05:30", SD_DUR_WALL, 900, 80, 0,
			  "2026-11-21T03:12:00+05:30" },
			{ "2026-11-23T10:00:00+05:30", SD_DUR_NONE, 0, 80, 0,
			  NULL },
		};

		for (size_t i = 0; i < nitems(w); i++) {
			struct sd_dur	 d = { w[i].kind, w[i].n };
			struct sla_pause pz = { 0, w[i].paused_bh };
			sd_time		 at = sla_add_part(cal, T(w[i].start),
					    &d, w[i].pct, &pz);

			test_assert_idx(at == (w[i].want ? T(w[i].want) : 0),
			    i);
		}
	}
	sla_calendar_free(&cal);
	conf_free(&c);
	test_end();
}

/* SPEC §14.6: a period's targets when a priority change ends it. */
static void
test_outcome(void)
{
	static const struct {
		sd_time		 due, met_at, ended;
		bool		 downgrade;
		const char	*want;
	} t[] = {
		{ 0, 0, 100, false, "none" },
		{ 200, 150, 300, false, "met" },
		{ 200, 250, 300, false, "breached" },	/* met late */
		{ 200, 0, 300, false, "breached" },	/* due in the period */
		{ 200, 0, 300, true, "breached" },	/* too late to downgrade */
		{ 200, 0, 150, false, "open" },		/* cut short */
		{ 200, 0, 150, true, "met-by-downgrade" },
		{ 200, 0, 200, true, "met-by-downgrade" },	/* at the due time */
		{ 200, 180, 150, false, "open" },	/* met after the end */
		{ 200, 120, 150, true, "met" },
	};

	test_begin("sla: a period's outcome at a priority change");
	for (size_t i = 0; i < nitems(t); i++)
		test_assert_streq_idx(sla_outcome(t[i].due, t[i].met_at,
		    t[i].ended, t[i].downgrade), t[i].want, i);
	test_end();
}

static void
test_escalation(void)
{
	static const struct {
		int	 p;
		const char	*created;
		int		 level;
		const char	*want;	/* NULL: never */
		int64_t		 wall, bh;	/* paused */
	} t[] = {
		/* C1: 30 min on the wall clock, even at night. */
		{ T_C1, "2026-11-21T03:00:00+05:30", 2, "2026-11-21T03:30:00+05:30", 0, 0 },
		{ T_C1, "2026-11-21T03:00:00+05:30", 3, "2026-11-21T04:00:00+05:30", 0, 0 },
		/* C2: 1 business hour per level. */
		{ T_C2, "2026-11-20T17:30:00+05:30", 2, "2026-11-23T10:30:00+05:30", 0, 0 },
		{ T_C2, "2026-11-20T17:30:00+05:30", 3, "2026-11-23T11:30:00+05:30", 0, 0 },
		/* C3: 8 business hours per level. */
		{ T_C3, "2026-11-23T10:00:00+05:30", 2, "2026-11-23T18:00:00+05:30", 0, 0 },
		{ T_C3, "2026-11-23T10:00:00+05:30", 3, "2026-11-24T18:00:00+05:30", 0, 0 },
		{ T_C4, "2026-11-23T10:00:00+05:30", 2, "2026-11-24T18:00:00+05:30", 0, 0 },
		{ T_C1, "2026-11-21T03:00:00+05:30", 1, NULL, 0, 0 },
		/* SPEC §14.4: up to nine levels, a window each. */
		{ T_C1, "2026-11-21T03:00:00+05:30", 4, "2026-11-21T04:30:00+05:30", 0, 0 },
		{ T_C1, "2026-11-21T03:00:00+05:30", 9, "2026-11-21T07:00:00+05:30", 0, 0 },
		{ T_C1, "2026-11-21T03:00:00+05:30", 10, NULL, 0, 0 },
		/* The clock stood still: wall time for C1, business time for
		 * the others, each on its own. */
		{ T_C1, "2026-11-21T03:00:00+05:30", 2, "2026-11-21T03:40:00+05:30", 600, 0 },
		{ T_C1, "2026-11-21T03:00:00+05:30", 2, "2026-11-21T03:30:00+05:30", 0, 600 },
		{ T_C2, "2026-11-20T17:30:00+05:30", 2, "2026-11-23T11:30:00+05:30", 99999, 3600 },
		{ T_C3, "2026-11-23T10:00:00+05:30", 2, "2026-11-24T11:00:00+05:30", 0, 3600 },
	};
	struct sd_conf		*c = spec_conf();
	struct sd_calendar	*cal = NULL;
	struct sd_err		 err;

	test_begin("sla: escalation levels on each priority's clock");
	if (c != NULL)
		cal = sla_calendar_new(&c->calendar, &err);
	test_assert(cal != NULL);
	for (size_t i = 0; cal && i < nitems(t); i++) {
		struct sla_pause pz = { t[i].wall, t[i].bh };
		sd_time	 at = sla_escalation_at(c, cal, t[i].p,
			    T(t[i].created), t[i].level, true, &pz);
		char	*s = at ? sd_time_format(at, "Asia/Kolkata") : NULL;

		test_assert_streq_idx(s, t[i].want, i);
		free(s);
	}
	sla_calendar_free(&cal);
	conf_free(&c);
	test_end();
}

/* SPEC §14.2, §14.7: when the clock starts, and the business clock of
 * a ticket that may wake nobody. */
static void
test_coverage(void)
{
	static const struct {
		const char	*tier;
		int	 p;
		const char	*created, *start;
	} t[] = {
		/* default pages for C1: its clock starts at once... */
		{ "default", T_C1, "2026-11-21T03:00:00+05:30",
		  "2026-11-21T03:00:00+05:30" },
		/* ...and a C2's at Monday's opening. */
		{ "default", T_C2, "2026-11-21T03:00:00+05:30",
		  "2026-11-23T10:00:00+05:30" },
		/* basic (built in) pages for nothing. */
		{ "basic", T_C1, "2026-11-21T03:00:00+05:30",
		  "2026-11-23T10:00:00+05:30" },
		/* In hours the clock starts at once, whatever the tier. */
		{ "basic", T_C1, "2026-11-23T12:00:00+05:30",
		  "2026-11-23T12:00:00+05:30" },
	};
	struct sd_conf		*c = spec_conf();
	struct sd_calendar	*cal = NULL;
	struct sd_err		 err;

	test_begin("sla: when the clock starts, whom a ticket may wake");
	if (c != NULL)
		cal = sla_calendar_new(&c->calendar, &err);
	test_assert(cal != NULL);
	for (size_t i = 0; cal && i < nitems(t); i++) {
		char *s = sd_time_format(sla_clock_start(c, cal, t[i].tier,
		    true, t[i].p, T(t[i].created)), "Asia/Kolkata");

		test_assert_streq_idx(s, t[i].start, i);
		free(s);
	}
	if (cal != NULL) {
		sd_time	 at;
		char	*s;

		/* A stranger's C1 waits for the opening too. */
		at = sla_clock_start(c, cal, "premium", false, T_C1,
		    T("2026-11-21T03:00:00+05:30"));
		s = sd_time_format(at, "Asia/Kolkata");
		test_assert_streq(s, "2026-11-23T10:00:00+05:30");
		free(s);
		/* Strangers and basic wake nobody; C2 pages in no tier. */
		test_assert(sla_wakes(c, "premium", true, T_C1));
		test_assert(!sla_wakes(c, "premium", false, T_C1));
		test_assert(!sla_wakes(c, "basic", true, T_C1));
		test_assert(!sla_wakes(c, "premium", true, T_C2));
		/* A C1 that may not wake: 30 business minutes a level. */
		at = sla_escalation_at(c, cal, T_C1,
		    T("2026-11-21T03:00:00+05:30"), 3, false, NULL);
		s = sd_time_format(at, "Asia/Kolkata");
		test_assert_streq(s, "2026-11-23T11:00:00+05:30");
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
		int	 p;
		bool		 after, oncall, followup;
		const char	*want;
	} t[] = {
		{ T_C1, false, true, false, "ack-c1" },
		{ T_C1, true, true, false, "ack-c1-after-hours" },
		/* A tier without on-call for C1 (SPEC §14.2). */
		{ T_C1, true, false, false, "ack-after-hours" },
		{ T_C1, false, false, false, "ack-c1" },
		/* A tier with on-call for C2 too. */
		{ T_C2, true, true, false, "ack-c1-after-hours" },
		{ T_C2, false, false, false, "ack" },
		{ T_C3, true, false, false, "ack-after-hours" },
		{ T_C1, true, true, true, "ack-followup" },
		{ T_C4, false, false, true, "ack-followup" },
	};

	test_begin("sla: which acknowledgement a new ticket gets");
	for (size_t i = 0; i < nitems(t); i++)
		test_assert_streq_idx(sla_ack_template(t[i].p, t[i].after,
		    t[i].oncall, t[i].followup), t[i].want, i);
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_add, test_dst, test_hours,
	    test_calendar_kinds,
	    test_cache,
	    test_format_and_errors, test_due_times, test_outcome,
	    test_escalation,
	    test_coverage,
	    test_ack_template, NULL };

	return test_run(tests);
}
