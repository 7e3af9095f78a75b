/* SPDX-License-Identifier: MIT */
/*
 * conf_keys.c - every setting supportd knows (SPEC §12): one table row per
 * key with its type, default and limits, which conf.c walks to read the
 * file, fill in defaults and reject unknown names.  What one row cannot
 * say lives here too: defaults that depend on another setting (imap.port
 * on imap.tls, smtp.tls on smtp.url), the per-priority and per-tier
 * defaults, the tier inheritance rule, and the checks across settings
 * (unique names, tier references, plaintext to remote hosts).  Adding a
 * setting means adding a row here and a field in conf.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>
#include <libconfig.h>

#include "supportd/conf.h"
#include "supportd/thread.h"
#include "supportd/util.h"

#include "conf_priv.h"

/* A tier slot the file did not give (see resolve_tier). */
#define DUR_UNSET	(-1)
/* The built-in update target of the first priority: c1_update_interval,
 * known once the whole file is read (check_root). */
#define DUR_C1_UPDATE	(-2)

static char	*parse_processed(const char *s, void *dst, void *base);
static char	*parse_word(const char *s, void *dst, void *base);
static char	*parse_webhook(const char *s, void *dst, void *base);
static char	*parse_listen(const char *s, void *dst, void *base);
static void	 check_metrics(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);
static void	 read_priorities(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static void	 read_default_priority(struct ctx *cx,
		    const config_setting_t *s, void *base, const char *path);
static void	 read_categories(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static void	 read_default_category(struct ctx *cx,
		    const config_setting_t *s, void *base, const char *path);
static void	 read_response(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static void	 read_resolution(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static void	 read_update(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static char	*parse_percent(const char *s, void *dst, void *base);
static void	 read_levels(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static void	 read_paused_statuses(struct ctx *cx,
		    const config_setting_t *s, void *base, const char *path);
static void	 check_escalation(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);
static void	 read_tiers(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static void	 read_nothing(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static void	 read_agents(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static void	 check_imap(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);
static void	 check_oauth2(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);
static void	 check_mailbox(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);
static void	 check_smtp(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);
static void	 check_calendar(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);
static void	 read_oncall(struct ctx *cx, const config_setting_t *s,
		    void *base, const char *path);
static void	 check_priority(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);
static void	 check_root(struct ctx *cx, const config_setting_t *grp,
		    void *base, const char *path);
static void	 init_tier(void *elem);
static void	 builtin_tier(size_t i, int np, const struct sd_conf_tier *def,
		    struct sd_conf_tier *t_r);
static void	 resolve_tier(struct sd_conf_tier *t, bool given,
		    bool oncall_given, const struct sd_conf_tier *from);
static char	*url_host(const char *url, const char *scheme);
static void	 warn_inline_password(struct ctx *cx,
		    const config_setting_t *grp, const char *path);

#define C(f)	offsetof(struct sd_conf, f)
#define MB(f)	offsetof(struct sd_conf_mailbox, f)
#define IM(f)	offsetof(struct sd_conf_imap, f)
#define SM(f)	offsetof(struct sd_conf_smtp, f)
#define CA(f)	offsetof(struct sd_conf_calendar, f)
#define PR(f)	offsetof(struct sd_conf_priority, f)
#define TI(f)	offsetof(struct sd_conf_tier, f)
#define OR(f)	offsetof(struct sd_conf_org, f)
#define AG(f)	offsetof(struct sd_conf_agent, f)
#define CT(f)	offsetof(struct sd_conf_category, f)
#define OA(f)	offsetof(struct sd_conf_oauth2, f)

/* A row: name, type, offset, default, flags; then .min, .max, ... */
#define K(n, t, o, d, f)	.name = (n), .type = (t), .off = (o), .def = (d), \
				.flags = (f)

#define KB	1024LL
#define GB	(KB * KB * KB)

/*
 * Enumerations.
 */

/* What meets a priority's resolution target (SPEC §14.6). */
static const struct conf_enum met_by[] = {
	{ "resolution",	SD_MET_BY_RESOLUTION },
	{ "downgrade",	SD_MET_BY_DOWNGRADE },
	{ NULL, 0 }
};

static const struct conf_enum imap_tls[] = {
	{ "imaps",	SD_TLS_IMAPS },
	{ "starttls",	SD_TLS_STARTTLS },
	{ "none",	SD_TLS_NONE },
	{ NULL, 0 }
};

/* SMTPS is implicit TLS like IMAPS; conf.h gives both one value. */
static const struct conf_enum smtp_tls[] = {
	{ "starttls",	SD_TLS_STARTTLS },
	{ "smtps",	SD_TLS_IMAPS },
	{ "none",	SD_TLS_NONE },
	{ NULL, 0 }
};

static const struct conf_enum auths[] = {
	{ "password",	SD_AUTH_PASSWORD },
	{ "oauth2",	SD_AUTH_OAUTH2 },
	{ NULL, 0 }
};

static const struct conf_enum oauth_providers[] = {
	{ "generic",	SD_OAUTH_GENERIC },
	{ "microsoft",	SD_OAUTH_MICROSOFT },
	{ "google",	SD_OAUTH_GOOGLE },
	{ NULL, 0 }
};

static const struct conf_enum oauth_grants[] = {
	{ "client_credentials",	SD_GRANT_CLIENT_CREDENTIALS },
	{ "refresh_token",	SD_GRANT_REFRESH_TOKEN },
	{ "jwt_bearer",		SD_GRANT_JWT_BEARER },
	{ NULL, 0 }
};

static const struct conf_enum clocks[] = {
	{ "wall",	SD_CLOCK_WALL },
	{ "business",	SD_CLOCK_BUSINESS },
	{ NULL, 0 }
};

/*
 * The tables, innermost first.  Defaults are written as in the file and
 * go through the same parser as the file, so they are checked too.
 */

/* SPEC §15.1; provider, grant and scope defaults are set in
 * check_oauth2, which also checks what a grant needs. */
static const struct conf_key oauth2_keys[] = {
	{ K("provider", CK_ENUM, OA(provider), "generic", 0),
	    .enums = oauth_providers },
	{ K("tenant", CK_STR, OA(tenant), NULL, CK_NONEMPTY) },
	{ K("token_url", CK_STR, OA(token_url), NULL, CK_NONEMPTY) },
	{ K("device_url", CK_STR, OA(device_url), NULL, CK_NONEMPTY) },
	{ K("client_id", CK_STR, OA(client_id), NULL, CK_NONEMPTY) },
	{ K("client_secret_file", CK_STR, OA(client_secret_file), NULL,
	    CK_NONEMPTY | CK_PATH | CK_SECRET_FILE) },
	{ K("grant", CK_ENUM, OA(grant), NULL, 0), .enums = oauth_grants },
	{ K("scope", CK_STR, OA(scope), NULL, CK_NONEMPTY) },
	{ K("key_file", CK_STR, OA(key_file), NULL,
	    CK_NONEMPTY | CK_PATH | CK_SECRET_FILE) },
	{ K("subject", CK_STR, OA(subject), NULL, CK_NONEMPTY) },
	{ K("ca_file", CK_STR, OA(ca_file), NULL, CK_NONEMPTY | CK_PATH) },
	{ K("timeout", CK_SECS_INT, OA(timeout), "30s", 0),
	    .min = 1, .max = 300 },
	{ .name = NULL }
};
static const struct conf_section oauth2_sec = {
	oauth2_keys, check_oauth2, NULL
};

static const struct conf_key imap_keys[] = {
	{ K("host", CK_STR, IM(host), NULL, CK_REQUIRED | CK_NONEMPTY) },
	/* Default 993 for imaps, 143 otherwise: set in check_imap. */
	{ K("port", CK_INT, IM(port), NULL, 0), .min = 1, .max = 65535 },
	{ K("tls", CK_ENUM, IM(tls), "imaps", 0), .enums = imap_tls },
	{ K("user", CK_STR, IM(user), NULL, CK_REQUIRED | CK_NONEMPTY) },
	{ K("password", CK_STR, IM(password), NULL, CK_SECRET) },
	{ K("password_file", CK_STR, IM(password_file), NULL,
	    CK_NONEMPTY | CK_PATH | CK_SECRET_FILE) },
	{ K("folder", CK_STR, IM(folder), "INBOX", CK_NONEMPTY) },
	{ K("idle", CK_BOOL, IM(idle), "true", 0) },
	/* RFC 2177: servers may drop an IDLE after 30 min; renew before. */
	{ K("idle_renew", CK_SECS, IM(idle_renew), "24m", 0), .min = 1,
	    .max = 29 * 60 },
	{ K("ca_file", CK_STR, IM(ca_file), NULL, CK_NONEMPTY | CK_PATH) },
	{ K("allow_plaintext", CK_BOOL, IM(allow_plaintext), "false", 0) },
	{ K("auth", CK_ENUM, IM(auth), "password", 0), .enums = auths },
	{ K("oauth2", CK_GROUP, IM(oauth2), NULL, 0), .sub = &oauth2_sec },
	{ .name = NULL }
};
static const struct conf_section imap_sec = { imap_keys, check_imap, NULL };

static const struct conf_key mailbox_keys[] = {
	{ K("name", CK_STRFN, MB(name), NULL, CK_REQUIRED),
	    .strfn = parse_word },
	{ K("address", CK_STR, MB(address), NULL, CK_REQUIRED | CK_EMAIL) },
	/* Default: the mailbox's name, set in check_mailbox. */
	{ K("display_name", CK_STR, MB(display_name), NULL, CK_NONEMPTY) },
	{ K("processed", CK_STRFN, MB(processed), "seen", 0),
	    .strfn = parse_processed },
	{ K("reply_address", CK_STR, MB(reply_address), NULL, CK_NONEMPTY) },
	{ K("imap", CK_GROUP, MB(imap), NULL, CK_REQUIRED), .sub = &imap_sec },
	{ .name = NULL }
};
static const struct conf_section mailbox_sec = {
	mailbox_keys, check_mailbox, NULL
};
static const struct conf_list mailbox_list = {
	&mailbox_sec, sizeof(struct sd_conf_mailbox), C(mailboxes),
	C(nmailboxes), "mailbox", NULL
};

static const struct conf_key smtp_keys[] = {
	{ K("url", CK_STR, SM(url), NULL, CK_REQUIRED | CK_NONEMPTY) },
	/* Default from the url (smtps:// -> smtps): set in check_smtp. */
	{ K("tls", CK_ENUM, SM(tls), NULL, 0), .enums = smtp_tls },
	{ K("user", CK_STR, SM(user), NULL, CK_NONEMPTY) },
	{ K("password", CK_STR, SM(password), NULL, CK_SECRET) },
	{ K("password_file", CK_STR, SM(password_file), NULL,
	    CK_NONEMPTY | CK_PATH | CK_SECRET_FILE) },
	{ K("ca_file", CK_STR, SM(ca_file), NULL, CK_NONEMPTY | CK_PATH) },
	{ K("timeout", CK_SECS_INT, SM(timeout), "30s", 0),
	    .min = 1, .max = 3600 },
	{ K("connections", CK_INT, SM(connections), "1", 0),
	    .min = 1, .max = 16 },
	{ K("auth", CK_ENUM, SM(auth), "password", 0), .enums = auths },
	{ K("oauth2", CK_GROUP, SM(oauth2), NULL, 0), .sub = &oauth2_sec },
	{ .name = NULL }
};
static const struct conf_section smtp_sec = { smtp_keys, check_smtp, NULL };

/* The §12 `calendar` (named "business") and each of `calendars`. */
#define CALENDAR_KEYS \
	{ K("always", CK_BOOL, CA(always), "false", 0) }, \
	{ K("timezone", CK_TZ, CA(timezone), "Asia/Kolkata", 0) }, \
	{ K("days", CK_DAYS, CA(days), "Mon Tue Wed Thu Fri", CK_NONEMPTY) }, \
	{ K("open", CK_HHMM, CA(open), "10:00", 0) }, \
	{ K("close", CK_HHMM, CA(close), "18:00", 0) }, \
	{ K("holidays", CK_DATES, CA(holidays), NULL, 0) }, \
	{ K("holidays_ics", CK_STR, CA(holidays_ics), NULL, \
	    CK_NONEMPTY | CK_PATH) }
static const struct conf_key calendar_keys[] = {
	CALENDAR_KEYS,
	{ .name = NULL }
};
static const struct conf_section calendar_sec = {
	calendar_keys, check_calendar, NULL
};
static const struct conf_key named_calendar_keys[] = {
	{ K("name", CK_STRFN, CA(name), NULL, CK_REQUIRED),
	    .strfn = parse_word },
	CALENDAR_KEYS,
	{ .name = NULL }
};
static const struct conf_section named_calendar_sec = {
	named_calendar_keys, check_calendar, NULL
};
static const struct conf_list calendar_list = {
	&named_calendar_sec, sizeof(struct sd_conf_calendar), C(calendars),
	C(ncalendars), "calendar", NULL
};

/* No defaults here: those differ by priority (conf_builtin_init). */
static const struct conf_key priority_keys[] = {
	{ K("name", CK_FUNC, 0, NULL, CK_REQUIRED), .setfn = read_nothing },
	{ K("label", CK_STR, PR(label), NULL, CK_NONEMPTY) },
	{ K("description", CK_STR, PR(description), NULL, CK_NONEMPTY) },
	{ K("markers", CK_STRV, PR(markers), NULL, CK_NONEMPTY) },
	{ K("escalation_window", CK_SLA, PR(escalation_window), NULL, 0) },
	{ K("clock", CK_ENUM, PR(clock), NULL, 0), .enums = clocks },
	{ K("notify_new", CK_BOOL, PR(notify_new), NULL, 0) },
	{ K("resolution_met_by", CK_ENUM, PR(met_by), NULL, 0),
	    .enums = met_by },
	{ .name = NULL }
};
static const struct conf_section priority_sec = {
	priority_keys, check_priority, NULL
};

static const struct conf_key tier_keys[] = {
	{ K("name", CK_STR, TI(name), NULL, CK_REQUIRED | CK_NONEMPTY) },
	{ K("calendar", CK_STR, TI(calendar), "business", CK_NONEMPTY) },
	{ K("oncall", CK_FUNC, TI(oncall), NULL, 0), .setfn = read_oncall },
	{ K("escalation_levels", CK_INT, TI(escalation_levels), "9", 0),
	    .min = 1, .max = SD_MAXLEVEL },
	/* Groups keyed by priority; no defaults (see resolve_tier). */
	{ K("response", CK_FUNC, 0, NULL, 0), .setfn = read_response },
	{ K("update", CK_FUNC, 0, NULL, 0), .setfn = read_update },
	{ K("resolution", CK_FUNC, 0, NULL, 0), .setfn = read_resolution },
	{ .name = NULL }
};
static const struct conf_section tier_sec = { tier_keys, NULL, NULL };

static const struct conf_key category_keys[] = {
	{ K("name", CK_STR, CT(name), NULL, CK_REQUIRED | CK_NONEMPTY) },
	{ K("tags", CK_STRV, CT(tags), NULL, 0) },
	{ .name = NULL }
};
static const struct conf_section category_sec = {
	category_keys, NULL, NULL
};

#define LEVEL_KEY(i) \
	{ K("level" #i, CK_STR, OR(contacts[i - 1]), NULL, CK_EMAIL) }
static const struct conf_key contact_keys[] = {
	LEVEL_KEY(1), LEVEL_KEY(2), LEVEL_KEY(3), LEVEL_KEY(4), LEVEL_KEY(5),
	LEVEL_KEY(6), LEVEL_KEY(7), LEVEL_KEY(8), LEVEL_KEY(9),
	{ .name = NULL }
};
static const struct conf_section contact_sec = { contact_keys, NULL, NULL };

static const struct conf_key org_keys[] = {
	{ K("name", CK_STR, OR(name), NULL, CK_REQUIRED | CK_NONEMPTY) },
	{ K("domains", CK_STRV, OR(domains), NULL,
	    CK_REQUIRED | CK_NONEMPTY | CK_DOMAIN | CK_LOWER) },
	{ K("tier", CK_STR, OR(tier), "default", CK_NONEMPTY) },
	{ K("calendar", CK_STR, OR(calendar), NULL, CK_NONEMPTY) },
	/* Offsets are into the org itself, hence group offset 0. */
	{ K("contacts", CK_GROUP, 0, NULL, 0), .sub = &contact_sec },
	{ .name = NULL }
};
static const struct conf_section org_sec = { org_keys, NULL, NULL };
static const struct conf_list org_list = {
	&org_sec, sizeof(struct sd_conf_org), C(orgs), C(norgs),
	"organization", NULL
};

/* escalation, team and oncall are groups in the file but plain fields of
 * struct sd_conf, hence group offset 0. */
static const struct conf_key escalation_keys[] = {
	{ K("level1", CK_STR, C(escalation[0]), NULL, CK_EMAIL) },
	{ K("level2", CK_STR, C(escalation[1]), NULL, CK_EMAIL) },
	{ K("level3", CK_STR, C(escalation[2]), NULL, CK_EMAIL) },
	{ K("levels", CK_FUNC, 0, NULL, 0), .setfn = read_levels },
	{ .name = NULL }
};
static const struct conf_section escalation_sec = {
	escalation_keys, check_escalation, NULL
};

/* One of escalation.levels, read into the ladder by read_levels. */
struct level {
	char	*name;
	char	*contact;
};
static const struct conf_key level_keys[] = {
	{ K("name", CK_STR, offsetof(struct level, name), NULL,
	    CK_NONEMPTY) },
	{ K("contact", CK_STR, offsetof(struct level, contact), NULL,
	    CK_EMAIL) },
	{ .name = NULL }
};
static const struct conf_section level_sec = { level_keys, NULL, NULL };

static const struct conf_key sla_keys[] = {
	{ K("warn_at", CK_STRFN, C(warn_at), "80%", 0),
	    .strfn = parse_percent },
	{ K("paused_statuses", CK_FUNC, 0, NULL, 0),
	    .setfn = read_paused_statuses },
	{ .name = NULL }
};
static const struct conf_section sla_sec = { sla_keys, NULL, NULL };

static const struct conf_key team_keys[] = {
	{ K("emails", CK_STRV, C(team_emails), NULL, CK_EMAIL) },
	{ .name = NULL }
};
static const struct conf_section team_sec = { team_keys, NULL, NULL };

static const struct conf_key oncall_keys[] = {
	{ K("emails", CK_STRV, C(oncall_emails), NULL, CK_EMAIL) },
	{ K("webhook", CK_STRFN, C(oncall_webhook), NULL, 0),
	    .strfn = parse_webhook },
	{ K("webhook_token_file", CK_STR, C(oncall_webhook_token_file), NULL,
	    CK_NONEMPTY | CK_PATH | CK_SECRET_FILE) },
	{ K("page_unknown_senders", CK_BOOL, C(oncall_page_unknown_senders),
	    "false", 0) },
	{ K("max_pages_per_hour", CK_INT, C(oncall_max_pages_per_hour), "3", 0),
	    .min = 0, .max = INT32_MAX },
	{ .name = NULL }
};
static const struct conf_section oncall_sec = { oncall_keys, NULL, NULL };

/* SPEC §16.3. */
static const struct conf_key admin_keys[] = {
	{ K("emails", CK_STRV, C(admin_emails), NULL, CK_EMAIL) },
	{ K("alert_after", CK_SECS, C(admin_alert_after), "15m", 0),
	    .min = 1 },
	{ K("max_alerts_per_hour", CK_INT, C(admin_max_alerts_per_hour), "10",
	    0), .min = 0, .max = 1000 },
	{ .name = NULL }
};
static const struct conf_section admin_sec = { admin_keys, NULL, NULL };

/* SPEC §16.2. */
static const struct conf_key metrics_keys[] = {
	{ K("listen", CK_STRFN, C(metrics_listen), NULL, 0),
	    .strfn = parse_listen },
	{ .name = NULL }
};
static const struct conf_section metrics_sec = { metrics_keys,
	check_metrics, NULL };

static const struct conf_key root_keys[] = {
	{ K("database", CK_STR, C(database), "/var/lib/supportd/supportd.db",
	    CK_NONEMPTY | CK_PATH) },
	{ K("templates_dir", CK_STR, C(templates_dir),
	    "/etc/supportd/templates", CK_NONEMPTY | CK_PATH) },
	{ K("ticket_tag", CK_STRFN, C(ticket_tag), "Ticket", 0),
	    .strfn = parse_word },
	{ K("poll_interval", CK_SECS, C(poll_interval), "60s", 0), .min = 1 },
	{ K("max_outgoing_attachments", CK_SIZE, C(max_outgoing_attachments),
	    "10M", 0), .min = 0, .max = 1LL << 30 },
	{ K("max_message_size", CK_SIZE, C(max_message_size), "25M", 0),
	    .min = 1, .max = GB },
	{ K("autoreply_limit", CK_INT, C(autoreply_limit), "5", 0),
	    .min = 0, .max = INT32_MAX },
	{ K("autoreply_window", CK_SECS, C(autoreply_window), "1h", 0),
	    .min = 1 },
	{ K("cc_participants", CK_BOOL, C(cc_participants), "true", 0) },
	{ K("stranger_reply_limit", CK_INT, C(stranger_reply_limit), "100", 0),
	    .min = 0, .max = INT32_MAX },
	{ K("auto_close_after", CK_SECS, C(auto_close_after), "14d", 0),
	    .min = 1 },
	{ K("c1_duplicate_window", CK_SECS, C(c1_duplicate_window), "2h", 0),
	    .min = 1 },
	{ K("c1_update_interval", CK_SECS, C(c1_update_interval), "15m", 0),
	    .min = 1 },
	{ K("outbox_max_age", CK_SECS, C(outbox_max_age), "3d", 0), .min = 1 },
	{ K("agents", CK_FUNC, 0, NULL, 0), .setfn = read_agents },
	{ K("agents_require_auth", CK_BOOL, C(agents_require_auth), "true",
	    0) },
	{ K("trusted_authserv_id", CK_STR, C(trusted_authserv_id), NULL,
	    CK_NONEMPTY) },
	{ K("mailboxes", CK_LIST, 0, NULL, CK_REQUIRED),
	    .list = &mailbox_list },
	{ K("smtp", CK_GROUP, C(smtp), NULL, CK_REQUIRED), .sub = &smtp_sec },
	{ K("calendar", CK_GROUP, C(calendar), NULL, 0),
	    .sub = &calendar_sec },
	{ K("calendars", CK_LIST, 0, NULL, 0), .list = &calendar_list },
	/* Read before the walk: conf_vocabulary_read. */
	{ K("priorities", CK_FUNC, 0, NULL, 0), .setfn = read_nothing },
	{ K("default_priority", CK_FUNC, 0, NULL, 0),
	    .setfn = read_default_priority },
	{ K("categories", CK_FUNC, 0, NULL, 0), .setfn = read_nothing },
	{ K("default_category", CK_FUNC, 0, NULL, 0),
	    .setfn = read_default_category },
	{ K("tiers", CK_FUNC, 0, NULL, 0), .setfn = read_tiers },
	{ K("organizations", CK_LIST, 0, NULL, 0), .list = &org_list },
	{ K("escalation", CK_GROUP, 0, NULL, 0), .sub = &escalation_sec },
	{ K("sla", CK_GROUP, 0, NULL, 0), .sub = &sla_sec },
	{ K("team", CK_GROUP, 0, NULL, 0), .sub = &team_sec },
	{ K("oncall", CK_GROUP, 0, NULL, 0), .sub = &oncall_sec },
	{ K("admin", CK_GROUP, 0, NULL, 0), .sub = &admin_sec },
	{ K("metrics", CK_GROUP, 0, NULL, 0), .sub = &metrics_sec },
	{ .name = NULL }
};
const struct conf_section conf_root_section = {
	root_keys, check_root, NULL
};

/*
 * Built-in defaults that one table row cannot hold.
 */

/* By position: a configured priority takes the defaults of the
 * built-in one in its place, the fifth and later those of C4. */
#define NBUILTIN	4
#define BUILTIN(p)	((p) < NBUILTIN ? (p) : NBUILTIN - 1)

static const struct {
	const char	*name;
	const char	*description;
	const char	*window;
	enum sd_clock	 clock;
} builtin_prios[NBUILTIN] = {
	{ "C1", "critical: a production system is down", "30m",
	    SD_CLOCK_WALL },
	{ "C2", "high: a major function is impaired", "1h",
	    SD_CLOCK_BUSINESS },
	{ "C3", "normal: a minor function is impaired or a question", "8h",
	    SD_CLOCK_BUSINESS },
	{ "C4", "low: a cosmetic issue or a request", "16h",
	    SD_CLOCK_BUSINESS },
};

/* SPEC §3.6; "Duplicate" is set by C1 grouping and merges only. */
static const char *const builtin_categories[] = {
	"BUG", "Feature Request", "Existing Scope", "Information Request",
	"General Support", "Change Request", "Duplicate",
};
#define CAT_DUPLICATE	"Duplicate"

/* SPEC §5.  A NULL group is taken from "default" (see resolve_tier);
 * "basic" gives neither, so it is best effort, and pages nobody after
 * hours (§14.2).  By position, like the priorities. */
static const struct {
	const char	*name;
	const char	*response[NBUILTIN];
	const char	*resolution[NBUILTIN];
} builtin_tiers[] = {
	{ "default",	{ "2h", "4bh", "1bd", "2bd" },
			{ "6h", "24h", "5bd", "10bd" } },
	{ "premium",	{ "1h", "4h", "1bd", "2bd" },	{ NULL } },
	{ "standard",	{ "4h", "1bd", "2bd", "3bd" },	{ NULL } },
	{ "basic",	{ NULL },			{ NULL } },
};

/* Priority p named name, with the defaults of its place. */
static void
builtin_priority(struct sd_conf_priority *pr, int p, const char *name)
{
	int b = BUILTIN(p);

	conf_priority_clear(pr);
	pr->name = xstrdup(name);
	pr->label = xstrdup(name);
	pr->description = xstrdup(builtin_prios[b].description);
	strv_push(&pr->markers, name);
	if (p == SD_PRIO_TOP)
		strv_push(&pr->markers, "System Down");
	if (conf_parse_duration(builtin_prios[b].window, false,
	    &pr->escalation_window) == -1)
		g_assert_not_reached();
	pr->clock = builtin_prios[b].clock;
	pr->notify_new = true;
}

static void
add_category(struct sd_conf *c, const char *name, bool tagged)
{
	struct sd_conf_category *cat;

	c->categories = g_renew(struct sd_conf_category, c->categories,
	    c->ncategories + 1);
	cat = &c->categories[c->ncategories++];
	memset(cat, 0, sizeof(*cat));
	cat->name = xstrdup(name);
	if (tagged)
		strv_push(&cat->tags, name);
}

void
conf_builtin_init(struct sd_conf *c)
{
	c->npriorities = NBUILTIN;
	for (int p = 0; p < NBUILTIN; p++)
		builtin_priority(&c->priorities[p], p, builtin_prios[p].name);
	c->default_priority = 2;
	for (size_t i = 0; i < nitems(builtin_categories); i++)
		add_category(c, builtin_categories[i],
		    strcmp(builtin_categories[i], CAT_DUPLICATE) != 0);
	c->default_category = xstrdup("General Support");
}

static void
init_tier(void *elem)
{
	struct sd_conf_tier *t = elem;

	for (int p = 0; p < SD_MAXPRIO; p++) {
		t->response[p] = (struct sd_dur){ SD_DUR_NONE, DUR_UNSET };
		t->update[p] = (struct sd_dur){ SD_DUR_NONE, DUR_UNSET };
		t->resolution[p] = (struct sd_dur){ SD_DUR_NONE, DUR_UNSET };
	}
}

/* Built-in tier i for np priorities; def is the resolved default tier
 * (NULL when i is it). */
static void
builtin_tier(size_t i, int np, const struct sd_conf_tier *def,
    struct sd_conf_tier *t_r)
{
	bool given = false;

	memset(t_r, 0, sizeof(*t_r));	/* often on the stack */
	init_tier(t_r);
	t_r->name = xstrdup(builtin_tiers[i].name);
	t_r->calendar = xstrdup("business");
	t_r->oncall[SD_PRIO_TOP] = true;
	t_r->escalation_levels = SD_MAXLEVEL;
	for (int p = 0; p < np; p++) {
		const char *resp = builtin_tiers[i].response[BUILTIN(p)];
		const char *res = builtin_tiers[i].resolution[BUILTIN(p)];

		if (resp != NULL && conf_parse_duration(resp, true,
		    &t_r->response[p]) == -1)
			g_assert_not_reached();
		if (res != NULL && conf_parse_duration(res, true,
		    &t_r->resolution[p]) == -1)
			g_assert_not_reached();
		given = given || resp != NULL || res != NULL;
	}
	if (given && def == NULL)
		t_r->update[SD_PRIO_TOP] = (struct sd_dur){ SD_DUR_WALL,
		    DUR_C1_UPDATE };
	resolve_tier(t_r, given, false, def);
}

/*
 * The tier rule (SPEC §5, documented in supportd.conf.example):
 * - a tier that gives no `response`, `update` or `resolution` is best
 *   effort:
 *   every target is "none", and unless it gives `oncall` it pages nobody
 *   (SPEC §14.2: a Basic tier);
 * - otherwise every target it leaves out (a whole group, or one priority
 *   inside a group) is taken from the tier named "default": the one in
 *   the file if it defines it, else the built-in default tier, which is
 *   also what a "default" in the file inherits from;
 * - if the file's tiers lack "default", the built-in one is added.
 * from is NULL only for the built-in default, which is complete.
 */
static void
resolve_tier(struct sd_conf_tier *t, bool given, bool oncall_given,
    const struct sd_conf_tier *from)
{
	if (!given && !oncall_given)
		memset(t->oncall, 0, sizeof(t->oncall));
	for (int p = 0; p < SD_MAXPRIO; p++) {
		if (!given) {
			t->response[p] = (struct sd_dur){ SD_DUR_NONE, 0 };
			t->update[p] = (struct sd_dur){ SD_DUR_NONE, 0 };
			t->resolution[p] = (struct sd_dur){ SD_DUR_NONE, 0 };
			continue;
		}
		if (t->update[p].kind == SD_DUR_NONE &&
		    t->update[p].n == DUR_UNSET)
			t->update[p] = from ? from->update[p] :
			    (struct sd_dur){ SD_DUR_NONE, 0 };
		if (t->response[p].kind == SD_DUR_NONE &&
		    t->response[p].n == DUR_UNSET)
			t->response[p] = from ? from->response[p] :
			    (struct sd_dur){ SD_DUR_NONE, 0 };
		if (t->resolution[p].kind == SD_DUR_NONE &&
		    t->resolution[p].n == DUR_UNSET)
			t->resolution[p] = from ? from->resolution[p] :
			    (struct sd_dur){ SD_DUR_NONE, 0 };
	}
}

/*
 * Settings with their own readers.
 */

/* Priorities and categories first, wherever the file has them: the
 * settings that name one (default_priority, tiers' targets and oncall,
 * default_category) are checked against them in file order. */
void
conf_vocabulary_read(struct ctx *cx, const config_setting_t *root)
{
	read_priorities(cx, conf_member(root, "priorities"), cx->conf,
	    "priorities");
	read_categories(cx, conf_member(root, "categories"), cx->conf,
	    "categories");
}

/* What another reader reads: a priority entry's name, and priorities
 * and categories in the root (conf_vocabulary_read). */
static void
read_nothing(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	(void)cx;
	(void)s;
	(void)base;
	(void)path;
}

/* An agent given as a group: his replies end with the signature, else
 * the name.  Both go into bodies only, never into a header. */
static const struct conf_key agent_keys[] = {
	{ K("email", CK_STR, AG(email), NULL,
	    CK_REQUIRED | CK_EMAIL | CK_LOWER) },
	{ K("name", CK_STR, AG(name), NULL, CK_NONEMPTY) },
	{ K("signature", CK_STR, AG(signature), NULL, CK_NONEMPTY | CK_LINES) },
	{ .name = NULL }
};
static const struct conf_section agent_sec = { agent_keys, NULL, NULL };

/*
 * agents: addresses, or groups { email; name; signature; } (a list
 * ( ) then, as a libconfig array [ ] holds strings only).
 */
static void
read_agents(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	struct sd_conf		*c = base;
	struct sd_conf_agent	 a;
	config_setting_t	*e;
	char			*epath;
	int			 t, n;

	if (s == NULL)
		return;
	t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		conf_error(cx, s, path, "expected addresses and groups "
		    "( \"a@b\", { email = \"...\"; name = \"...\"; } )");
		return;
	}
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		epath = conf_path_index(path, (unsigned)i);
		memset(&a, 0, sizeof(a));
		if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			const char *v = config_setting_get_string(e);

			if (!cv_looks_like_address(v))
				conf_error(cx, e, epath, "expected an e-mail "
				    "address, got \"%.80s\"", v);
			else {
				char *low = sd_strdup_lower(v);

				strv_push(&c->agents, low);
				free(low);
			}
		} else if (config_setting_is_group(e)) {
			conf_section_read(cx, e, &agent_sec, &a, epath);
			if (a.email != NULL) {
				strv_push(&c->agents, a.email);
				c->agent_info = g_renew(struct sd_conf_agent,
				    c->agent_info, c->nagent_info + 1);
				c->agent_info[c->nagent_info++] = a;
			} else {
				free(a.name);
				free(a.signature);
			}
		} else
			conf_error(cx, e, epath, "expected an address or a "
			    "group { email = \"...\"; }");
		free(epath);
	}
}

/* A priority's name: it reaches subjects, logs and commands. */
static const char *
prio_name_problem(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 32)
		return "a priority name has 1 to 32 characters";
	if (!g_ascii_isalpha(name[0]) || name[len - 1] == ' ')
		return "a priority name starts with a letter and does not "
		    "end with a space";
	for (const char *q = name; *q != '\0'; q++)
		if (!g_ascii_isalnum(*q) && strchr(" ._-", *q) == NULL)
			return "a priority name has letters, digits, spaces, "
			    "'.', '_' and '-' only";
	return NULL;
}

/* Whether key, a setting name, names priority name: any case, and '_'
 * for each character a setting name cannot hold ("Severity_1"). */
static bool
prio_key_is(const char *name, const char *key)
{
	for (; *name != '\0' && *key != '\0'; name++, key++)
		if (g_ascii_isalnum(*name) || *name == '_' || *name == '-' ?
		    g_ascii_tolower(*name) != g_ascii_tolower(*key) :
		    *key != '_')
			return false;
	return *name == '\0' && *key == '\0';
}

static int
prio_by_key(const struct sd_conf *c, const char *key)
{
	for (int p = 0; p < c->npriorities; p++)
		if (prio_key_is(c->priorities[p].name, key))
			return p;
	return -1;
}

/* name as a setting name: '_' for what one cannot hold.  Caller frees. */
static char *
prio_key(const char *name)
{
	char *key = xstrdup(name);

	for (char *q = key; *q != '\0'; q++)
		if (!g_ascii_isalnum(*q) && *q != '_' && *q != '-')
			*q = '_';
	return key;
}

/* "C1, C2, C3, C4" as setting names. */
static char *
prio_keys(const struct sd_conf *c)
{
	GString *gs = g_string_new(NULL);

	for (int p = 0; p < c->npriorities; p++) {
		char *key = prio_key(c->priorities[p].name);

		g_string_append_printf(gs, "%s%s", p ? ", " : "", key);
		free(key);
	}
	return g_string_free(gs, FALSE);
}

/* The priority named like name: the same setting name in any case
 * ("Severity 1", "severity_1"), or -1. */
static int
prio_like(const struct sd_conf *c, const char *name)
{
	char	*key = prio_key(name), *other;
	int	 found = -1;

	for (int p = 0; p < c->npriorities && found < 0; p++) {
		other = prio_key(c->priorities[p].name);
		if (g_ascii_strcasecmp(key, other) == 0)
			found = p;
		free(other);
	}
	free(key);
	return found;
}

/* A tag as subjects are matched against it (classify.c): words joined
 * by one space, case-folded.  Caller frees. */
static char *
tag_norm(const char *tag)
{
	char	**words = g_strsplit_set(tag, " \t\r\n\f\v", -1);
	GString	 *gs = g_string_new(NULL);
	char	 *valid, *key;

	for (size_t i = 0; words[i] != NULL; i++)
		if (*words[i] != '\0')
			g_string_append_printf(gs, "%s%s", gs->len ? " " : "",
			    words[i]);
	g_strfreev(words);
	valid = g_utf8_make_valid(gs->str, -1);
	key = g_utf8_casefold(valid, -1);
	g_free(valid);
	g_string_free(gs, TRUE);
	return key;
}

/* The category one of whose tags matches as tag does, or NULL. */
static const char *
tag_owner(const struct sd_conf *c, const char *tag)
{
	char		*key = tag_norm(tag), *other;
	const char	*owner = NULL;

	for (size_t i = 0; i < c->ncategories && owner == NULL; i++)
		for (size_t t = 0; t < c->categories[i].tags.n && !owner; t++) {
			other = tag_norm(c->categories[i].tags.v[t]);
			if (strcmp(key, other) == 0)
				owner = c->categories[i].name;
			g_free(other);
		}
	g_free(key);
	return owner;
}

static bool
is_builtin_name(const char *name)
{
	for (int p = 0; p < NBUILTIN; p++)
		if (g_ascii_strcasecmp(name, builtin_prios[p].name) == 0)
			return true;
	return false;
}

/* s is a list of groups; an empty array [ ] passes as one. */
static bool
is_group_list(struct ctx *cx, const config_setting_t *s, const char *path)
{
	if (config_setting_is_list(s) || (config_setting_is_array(s) &&
	    config_setting_length(s) == 0))
		return true;
	conf_error(cx, s, path, "expected a list of groups ( { ... } )");
	return false;
}

/*
 * priorities (SPEC §14.3): entries named C1..C4 only adjust the built-in
 * four, each at most once, in any order, and what they leave out stays
 * built in.  Any other name makes the list the whole set, most urgent
 * first, each entry taking the defaults of the built-in one in its place.
 */
static void
read_priorities(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	struct sd_conf		*c = base;
	struct sd_conf_priority	 scratch, *pr;
	config_setting_t	*e, *nm;
	bool			 seen[SD_MAXPRIO] = { false }, builtin = true;
	const char		*name, *problem;
	char			*epath, *npath;
	int			 n, p;

	if (s == NULL || !is_group_list(cx, s, path))
		return;
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		nm = config_setting_is_group(e) ? conf_member(e, "name") : NULL;
		if (nm != NULL && config_setting_type(nm) == CONFIG_TYPE_STRING &&
		    !is_builtin_name(config_setting_get_string(nm)))
			builtin = false;
	}
	if (!builtin) {
		if (n > SD_MAXPRIO) {
			conf_error(cx, s, path, "%d priorities; at most %d", n,
			    SD_MAXPRIO);
			return;
		}
		for (p = 0; p < c->npriorities; p++)
			conf_priority_clear(&c->priorities[p]);
		c->npriorities = 0;
	}
	for (int i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		epath = conf_path_index(path, (unsigned)i);
		if (!config_setting_is_group(e)) {
			conf_error(cx, e, epath, "expected a group { ... }");
			free(epath);
			continue;
		}
		p = -1;
		if ((nm = conf_member(e, "name")) != NULL) {
			npath = conf_path_join(epath, "name");
			name = config_setting_get_string(nm);
			if (name == NULL)
				conf_error(cx, nm, npath, "expected a string");
			else if (builtin && seen[p = conf_prio_index(c, name)]) {
				conf_error(cx, nm, npath, "priority %s given "
				    "twice", conf_prio_name(c, p));
				p = -1;
			} else if (builtin)
				seen[p] = true;
			else if ((problem = prio_name_problem(name)) != NULL)
				conf_error(cx, nm, npath, "\"%.80s\": %s", name,
				    problem);
			else if (prio_like(c, name) >= 0)
				conf_error(cx, nm, npath, "priority \"%s\" "
				    "given twice", name);
			else {
				p = c->npriorities++;
				builtin_priority(&c->priorities[p], p, name);
			}
			free(npath);
		}
		/* A bad entry is still read, into scratch, for its errors. */
		memset(&scratch, 0, sizeof(scratch));
		pr = p >= 0 ? &c->priorities[p] : &scratch;
		conf_section_read(cx, e, &priority_sec, pr, epath);
		conf_priority_clear(&scratch);
		free(epath);
	}
}

/* default_priority: absent, the third (C3), or the last of fewer. */
static void
read_default_priority(struct ctx *cx, const config_setting_t *s,
    void *base, const char *path)
{
	struct sd_conf	*c = base;
	const char	*v;
	char		*names;
	int		 p;

	if (s == NULL) {
		c->default_priority = c->npriorities > 2 ? 2 :
		    c->npriorities - 1;
		return;
	}
	if ((v = config_setting_get_string(s)) == NULL)
		conf_error(cx, s, path, "expected a string");
	else if ((p = conf_prio_index(c, v)) < 0) {
		names = conf_prio_names(c);
		conf_error(cx, s, path, "unknown priority \"%.80s\" (use %s)",
		    v, names);
		free(names);
	} else
		c->default_priority = p;
}

/*
 * categories (SPEC §14.3) replace the built-in seven; "Duplicate", which
 * grouping and merges set, is added when the list lacks it.  A tag
 * selects one category only.
 */
static void
read_categories(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	struct sd_conf		*c = base;
	struct sd_conf_category	 cat;
	config_setting_t	*e;
	char			*epath;
	bool			 dup = false;
	int			 n;

	if (s == NULL || !is_group_list(cx, s, path))
		return;
	if ((n = config_setting_length(s)) == 0) {
		conf_error(cx, s, path, "give at least one category");
		return;
	}
	for (size_t i = 0; i < c->ncategories; i++) {
		free(c->categories[i].name);
		strv_free(&c->categories[i].tags);
	}
	c->ncategories = 0;
	for (int i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		epath = conf_path_index(path, (unsigned)i);
		memset(&cat, 0, sizeof(cat));
		if (!config_setting_is_group(e))
			conf_error(cx, e, epath, "expected a group { ... }");
		else
			conf_section_read(cx, e, &category_sec, &cat, epath);
		if (cat.name != NULL && conf_category(c, cat.name) != NULL)
			conf_error_at(cx, e, epath, "name", "category \"%s\" "
			    "given twice", cat.name);
		else if (cat.name != NULL) {
			if (conf_member(e, "tags") == NULL)
				strv_push(&cat.tags, cat.name);
			const char *owner;

			for (size_t t = 0; t < cat.tags.n; t++)
				if ((owner = tag_owner(c, cat.tags.v[t])) !=
				    NULL)
					conf_error_at(cx, e, epath, "tags",
					    "tag \"%s\" already selects "
					    "\"%s\"", cat.tags.v[t], owner);
			/* Grouping and merges write "Duplicate" as such. */
			if (g_ascii_strcasecmp(cat.name, CAT_DUPLICATE) == 0) {
				dup = true;
				free(cat.name);
				cat.name = xstrdup(CAT_DUPLICATE);
			}
			add_category(c, cat.name, false);
			c->categories[c->ncategories - 1].tags = cat.tags;
			cat.tags = (struct sd_strv){ 0 };
		}
		free(cat.name);
		strv_free(&cat.tags);
		free(epath);
	}
	if (!dup)
		add_category(c, CAT_DUPLICATE, false);
}

/* default_category: absent, "General Support" if configured, else the
 * first category. */
static void
read_default_category(struct ctx *cx, const config_setting_t *s,
    void *base, const char *path)
{
	struct sd_conf	*c = base;
	const char	*v, *cat;
	char		*names;

	if (s == NULL) {
		cat = conf_category(c, c->default_category);
		if (cat == NULL && c->ncategories > 0)
			cat = c->categories[0].name;
	} else if ((v = config_setting_get_string(s)) == NULL) {
		conf_error(cx, s, path, "expected a string");
		return;
	} else if ((cat = conf_category(c, v)) == NULL) {
		names = conf_category_names(c);
		conf_error(cx, s, path, "unknown category \"%.80s\" (use %s)",
		    v, names);
		free(names);
		return;
	}
	if (cat != NULL) {
		char *copy = xstrdup(cat);

		free(c->default_category);
		c->default_category = copy;
	}
}

/* response, resolution: { PRIORITY = "2h"; ... }, keyed as prio_key_is
 * says. */
static void
read_targets(struct ctx *cx, const config_setting_t *s, struct sd_dur *dst,
    const char *path)
{
	const struct sd_conf	*c = cx->conf;
	config_setting_t	*m;
	bool			 seen[SD_MAXPRIO] = { false };
	const char		*key;
	char			*mpath, *keys;
	int			 p;

	if (s == NULL)
		return;
	if (!config_setting_is_group(s)) {
		key = c->npriorities > 0 ? prio_key(c->priorities[0].name) :
		    xstrdup("C1");
		conf_error(cx, s, path, "expected a group { %s = \"2h\"; ... }",
		    key);
		free((char *)key);
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		m = config_setting_get_elem(s, (unsigned)i);
		key = config_setting_name(m);
		mpath = conf_path_join(path, key);
		if ((p = prio_by_key(c, key)) < 0) {
			keys = prio_keys(c);
			conf_error(cx, m, mpath, "unknown priority (use %s)",
			    keys);
			free(keys);
		} else if (seen[p])
			conf_error(cx, m, mpath, "priority %s given twice",
			    conf_prio_name(c, p));
		else {
			const struct conf_key k = {
				K(key, CK_SLA, (size_t)p * sizeof(*dst), NULL,
				    0)
			};

			seen[p] = true;
			conf_read_value(cx, m, &k, dst, mpath);
		}
		free(mpath);
	}
}

static void
read_response(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	read_targets(cx, s, ((struct sd_conf_tier *)base)->response, path);
}

static void
read_resolution(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	read_targets(cx, s, ((struct sd_conf_tier *)base)->resolution, path);
}

static void
read_update(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	read_targets(cx, s, ((struct sd_conf_tier *)base)->update, path);
}

/* "80%", 1 to 99, or "none" (0). */
static char *
parse_percent(const char *s, void *dst, void *base)
{
	char	*end;
	long	 v;

	(void)base;
	if (strcmp(s, "none") == 0) {
		*(int *)dst = 0;
		return NULL;
	}
	v = strtol(s, &end, 10);
	if (!isdigit((unsigned char)*s) || strcmp(end, "%") != 0 || v < 1 ||
	    v > 99)
		return xasprintf("expected a percentage \"1%%\" to \"99%%\" "
		    "or \"none\", got \"%.80s\"", s);
	*(int *)dst = (int)v;
	return NULL;
}

/* Whether a tier in the file gives a target (else it is best effort). */
static bool
tier_given(const config_setting_t *e)
{
	return conf_member(e, "response") != NULL ||
	    conf_member(e, "update") != NULL ||
	    conf_member(e, "resolution") != NULL;
}

static void
read_tiers(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	struct sd_conf		*c = base;
	struct sd_conf_tier	 def, *from;
	config_setting_t	*e;
	char			*epath;
	size_t			 d = SIZE_MAX;
	int			 n;

	builtin_tier(0, c->npriorities, NULL, &def);
	if (s != NULL && !is_group_list(cx, s, path))
		s = NULL;
	if (s == NULL) {
		c->ntiers = nitems(builtin_tiers);
		c->tiers = xcalloc(c->ntiers, sizeof(*c->tiers));
		c->tiers[0] = def;
		for (size_t i = 1; i < c->ntiers; i++)
			builtin_tier(i, c->npriorities, &def, &c->tiers[i]);
		return;
	}

	n = config_setting_length(s);
	/* One spare slot for a built-in "default". */
	c->tiers = xcalloc((size_t)n + 1, sizeof(*c->tiers));
	c->ntiers = (size_t)n;
	for (int i = 0; i < n; i++) {
		struct sd_conf_tier *t = &c->tiers[i];

		e = config_setting_get_elem(s, (unsigned)i);
		epath = conf_path_index(path, (unsigned)i);
		init_tier(t);
		if (!config_setting_is_group(e))
			conf_error(cx, e, epath, "expected a group { ... }");
		else
			conf_section_read(cx, e, &tier_sec, t, epath);
		for (int j = 0; j < i && t->name != NULL; j++)
			if (c->tiers[j].name != NULL &&
			    strcmp(c->tiers[j].name, t->name) == 0)
				conf_error_at(cx, e, epath, "name",
				    "duplicate tier name \"%s\"", t->name);
		/* The tier rule makes it best effort: easy to do unawares
		 * when only moving a tier to another calendar. */
		if (!tier_given(e) && conf_member(e, "calendar") != NULL)
			conf_warning(cx, e, epath, "no response, update or "
			    "resolution: "
			    "a best-effort tier, without targets (give one "
			    "target to take the others from \"default\")");
		if (t->name != NULL && strcmp(t->name, "default") == 0 &&
		    d == SIZE_MAX)
			d = (size_t)i;
		free(epath);
	}

	/* "default" first, as the others inherit from it. */
	from = &def;
	if (d != SIZE_MAX) {
		e = config_setting_get_elem(s, (unsigned)d);
		resolve_tier(&c->tiers[d], tier_given(e),
		    conf_member(e, "oncall") != NULL, &def);
		from = &c->tiers[d];
	}
	for (size_t i = 0; i < c->ntiers; i++) {
		if (i == d)
			continue;
		e = config_setting_get_elem(s, (unsigned)i);
		resolve_tier(&c->tiers[i], tier_given(e),
		    conf_member(e, "oncall") != NULL, from);
	}
	if (d == SIZE_MAX)
		c->tiers[c->ntiers++] = def;
	else {
		free(def.name);
		free(def.calendar);
	}
}

/*
 * escalation.levels (SPEC §14.4): the whole ladder, 1 to SD_MAXLEVEL
 * levels; without it, the three of §7 with the contacts of level1..3.
 */
static void
read_levels(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	static const char *const builtin[] = { "Account Manager",
	    "Customer Success Manager", "Head of Product" };
	struct sd_conf	*c = base;
	struct level	 lv;
	char		*epath;
	int		 n;

	/* The built-in ladder stays unless a whole one is given. */
	for (int l = 0; l < SD_MAXLEVEL; l++) {
		free(c->escalation_names[l]);
		c->escalation_names[l] = l < (int)nitems(builtin) ?
		    xstrdup(builtin[l]) : NULL;
	}
	c->nlevels = (int)nitems(builtin);
	if (s == NULL)
		return;
	if (!is_group_list(cx, s, path))
		return;
	if ((n = config_setting_length(s)) < 1 || n > SD_MAXLEVEL) {
		conf_error(cx, s, path, "%d levels; give 1 to %d", n,
		    SD_MAXLEVEL);
		return;
	}
	c->nlevels = n;
	for (int l = 0; l < n; l++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)l);

		epath = conf_path_index(path, (unsigned)l);
		memset(&lv, 0, sizeof(lv));
		if (!config_setting_is_group(e))
			conf_error(cx, e, epath, "expected a group { name = "
			    "\"...\"; contact = \"...\"; }");
		else
			conf_section_read(cx, e, &level_sec, &lv, epath);
		free(c->escalation_names[l]);
		c->escalation_names[l] = lv.name ? lv.name :
		    xasprintf("Level %d", l + 1);
		free(c->escalation[l]);
		c->escalation[l] = lv.contact;
		free(epath);
	}
}

/* levels is the whole ladder: level1..3 beside it, wherever they are in
 * the group, are refused (read_levels sees only those before it). */
static void
check_escalation(struct ctx *cx, const config_setting_t *grp, void *base,
    const char *path)
{
	static const char *const old[] = { "level1", "level2", "level3" };

	(void)base;
	if (conf_member(grp, "levels") == NULL)
		return;
	for (size_t i = 0; i < nitems(old); i++)
		if (conf_member(grp, old[i]) != NULL) {
			conf_error_at(cx, grp, path, old[i], "give levels or "
			    "level1..level3, not both");
			return;
		}
}

/* sla.paused_statuses: statuses, default [ "waiting-on-customer" ]. */
static void
read_paused_statuses(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	struct sd_conf	*c = base;
	const char	*v;
	char		*epath;
	int		 st;

	c->paused_statuses = 1u << SD_ST_WAITING_CUST;
	if (s == NULL)
		return;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_error(cx, s, path, "expected statuses [ \"%s\", ... ] "
		    "(or [ ] for none)", sd_status_names[SD_ST_WAITING_CUST]);
		return;
	}
	c->paused_statuses = 0;
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		epath = conf_path_index(path, (unsigned)i);
		v = config_setting_get_string(e);
		for (st = 0; v != NULL && st < SD_ST__COUNT; st++)
			if (strcmp(v, sd_status_names[st]) == 0)
				break;
		if (v == NULL || st == SD_ST__COUNT)
			conf_error(cx, e, epath, "expected a status "
			    "(review-required, waiting-on-customer, "
			    "waiting-for-development, in-development, "
			    "bc-testing)");
		else if (st == SD_ST_RESOLVED || st == SD_ST_CLOSED)
			conf_error(cx, e, epath, "\"%s\" ends the clocks "
			    "already", v);
		else if (st == SD_ST_OPEN || st == SD_ST_PENDING)
			/* New tickets are open, and answered ones become
			 * pending, without a status change of their own. */
			conf_error(cx, e, epath, "\"%s\" is where tickets "
			    "start; the clocks cannot stand in it", v);
		else
			c->paused_statuses |= 1u << st;
		free(epath);
	}
}

/* "seen", "delete" or "move:FOLDER". */
static char *
parse_processed(const char *s, void *dst, void *base)
{
	struct sd_conf_mailbox *mb = base;

	(void)dst;
	free(mb->move_folder);
	mb->move_folder = NULL;
	if (strcmp(s, "seen") == 0)
		mb->processed = SD_PROC_SEEN;
	else if (strcmp(s, "delete") == 0)
		mb->processed = SD_PROC_DELETE;
	else if (strncmp(s, "move:", 5) == 0 && s[5] != '\0') {
		mb->processed = SD_PROC_MOVE;
		mb->move_folder = xstrdup(s + 5);
	} else if (strcmp(s, "move:") == 0)
		return xstrdup("\"move:\" needs a folder: \"move:FOLDER\"");
	else
		return xasprintf("unknown value \"%.80s\" (use seen, delete, "
		    "move:FOLDER)", s);
	return NULL;
}

/* Names that end up in logs, subjects and the database: one word. */
static char *
parse_word(const char *s, void *dst, void *base)
{
	size_t len = strlen(s);

	(void)base;
	if (len == 0)
		return xstrdup("must not be empty");
	if (len > 64)
		return xstrdup("longer than 64 characters");
	for (const char *p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._-", *p) == NULL)
			return xasprintf("bad name \"%.80s\" (use letters, "
			    "digits, '.', '_' and '-')", s);
	free(*(char **)dst);
	*(char **)dst = xstrdup(s);
	return NULL;
}

/* https://, or http:// to a loopback host (test pagers). */
static char *
parse_webhook(const char *s, void *dst, void *base)
{
	char	*host;
	bool	 ok;

	(void)base;
	if ((host = url_host(s, "https://")) != NULL)
		ok = *host != '\0';
	else if ((host = url_host(s, "http://")) != NULL)
		ok = conf_host_is_loopback(host);
	else
		ok = false;
	free(host);
	if (!ok)
		return xasprintf("bad webhook URL \"%.80s\" (use https://; "
		    "http:// only to a loopback host)", s);
	free(*(char **)dst);
	*(char **)dst = xstrdup(s);
	return NULL;
}

/* Where the metrics are served: an address, not a name (nothing is
 * looked up to bind). */
static char *
parse_listen(const char *s, void *dst, void *base)
{
	struct sockaddr_storage	ss;
	socklen_t		len;

	(void)base;
	if (conf_listen_addr(s, &ss, &len) == -1)
		return xasprintf("bad listen address \"%.80s\" (use ADDRESS:PORT"
		    " with an IP address: 127.0.0.1:9469, [::1]:9469)", s);
	free(*(char **)dst);
	*(char **)dst = xstrdup(s);
	return NULL;
}

/* Metrics name mailboxes and counts, no addresses; still, serving them
 * beyond this host is a choice to make knowingly. */
static void
check_metrics(struct ctx *cx, const config_setting_t *grp, void *base,
    const char *path)
{
	const struct sd_conf	*c = base;
	const char		*colon;
	char			*host;

	/* Given, the group is for serving: say where. */
	if (grp != NULL && c->metrics_listen == NULL &&
	    conf_member(grp, "listen") == NULL)
		conf_error_at(cx, grp, path, "listen", "required setting "
		    "missing");
	if (c->metrics_listen == NULL ||
	    (colon = strrchr(c->metrics_listen, ':')) == NULL)
		return;
	host = xstrndup(c->metrics_listen, (size_t)(colon - c->metrics_listen));
	if (!conf_host_is_loopback(host))
		conf_warning(cx, conf_member(grp, "listen"), path, "listen %s "
		    "serves the metrics beyond this host", host);
	free(host);
}

/* The host of scheme://host[:port][/...], brackets kept; NULL when url
 * is not of that scheme.  Caller owns. */
static char *
url_host(const char *url, const char *scheme)
{
	const char	*h, *end;
	size_t		 n = strlen(scheme);

	if (url == NULL || strncasecmp(url, scheme, n) != 0)
		return NULL;
	h = url + n;
	if (*h == '[' && (end = strchr(h, ']')) != NULL)
		end++;
	else
		end = h + strcspn(h, ":/?#");
	return xstrndup(h, (size_t)(end - h));
}

/*
 * Checks across settings.
 */

static void
warn_inline_password(struct ctx *cx, const config_setting_t *grp,
    const char *path)
{
	config_setting_t	*pw = conf_member(grp, "password");
	char			*ppath;

	if (pw == NULL || !conf_file_open_to_others(cx, pw))
		return;
	ppath = conf_path_join(path, "password");
	conf_warning(cx, pw, ppath, "password inline in a file others can "
	    "read; use password_file");
	free(ppath);
}

/* Whether a provider's URL may be used: https, or http to this host. */
static bool
token_url_ok(const char *url)
{
	char	*host;
	bool	 ok = false;

	if ((host = url_host(url, "https://")) != NULL)
		ok = *host != '\0';
	else if ((host = url_host(url, "http://")) != NULL)
		ok = conf_host_is_loopback(host);
	free(host);
	return ok;
}

/* A Microsoft tenant goes into the token URL: a GUID or a domain. */
static bool
tenant_ok(const char *t)
{
	return *t != '\0' && strlen(t) <= 253 &&
	    strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-") == strlen(t);
}

/* SPEC §15.1: the provider presets, and what each grant needs. */
static void
check_oauth2(struct ctx *cx, const config_setting_t *grp, void *base,
    const char *path)
{
	struct sd_conf_oauth2	*o = base;
	bool			 grant_given = conf_member(grp, "grant") != NULL;

	if (grp == NULL)
		return;
	switch (o->provider) {
	case SD_OAUTH_MICROSOFT:
		if (o->tenant == NULL) {
			conf_error(cx, grp, path, "tenant required with "
			    "provider = \"microsoft\" (the directory ID or "
			    "domain)");
			break;
		}
		if (!tenant_ok(o->tenant)) {
			conf_error_at(cx, grp, path, "tenant", "\"%.80s\" is "
			    "not a directory ID or domain", o->tenant);
			break;
		}
		if (o->token_url == NULL)
			o->token_url = xasprintf("https://login."
			    "microsoftonline.com/%s/oauth2/v2.0/token",
			    o->tenant);
		if (o->device_url == NULL)
			o->device_url = xasprintf("https://login."
			    "microsoftonline.com/%s/oauth2/v2.0/devicecode",
			    o->tenant);
		if (o->grant == SD_GRANT_JWT_BEARER)
			conf_error_at(cx, grp, path, "grant", "jwt_bearer is "
			    "Google's service-account grant; Microsoft 365 "
			    "takes client_credentials or refresh_token");
		if (o->scope == NULL)
			o->scope = xstrdup(o->grant == SD_GRANT_REFRESH_TOKEN ?
			    "https://outlook.office365.com/IMAP.AccessAsUser.All "
			    "https://outlook.office365.com/SMTP.Send "
			    "offline_access" :
			    "https://outlook.office365.com/.default");
		break;
	case SD_OAUTH_GOOGLE:
		if (o->token_url == NULL)
			o->token_url = xstrdup("https://oauth2.googleapis.com/"
			    "token");
		if (o->device_url == NULL)
			o->device_url = xstrdup("https://oauth2.googleapis.com/"
			    "device/code");
		/* A service-account key means domain-wide delegation. */
		if (!grant_given)
			o->grant = o->key_file != NULL ? SD_GRANT_JWT_BEARER :
			    SD_GRANT_REFRESH_TOKEN;
		if (o->scope == NULL)
			o->scope = xstrdup("https://mail.google.com/");
		break;
	case SD_OAUTH_GENERIC:
		if (o->token_url == NULL)
			conf_error(cx, grp, path, "token_url required with "
			    "provider = \"generic\"");
		break;
	}
	if (o->token_url != NULL && !token_url_ok(o->token_url))
		conf_error_at(cx, grp, path, "token_url", "\"%.80s\" is "
		    "neither https:// nor http:// to this host", o->token_url);
	if (o->device_url != NULL && !token_url_ok(o->device_url))
		conf_error_at(cx, grp, path, "device_url", "\"%.80s\" is "
		    "neither https:// nor http:// to this host", o->device_url);
	switch (o->grant) {
	case SD_GRANT_CLIENT_CREDENTIALS:
		if (o->client_id == NULL || o->client_secret_file == NULL)
			conf_error(cx, grp, path, "grant \"client_credentials\" "
			    "needs client_id and client_secret_file");
		break;
	case SD_GRANT_REFRESH_TOKEN:
		if (o->client_id == NULL)
			conf_error(cx, grp, path, "grant \"refresh_token\" "
			    "needs client_id");
		break;
	case SD_GRANT_JWT_BEARER:
		if (o->key_file == NULL)
			conf_error(cx, grp, path, "grant \"jwt_bearer\" needs "
			    "key_file (the service account's JSON key)");
		break;
	}
	if (o->subject != NULL && o->grant != SD_GRANT_JWT_BEARER)
		conf_error_at(cx, grp, path, "subject", "only jwt_bearer acts "
		    "for a subject");
	if (o->key_file != NULL && o->grant != SD_GRANT_JWT_BEARER)
		conf_error_at(cx, grp, path, "key_file", "only jwt_bearer "
		    "signs with a key");
}

/*
 * auth = "oauth2" wants the oauth2 group and no password; a jwt_bearer
 * acts for the login's user unless told otherwise.  Whether the login
 * is OAuth2's.
 */
static bool
check_auth(struct ctx *cx, const config_setting_t *grp, const char *path,
    enum sd_auth auth, struct sd_conf_oauth2 *o, const char *user)
{
	bool has = conf_member(grp, "oauth2") != NULL;

	if (auth != SD_AUTH_OAUTH2) {
		if (has)
			conf_error_at(cx, grp, path, "oauth2", "needs auth = "
			    "\"oauth2\"");
		return false;
	}
	if (!has)
		conf_error(cx, grp, path, "oauth2 { ... } required with "
		    "auth = \"oauth2\"");
	if (conf_member(grp, "password") != NULL ||
	    conf_member(grp, "password_file") != NULL)
		conf_error_at(cx, grp, path, conf_member(grp, "password") ?
		    "password" : "password_file", "auth = \"oauth2\" logs in "
		    "with a token, not a password");
	if (has && o->grant == SD_GRANT_JWT_BEARER && o->subject == NULL &&
	    user != NULL)
		o->subject = xstrdup(user);
	return true;
}

static void
check_imap(struct ctx *cx, const config_setting_t *grp, void *base,
    const char *path)
{
	struct sd_conf_imap *im = base;

	if (conf_member(grp, "port") == NULL)
		im->port = im->tls == SD_TLS_IMAPS ? 993 : 143;
	if (grp == NULL)
		return;		/* reported as missing */
	if (check_auth(cx, grp, path, im->auth, &im->oauth2, im->user))
		;	/* no password */
	else if (im->password != NULL && im->password_file != NULL)
		conf_error_at(cx, grp, path, "password_file",
		    "give password or password_file, not both");
	else if (conf_member(grp, "password") == NULL &&
	    conf_member(grp, "password_file") == NULL)
		conf_error(cx, grp, path, "password_file (or password) "
		    "required");
	if (im->tls == SD_TLS_NONE && im->host != NULL &&
	    !conf_host_is_loopback(im->host) && !im->allow_plaintext)
		conf_error_at(cx, grp, path, "tls", "\"none\" would send the "
		    "password in clear to %.80s; use imaps or starttls, or "
		    "set allow_plaintext = true", im->host);
	warn_inline_password(cx, grp, path);
}

static void
check_mailbox(struct ctx *cx, const config_setting_t *grp, void *base,
    const char *path)
{
	struct sd_conf_mailbox	*mb = base;
	const char		*f = mb->imap.folder, *to = mb->move_folder;

	if (mb->display_name == NULL && mb->name != NULL)
		mb->display_name = xstrdup(mb->name);
	/* supportctl oauth names the SMTP login "smtp". */
	if (mb->imap.auth == SD_AUTH_OAUTH2 && mb->name != NULL &&
	    strcmp(mb->name, "smtp") == 0)
		conf_error_at(cx, grp, path, "name", "\"smtp\" is the SMTP "
		    "login's name in supportctl oauth; name the mailbox "
		    "otherwise");
	/* Moving mail into the folder it is read from leaves it there to
	 * be fetched again, forever.  INBOX is INBOX in any case. */
	if (mb->processed == SD_PROC_MOVE && f != NULL && to != NULL &&
	    (strcmp(f, to) == 0 || (strcasecmp(f, "INBOX") == 0 &&
	    strcasecmp(to, "INBOX") == 0)))
		conf_error_at(cx, grp, path, "processed", "\"move:%.80s\" is "
		    "the folder the mail is read from; name another one", to);
	thread_note_free(&mb->note);
	mb->note = thread_note_compile(mb->reply_address, mb->address);
	if (mb->reply_address != NULL) {
		/* What it makes must be a plain address, or the notices
		 * would go out without a Reply-To. */
		char *sample = thread_note_format(mb->note, 1,
		    "0123456789abcdef");

		if (sample == NULL || !sd_addr_plain(sample))
			conf_error_at(cx, grp, path, "reply_address", "needs "
			    "\"{ticket}\" then \"{token}\", once each, apart, "
			    "in a plain address (\"notes+{ticket}-{token}@"
			    "vendor.example\")");
		free(sample);
	}
}

static void
check_smtp(struct ctx *cx, const config_setting_t *grp, void *base,
    const char *path)
{
	struct sd_conf_smtp	*sm = base;
	char			*host = NULL;
	bool			 smtps = false;
	char			*tpath;

	if (grp == NULL || sm->url == NULL)
		return;		/* reported as missing */
	if ((host = url_host(sm->url, "smtps://")) != NULL)
		smtps = true;
	else
		host = url_host(sm->url, "smtp://");
	if (host == NULL || *host == '\0') {
		conf_error_at(cx, grp, path, "url", "bad URL \"%.80s\" (use "
		    "smtp://HOST:PORT or smtps://HOST:PORT)", sm->url);
		goto out;
	}
	if (conf_member(grp, "tls") == NULL)
		sm->tls = smtps ? SD_TLS_IMAPS : SD_TLS_STARTTLS;
	else if (smtps && sm->tls != SD_TLS_IMAPS)
		conf_error_at(cx, grp, path, "tls", "an smtps:// URL needs "
		    "tls = \"smtps\"");
	else if (!smtps && sm->tls == SD_TLS_IMAPS)
		conf_error_at(cx, grp, path, "tls", "tls = \"smtps\" needs an "
		    "smtps:// URL");
	if (sm->tls == SD_TLS_NONE && !conf_host_is_loopback(host)) {
		/* No allow_plaintext here (§12 names are fixed): a warning. */
		tpath = conf_path_join(path, "tls");
		conf_warning(cx, conf_member(grp, "tls"), tpath, "mail%s goes "
		    "to %.80s in clear", sm->user ? ", and the password," : "",
		    host);
		free(tpath);
	}
 out:
	free(host);
	if (check_auth(cx, grp, path, sm->auth, &sm->oauth2, sm->user)) {
		if (sm->user == NULL)
			conf_error(cx, grp, path, "user required with auth = "
			    "\"oauth2\" (the mailbox the token is for)");
	} else if (sm->password != NULL && sm->password_file != NULL)
		conf_error_at(cx, grp, path, "password_file",
		    "give password or password_file, not both");
	else if (sm->user != NULL && sm->password == NULL &&
	    sm->password_file == NULL)
		conf_error_at(cx, grp, path, "user", "user needs "
		    "password_file (or password)");
	else if (sm->user == NULL &&
	    (sm->password != NULL || sm->password_file != NULL))
		conf_error_at(cx, grp, path, sm->password ? "password" :
		    "password_file", "a password needs a user");
	warn_inline_password(cx, grp, path);
}

/* holidays_ics: read now, so a reload reads it again; its dates join
 * holidays.  Only a regular file, and at most 4M of it: a FIFO or a
 * device named by mistake must not hang or fill the daemon on reload. */
static void
read_ics(struct ctx *cx, const config_setting_t *grp, const char *path,
    struct sd_conf_calendar *cal)
{
	const size_t	 max = 4 * KB * KB;
	struct stat	 st;
	GString		*text = g_string_new(NULL);
	char		 buf[65536], *problem = NULL;
	const char	*why;
	ssize_t		 n = 0;
	int		 fd, line = 0;

	if ((fd = conf_open_regular(cal->holidays_ics, &st, &why)) == -1) {
		conf_error_at(cx, grp, path, "holidays_ics", "cannot read %s: "
		    "%s", cal->holidays_ics, why);
		goto out;
	}
	while (text->len <= max &&
	    ((n = read(fd, buf, sizeof(buf))) > 0 || (n == -1 &&
	    errno == EINTR)))
		if (n > 0)
			g_string_append_len(text, buf, n);
	if (n == -1)
		conf_error_at(cx, grp, path, "holidays_ics", "cannot read %s: "
		    "%s", cal->holidays_ics, strerror(errno));
	else if (text->len > max)
		conf_error_at(cx, grp, path, "holidays_ics", "%s: larger than "
		    "4M", cal->holidays_ics);
	else if (conf_ical_dates(text->str, text->len, &cal->holidays, &line,
	    &problem) == -1) {
		conf_error_at(cx, grp, path, "holidays_ics", "%s:%d: %s",
		    cal->holidays_ics, line, problem);
		free(problem);
	}
 out:
	if (fd != -1)
		close(fd);
	g_string_free(text, TRUE);
}

static void
check_calendar(struct ctx *cx, const config_setting_t *grp, void *base,
    const char *path)
{
	static const char *const unused[] = { "days", "open", "close",
	    "holidays", "holidays_ics" };
	struct sd_conf_calendar *cal = base;

	if (cal->always) {
		/* 24x7 has no hours to give; "Mon-Fri around the clock" is
		 * days with open = "00:00" and close = "24:00". */
		for (size_t i = 0; i < nitems(unused); i++)
			if (conf_member(grp, unused[i]) != NULL)
				conf_error_at(cx, grp, path, unused[i],
				    "always = true is open at every hour of "
				    "every day; drop %s (or always, and give "
				    "open = \"00:00\"; close = \"24:00\")",
				    unused[i]);
		return;
	}
	/* close < open is hours across midnight (22:00-06:00). */
	if (cal->open == 24 * 60)
		conf_error_at(cx, grp, path, "open", "open 24:00 is the next "
		    "day's 00:00; write that");
	else if (cal->open == cal->close)
		conf_error_at(cx, grp, path, "close", "close is open (%02d:%02d):"
		    " for a whole day write open = \"00:00\"; close = "
		    "\"24:00\", for 24x7 always = true", cal->open / 60,
		    cal->open % 60);
	if (cal->holidays_ics != NULL)
		read_ics(cx, grp, path, cal);
}

/* tier.oncall: priority names; absent, C1 (SPEC §14.2). */
static void
read_oncall(struct ctx *cx, const config_setting_t *s, void *base,
    const char *path)
{
	struct sd_conf_tier	*t = base;
	config_setting_t	*e;
	int			 p;

	memset(t->oncall, 0, sizeof(t->oncall));
	if (s == NULL) {
		t->oncall[SD_PRIO_TOP] = true;
		return;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_error(cx, s, path, "expected priority names "
		    "[ \"%s\", ... ] (or [ ] for none)",
		    conf_prio_name(cx->conf, SD_PRIO_TOP));
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING ||
		    (p = conf_prio_index(cx->conf,
		    config_setting_get_string(e))) < 0) {
			char *epath = conf_path_index(path, (unsigned)i);
			char *names = conf_prio_names(cx->conf);

			conf_error(cx, e, epath, "expected a priority (%s)",
			    names);
			free(names);
			free(epath);
		} else
			t->oncall[p] = true;
	}
}

static void
check_priority(struct ctx *cx, const config_setting_t *grp, void *base,
    const char *path)
{
	struct sd_conf_priority *pr = base;

	/* "1h" is measured on `clock`; "4bh"/"1bd" are business time by
	 * their unit, which must not contradict clock = "wall". */
	if (pr->clock == SD_CLOCK_WALL &&
	    (pr->escalation_window.kind == SD_DUR_BH ||
	    pr->escalation_window.kind == SD_DUR_BD))
		conf_error_at(cx, grp, path, "escalation_window", "business "
		    "time, but clock is \"wall\"");
}

static void
unknown_calendar(struct ctx *cx, const config_setting_t *grp,
    const char *path, const char *name)
{
	const struct sd_conf	*c = cx->conf;
	GString			*names = g_string_new("business");

	for (size_t i = 0; i < c->ncalendars; i++)
		if (c->calendars[i].name != NULL)
			g_string_append_printf(names, ", %s",
			    c->calendars[i].name);
	conf_error_at(cx, grp, path, "calendar", "unknown calendar \"%s\" "
	    "(calendars: %s)", name, names->str);
	g_string_free(names, TRUE);
}

/* Names are unique; one named "business" is the §12 `calendar`, so the
 * file gives one or the other. */
static void
check_calendars(struct ctx *cx, const config_setting_t *root,
    struct sd_conf *c)
{
	config_setting_t	*list = conf_member(root, "calendars");
	char			*epath;

	for (size_t i = 0; i < c->ncalendars; i++) {
		const char *name = c->calendars[i].name;

		if (name == NULL)
			continue;
		epath = conf_path_index("calendars", (unsigned)i);
		for (size_t j = 0; j < i; j++)
			if (c->calendars[j].name != NULL &&
			    strcmp(c->calendars[j].name, name) == 0) {
				conf_error_at(cx, conf_elem(list, (unsigned)i),
				    epath, "name", "duplicate calendar name "
				    "\"%s\"", name);
				break;
			}
		if (strcmp(name, "business") == 0 &&
		    conf_member(root, "calendar") != NULL)
			conf_error_at(cx, conf_elem(list, (unsigned)i), epath,
			    "name", "\"business\" is the calendar given by "
			    "`calendar`; give it once");
		free(epath);
	}
	/* calendars' "business" takes the place of the default one. */
	for (size_t i = 0; i < c->ncalendars && cx->nerr == 0; i++)
		if (strcmp(c->calendars[i].name, "business") == 0) {
			struct sd_conf_calendar def = c->calendar;

			c->calendar = c->calendars[i];
			memmove(&c->calendars[i], &c->calendars[i + 1],
			    (c->ncalendars - i - 1) * sizeof(*c->calendars));
			c->ncalendars--;
			conf_calendar_clear(&def);
			break;
		}
}

static void
check_root(struct ctx *cx, const config_setting_t *root, void *base,
    const char *path)
{
	struct sd_conf		*c = base;
	config_setting_t	*list, *e, *d;
	char			*epath, *dpath, *names;

	(void)path;

	list = conf_member(root, "mailboxes");
	for (size_t i = 0; i < c->nmailboxes; i++) {
		for (size_t j = 0; j < i; j++) {
			if (c->mailboxes[i].name == NULL ||
			    c->mailboxes[j].name == NULL ||
			    strcmp(c->mailboxes[i].name,
			    c->mailboxes[j].name) != 0)
				continue;
			epath = conf_path_index("mailboxes", (unsigned)i);
			conf_error_at(cx, conf_elem(list, (unsigned)i), epath,
			    "name", "duplicate mailbox name \"%s\"",
			    c->mailboxes[i].name);
			free(epath);
			break;
		}
	}

	check_calendars(cx, root, c);

	{
		const struct sd_strv	*mk = &c->priorities[SD_PRIO_TOP].markers;
		GString			*gs = g_string_new(NULL);

		for (size_t i = 0; i < mk->n; i++)
			g_string_append_printf(gs, "%s\"%s\"", i == 0 ? "" :
			    i + 1 < mk->n ? ", " : " or ", mk->v[i]);
		free(c->urgent_markers);
		c->urgent_markers = g_string_free(gs, FALSE);
	}

	/* The built-in update target, wherever it was inherited. */
	for (size_t i = 0; i < c->ntiers; i++)
		for (int p = 0; p < SD_MAXPRIO; p++)
			if (c->tiers[i].update[p].n == DUR_C1_UPDATE)
				c->tiers[i].update[p].n = c->c1_update_interval;

	list = conf_member(root, "tiers");
	for (size_t i = 0; i < c->ntiers && list != NULL; i++)
		if (c->tiers[i].calendar != NULL && c->tiers[i].name != NULL &&
		    conf_calendar(c, c->tiers[i].calendar) == NULL) {
			epath = conf_path_index("tiers", (unsigned)i);
			unknown_calendar(cx, conf_elem(list, (unsigned)i), epath,
			    c->tiers[i].calendar);
			free(epath);
		}

	list = conf_member(root, "organizations");
	for (size_t i = 0; i < c->norgs; i++) {
		struct sd_conf_org *o = &c->orgs[i];

		e = conf_elem(list, (unsigned)i);
		epath = conf_path_index("organizations", (unsigned)i);
		for (size_t j = 0; j < i && o->name != NULL; j++)
			if (c->orgs[j].name != NULL &&
			    strcmp(c->orgs[j].name, o->name) == 0) {
				conf_error_at(cx, e, epath, "name", "duplicate "
				    "organization name \"%s\"", o->name);
				break;
			}
		if (o->tier != NULL && conf_tier(c, o->tier) == NULL) {
			names = xstrdup("");
			for (size_t t = 0; t < c->ntiers; t++) {
				char *n2 = xasprintf("%s%s%s", names,
				    t ? ", " : "", c->tiers[t].name ?
				    c->tiers[t].name : "?");
				free(names);
				names = n2;
			}
			conf_error_at(cx, e, epath, "tier", "unknown tier "
			    "\"%s\" (tiers: %s)", o->tier, names);
			free(names);
		}
		if (o->calendar != NULL && conf_calendar(c, o->calendar) == NULL)
			unknown_calendar(cx, e, epath, o->calendar);
		for (int l = c->nlevels; l < SD_MAXLEVEL; l++)
			if (o->contacts[l] != NULL) {
				char key[16];

				snprintf(key, sizeof(key), "level%d", l + 1);
				dpath = conf_path_join(epath, "contacts");
				conf_error_at(cx, conf_member(e, "contacts"),
				    dpath, key, "the escalation ladder has %d "
				    "levels", c->nlevels);
				free(dpath);
			}
		/* A domain names one organization, or lookups would depend
		 * on the order of the file. */
		d = conf_member(e, "domains");
		for (size_t k = 0; k < o->domains.n; k++) {
			const char	*dom = o->domains.v[k];
			const char	*owner = NULL;

			for (size_t j = 0; j < i && owner == NULL; j++)
				if (strv_contains_ci(&c->orgs[j].domains, dom))
					owner = c->orgs[j].name;
			for (size_t l = 0; l < k && owner == NULL; l++)
				if (strcmp(o->domains.v[l], dom) == 0)
					owner = o->name;
			if (owner == NULL)
				continue;
			dpath = xasprintf("%s.domains.[%zu]", epath, k);
			conf_error(cx, conf_elem(d, (unsigned)k), dpath,
			    "domain \"%s\" already belongs to organization "
			    "\"%s\"", dom, owner ? owner : "?");
			free(dpath);
		}
		free(epath);
	}

	if (c->agents.n > 0 && c->agents_require_auth &&
	    c->trusted_authserv_id == NULL)
		conf_warning(cx, conf_member(root, "agents"), "agents",
		    "agents_require_auth is on but trusted_authserv_id is not "
		    "set: no agent command sent by mail will be applied");
}
