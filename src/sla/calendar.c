/* SPDX-License-Identifier: MIT */
/*
 * calendar.c - business time on GLib's GTimeZone/GDateTime; see sla.h.
 *
 * Everything walks local dates: for each date, the working interval is
 * [open, close) turned into UTC through the zone, so daylight-saving
 * changes move the UTC instants and never the wall-clock hours.  Hours
 * that cross midnight (22:00-06:00) belong to the date they open on, so
 * a walk starts the day before; a night shift across a DST change is an
 * hour shorter or longer, as the people working it see it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "supportd/sla.h"
#include "supportd/util.h"

/* Ten years of dates: a calendar whose every day is a holiday ends. */
#define MAX_DAYS	3660
/* Days whose hours are remembered; the cache starts over past this. */
#define CACHE_DAYS	4096
/* GDate's Julian day of 1970-01-01 (day 1 is 0001-01-01). */
#define JULIAN_EPOCH	719163

/* A local date's working hours as instants. */
struct day_hours {
	bool		 working;
	sd_time		 open, close;
};

/* Turning local times into instants through the zone (a GDateTime
 * each) was a tenth of taking a mail in (benchmark, callgrind): each
 * date's hours are made once.  Threads share a calendar, hence the
 * lock. */
struct day_cache {
	GMutex		 lock;
	GHashTable	*days;		/* Julian day -> struct day_hours */
};

struct sd_calendar {
	GTimeZone	*tz;
	bool		 always;	/* 24x7: every instant is in hours */
	unsigned	 days;		/* bit 0 = Monday */
	int		 open, close;	/* minutes after local midnight */
	bool		 overnight;	/* close is on the next date */
	GHashTable	*holidays;	/* Julian day numbers */
	struct day_cache *cache;
	char		*hours_text;	/* sla_hours_describe, made once */
};

char *
sla_hours_describe(const struct sd_conf_calendar *c)
{
	static const char *const dnames[] = { "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat", "Sun" };
	GString	*days;
	char	*s;

	if (c->always)
		return xasprintf("around the clock (%s)", c->timezone);
	days = g_string_new(NULL);
	for (int d = 0; d < 7; d++)
		if (c->days & (1u << d))
			g_string_append_printf(days, "%s%s",
			    days->len ? ", " : "", dnames[d]);
	s = xasprintf("%s, %02d:%02d-%02d:%02d%s (%s)", days->str,
	    c->open / 60, c->open % 60, c->close / 60, c->close % 60,
	    c->close < c->open ? " the next day" : "", c->timezone);
	g_string_free(days, TRUE);
	return s;
}

const char *
sla_hours_text(const struct sd_calendar *cal)
{
	return cal->hours_text;
}

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
	cal->always = c->always;
	cal->days = c->days;
	cal->open = c->open;
	cal->close = c->close;
	cal->overnight = c->close < c->open;
	cal->holidays = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (size_t i = 0; i < c->holidays.n; i++) {
		GDate d;

		g_date_clear(&d, 1);
		g_date_set_parse(&d, c->holidays.v[i]);
		if (g_date_valid(&d))
			g_hash_table_add(cal->holidays,
			    GUINT_TO_POINTER(g_date_get_julian(&d)));
	}
	cal->hours_text = sla_hours_describe(c);
	cal->cache = xcalloc(1, sizeof(*cal->cache));
	g_mutex_init(&cal->cache->lock);
	cal->cache->days = g_hash_table_new_full(g_direct_hash,
	    g_direct_equal, NULL, free);
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
	g_hash_table_destroy(cal->cache->days);
	g_mutex_clear(&cal->cache->lock);
	free(cal->cache);
	free(cal->hours_text);
	free(cal);
	*calp = NULL;
}

/* t as seconds of local time since 1970, from the zone's offset (no
 * GDateTime); *interval_r: the zone's interval holding t, or -1. */
static sd_time
local_secs(const struct sd_calendar *cal, sd_time t, gint *interval_r)
{
	gint i = g_time_zone_find_interval(cal->tz, G_TIME_TYPE_UNIVERSAL, t);

	if (interval_r != NULL)
		*interval_r = i;
	return t + (i < 0 ? 0 : g_time_zone_get_offset(cal->tz, i));
}

/* The local date of t. */
static void
local_date(const struct sd_calendar *cal, sd_time t, GDate *d)
{
	sd_time	local = local_secs(cal, t, NULL);
	/* Floor division: instants before 1970 have negative days. */
	gint64	day = local / 86400 - (local % 86400 < 0);

	g_date_clear(d, 1);
	g_date_set_julian(d, (guint32)(JULIAN_EPOCH + day));
}

/* The instant of minute-of-day m on local date d, plus days; 24:00 is
 * midnight of the next date. */
static sd_time
at(const struct sd_calendar *cal, const GDate *d, int days, int m)
{
	GDate		 e = *d;
	GDateTime	*dt;
	sd_time		 t;

	if (m >= 24 * 60) {
		days++;
		m -= 24 * 60;
	}
	if (days > 0)
		g_date_add_days(&e, (guint)days);
	dt = g_date_time_new(cal->tz, g_date_get_year(&e), g_date_get_month(&e),
	    g_date_get_day(&e), m / 60, m % 60, 0);
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

/* Local date d's working hours, from the cache. */
static struct day_hours
hours_of(const struct sd_calendar *cal, const GDate *d)
{
	struct day_cache	*c = cal->cache;
	gpointer		 key = GUINT_TO_POINTER(g_date_get_julian(d));
	struct day_hours	*h, out;

	g_mutex_lock(&c->lock);
	if ((h = g_hash_table_lookup(c->days, key)) == NULL) {
		if (g_hash_table_size(c->days) >= CACHE_DAYS)
			g_hash_table_remove_all(c->days);
		h = xmalloc(sizeof(*h));
		h->open = h->close = 0;
		if ((h->working = working(cal, d))) {
			h->open = at(cal, d, 0, cal->open);
			h->close = at(cal, d, cal->overnight ? 1 : 0,
			    cal->close);
		}
		g_hash_table_insert(c->days, key, h);
	}
	out = *h;
	g_mutex_unlock(&c->lock);
	return out;
}

/* The first local date whose hours may hold t. */
static void
first_date(const struct sd_calendar *cal, sd_time t, GDate *d)
{
	local_date(cal, t, d);
	if (cal->overnight)
		g_date_subtract_days(d, 1);
}

sd_time
sla_next_open(const struct sd_calendar *cal, sd_time t)
{
	GDate d;

	if (cal->always)
		return t;
	first_date(cal, t, &d);
	for (int i = 0; i < MAX_DAYS; i++, g_date_add_days(&d, 1)) {
		struct day_hours h = hours_of(cal, &d);

		if (!h.working)
			continue;
		if (t < h.open)
			return h.open;
		if (t < h.close)
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
	if (cal->always)
		return start + secs;
	first_date(cal, start, &d);
	for (int i = 0; i < MAX_DAYS; i++, g_date_add_days(&d, 1)) {
		struct day_hours	h = hours_of(cal, &d);
		sd_time			s;

		if (!h.working)
			continue;
		s = t > h.open ? t : h.open;
		if (s >= h.close)
			continue;
		if (secs <= h.close - s)
			return s + secs;
		secs -= h.close - s;
	}
	return start + (sd_time)MAX_DAYS * 86400;
}

int64_t
sla_business_between(const struct sd_calendar *cal, sd_time a, sd_time b)
{
	GDate	d;
	int64_t	secs = 0;

	if (b <= a)
		return 0;
	if (cal->always)
		return b - a;
	first_date(cal, a, &d);
	for (int i = 0; i < MAX_DAYS; i++, g_date_add_days(&d, 1)) {
		struct day_hours	h = hours_of(cal, &d);
		sd_time			s, e;

		if (!h.working)
			continue;
		if (h.open >= b)
			break;
		s = a > h.open ? a : h.open;
		e = b < h.close ? b : h.close;
		if (e > s)
			secs += e - s;
	}
	return secs;
}

/* One business day: the working day's length. */
static int64_t
day_secs(const struct sd_calendar *cal)
{
	return 60 * (int64_t)(cal->always ? 24 * 60 : cal->overnight ?
	    cal->close + 24 * 60 - cal->open : cal->close - cal->open);
}

sd_time
sla_add_paused(const struct sd_calendar *cal, sd_time start,
    const struct sd_dur *d, const struct sla_pause *pz)
{
	if (pz == NULL || d->kind == SD_DUR_NONE)
		return sla_add(cal, start, d);
	switch (d->kind) {
	case SD_DUR_WALL:
		return start + d->n + pz->wall;
	case SD_DUR_BH:
		return add_business(cal, start, d->n + pz->bh);
	default:
		return add_business(cal, start, d->n * day_secs(cal) + pz->bh);
	}
}

sd_time
sla_add_part(const struct sd_calendar *cal, sd_time start,
    const struct sd_dur *d, int pct, const struct sla_pause *pz)
{
	struct sd_dur part = *d;

	if (d->kind == SD_DUR_NONE)
		return 0;
	if (d->kind == SD_DUR_BD) {
		part.kind = SD_DUR_BH;
		part.n = d->n * day_secs(cal);
	}
	part.n = part.n * pct / 100;
	return sla_add_paused(cal, start, &part, pz);
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
		return add_business(cal, start, d->n * day_secs(cal));
	}
	return 0;
}

/* Appends v as n digits, zero-padded. */
static char *
put_digits(char *p, int v, int n)
{
	for (int k = n - 1; k >= 0; k--, v /= 10)
		p[k] = (char)('0' + v % 10);
	return p + n;
}

/* "%a %d %b %Y %H:%M %Z" in the C locale, from the zone's offset and
 * abbreviation: a GDateTime pair and g_date_time_format were a fifth
 * of rendering a response, and a seven-value printf still a third of
 * the rest (benchmark, callgrind). */
char *
sla_format(const struct sd_calendar *cal, sd_time t)
{
	static const char wday[] = "SunMonTueWedThuFriSat";
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	gint		 i;
	time_t		 local = (time_t)local_secs(cal, t, &i);
	struct tm	 tm;
	const char	*abbr;
	char		 buf[64], *p = buf;
	size_t		 n;

	/* Years past 9999 do not fit "%04d" here; nor do they matter. */
	if (gmtime_r(&local, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return xstrdup("?");
	abbr = i < 0 ? "UTC" : g_time_zone_get_abbreviation(cal->tz, i);
	memcpy(p, wday + 3 * tm.tm_wday, 3);
	p[3] = ' ';
	p = put_digits(p + 4, tm.tm_mday, 2);
	*p++ = ' ';
	memcpy(p, mon + 3 * tm.tm_mon, 3);
	p[3] = ' ';
	p = put_digits(p + 4, tm.tm_year + 1900, 4);
	*p++ = ' ';
	p = put_digits(p, tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, tm.tm_min, 2);
	*p++ = ' ';
	n = MIN(strlen(abbr), (size_t)(buf + sizeof(buf) - 1 - p));
	memcpy(p, abbr, n);
	p[n] = '\0';
	return xstrdup(buf);
}

struct sd_calendars {
	size_t			 n;
	const char		**names;	/* borrowed from the config */
	struct sd_calendar	**cal;		/* [0] is "business" */
};

struct sd_calendars *
sla_calendars_new(const struct sd_conf *c, struct sd_err *err)
{
	struct sd_calendars *cs = xcalloc(1, sizeof(*cs));

	cs->names = xcalloc(c->ncalendars + 1, sizeof(*cs->names));
	cs->cal = xcalloc(c->ncalendars + 1, sizeof(*cs->cal));
	for (size_t i = 0; i <= c->ncalendars; i++) {
		const struct sd_conf_calendar *cc = i == 0 ? &c->calendar :
		    &c->calendars[i - 1];

		cs->names[i] = i == 0 ? "business" : cc->name;
		cs->n = i + 1;
		if ((cs->cal[i] = sla_calendar_new(cc, err)) == NULL) {
			sla_calendars_free(&cs);
			return NULL;
		}
	}
	return cs;
}

void
sla_calendars_free(struct sd_calendars **csp)
{
	struct sd_calendars *cs = *csp;

	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++)
		sla_calendar_free(&cs->cal[i]);
	free(cs->cal);
	free(cs->names);
	free(cs);
	*csp = NULL;
}

const struct sd_calendar *
sla_calendars_get(const struct sd_calendars *cs, const char *name)
{
	for (size_t i = 0; name != NULL && i < cs->n; i++)
		if (strcmp(cs->names[i], name) == 0)
			return cs->cal[i];
	return cs->cal[0];
}
