/* SPDX-License-Identifier: MIT */
/*
 * ical.c - holiday dates from an iCalendar file (RFC 5545), for
 * holidays_ics (SPEC §14.1).  Public holiday feeds (a government's, a
 * groupware export) are VEVENTs of whole days, some ranged, some yearly;
 * that is what is read.  A rule this cannot follow (a weekday rule such
 * as "fourth Thursday of November") is an error, not a silent miss: a
 * holiday left out would run SLA clocks on a day nobody works.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "supportd/conf.h"
#include "supportd/util.h"

#define MAX_SPAN	366	/* days one event may cover */
#define MAX_DATES	100000	/* dates a file may give */
#define LAST_YEAR	2100	/* where a rule without an end stops */

struct event {
	bool	 in;		/* inside BEGIN:VEVENT */
	int	 line;		/* where it began */
	GDate	 start, end;	/* end exclusive; invalid: none */
	int	 dur_days;	/* from DURATION, or -1 */
	bool	 cancelled;
	bool	 yearly;
	int	 count;		/* 0: none */
	GDate	 until;		/* invalid: none */
	int	 interval;
	int	 bymonth, byday;	/* 0: not given */
	int	 nested;	/* depth in a component inside it (VALARM) */
};

struct parse {
	struct sd_strv	 out;
	int		 line;
	char		*problem;
};

/* "YYYYMMDD" or "YYYYMMDDTHHMMSS[Z]" into d; a date-time at midnight is
 * that date, later ones the next (for an exclusive end). */
static int
parse_date(const char *v, bool is_end, GDate *d)
{
	int	y = 0, m = 0, day = 0;

	for (int i = 0; i < 8; i++)
		if (v[i] < '0' || v[i] > '9')
			return -1;
	y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 +
	    (v[3] - '0');
	m = (v[4] - '0') * 10 + (v[5] - '0');
	day = (v[6] - '0') * 10 + (v[7] - '0');
	if (!g_date_valid_dmy((GDateDay)day, (GDateMonth)m, (GDateYear)y))
		return -1;
	g_date_clear(d, 1);
	g_date_set_dmy(d, (GDateDay)day, (GDateMonth)m, (GDateYear)y);
	if (v[8] == '\0')
		return 0;
	if (v[8] != 'T' || strlen(v + 9) < 6)
		return -1;
	if (is_end && strncmp(v + 9, "000000", 6) != 0)
		g_date_add_days(d, 1);
	return 0;
}

/* "P3D", "P2W", "P1DT0H0M0S": whole days, else -1. */
static int
parse_duration(const char *v)
{
	long	 n;
	char	*end;

	if (*v++ != 'P' || *v < '0' || *v > '9')
		return -1;
	n = strtol(v, &end, 10);
	if (n < 0 || n > MAX_SPAN)
		return -1;
	if (*end == 'W' && end[1] == '\0')
		return (int)n * 7;
	if (*end == 'D' && (end[1] == '\0' || strcmp(end + 1, "T0H0M0S") == 0))
		return (int)n;
	return -1;
}

/* RRULE: FREQ=YEARLY, with COUNT, UNTIL, INTERVAL, and BYMONTH or
 * BYMONTHDAY only where they repeat DTSTART's date. */
static char *
parse_rule(struct event *ev, const char *v)
{
	gchar	**parts = g_strsplit(v, ";", -1);
	char	 *problem = NULL;

	ev->interval = 1;
	for (int i = 0; parts[i] != NULL && problem == NULL; i++) {
		char	*eq = strchr(parts[i], '='), *end;
		long	 n;

		if (eq == NULL) {
			problem = xasprintf("bad RRULE part \"%.40s\"",
			    parts[i]);
			break;
		}
		*eq++ = '\0';
		n = strtol(eq, &end, 10);
		if (strcasecmp(parts[i], "FREQ") == 0) {
			if (strcasecmp(eq, "YEARLY") != 0)
				problem = xasprintf("RRULE FREQ=%.20s: only "
				    "yearly rules are read", eq);
			ev->yearly = true;
		} else if (strcasecmp(parts[i], "COUNT") == 0) {
			if (*end != '\0' || n < 1 || n > 1000)
				problem = xstrdup("bad RRULE COUNT");
			ev->count = (int)n;
		} else if (strcasecmp(parts[i], "INTERVAL") == 0) {
			if (*end != '\0' || n < 1 || n > 100)
				problem = xstrdup("bad RRULE INTERVAL");
			ev->interval = (int)n;
		} else if (strcasecmp(parts[i], "UNTIL") == 0) {
			if (parse_date(eq, false, &ev->until) == -1)
				problem = xstrdup("bad RRULE UNTIL");
		} else if (strcasecmp(parts[i], "BYMONTH") == 0 && *end == '\0')
			ev->bymonth = (int)n;
		else if (strcasecmp(parts[i], "BYMONTHDAY") == 0 && *end == '\0')
			ev->byday = (int)n;
		else if (strcasecmp(parts[i], "WKST") != 0)
			problem = xasprintf("RRULE %.20s=%.20s is not read (only "
			    "the same date every year)", parts[i], eq);
	}
	g_strfreev(parts);
	if (problem == NULL && !ev->yearly)
		problem = xstrdup("RRULE without FREQ");
	return problem;
}

static void
push_date(struct sd_strv *out, const GDate *d)
{
	char buf[16];

	g_snprintf(buf, sizeof(buf), "%04u-%02u-%02u",
	    (unsigned)g_date_get_year(d), (unsigned)g_date_get_month(d),
	    (unsigned)g_date_get_day(d));
	strv_push(out, buf);
}

/* The event's dates into p->out. */
static char *
end_event(struct parse *p, struct event *ev)
{
	int	span, years;

	if (!g_date_valid(&ev->start)) {
		p->line = ev->line;
		return xstrdup("VEVENT without DTSTART");
	}
	/* DTSTART may come after the RRULE. */
	if ((ev->bymonth && ev->bymonth != (int)g_date_get_month(&ev->start)) ||
	    (ev->byday && ev->byday != (int)g_date_get_day(&ev->start))) {
		p->line = ev->line;
		return xstrdup("RRULE BYMONTH/BYMONTHDAY other than DTSTART's "
		    "date is not read");
	}
	if (ev->cancelled)
		return NULL;
	if (g_date_valid(&ev->end))
		span = g_date_days_between(&ev->start, &ev->end);
	else
		span = ev->dur_days >= 0 ? ev->dur_days : 1;
	if (span < 1)	/* an instant, or an end before the start */
		span = 1;
	if (span > MAX_SPAN)
		return xasprintf("an event of %d days (at most %d)", span,
		    MAX_SPAN);
	years = ev->yearly ? MAX(1, LAST_YEAR -
	    (int)g_date_get_year(&ev->start) + 1) : 1;
	for (int y = 0, n = 0; y < years; y += ev->yearly ? ev->interval : 1) {
		GDate	d;
		int	yy = (int)g_date_get_year(&ev->start) + y;

		if (ev->count && n >= ev->count)
			break;
		/* 29 February happens in leap years only (RFC 5545). */
		if (!g_date_valid_dmy(g_date_get_day(&ev->start),
		    g_date_get_month(&ev->start), (GDateYear)yy))
			continue;
		g_date_clear(&d, 1);
		g_date_set_dmy(&d, g_date_get_day(&ev->start),
		    g_date_get_month(&ev->start), (GDateYear)yy);
		if (g_date_valid(&ev->until) && g_date_compare(&d,
		    &ev->until) > 0)
			break;
		n++;
		for (int k = 0; k < span; k++, g_date_add_days(&d, 1)) {
			if (p->out.n >= MAX_DATES)
				return xasprintf("more than %d dates",
				    MAX_DATES);
			push_date(&p->out, &d);
		}
	}
	return NULL;
}

/* One unfolded line NAME[;PARAM...]:VALUE. */
static char *
content_line(struct parse *p, struct event *ev, bool *cal_seen, char *l)
{
	char	*colon = NULL, *semi;
	bool	 quoted = false;

	for (char *c = l; *c != '\0'; c++) {
		if (*c == '"')
			quoted = !quoted;
		else if (*c == ':' && !quoted) {
			colon = c;
			break;
		}
	}
	if (colon == NULL)
		return *l == '\0' ? NULL : xstrdup(*cal_seen ? "a line without "
		    "':'" : "not an iCalendar file (no BEGIN:VCALENDAR)");
	*colon = '\0';
	if ((semi = strchr(l, ';')) != NULL)
		*semi = '\0';
	/* What a component inside the event says (a VALARM's DURATION)
	 * is not the event's. */
	if (ev->in && ev->nested > 0) {
		if (strcasecmp(l, "BEGIN") == 0)
			ev->nested++;
		else if (strcasecmp(l, "END") == 0)
			ev->nested--;
		return NULL;
	}
	if (ev->in && strcasecmp(l, "BEGIN") == 0) {
		ev->nested = 1;
		return NULL;
	}
	if (strcasecmp(l, "BEGIN") == 0) {
		if (strcasecmp(colon + 1, "VCALENDAR") == 0)
			*cal_seen = true;
		else if (strcasecmp(colon + 1, "VEVENT") == 0) {
			if (!*cal_seen)
				return xstrdup("VEVENT outside BEGIN:VCALENDAR");
			memset(ev, 0, sizeof(*ev));
			ev->in = true;
			ev->line = p->line;
			ev->dur_days = -1;
			g_date_clear(&ev->start, 1);
			g_date_clear(&ev->end, 1);
			g_date_clear(&ev->until, 1);
		}
		return NULL;
	}
	if (strcasecmp(l, "END") == 0 && strcasecmp(colon + 1, "VEVENT") == 0 &&
	    ev->in) {
		ev->in = false;
		return end_event(p, ev);
	}
	if (!ev->in)
		return NULL;
	if (strcasecmp(l, "DTSTART") == 0) {
		if (parse_date(colon + 1, false, &ev->start) == -1)
			return xasprintf("bad DTSTART \"%.40s\"", colon + 1);
	} else if (strcasecmp(l, "DTEND") == 0) {
		if (parse_date(colon + 1, true, &ev->end) == -1)
			return xasprintf("bad DTEND \"%.40s\"", colon + 1);
	} else if (strcasecmp(l, "DURATION") == 0) {
		if ((ev->dur_days = parse_duration(colon + 1)) == -1)
			return xasprintf("DURATION \"%.40s\" is not whole days",
			    colon + 1);
	} else if (strcasecmp(l, "STATUS") == 0)
		ev->cancelled = strcasecmp(colon + 1, "CANCELLED") == 0;
	else if (strcasecmp(l, "RRULE") == 0)
		return parse_rule(ev, colon + 1);
	else if (strcasecmp(l, "EXDATE") == 0 || strcasecmp(l, "RDATE") == 0 ||
	    strcasecmp(l, "RECURRENCE-ID") == 0 || strcasecmp(l, "EXRULE") == 0)
		/* Moved or left-out occurrences: not followed, so refused. */
		return xasprintf("%s is not read; give those dates as events "
		    "of their own", l);
	return NULL;
}

int
conf_ical_dates(const char *text, size_t len, struct sd_strv *dates,
    int *line_r, char **problem_r)
{
	struct parse	 p = { { 0 }, 0, NULL };
	struct event	 ev;
	GString		*l = g_string_new(NULL);
	const char	*s = text, *end = text + len;
	bool		 cal_seen = false;
	int		 start_line = 0;

	memset(&ev, 0, sizeof(ev));
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)	/* a UTF-8 BOM */
		s += 3;
	if (memchr(text, '\0', len) != NULL) {
		p.line = 1;
		p.problem = xstrdup("a NUL byte: not a text file");
		goto out;
	}
	/* Logical lines: a line starting with a space or tab continues the
	 * one before (RFC 5545 3.1 folding). */
	while (s < end && p.problem == NULL) {
		const char	*nl = memchr(s, '\n', (size_t)(end - s));
		size_t		 n = (size_t)((nl ? nl : end) - s);

		if (n > 0 && s[n - 1] == '\r')
			n--;
		p.line++;
		if (n > 0 && (s[0] == ' ' || s[0] == '\t') && l->len > 0)
			g_string_append_len(l, s + 1, (gssize)n - 1);
		else {
			if (l->len > 0) {
				int here = p.line;

				p.line = start_line;
				p.problem = content_line(&p, &ev, &cal_seen,
				    l->str);
				if (p.problem == NULL)
					p.line = here;
				else
					break;
			}
			g_string_assign(l, "");
			g_string_append_len(l, s, (gssize)n);
			start_line = p.line;
		}
		s = nl ? nl + 1 : end;
	}
	if (p.problem == NULL && l->len > 0) {
		p.line = start_line;
		p.problem = content_line(&p, &ev, &cal_seen, l->str);
	}
	if (p.problem == NULL && !cal_seen) {
		p.line = 1;
		p.problem = xstrdup("not an iCalendar file (no BEGIN:VCALENDAR)");
	}
	if (p.problem == NULL && ev.in) {
		p.line = ev.line;
		p.problem = xstrdup("VEVENT without END:VEVENT");
	}
 out:
	g_string_free(l, TRUE);
	if (p.problem != NULL) {
		*line_r = p.line;
		*problem_r = p.problem;
		strv_free(&p.out);
		return -1;
	}
	for (size_t i = 0; i < p.out.n; i++)
		strv_push(dates, p.out.v[i]);
	strv_free(&p.out);
	return 0;
}
