/* SPDX-License-Identifier: MIT */
/*
 * conf_values.c - the values a setting can hold, read and checked:
 * durations, sizes, times of day, days, dates, addresses, domains,
 * priorities; the lookups on a loaded configuration; secrets read from
 * their files.  conf.c walks the file and calls these.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <libconfig.h>

#include "supportd/conf.h"
#include "supportd/err.h"
#include "supportd/util.h"

#include "conf_priv.h"

/* Longest duration we accept: keeps now + duration far from overflow. */
#define DUR_MAX_SECS	(10 * 365 * 86400LL)
#define DUR_MAX_DAYS	(10 * 365LL)
/* Longest secret we read from a password file. */
#define SECRET_MAX	4096

const char *const cv_day_names[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};

/* 0, -1 (syntax) or -2 (too long). */
int
cv_duration(const char *s, bool allow_none, struct sd_dur *d_r)
{
	static const struct {
		const char		*unit;
		enum sd_dur_kind	 kind;
		int64_t			 mult, max;
	} units[] = {
		{ "s",	SD_DUR_WALL,	1,	DUR_MAX_SECS },
		{ "m",	SD_DUR_WALL,	60,	DUR_MAX_SECS },
		{ "h",	SD_DUR_WALL,	3600,	DUR_MAX_SECS },
		{ "d",	SD_DUR_WALL,	86400,	DUR_MAX_SECS },
		{ "bh",	SD_DUR_BH,	3600,	DUR_MAX_SECS },
		{ "bd",	SD_DUR_BD,	1,	DUR_MAX_DAYS },
	};
	const char	*p;
	int64_t		 n = 0;

	if (s == NULL)
		return -1;
	if (allow_none && strcmp(s, "none") == 0) {
		d_r->kind = SD_DUR_NONE;
		d_r->n = 0;
		return 0;
	}
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		/* Far past any limit: stop growing, cannot overflow. */
		if (n > DUR_MAX_SECS)
			continue;
		n = n * 10 + (*p - '0');
	}
	if (p == s)
		return -1;
	for (size_t i = 0; i < nitems(units); i++) {
		if (strcmp(p, units[i].unit) != 0)
			continue;
		if (n > units[i].max / units[i].mult)
			return -2;
		d_r->kind = units[i].kind;
		d_r->n = n * units[i].mult;
		return 0;
	}
	return -1;
}

int
conf_parse_duration(const char *s, bool allow_none, struct sd_dur *d_r)
{
	return cv_duration(s, allow_none, d_r) == 0 ? 0 : -1;
}

int
conf_parse_size(const char *s, int64_t *bytes_r)
{
	const char	*p;
	int64_t		 n = 0, mult = 1;

	if (s == NULL)
		return -1;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (n > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (p == s)
		return -1;
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		mult = 1024;
		break;
	case 'M': case 'm':
		mult = 1024 * 1024;
		break;
	case 'G': case 'g':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*p != '\0' && p[1] != '\0')
		return -1;
	if (n > INT64_MAX / mult)
		return -1;
	*bytes_r = n * mult;
	return 0;
}

int
conf_prio_index(const struct sd_conf *c, const char *name)
{
	for (int p = 0; name != NULL && p < c->npriorities; p++)
		if (g_ascii_strcasecmp(name, c->priorities[p].name) == 0)
			return p;
	return -1;
}

int
conf_prio_of(const struct sd_conf *c, const char *name)
{
	int p = conf_prio_index(c, name);

	return p >= 0 ? p : c->default_priority;
}

const char *
conf_prio_name(const struct sd_conf *c, int p)
{
	if (p < 0 || p >= c->npriorities)
		return "?";
	return c->priorities[p].name;
}

const char *
conf_category(const struct sd_conf *c, const char *name)
{
	for (size_t i = 0; name != NULL && i < c->ncategories; i++)
		if (g_ascii_strcasecmp(name, c->categories[i].name) == 0)
			return c->categories[i].name;
	return NULL;
}

char *
conf_prio_names(const struct sd_conf *c)
{
	GString *gs = g_string_new(NULL);

	for (int p = 0; p < c->npriorities; p++)
		g_string_append_printf(gs, "%s%s", p ? ", " : "",
		    c->priorities[p].name);
	return g_string_free(gs, FALSE);
}

char *
conf_category_names(const struct sd_conf *c)
{
	GString *gs = g_string_new(NULL);

	for (size_t i = 0; i < c->ncategories; i++)
		g_string_append_printf(gs, "%s%s", i ? ", " : "",
		    c->categories[i].name);
	return g_string_free(gs, FALSE);
}

/* "H:MM" or "HH:MM", 00:00 to 24:00 (24:00 being the end of the day). */
int
cv_parse_hhmm(const char *s, int *min_r)
{
	int h = 0, m, i = 0;

	while (i < 2 && s[i] >= '0' && s[i] <= '9')
		h = h * 10 + (s[i++] - '0');
	if (i == 0 || s[i] != ':')
		return -1;
	s += i + 1;
	if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9') ||
	    s[2] != '\0')
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*min_r = h * 60 + m;
	return 0;
}

int
cv_parse_day(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (strcasecmp(s, cv_day_names[i]) == 0)
			return i;
	return -1;
}

bool
cv_valid_date(const char *s)
{
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= 31 &&
	    g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}

/* Addresses go into headers and RCPT TO, so be strict about what could
 * split or fold them. */
bool
cv_looks_like_address(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p) ||
		    strchr("<>,;:\"()[]\\", *p) != NULL)
			return false;
	return true;
}

bool
cv_looks_like_domain(const char *s)
{
	if (*s == '.' || *s == '-' || s[strlen(s) - 1] == '.' ||
	    strstr(s, "..") != NULL)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
	return true;
}

int
conf_listen_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len_r)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)(void *)ss;
	const char		*colon;
	char			*host, *end;
	long			 port;
	int			 r = -1;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL)
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 ||
	    port > 65535)
		return -1;
	if (s[0] == '[' && colon > s + 1 && colon[-1] == ']')
		host = xstrndup(s + 1, (size_t)(colon - s - 2));
	else
		host = xstrndup(s, (size_t)(colon - s));
	memset(ss, 0, sizeof(*ss));
	if (s[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len_r = sizeof(*sin);
		r = 0;
	} else if (s[0] == '[' && inet_pton(AF_INET6, host,
	    &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len_r = sizeof(*sin6);
		r = 0;
	}
	free(host);
	return r;
}

bool
conf_host_is_loopback(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	char		*h;
	size_t		 len;
	bool		 ok = false;

	if (host == NULL)
		return false;
	len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
		h = xstrndup(host + 1, len - 2);
	else
		h = xstrdup(host);
	if (strcasecmp(h, "localhost") == 0)
		ok = true;
	else if (inet_pton(AF_INET, h, &a4) == 1)
		ok = (ntohl(a4.s_addr) >> 24) == 127;
	else if (inet_pton(AF_INET6, h, &a6) == 1)
		ok = IN6_IS_ADDR_LOOPBACK(&a6);
	free(h);
	return ok;
}

/*
 * Lookups.
 */

const struct sd_conf_tier *
conf_tier(const struct sd_conf *c, const char *name)
{
	if (c == NULL || name == NULL)
		return NULL;
	/* Also called while a config is being checked, when an entry with
	 * no name (an error reported elsewhere) may still be in the list. */
	for (size_t i = 0; i < c->ntiers; i++)
		if (c->tiers[i].name != NULL && strcmp(c->tiers[i].name,
		    name) == 0)
			return &c->tiers[i];
	return NULL;
}

/* Exact match, ignoring case: "mail.acme.example" does not match an
 * organization listing "acme.example"; list every domain it sends from. */
const struct sd_conf_org *
conf_org_for_domain(const struct sd_conf *c, const char *domain)
{
	if (c == NULL || domain == NULL)
		return NULL;
	for (size_t i = 0; i < c->norgs; i++)
		if (strv_contains_ci(&c->orgs[i].domains, domain))
			return &c->orgs[i];
	return NULL;
}

const struct sd_conf_org *
conf_org_named(const struct sd_conf *c, const char *name)
{
	for (size_t i = 0; c != NULL && name != NULL && i < c->norgs; i++)
		if (strcmp(c->orgs[i].name, name) == 0)
			return &c->orgs[i];
	return NULL;
}

const struct sd_conf_calendar *
conf_calendar(const struct sd_conf *c, const char *name)
{
	if (c == NULL || name == NULL)
		return NULL;
	if (strcmp(name, "business") == 0)
		return &c->calendar;
	for (size_t i = 0; i < c->ncalendars; i++)
		if (c->calendars[i].name != NULL &&
		    strcmp(c->calendars[i].name, name) == 0)
			return &c->calendars[i];
	return NULL;
}

static guint
ci_hash(gconstpointer key)
{
	guint h = 5381;

	for (const char *p = key; *p != '\0'; p++)
		h = h * 33 + (guint)g_ascii_tolower(*p);
	return h;
}

static gboolean
ci_equal(gconstpointer a, gconstpointer b)
{
	return g_ascii_strcasecmp(a, b) == 0;
}

void
conf_vendor_set_build(struct sd_conf *c)
{
	GHashTable *set = g_hash_table_new(ci_hash, ci_equal);
	const struct sd_strv *lists[] = { &c->agents, &c->team_emails,
	    &c->oncall_emails, &c->admin_emails };

	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			g_hash_table_add(set, lists[l]->v[i]);
	for (int l = 0; l < SD_MAXLEVEL; l++) {
		if (c->escalation[l] != NULL)
			g_hash_table_add(set, c->escalation[l]);
		for (size_t i = 0; i < c->norgs; i++)
			if (c->orgs[i].contacts[l] != NULL)
				g_hash_table_add(set, c->orgs[i].contacts[l]);
	}
	c->vendor_set = set;
}

bool
conf_is_vendor(const struct sd_conf *c, const char *addr)
{
	return addr != NULL && c->vendor_set != NULL &&
	    g_hash_table_contains(c->vendor_set, addr);
}

const struct sd_conf_tier *
conf_tier_or_default(const struct sd_conf *c, const char *name)
{
	const struct sd_conf_tier *t = conf_tier(c, name);

	return t != NULL ? t : conf_tier(c, "default");
}

const char *
conf_ticket_calendar(const struct sd_conf *c, const char *org,
    const char *tier)
{
	const struct sd_conf_org	*o = conf_org_named(c, org);
	const struct sd_conf_tier	*t = conf_tier_or_default(c, tier);

	if (o != NULL && o->calendar != NULL)
		return o->calendar;
	return t != NULL && t->calendar != NULL ? t->calendar : "business";
}

bool
conf_tier_oncall(const struct sd_conf *c, const char *tier, int p)
{
	const struct sd_conf_tier *t = conf_tier_or_default(c, tier);

	return t != NULL && p >= 0 && p < c->npriorities && t->oncall[p];
}

int
conf_escalation_top(const struct sd_conf *c, const char *tier)
{
	const struct sd_conf_tier *t = conf_tier_or_default(c, tier);

	return t != NULL && t->escalation_levels < c->nlevels ?
	    t->escalation_levels : c->nlevels;
}

bool
conf_status_paused(const struct sd_conf *c, enum sd_status s)
{
	return (unsigned)s < SD_ST__COUNT &&
	    (c->paused_statuses & (1u << s)) != 0;
}

const struct sd_conf_mailbox *
conf_mailbox(const struct sd_conf *c, const char *name)
{
	if (c == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < c->nmailboxes; i++)
		if (c->mailboxes[i].name != NULL &&
		    strcmp(c->mailboxes[i].name, name) == 0)
			return &c->mailboxes[i];
	return NULL;
}

void
conf_oauth_logins(const struct sd_conf *c, struct sd_strv *logins)
{
	for (size_t i = 0; i < c->nmailboxes; i++) {
		char *login;

		if (c->mailboxes[i].imap.auth != SD_AUTH_OAUTH2)
			continue;
		login = xasprintf("imap:%s", c->mailboxes[i].name);
		strv_push(logins, login);
		free(login);
	}
	if (c->smtp.auth == SD_AUTH_OAUTH2)
		strv_push(logins, "smtp");
}

/*
 * Secrets.  The message names the file, never what is in it.
 */

char *
conf_read_secret(const char *inline_value, const char *file,
    struct sd_err *err)
{
	FILE	*fp;
	char	 buf[SECRET_MAX + 2];
	char	*out = NULL;
	size_t	 len;

	if (inline_value != NULL)
		return xstrdup(inline_value);
	if (file == NULL) {
		sd_err_set(err, SD_E_CONFIG, "conf: no password or "
		    "password_file configured");
		return NULL;
	}
	if ((fp = fopen(file, "re")) == NULL) {
		sd_err_set(err, SD_E_CONFIG, "conf: cannot read secret file "
		    "%s: %s", file, strerror(errno));
		return NULL;
	}
	if (fgets(buf, sizeof(buf), fp) == NULL) {
		sd_err_set(err, SD_E_CONFIG, "conf: secret file %s: %s", file,
		    ferror(fp) ? strerror(errno) : "empty");
		goto out;
	}
	len = strlen(buf);
	if (len > 0 && buf[len - 1] != '\n' && !feof(fp) &&
	    fgetc(fp) != EOF) {
		sd_err_set(err, SD_E_CONFIG, "conf: secret file %s: first "
		    "line longer than %d bytes", file, SECRET_MAX);
		goto out;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0) {
		sd_err_set(err, SD_E_CONFIG, "conf: secret file %s: first "
		    "line is empty", file);
		goto out;
	}
	out = xstrdup(buf);
 out:
	explicit_bzero(buf, sizeof(buf));
	fclose(fp);
	return out;
}

int
conf_open_regular(const char *path, struct stat *st, const char **why_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd == -1) {
		*why_r = strerror(errno);
		return -1;
	}
	if (fstat(fd, st) == -1)
		*why_r = strerror(errno);
	else if (!S_ISREG(st->st_mode))
		*why_r = "not a regular file";
	else
		return fd;
	close(fd);
	return -1;
}

int
conf_check_files(const struct sd_conf *c, struct sd_strv *errs,
    struct sd_strv *warns)
{
	struct stat	 st;
	const char	*why;
	char		*msg;
	int		 fd, ret = 0;

	for (size_t i = 0; i < c->nfiles; i++) {
		const struct sd_conf_file *f = &c->files[i];

		if ((fd = conf_open_regular(f->path, &st, &why)) == -1) {
			msg = xasprintf("%s: cannot read %s: %s", f->where,
			    f->path, why);
			strv_push(errs, msg);
			free(msg);
			ret = -1;
			continue;
		}
		if ((st.st_mode & 077) != 0 && warns != NULL) {
			msg = xasprintf("%s: %s can be read by others; chmod "
			    "600 it", f->where, f->path);
			strv_push(warns, msg);
			free(msg);
		}
		close(fd);
	}
	return ret;
}

