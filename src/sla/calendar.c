/* SPDX-License-Identifier: MIT */
/*
 * calendar.c - business time on GLib's GTimeZone/GDateTime; see sla.h.
 *
 * Everything walks local dates: for each date, the working interval is
 * [open, close) turned into UTC through the zone, so daylight-saving
 * changes move the UTC instants and never the wall-clock hours.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/sla.h"
#include "supportd/util.h"

/* Ten years of dates: a calendar whose every day is a holiday ends. */
#define MAX_DAYS	3660

struct sd_calendar {
	GTimeZone	*tz;
	unsigned	 days;		/* bit 0 = Monday */
	int		 open, close;	/* minutes after local midnight */
	GHashTable	*holidays;	/* Julian day numbers */
};

struct sd_calendar *
sla_calendar_new(const struct sd_conf_calendar *c, struct sd_err *err)
{
	struct sd_calendar	*cal;
	GTimeZone		*tz;

	if ((tz = g_time_zone_new_identifier(c->timezone)) == NULL) {
		sd_err_set(err, SD_E_CONFIG, "calendar: unknown time zone %s",
		    c->timezone);
		return NULL;
	}
	cal = xcalloc(1, sizeof(*cal));
	cal->tz = tz;
	cal->days = c->days;
	cal->open = c->open;
	cal->close = c->close;
	cal->holidays = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (size_t i = 0; i < c->holidays.n; i++) {
		GDate d;

		g_date_clear(&d, 1);
		g_date_set_parse(&d, c->holidays.v[i]);
		if (g_date_valid(&d))
			g_hash_table_add(cal->holidays,
			    GUINT_TO_POINTER(g_date_get_julian(&d)));
	}
	return cal;
}

void
sla_calendar_free(struct sd_calendar **calp)
{
	struct sd_calendar *cal = *calp;

	if (cal == NULL)
		return;
	g_time_zone_unref(cal->tz);
	g_hash_table_destroy(cal->holidays);
	free(cal);
	*calp = NULL;
}

/* The local date of t. */
static void
local_date(const struct sd_calendar *cal, sd_time t, GDate *d)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(t);
	GDateTime *loc = g_date_time_to_timezone(utc, cal->tz);

	g_date_clear(d, 1);
	g_date_set_dmy(d, (GDateDay)g_date_time_get_day_of_month(loc),
	    (GDateMonth)g_date_time_get_month(loc),
	    (GDateYear)g_date_time_get_year(loc));
	g_date_time_unref(loc);
	g_date_time_unref(utc);
}

/* The instant of minute-of-day m on local date d. */
static sd_time
at(const struct sd_calendar *cal, const GDate *d, int m)
{
	GDateTime	*dt;
	sd_time		 t;

	dt = g_date_time_new(cal->tz, g_date_get_year(d), g_date_get_month(d),
	    g_date_get_day(d), m / 60, m % 60, 0);
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static bool
working(const struct sd_calendar *cal, const GDate *d)
{
	/* GDateWeekday: Monday = 1 ... Sunday = 7. */
	unsigned bit = 1u << (g_date_get_weekday(d) - 1);

	return (cal->days & bit) != 0 &&
	    !g_hash_table_contains(cal->holidays,
	    GUINT_TO_POINTER(g_date_get_julian(d)));
}

sd_time
sla_next_open(const struct sd_calendar *cal, sd_time t)
{
	GDate d;

	local_date(cal, t, &d);
	for (int i = 0; i < MAX_DAYS; i++, g_date_add_days(&d, 1)) {
		sd_time o, c;

		if (!working(cal, &d))
			continue;
		o = at(cal, &d, cal->open);
		c = at(cal, &d, cal->close);
		if (t < o)
			return o;
		if (t < c)
			return t;
	}
	return t + (sd_time)MAX_DAYS * 86400;
}

bool
sla_in_hours(const struct sd_calendar *cal, sd_time t)
{
	return sla_next_open(cal, t) == t;
}

/* start + secs of business time. */
static sd_time
add_business(const struct sd_calendar *cal, sd_time start, int64_t secs)
{
	GDate	d;
	sd_time	t = start;

	if (secs <= 0)
		return start;
	local_date(cal, start, &d);
	for (int i = 0; i < MAX_DAYS; i++, g_date_add_days(&d, 1)) {
		sd_time o, c, s;

		if (!working(cal, &d))
			continue;
		o = at(cal, &d, cal->open);
		c = at(cal, &d, cal->close);
		s = t > o ? t : o;
		if (s >= c)
			continue;
		if (secs <= c - s)
			return s + secs;
		secs -= c - s;
	}
	return start + (sd_time)MAX_DAYS * 86400;
}

sd_time
sla_add(const struct sd_calendar *cal, sd_time start, const struct sd_dur *d)
{
	switch (d->kind) {
	case SD_DUR_NONE:
		return 0;
	case SD_DUR_WALL:
		return start + d->n;
	case SD_DUR_BH:
		return add_business(cal, start, d->n);
	case SD_DUR_BD:
		return add_business(cal, start,
		    d->n * (int64_t)(cal->close - cal->open) * 60);
	}
	return 0;
}

char *
sla_format(const struct sd_calendar *cal, sd_time t)
{
	GDateTime	*utc = g_date_time_new_from_unix_utc(t);
	GDateTime	*loc = g_date_time_to_timezone(utc, cal->tz);
	gchar		*s = g_date_time_format(loc, "%a %d %b %Y %H:%M %Z");
	char		*out = xstrdup(s);

	g_free(s);
	g_date_time_unref(loc);
	g_date_time_unref(utc);
	return out;
}
