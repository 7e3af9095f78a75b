/* SPDX-License-Identifier: MIT */
/*
 * conf.h - the configuration (SPEC §12), loaded once into an immutable
 * struct.  src/conf/ is the only user of <libconfig.h>.
 *
 * Every setting has a default; unknown settings, wrong types and bad
 * values are errors of the form "FILE:LINE: SETTING: problem".  On reload
 * a new struct is built and swapped in only if it loaded cleanly.
 */
#ifndef SUPPORTD_CONF_H
#define SUPPORTD_CONF_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>

#include "supportd/util.h"

/*
 * Priorities are configured (SPEC §14.3): 1 to SD_MAXPRIO of them, most
 * urgent first, C1..C4 by default.  In memory a priority is its index
 * into sd_conf.priorities; the database keeps its name.
 */
#define SD_MAXPRIO	9
#define SD_PRIO_TOP	0	/* the most urgent: C1 by default */

/* Escalation levels (SPEC §7, §14.4): 1 to SD_MAXLEVEL, 3 by default. */
#define SD_MAXLEVEL	9

/*
 * A duration as written: "30s" "30m" "2h" "3d" run on the wall clock
 * (n = seconds); "4bh" is business time (n = seconds of business time);
 * "1bd" is business days (n = days).  "none" (only where allowed, the SLA
 * targets) is SD_DUR_NONE.
 */
enum sd_dur_kind { SD_DUR_NONE = 0, SD_DUR_WALL, SD_DUR_BH, SD_DUR_BD };
struct sd_dur {
	enum sd_dur_kind	kind;
	int64_t			n;
};

enum sd_tls { SD_TLS_IMAPS = 0, SD_TLS_STARTTLS, SD_TLS_NONE };	/* smtps == imaps */
enum sd_processed { SD_PROC_SEEN = 0, SD_PROC_MOVE, SD_PROC_DELETE };
enum sd_clock { SD_CLOCK_WALL = 0, SD_CLOCK_BUSINESS };
enum sd_met_by { SD_MET_BY_RESOLUTION = 0, SD_MET_BY_DOWNGRADE };
enum sd_auth { SD_AUTH_PASSWORD = 0, SD_AUTH_OAUTH2 };

/* SPEC §15: how an IMAP or SMTP login gets its bearer token. */
enum sd_oauth_provider { SD_OAUTH_GENERIC = 0, SD_OAUTH_MICROSOFT,
	SD_OAUTH_GOOGLE };
enum sd_oauth_grant { SD_GRANT_CLIENT_CREDENTIALS = 0, SD_GRANT_REFRESH_TOKEN,
	SD_GRANT_JWT_BEARER };

struct sd_conf_oauth2 {
	enum sd_oauth_provider	 provider;	/* required with oauth2 */
	char			*tenant;	/* microsoft: required */
	char			*token_url;	/* default from provider */
	char			*device_url;	/* RFC 8628; from provider */
	char			*client_id;	/* required but for jwt_bearer */
	char			*client_secret_file;
	enum sd_oauth_grant	 grant;		/* default per provider */
	char			*scope;		/* default per provider */
	char			*key_file;	/* jwt_bearer: service-account
						 * JSON key */
	char			*subject;	/* jwt_bearer: default user */
	char			*ca_file;	/* NULL: system CAs */
	int			 timeout;	/* s per request, default 30 */
};

struct sd_conf_imap {
	char		*host;		/* required */
	int		 port;		/* default 993 for imaps, 143 otherwise */
	enum sd_tls	 tls;		/* default imaps */
	char		*user;		/* required */
	char		*password;	/* inline (warned about) or NULL */
	char		*password_file;	/* or NULL */
	char		*folder;	/* default "INBOX" */
	bool		 idle;		/* default true */
	int64_t		 idle_renew;	/* s, default 24m, at most 29m */
	char		*ca_file;	/* NULL: system CAs */
	bool		 allow_plaintext; /* default false */
	enum sd_auth	 auth;		/* default password */
	struct sd_conf_oauth2 oauth2;	/* with SD_AUTH_OAUTH2 */
};

struct sd_conf_mailbox {
	char			*name;		/* required, unique */
	char			*address;	/* required: where customers write */
	char			*display_name;	/* default: name */
	enum sd_processed	 processed;	/* default seen */
	char			*move_folder;	/* with SD_PROC_MOVE */
	/* Where replies to notifications go (SPEC §13.2): "{ticket}" and
	 * "{token}" in an address that reaches this mailbox; NULL: the
	 * address plus "+note-{ticket}-{token}" (thread_note_format). */
	char			*reply_address;
	/* reply_address (or the default) split once; NULL: none made. */
	struct sd_note_pattern	*note;
	struct sd_conf_imap	 imap;
};

struct sd_conf_smtp {
	char		*url;		/* required: smtp://host:port, smtps:// */
	enum sd_tls	 tls;		/* starttls (default), imaps (= smtps), none */
	char		*user;		/* NULL: no AUTH */
	char		*password;
	char		*password_file;
	char		*ca_file;
	int		 timeout;	/* seconds, default 30 */
	int		 connections;	/* parallel SMTP transactions, default 1 */
	enum sd_auth	 auth;		/* default password */
	struct sd_conf_oauth2 oauth2;	/* with SD_AUTH_OAUTH2 */
};

/*
 * A business calendar (SPEC §5, §14.1).  close < open is hours that cross
 * midnight (22:00-06:00: from the working day's 22:00 to 06:00 the next
 * day); close may be 24:00.  always: 24x7, the rest unused.
 */
struct sd_conf_calendar {
	char		*name;		/* "business" for the §12 `calendar` */
	bool		 always;	/* default false */
	char		*timezone;	/* default "Asia/Kolkata", checked with GLib */
	unsigned	 days;		/* bit 0 = Monday ... bit 6 = Sunday; default Mon-Fri */
	int		 open;		/* minutes after midnight, default 600 */
	int		 close;		/* default 1080; != open */
	struct sd_strv	 holidays;	/* "YYYY-MM-DD", validated; with
					 * those of holidays_ics added */
	char		*holidays_ics;	/* an iCalendar file, read by conf_load */
};

/*
 * A window written in s/m/h/d (kind SD_DUR_WALL) is measured on `clock`:
 * "1h" with SD_CLOCK_BUSINESS is one business hour.  A window in bh/bd is
 * business time and always comes with SD_CLOCK_BUSINESS (conf_load
 * refuses it with clock = "wall").
 */
struct sd_conf_priority {
	char		*name;		/* "C1", "Severity 1": a letter, then
					 * letters, digits, " ._-" */
	char		*label;		/* what customers read; default name */
	char		*description;	/* ditto; default by position */
	struct sd_strv	 markers;	/* default: the name; the first one
					 * also "System Down" */
	struct sd_dur	 escalation_window; /* 30m 1h 8h 16h; NONE: never */
	enum sd_clock	 clock;		/* C1 wall, others business */
	bool		 notify_new;	/* notify-new to the team; default true */
	/* SPEC §14.6: with SD_MET_BY_DOWNGRADE a change to a less urgent
	 * priority before the resolution is due meets it ("C1 reduced to
	 * C2 within 6 h").  resolution_met_by; default resolution. */
	enum sd_met_by	 met_by;
};

/* A category (SPEC §14.3); the seven of §3.6 by default.  A subject tag
 * "[TAG]" equal to one of tags (any case, any run of white space as one
 * space) selects it. */
struct sd_conf_category {
	char		*name;
	struct sd_strv	 tags;		/* default: the name */
};

/* Resolved: every target is set (SD_DUR_NONE = no target).  A target the
 * file leaves out comes from the "default" tier; a tier with neither
 * response nor resolution is best effort (conf_keys.c, the example). */
struct sd_conf_tier {
	char		*name;
	char		*calendar;	/* a calendar's name; default "business" */
	/* The priorities that page on-call outside the calendar's hours
	 * (SPEC §14.2); default C1, none for a best-effort tier.  The
	 * others wait for the next opening, and so do their clocks. */
	bool		 oncall[SD_MAXPRIO];
	struct sd_dur	 response[SD_MAXPRIO];
	/* SPEC §14.5: the longest silence toward the customer while the
	 * ticket is open; built in, c1_update_interval for the first
	 * priority, none for the others. */
	struct sd_dur	 update[SD_MAXPRIO];
	struct sd_dur	 resolution[SD_MAXPRIO];
	/* The highest level its tickets escalate to; default all. */
	int		 escalation_levels;
};

struct sd_conf_org {
	char		*name;
	struct sd_strv	 domains;	/* lower-cased */
	char		*tier;		/* must name a tier; default "default" */
	char		*calendar;	/* NULL: the tier's */
	char		*contacts[SD_MAXLEVEL]; /* level1.., or NULL */
};

/* Paths that were relative in the file are made absolute against the
 * file's directory.  All strings are owned by the struct. */
struct sd_conf {
	char		*path;		/* the file it came from */

	char		*database;	/* default /var/lib/supportd/supportd.db */
	char		*templates_dir;	/* default /etc/supportd/templates */
	char		*ticket_tag;	/* default "Ticket" */
	int		 default_priority;	/* default C3: the third */
	int64_t		 poll_interval;		/* s, default 60 */
	int64_t		 max_message_size;	/* bytes, default 25M */
	int64_t		 max_outgoing_attachments; /* bytes a mail, default 10M */
	int		 autoreply_limit;	/* default 5 */
	int64_t		 autoreply_window;	/* s, default 1h */
	int		 stranger_reply_limit;	/* per hour, default 100 */
	bool		 cc_participants;	/* copy them; default true */
	int64_t		 auto_close_after;	/* s, default 14d */
	int64_t		 c1_duplicate_window;	/* s, default 2h */
	int64_t		 c1_update_interval;	/* s, default 15m */
	int64_t		 outbox_max_age;	/* s, default 3d */
	struct sd_strv	 agents;		/* lower-cased addresses */
	/* Agents given as groups (SPEC §13.2): what ends their replies. */
	struct sd_conf_agent {
		char	*email;		/* lower-cased */
		char	*name;		/* or NULL */
		char	*signature;	/* lines, or NULL */
	}		*agent_info;
	size_t		 nagent_info;
	bool		 agents_require_auth;	/* default true */
	char		*trusted_authserv_id;	/* default NULL */

	struct sd_conf_mailbox	*mailboxes;	/* at least one */
	size_t			 nmailboxes;
	struct sd_conf_smtp	 smtp;
	struct sd_conf_calendar	 calendar;	/* the one named "business" */
	struct sd_conf_calendar	*calendars;	/* the other named ones */
	size_t			 ncalendars;
	struct sd_conf_priority	 priorities[SD_MAXPRIO];
	int			 npriorities;
	struct sd_conf_category	*categories;	/* always has "Duplicate" */
	size_t			 ncategories;
	char			*default_category; /* "General Support" */
	/* The first priority's markers for people, made at load:
	 * "C1" or "System Down" ({{urgent_markers}}). */
	char			*urgent_markers;
	struct sd_conf_tier	*tiers;		/* default: default, premium, standard, basic */
	size_t			 ntiers;
	struct sd_conf_org	*orgs;
	size_t			 norgs;
	/* The ladder: nlevels levels, each a name and a global contact
	 * (or NULL); level1..3 of §12 are the first three contacts. */
	int			 nlevels;
	char			*escalation_names[SD_MAXLEVEL];
	char			*escalation[SD_MAXLEVEL];
	/* SPEC §14.4: statuses in which the escalation and resolution
	 * clocks stand still, a bit per enum sd_status. */
	unsigned		 paused_statuses;
	/* SPEC §14.5: a target's warning at this percentage of its time;
	 * 0: none.  Default 80. */
	int			 warn_at;
	struct sd_strv		 team_emails;
	struct sd_strv		 oncall_emails;
	char			*oncall_webhook;
	char			*oncall_webhook_token_file;
	bool			 oncall_page_unknown_senders;	/* default false */
	int			 oncall_max_pages_per_hour;	/* default 3 */
	/* SPEC §16.3: who hears of an incident; how long a mailbox may go
	 * unpolled, the outbox's oldest mail wait or a login fail before
	 * it is one (default 15 min); alerts and recoveries an hour, at
	 * most (default 10). */
	struct sd_strv		 admin_emails;
	int64_t			 admin_alert_after;
	int			 admin_max_alerts_per_hour;
	/* SPEC §16.2: "ADDRESS:PORT" the metrics are served on, or NULL
	 * (off, the default). */
	char			*metrics_listen;

	/* Every address of the vendor side (agents, team, on-call,
	 * escalation contacts global and per organization), any case:
	 * conf_is_vendor. */
	void			*vendor_set;	/* GHashTable */

	/* The secret files settings name, for conf_check_files. */
	struct sd_conf_file {
		char	*path;
		char	*where;		/* "FILE:LINE: SETTING" */
	}			*files;
	size_t			 nfiles;
};

/*
 * Loads and validates path.  On success returns 0 and *conf_r (caller
 * owns; conf_free).  On failure returns -1, *conf_r is NULL, and every
 * problem found is appended to errs as "FILE:LINE: SETTING: problem"
 * (errs may be NULL).  Warnings (e.g. an inline password in a file others
 * can read) go to warns and do not fail the load.
 */
int	conf_load(const char *path, struct sd_conf **conf_r,
	    struct sd_strv *errs, struct sd_strv *warns);
void	conf_free(struct sd_conf **conf);
/*
 * Whether the secret files c names (password_file, webhook_token_file)
 * can be read now: -1 when one cannot, with "FILE:LINE: SETTING: cannot
 * read PATH: reason" in errs; one others may read (group or world) is a
 * warning.  conf_load does not look, so a configuration can be parsed
 * anywhere; supportd (start, -n, reload) and check-config call this.
 */
int	conf_check_files(const struct sd_conf *c, struct sd_strv *errs,
	    struct sd_strv *warns);

/* Parses "30m", "4bh", "1bd", "none" (allow_none).  0 or -1.  At most
 * 10 years; units are lower case; no sign, fraction or space. */
int	conf_parse_duration(const char *s, bool allow_none, struct sd_dur *d_r);
/* Parses "25M", "512K", "1G", "1000" (K, M, G = powers of 1024; either
 * case).  0 or -1. */
int	conf_parse_size(const char *s, int64_t *bytes_r);
/* "ADDRESS:PORT" (an IPv4 address, or an IPv6 one in brackets) as a
 * socket address; -1 when it is not one. */
int	conf_listen_addr(const char *s, struct sockaddr_storage *ss,
	    socklen_t *len_r);

/* The priority named name, any case: its index, or -1. */
int		 conf_prio_index(const struct sd_conf *c, const char *name);
/* The priority of a ticket whose stored name is name: its index, or the
 * default priority for a name the configuration no longer has. */
int		 conf_prio_of(const struct sd_conf *c, const char *name);
/* Priority p's name; "?" when there is none. */
const char	*conf_prio_name(const struct sd_conf *c, int p);
/* The configured category named name (any case), or NULL. */
const char	*conf_category(const struct sd_conf *c, const char *name);
/* "C1, C2, C3, C4": the names, for messages.  Caller frees. */
char		*conf_prio_names(const struct sd_conf *c);
char		*conf_category_names(const struct sd_conf *c);

/* Lookups on a loaded config.  Borrowed; NULL when absent.  Tier and
 * mailbox names match exactly; a domain matches an organization's domain
 * exactly, ignoring case (no subdomains: "mail.acme.example" does not
 * match "acme.example"). */
const struct sd_conf_tier	*conf_tier(const struct sd_conf *c, const char *name);
const struct sd_conf_org	*conf_org_for_domain(const struct sd_conf *c, const char *domain);
const struct sd_conf_mailbox	*conf_mailbox(const struct sd_conf *c, const char *name);
/* Appends the name of every OAuth2 login (SPEC §15): "imap:MAILBOX"
 * for each mailbox that uses it, then "smtp". */
void		 conf_oauth_logins(const struct sd_conf *c,
		    struct sd_strv *logins);
/* The organization named name (a ticket's), or NULL. */
const struct sd_conf_org	*conf_org_named(const struct sd_conf *c, const char *name);
/* The tier named name, else "default" (a ticket's tier removed from the
 * config, or none); NULL only while a config is being checked. */
const struct sd_conf_tier	*conf_tier_or_default(const struct sd_conf *c,
				    const char *name);
/* Whether addr is of the vendor side (SPEC §13.2): an agent, the team,
 * on-call, an escalation contact (global or an organization's). */
bool		 conf_is_vendor(const struct sd_conf *c, const char *addr);
/* The calendar named name ("business": c->calendar), or NULL. */
const struct sd_conf_calendar	*conf_calendar(const struct sd_conf *c, const char *name);
/* The name of the calendar a ticket of organization org (NULL: none)
 * and tier runs on: the organization's, else its tier's (SPEC §14.2). */
const char	*conf_ticket_calendar(const struct sd_conf *c, const char *org,
		    const char *tier);
/* The highest escalation level a ticket of tier (unknown: "default")
 * reaches: the ladder's top, or the tier's cap. */
int		 conf_escalation_top(const struct sd_conf *c, const char *tier);
/* Whether a ticket's clocks stand still in status s. */
bool		 conf_status_paused(const struct sd_conf *c, enum sd_status s);
/* Whether priority p of tier (unknown: "default") pages on-call outside
 * its calendar's hours. */
bool		 conf_tier_oncall(const struct sd_conf *c, const char *tier,
		    int p);

/*
 * The dates of the events in iCalendar text (RFC 5545), appended to
 * dates as "YYYY-MM-DD": one-day and ranged events (DTEND exclusive,
 * or DURATION in days or weeks), and FREQ=YEARLY rules.  Cancelled
 * events are left out.  -1 with *line_r and *problem_r (caller frees)
 * on what it cannot read, dates then unchanged.
 */
int	conf_ical_dates(const char *text, size_t len, struct sd_strv *dates,
	    int *line_r, char **problem_r);

/* Reads a secret: the inline value, else the first line of the file
 * (CR/LF stripped; an empty line or a line over 4 KiB is an error).
 * Caller owns (free); NULL with err set (SD_E_CONFIG, naming the file,
 * never the secret) when it cannot be read. */
struct sd_err;
char	*conf_read_secret(const char *inline_value, const char *file,
	    struct sd_err *err);

#endif
