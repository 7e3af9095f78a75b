/* SPDX-License-Identifier: MIT */
/*
 * robot.c - automatic-mail detection, SPEC §3.7.  Headers first (they are
 * what RFC 3834 robots set); the subject heuristics only for mail that
 * carries none of those headers, because many real auto-responders set
 * no header at all.
 */
#include <string.h>

#include <glib.h>

#include "supportd/robot.h"

/* Local parts that only machines send from. */
static const char *const robot_locals[] = {
	"mailer-daemon", "mail-daemon", "postmaster", "post_master",
	"post-master", "noreply", "no-reply",
	"no_reply", "donotreply", "do-not-reply", "do_not_reply", "bounce",
	"bounces", "autoreply", "auto-reply", "autoresponder", "listserv",
	"majordomo", "mailman",
};
/* Suffixes of list and bounce addresses ("foo-bounces+x", "list-owner"). */
static const char *const robot_local_parts[] = {
	"-bounces", "-bounce", "-owner", "+owner", "-request", "owner-",
	"bounces+", "noreply", "no-reply",
};
/* Subjects auto-responders use, matched at the start, case-insensitive. */
static const char *const robot_subject_prefix[] = {
	"automatic reply:", "auto:", "autoreply:", "auto-reply:", "auto reply",
	"auto response", "automatische antwort", "réponse automatique",
	"out of office", "undeliverable:", "undelivered mail returned to sender",
	"delivery status notification", "returned mail:",
	"mail delivery failed", "delivery failure", "failure notice",
	"read:", "read receipt", "delivery notification",
};
/* ...and anywhere in it. */
static const char *const robot_subject_anywhere[] = {
	"out of office", "out of the office", "is away", "on vacation",
	"autoreply", "auto-reply", "automatic reply",
};

bool
robot_local_part(const char *addr)
{
	const char	*at;
	char		*local;
	bool		 robot = false;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return false;
	local = g_ascii_strdown(addr, at - addr);
	for (size_t i = 0; !robot && i < G_N_ELEMENTS(robot_locals); i++)
		robot = strcmp(local, robot_locals[i]) == 0;
	for (size_t i = 0; !robot && i < G_N_ELEMENTS(robot_local_parts); i++)
		robot = strstr(local, robot_local_parts[i]) != NULL;
	g_free(local);
	return robot;
}

/*
 * Request Tracker writes its own Message-IDs, "rt-4.2.8-6644-1530017064-
 * 1465.33575-215-0@host", on every mail it generates (auto-replies,
 * "Resolved:" notices), and often no other marker: two ticket systems
 * answering each other would loop.  A person's mail client never makes
 * such an id, even when replying to RT.
 */
static bool
msgid_is_ticket_system(const char *id)
{
	if (id == NULL || g_ascii_strncasecmp(id, "rt-", 3) != 0)
		return false;
	id += 3;
	if (!g_ascii_isdigit(*id))
		return false;
	while (g_ascii_isdigit(*id) || *id == '.')
		id++;
	return *id == '-';
}

static bool
subject_is_robot(const char *subject)
{
	gchar	*s;
	bool	 robot = false;

	if (subject == NULL)
		return false;
	while (g_ascii_isspace(*subject))
		subject++;
	/* Unicode lower-casing was most of robot_reason (benchmark); an
	 * ASCII subject lower-cases the same byte by byte. */
	s = g_str_is_ascii(subject) ? g_ascii_strdown(subject, -1) :
	    g_utf8_strdown(subject, -1);
	for (size_t i = 0; !robot && i < G_N_ELEMENTS(robot_subject_prefix); i++)
		robot = g_str_has_prefix(s, robot_subject_prefix[i]);
	for (size_t i = 0; !robot && i < G_N_ELEMENTS(robot_subject_anywhere); i++)
		robot = strstr(s, robot_subject_anywhere[i]) != NULL;
	g_free(s);
	return robot;
}

/* "Auto-Submitted: no" (possibly with parameters) is a person's mail. */
static bool
auto_submitted_is_robot(const char *v)
{
	while (g_ascii_isspace(*v))
		v++;
	if (g_ascii_strncasecmp(v, "no", 2) == 0 &&
	    (v[2] == '\0' || v[2] == ';' || g_ascii_isspace(v[2])))
		return false;
	return *v != '\0';
}

static bool
precedence_is_robot(const char *v)
{
	static const char *const prec[] = { "bulk", "junk", "list",
	    "auto_reply", "auto-reply" };
	gchar	*s = g_ascii_strdown(v, -1);
	bool	 robot = false;

	g_strstrip(s);
	for (size_t i = 0; !robot && i < G_N_ELEMENTS(prec); i++)
		robot = strcmp(s, prec[i]) == 0;
	g_free(s);
	return robot;
}

const char *
robot_reason(const struct sd_mail *m)
{
	if (m->auto_submitted != NULL && auto_submitted_is_robot(m->auto_submitted))
		return "auto-submitted";
	if (m->precedence != NULL && precedence_is_robot(m->precedence))
		return "precedence";
	if (m->has_list_id || m->has_list_unsubscribe)
		return "list";
	if (m->has_x_autoreply || m->has_x_autorespond ||
	    m->has_x_auto_response_suppress)
		return "x-autoreply";
	if (m->return_path != NULL && strstr(m->return_path, "<>") != NULL)
		return "null-sender";
	if (robot_local_part(m->from.addr))
		return "robot-sender";
	if (msgid_is_ticket_system(m->message_id))
		return "ticket-system";
	if (m->content_type != NULL &&
	    g_ascii_strcasecmp(m->content_type, "multipart/report") == 0)
		return "report";
	if (subject_is_robot(m->subject))
		return "subject";
	return NULL;
}

bool
robot_is_bounce(const struct sd_mail *m)
{
	static const char *const words[] = { "undeliver", "delivery status",
	    "returned mail", "delivery failed", "delivery failure",
	    "failure notice", "mail delivery", "non-delivery", "delayed mail",
	    "delivery delayed" };
	gchar	*s;
	bool	 bounce = false;

	/* A read receipt or a spam complaint is a report, not a bounce. */
	if (m->content_type != NULL &&
	    g_ascii_strcasecmp(m->content_type, "multipart/report") == 0)
		return m->report_type == NULL ||
		    strcmp(m->report_type, "delivery-status") == 0;
	if (m->from.addr != NULL) {
		s = g_ascii_strdown(m->from.addr, -1);
		bounce = g_str_has_prefix(s, "mailer-daemon@") ||
		    g_str_has_prefix(s, "postmaster@") ||
		    g_str_has_prefix(s, "post_master@") ||
		    g_str_has_prefix(s, "mail-daemon@");
		g_free(s);
		if (bounce)
			return true;
	}
	s = g_utf8_strdown(m->subject ? m->subject : "", -1);
	for (size_t i = 0; !bounce && i < G_N_ELEMENTS(words); i++)
		bounce = strstr(s, words[i]) != NULL;
	g_free(s);
	return bounce;
}
