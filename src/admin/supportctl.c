/* SPDX-License-Identifier: MIT */
/*
 * supportctl.c - the agents' and administrators' tool (SPEC §9).  A
 * command table in notmuch style: each command parses its own options
 * and talks to the database only through the store API, on its own
 * connection (WAL and the busy timeout make that safe beside supportd).
 * Exit codes come from sysexits.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "supportctl.h"
#include "supportd/conf.h"
#include "supportd/ingest.h"
#include "supportd/log.h"
#include "supportd/mail.h"
#include "supportd/oauth.h"
#include "supportd/outbox.h"
#include "supportd/sla.h"
#include "supportd/store.h"
#include "supportd/thread.h"
#include "supportd/tmpl.h"

enum needs { N_CONF = 0, N_STORE, N_INGEST };

struct command {
	const char	*name;
	int		(*fn)(struct ctx *, int, char **);
	enum needs	 needs;
	unsigned	 opts;		/* O_*: the options it takes */
	const char	*args;
	const char	*help;
};

static int cmd_check_config(struct ctx *, int, char **);
static int cmd_list(struct ctx *, int, char **);
static int cmd_show(struct ctx *, int, char **);
static int cmd_search(struct ctx *, int, char **);
static int cmd_attachment(struct ctx *, int, char **);
static int cmd_raw(struct ctx *, int, char **);
static int cmd_outbox(struct ctx *, int, char **);
static int cmd_templates(struct ctx *, int, char **);
static int cmd_set(struct ctx *, int, char **);
static int cmd_reply(struct ctx *, int, char **);
static int cmd_merge(struct ctx *, int, char **);
static int cmd_participants(struct ctx *, int, char **);
static int cmd_quarantine(struct ctx *, int, char **);
int cmd_report(struct ctx *, int, char **);
int cmd_oauth(struct ctx *, int, char **);
int cmd_status(struct ctx *, int, char **);
static int cmd_tick(struct ctx *, int, char **);
static int cmd_help(struct ctx *, int, char **);

static const struct command commands[] = {
	{ "check-config", cmd_check_config, N_CONF, 0, "",
	  "check the configuration and the templates; exit 0 or 78" },
	{ "list", cmd_list, N_STORE, O_STATUS | O_PRIORITY | O_SINCE |
	  O_FILTER | O_LIMIT | O_JSON, "[--status S] [--priority P] [filters] [--json]",
	  "list tickets (filters: --assignee A|none --org O --tier T "
	  "--category C --since T --due-before T --breached --sort "
	  "due|created|updated --limit N)" },
	{ "search", cmd_search, N_STORE, O_LIMIT | O_JSON,
	  "WORDS... [--limit N] [--json]",
	  "tickets whose mail has every word, best first, with a snippet" },
	{ "show", cmd_show, N_STORE, O_JSON, "ID [--json]",
	  "show a ticket with its messages and events" },
	{ "attachment", cmd_attachment, N_STORE, O_OUTPUT,
	  "ID MSG N [-o FILE|-]",
	  "write attachment N of mail MSG (default: as its name, here)" },
	{ "raw", cmd_raw, N_STORE, 0, "ID MSG",
	  "write mail MSG of ticket ID as it came, to standard output" },
	{ "set", cmd_set, N_INGEST, O_BY | O_JSON,
	  "ID status|priority|category|assignee|due VALUE [--by EMAIL] [--json]",
	  "change a ticket; every change is an event (due: a time or none)" },
	{ "reply", cmd_reply, N_INGEST, O_FILE | O_BY | O_INTERNAL | O_ATTACH,
	  "ID --file F|- [--attach FILE]... [--by EMAIL] [--internal]",
	  "queue a reply to the requester (or an internal note)" },
	{ "participants", cmd_participants, N_INGEST, O_BY | O_JSON,
	  "ID [add|remove ADDR] [--by EMAIL] [--json]",
	  "list a ticket's people; add or remove one (copied on replies)" },
	{ "merge", cmd_merge, N_INGEST, O_BY | O_JSON,
	  "FROM INTO [--by EMAIL] [--json]",
	  "move FROM's mail into INTO and close FROM as its duplicate" },
	{ "tick", cmd_tick, N_INGEST, 0, "[--now T]",
	  "run due timers (escalation, reminders, auto-close), flush the outbox" },
	{ "report", cmd_report, N_INGEST, O_SINCE | O_JSON | O_BY | O_FORMAT,
	  "[--since DATE] [--by tier|org] [--format text|json|csv|html] [--json]",
	  "SLA compliance per priority and tier" },
	{ "outbox", cmd_outbox, N_STORE, O_ALL | O_JSON, "[--all] [--json]",
	  "queued and failed outgoing mail (--all: sent too)" },
	{ "quarantine", cmd_quarantine, N_STORE, O_JSON, "[--json]",
	  "mails that could not be processed, with the reason" },
	{ "status", cmd_status, N_STORE, O_JSON, "[--json]",
	    "is every mailbox alive? (exit 1: something is down)" },
	{ "oauth", cmd_oauth, N_STORE, O_JSON | O_FILE,
	    "login MAILBOX|smtp [--file TOKEN] | status [--json]",
	    "OAuth2: sign a login in (device code), or show the tokens' state" },
	{ "templates", cmd_templates, N_CONF, O_TICKET, "check | preview NAME [--ticket ID]",
	  "check every template; print one as it would be sent" },
	{ "help", cmd_help, N_CONF, 0, "[COMMAND]", "this help" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: supportctl -c FILE [--now ISO8601] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < nitems(commands); i++)
		fprintf(f, "  %-13s %-38s %s\n", commands[i].name,
		    commands[i].args, commands[i].help);
}

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < nitems(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
cmd_help(struct ctx *cx, int argc, char **argv)
{
	const struct command *c;

	if (argc > 1 && (c = find_command(argv[1])) != NULL) {
		printf("usage: supportctl -c FILE %s %s\n\n%s\n", c->name,
		    c->args, c->help);
		return 0;
	}
	usage(stdout);
	return 0;
}

int
parse_listopts(const struct ctx *cx, int argc, char **argv,
    struct listopts *lo)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "status", required_argument, NULL, 's' },
		{ "priority", required_argument, NULL, 'p' },
		{ "by", required_argument, NULL, 'b' },
		{ "now", required_argument, NULL, 'N' },
		{ "since", required_argument, NULL, 'S' },
		{ "file", required_argument, NULL, 'f' },
		{ "internal", no_argument, NULL, 'i' },
		{ "ticket", required_argument, NULL, 't' },
		{ "assignee", required_argument, NULL, 'A' },
		{ "org", required_argument, NULL, 'O' },
		{ "tier", required_argument, NULL, 'T' },
		{ "category", required_argument, NULL, 'C' },
		{ "due-before", required_argument, NULL, 'D' },
		{ "breached", no_argument, NULL, 'B' },
		{ "sort", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'l' },
		{ "attach", required_argument, NULL, 'x' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	/* The O_* of each entry of opts. */
	static const unsigned bits[] = { O_JSON, O_ALL, O_STATUS, O_PRIORITY,
	    O_BY, O_NOW, O_SINCE, O_FILE, O_INTERNAL, O_TICKET, O_FILTER,
	    O_FILTER, O_FILTER, O_FILTER, O_FILTER, O_FILTER, O_FILTER,
	    O_LIMIT, O_ATTACH, O_FORMAT, O_OUTPUT };
	char	*end;
	int	ch, k;

	memset(lo, 0, sizeof(*lo));
	/* 0, not 1: GNU getopt then forgets main's "+" (no permuting)
	 * mode, so "show 1 --json" works as well as "show --json 1". */
	optind = 0;
	while ((ch = getopt_long(argc, argv, "o:", opts, &k)) != -1) {
		if (ch == 'o') {	/* -o is --output */
			ch = 'w';
			k = (int)nitems(opts) - 2;
		}
		if (ch != '?' && ch != ':' &&
		    !((cx->opts | O_NOW) & bits[k])) {
			fprintf(stderr, "supportctl: %s does not take --%s\n",
			    cx->cmd, opts[k].name);
			return -1;
		}
		switch (ch) {
		case 'j': lo->json = true; break;
		case 'a': lo->all = true; break;
		case 's': lo->status = optarg; break;
		case 'p': lo->priority = optarg; break;
		case 'b': lo->by = optarg; break;
		case 'S': lo->since = optarg; break;
		case 'f': lo->file = optarg; break;
		case 'i': lo->internal = true; break;
		case 'A': lo->assignee = optarg; break;
		case 'O': lo->org = optarg; break;
		case 'T': lo->tier = optarg; break;
		case 'C': lo->category = optarg; break;
		case 'D': lo->due_before = optarg; break;
		case 'B': lo->breached = true; break;
		case 'r': lo->sort = optarg; break;
		case 'w': lo->output = optarg; break;
		case 'F': lo->format = optarg; break;
		case 'x':
			if (lo->nattach == (int)nitems(lo->attach)) {
				fprintf(stderr, "supportctl: at most %zu "
				    "--attach\n", nitems(lo->attach));
				return -1;
			}
			lo->attach[lo->nattach++] = optarg;
			break;
		case 'l':
			lo->limit = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || lo->limit <= 0) {
				fprintf(stderr, "supportctl: --limit: not a "
				    "positive number: %s\n", optarg);
				return -1;
			}
			break;
		case 't':
			lo->ticket = strtoll(optarg, &end, 10);
			if (*end != '\0' || lo->ticket <= 0) {
				fprintf(stderr, "supportctl: --ticket: not a "
				    "ticket number: %s\n", optarg);
				return -1;
			}
			break;
		case 'N':
			/* Also accepted after the command: "tick --now T". */
			if (sd_clock_set_arg("supportctl", optarg) == -1)
				return -1;
			break;
		default: return -1;
		}
	}
	return 0;
}

static int
cmd_check_config(struct ctx *cx, int argc, char **argv)
{
	struct sd_strv		 errs = { 0 }, warns = { 0 };
	struct sd_conf		*conf = NULL;
	struct sd_tmpl_set	*set = NULL;
	int			 ret = EX_CONFIG;

	if (conf_load(cx->conf_path, &conf, &errs, &warns) == 0 &&
	    conf_check_files(conf, &errs, &warns) == 0 &&
	    tmpl_set_load(conf->templates_dir, &set, &errs) == 0)
		ret = 0;
	for (size_t i = 0; i < warns.n; i++)
		fprintf(stderr, "warning: %s\n", warns.v[i]);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i]);
	if (ret == 0)
		printf("%s: configuration OK (%zu mailbox(es), %zu "
		    "templates)\n", cx->conf_path, conf->nmailboxes,
		    tmpl_nnames);
	tmpl_set_free(&set);
	conf_free(&conf);
	strv_free(&errs);
	strv_free(&warns);
	return ret;
}

int
prio_width(const struct sd_conf *c)
{
	int w = 3;

	for (int p = 0; p < c->npriorities; p++)
		if ((int)strlen(c->priorities[p].name) > w)
			w = (int)strlen(c->priorities[p].name);
	return w;
}

/* The ticket's members, in the object open on o. */
static void
ticket_fields(struct ctx *cx, struct out *o, const struct sd_ticket *t)
{
	char *tag = thread_format_tag(cx->conf->ticket_tag, t->id);

	out_int(o, "id", t->id);
	out_str(o, "tag", tag);
	out_str(o, "subject", t->subject);
	out_str(o, "status", sd_status_names[t->status]);
	out_str(o, "priority", t->priority);
	out_str(o, "category", t->category);
	out_str(o, "requester", t->requester_email);
	out_str(o, "requester_name", t->requester_name);
	out_str(o, "organization", t->organization);
	out_str(o, "tier", t->tier);
	out_str(o, "mailbox", t->mailbox);
	out_time(o, "created_at", t->created_at);
	out_time(o, "updated_at", t->updated_at);
	out_time(o, "first_response_at", t->first_response_at);
	out_time(o, "agent_response_at", t->agent_response_at);
	out_time(o, "response_due", t->response_due);
	out_time(o, "resolution_due", t->resolution_due);
	out_int(o, "escalation_level", t->escalation_level);
	out_int(o, "period", t->period);
	out_time(o, "period_start", t->period_start);
	out_bool(o, "after_hours", t->after_hours);
	out_str(o, "assignee", t->assignee);
	out_int_or_null(o, "linked_to", t->linked_to);
	free(tag);
}

/* The callbacks' argument. */
struct walk {
	struct ctx	*cx;
	struct out	 o;
};

static int
list_one(void *arg, const struct sd_ticket *t)
{
	struct walk *w = arg;

	out_obj(&w->o, NULL);
	ticket_fields(w->cx, &w->o, t);
	out_int(&w->o, "messages", t->nmessages);
	out_close(&w->o);
	out_text(&w->o, "%-6lld %-20s %-*s %-16s %-28s %s\n", (long long)t->id,
	    sd_status_names[t->status], prio_width(w->cx->conf), t->priority,
	    out_when(&w->o, t->created_at), t->requester_email, t->subject);
	return 0;
}

/* Ends a command's output: closes its outermost array or object and
 * prints it when r is 0, else says what failed.  The exit status. */
static int
walk_end(struct walk *w, int r, const struct sd_err *err)
{
	out_close(&w->o);
	if (r == -1)
		fprintf(stderr, "supportctl: %s\n", err->msg);
	out_end(&w->o, r == 0);
	return r == 0 ? 0 : EX_SOFTWARE;
}

static int
cmd_list(struct ctx *cx, int argc, char **argv)
{
	struct listopts		 lo;
	struct sd_ticket_filter	 f;
	struct sd_err		 err;
	struct walk		 w = { cx, { 0 } };
	static const char *const orders[] = { "id", "due", "created",
	    "updated" };
	int			 p = -1;

	memset(&f, 0, sizeof(f));
	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc)
		return EX_USAGE;
	f.assignee = lo.assignee && strcmp(lo.assignee, "none") == 0 ? "" :
	    lo.assignee;
	f.organization = lo.org;
	f.tier = lo.tier;
	/* A category no longer configured still finds its tickets. */
	f.category = conf_category(cx->conf, lo.category) ?
	    conf_category(cx->conf, lo.category) : lo.category;
	f.limit = lo.limit;
	f.breached_at = lo.breached ? sd_now() : 0;
	if ((lo.since && sd_time_parse(lo.since, &f.since) == -1) ||
	    (lo.due_before && sd_time_parse(lo.due_before, &f.due_before) ==
	    -1)) {
		fprintf(stderr, "supportctl: list: not a time (ISO 8601): %s\n",
		    lo.since && f.since == 0 ? lo.since : lo.due_before);
		return EX_USAGE;
	}
	for (size_t i = 0; lo.sort && i < nitems(orders); i++)
		if (strcmp(lo.sort, orders[i]) == 0)
			f.order = (enum sd_ticket_order)i;
	if (lo.sort && strcmp(lo.sort, orders[f.order]) != 0) {
		fprintf(stderr, "supportctl: list: --sort due, created or "
		    "updated, not \"%s\"\n", lo.sort);
		return EX_USAGE;
	}
	f.status = lo.status ? store_status_parse(lo.status) : -1;
	if (lo.status && f.status < 0) {
		fprintf(stderr, "supportctl: list: unknown status \"%s\"\n",
		    lo.status);
		return EX_USAGE;
	}
	if (lo.priority != NULL && (p = conf_prio_index(cx->conf,
	    lo.priority)) < 0) {
		char *names = conf_prio_names(cx->conf);

		fprintf(stderr, "supportctl: list: unknown priority \"%s\" "
		    "(use %s)\n", lo.priority, names);
		free(names);
		return EX_USAGE;
	}
	f.priority = lo.priority ? conf_prio_name(cx->conf, p) : NULL;
	out_begin(&w.o, cx, lo.json);
	out_arr(&w.o, NULL);
	return walk_end(&w, store_ticket_list(cx->store, &f, list_one, &w,
	    &err), &err);
}

static int
search_one(void *arg, const struct sd_search_hit *h)
{
	struct walk *w = arg;

	out_obj(&w->o, NULL);
	out_int(&w->o, "id", h->ticket_id);
	out_str(&w->o, "subject", h->subject);
	out_str(&w->o, "status", sd_status_names[h->status]);
	out_str(&w->o, "priority", h->priority);
	out_int(&w->o, "message", h->message_id);
	out_str(&w->o, "snippet", h->snippet);
	out_close(&w->o);
	out_text(&w->o, "%-6lld %-20s %-*s %s\n       %s\n",
	    (long long)h->ticket_id, sd_status_names[h->status],
	    prio_width(w->cx->conf), h->priority, h->subject, h->snippet);
	return 0;
}

static int
cmd_search(struct ctx *cx, int argc, char **argv)
{
	struct listopts	 lo;
	struct sd_err	 err;
	struct walk	 w = { cx, { 0 } };
	char		*query;
	int		 r;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind == argc)
		return EX_USAGE;
	query = g_strjoinv(" ", argv + optind);
	out_begin(&w.o, cx, lo.json);
	out_arr(&w.o, NULL);
	r = store_search(cx->store, query, lo.limit ? lo.limit : 20,
	    search_one, &w, &err);
	g_free(query);
	if (r == -1 && err.cls == SD_E_PERM) {
		out_end(&w.o, false);
		fprintf(stderr, "supportctl: %s\n", err.msg);
		return EX_USAGE;
	}
	return walk_end(&w, r, &err);
}

/* Ticket ID and mail MSG of argv: their raw mail (caller g_free()s),
 * or an exit status. */
static int
load_raw(struct ctx *cx, char **argv, void **raw_r, size_t *len_r,
    int64_t *msg_r)
{
	struct sd_err	 err;
	int64_t		 id, msg, tid;
	char		*e1, *e2;

	*raw_r = NULL;
	id = strtoll(argv[0], &e1, 10);
	msg = strtoll(argv[1], &e2, 10);
	if (*e1 != '\0' || *e2 != '\0' || id <= 0 || msg <= 0) {
		fprintf(stderr, "supportctl: %s: ticket and mail numbers, not "
		    "\"%s %s\"\n", cx->cmd, argv[0], argv[1]);
		return EX_USAGE;
	}
	if (store_message_raw(cx->store, msg, &tid, raw_r, len_r, &err) == -1) {
		fprintf(stderr, "supportctl: %s\n", err.msg);
		return EX_SOFTWARE;
	}
	if (*raw_r == NULL || tid != id) {
		fprintf(stderr, "supportctl: %s: ticket %lld has no mail %lld "
		    "as it came (see show)\n", cx->cmd, (long long)id,
		    (long long)msg);
		g_free(*raw_r);
		*raw_r = NULL;
		return EX_DATAERR;
	}
	*msg_r = msg;
	return 0;
}

static int
cmd_raw(struct ctx *cx, int argc, char **argv)
{
	struct listopts	 lo;
	void		*raw;
	size_t		 len;
	int64_t		 msg;
	int		 r;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc - 2)
		return EX_USAGE;
	if ((r = load_raw(cx, argv + optind, &raw, &len, &msg)) != 0)
		return r;
	r = fwrite(raw, 1, len, stdout) != len || fflush(stdout) != 0 ?
	    EX_IOERR : 0;
	g_free(raw);
	return r;
}

/*
 * Where an attachment goes without -o: its name in the current
 * directory, made safe (no directory part, no leading dot), never over
 * a file that is there; "attachment-MSG-N" for one without a name.
 */
static char *
safe_name(const char *name, int64_t msg, size_t n)
{
	char *base, *s;

	if (name == NULL || *name == '\0')
		return xasprintf("attachment-%lld-%zu", (long long)msg, n);
	base = g_path_get_basename(name);
	for (s = base; *s != '\0'; s++)
		if (*s == '/' || *s == '\\' || (unsigned char)*s < 0x20 ||
		    *s == 0x7f)
			*s = '_';
	/* Within NAME_MAX, cut where no UTF-8 sequence is split. */
	if (strlen(base) > 200) {
		size_t cut = 200;

		while (cut > 0 && ((unsigned char)base[cut] & 0xc0) == 0x80)
			cut--;
		base[cut] = '\0';
	}
	if (*base == '.')
		*base = '_';
	if (*base == '\0' || strcmp(base, "_") == 0) {
		g_free(base);
		return xasprintf("attachment-%lld-%zu", (long long)msg, n);
	}
	s = xstrdup(base);
	g_free(base);
	return s;
}

struct find_att {
	size_t	 want;
	char	*name;
	bool	 found;
};

static int
find_att(void *arg, size_t n, const char *name, const char *type,
    int64_t size, const char *sha256)
{
	struct find_att *f = arg;

	(void)type;
	(void)size;
	(void)sha256;
	if (n == f->want) {
		f->found = true;
		f->name = name ? xstrdup(name) : NULL;
	}
	return 0;
}

static int
cmd_attachment(struct ctx *cx, int argc, char **argv)
{
	struct listopts	 lo;
	struct find_att	 fa = { 0, NULL, false };
	struct sd_err	 err;
	void		*raw = NULL;
	size_t		 len;
	int64_t		 msg;
	char		*end, *path = NULL;
	long		 n;
	bool		*founds = NULL, out = false;
	int		*fds = NULL, fd = -1, r;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc - 3)
		return EX_USAGE;
	n = strtol(argv[optind + 2], &end, 10);
	if (*end != '\0' || n <= 0) {
		fprintf(stderr, "supportctl: attachment: not an attachment "
		    "number (1, 2, ...): %s\n", argv[optind + 2]);
		return EX_USAGE;
	}
	if ((r = load_raw(cx, argv + optind, &raw, &len, &msg)) != 0)
		return r;
	fa.want = (size_t)n - 1;
	if (store_message_attachments(cx->store, msg, find_att, &fa,
	    &err) == -1) {
		fprintf(stderr, "supportctl: %s\n", err.msg);
		r = EX_SOFTWARE;
		goto done;
	}
	if (!fa.found) {	/* as recorded when it was taken in */
		fprintf(stderr, "supportctl: attachment: mail %lld has no "
		    "attachment %ld\n", (long long)msg, n);
		r = EX_DATAERR;
		goto done;
	}
	if (lo.output != NULL && strcmp(lo.output, "-") == 0) {
		fd = STDOUT_FILENO;
		out = true;
	} else {
		path = lo.output ? xstrdup(lo.output) : safe_name(fa.name, msg,
		    (size_t)n);
		/* The default name is never followed through a link and never
		 * written over. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1) {
			fprintf(stderr, "supportctl: attachment: %s: %s\n",
			    path, g_strerror(errno));
			r = errno == EEXIST ? EX_CANTCREAT : EX_IOERR;
			goto done;
		}
	}
	fds = g_new(int, fa.want + 1);
	founds = g_new0(bool, fa.want + 1);
	for (size_t i = 0; i <= fa.want; i++)
		fds[i] = i == fa.want ? fd : -1;
	if (mime_attachments_write(raw, len, fds, fa.want + 1, founds,
	    &err) == -1) {
		fprintf(stderr, "supportctl: %s\n", err.msg);
		r = EX_IOERR;
	} else if (!founds[fa.want]) {
		fprintf(stderr, "supportctl: attachment: mail %lld has no "
		    "attachment %ld\n", (long long)msg, n);
		r = EX_DATAERR;
	}
	if (!out && close(fd) == -1 && r == 0)
		r = EX_IOERR;
	if (r != 0 && path != NULL)
		unlink(path);
	else if (path != NULL)
		printf("%s\n", path);
 done:
	g_free(fds);
	g_free(founds);
	free(fa.name);
	free(path);
	g_free(raw);
	return r;
}

static int
show_att(void *arg, size_t n, const char *name, const char *type,
    int64_t size, const char *sha256)
{
	struct out *o = &((struct walk *)arg)->o;

	out_obj(o, NULL);
	out_int(o, "n", (int64_t)n + 1);
	out_str(o, "name", name);
	out_str(o, "content_type", type);
	out_int(o, "size", size);
	out_str(o, "sha256", sha256);
	out_close(o);
	out_text(o, "attachment %zu: %s (%s, %lld bytes, sha256 %.16s)\n",
	    n + 1, name ? name : "(no name)", type, (long long)size, sha256);
	return 0;
}

static int
show_msg(void *arg, const struct sd_msgrec *m)
{
	struct walk	*w = arg;
	struct out	*o = &w->o;
	struct sd_err	 err;
	bool		 cut;
	char		*text = mail_new_text(m->body, &cut);
	int		 r;

	out_obj(o, NULL);
	out_int(o, "id", m->id);
	out_str(o, "direction", sd_dir_names[m->direction]);
	out_str(o, "from", m->from_addr);
	out_str(o, "subject", m->subject);
	out_str(o, "message_id", m->message_id);
	out_str(o, "in_reply_to", m->in_reply_to);
	out_str(o, "disposition", m->disposition);
	out_str(o, "reason", m->reason);
	out_time(o, "at", m->at);
	out_str(o, "body", m->body);
	out_str(o, "text", text);	/* SPEC §13.4: without the history */
	/* People read the new text; --json has the whole body too. */
	out_text(o, "\n--- message %lld: %s %s %s from %s%s%s\nSubject: "
	    "%s\n\n%s%s\n", (long long)m->id, sd_dir_names[m->direction],
	    out_when(o, m->at), m->disposition,
	    m->from_addr ? m->from_addr : "?", m->reason ? " " : "",
	    m->reason ? m->reason : "", m->subject ? m->subject : "", text,
	    cut ? "[quoted history and signature left out; --json has them]\n" :
	    "");
	g_free(text);
	out_arr(o, "attachments");
	r = store_message_attachments(w->cx->store, m->id, show_att, w, &err);
	out_close(o);
	out_close(o);
	if (r == -1)
		fprintf(stderr, "supportctl: %s\n", err.msg);
	return r;
}

static int
show_event(void *arg, const struct sd_event *e)
{
	struct out *o = &((struct walk *)arg)->o;

	out_obj(o, NULL);
	out_time(o, "at", e->at);
	out_str(o, "actor", e->actor);
	out_str(o, "kind", e->kind);
	out_str(o, "detail", e->detail);
	out_close(o);
	out_text(o, "  %s %-10s %-16s %s\n", out_when(o, e->at), e->actor,
	    e->kind, e->detail ? e->detail : "");
	return 0;
}

static int
show_part(void *arg, const char *email, const char *role)
{
	struct walk *w = arg;

	out_obj(&w->o, NULL);
	out_str(&w->o, "email", email);
	out_str(&w->o, "role", role);
	out_close(&w->o);
	out_text(&w->o, "  %-40s %s\n", email, role);
	return 0;
}

/* s as a ticket number (1, 2, ...); -1, said on stderr, when not. */
static int
parse_ticket(const struct ctx *cx, const char *s, int64_t *id_r)
{
	char *end;

	*id_r = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || *id_r <= 0) {
		fprintf(stderr, "supportctl: %s: not a ticket number: %s\n",
		    cx->cmd, s);
		return -1;
	}
	return 0;
}

/* The exit of a change refused (EX_DATAERR) or failed. */
static int
exit_for(const struct sd_err *err)
{
	return err->cls == SD_E_PERM ? EX_DATAERR : EX_SOFTWARE;
}

static int
cmd_show(struct ctx *cx, int argc, char **argv)
{
	struct listopts		 lo;
	struct sd_ticket	 t;
	struct sd_err		 err;
	struct walk		 w = { cx, { 0 } };
	char			*tag;
	int64_t			 id;
	bool			 found;
	int			 r;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc - 1)
		return EX_USAGE;
	if (parse_ticket(cx, argv[optind], &id) == -1)
		return EX_USAGE;
	if (store_ticket_get(cx->store, id, &t, &found, &err) == -1) {
		fprintf(stderr, "supportctl: %s\n", err.msg);
		return EX_SOFTWARE;
	}
	if (!found) {
		fprintf(stderr, "supportctl: show: no ticket %lld\n",
		    (long long)id);
		return EX_DATAERR;
	}
	out_begin(&w.o, cx, lo.json);
	out_obj(&w.o, NULL);
	ticket_fields(cx, &w.o, &t);
	tag = thread_format_tag(cx->conf->ticket_tag, t.id);
	out_text(&w.o, "%s %s\nstatus: %s  priority: %s  category: %s\n"
	    "requester: %s  organization: %s  tier: %s\n", tag, t.subject,
	    sd_status_names[t.status], t.priority, t.category,
	    t.requester_email, t.organization ? t.organization : "-", t.tier);
	free(tag);
	out_text(&w.o, "participants:\n");
	out_arr(&w.o, "participants");
	r = store_participants(cx->store, id, show_part, &w, &err);
	out_close(&w.o);
	out_arr(&w.o, "messages");
	if (r == 0)
		r = store_ticket_messages(cx->store, id, show_msg, &w, &err);
	out_close(&w.o);
	out_text(&w.o, "\nevents:\n");
	out_arr(&w.o, "events");
	if (r == 0)
		r = store_ticket_events(cx->store, id, show_event, &w, &err);
	out_close(&w.o);
	store_ticket_clear(&t);
	return walk_end(&w, r, &err);
}

static int
outbox_one(void *arg, const struct sd_outrow *r)
{
	struct out *o = &((struct walk *)arg)->o;

	out_obj(o, NULL);
	out_int(o, "id", r->id);
	out_int_or_null(o, "ticket", r->ticket_id);
	out_str(o, "kind", r->kind);
	out_str(o, "status", sd_out_status_names[r->status]);
	out_str(o, "rcpts", r->rcpts);
	out_str(o, "message_id", r->message_id);
	out_int(o, "attempts", r->attempts);
	out_time(o, "created_at", r->created_at);
	out_time(o, "next_attempt_at", r->status == SD_OUT_QUEUED ?
	    r->next_attempt_at : 0);
	out_time(o, "sent_at", r->sent_at);
	out_str(o, "last_error", r->last_error);
	out_close(o);
	out_text(o, "%-6lld %-7s ticket=%-6lld %-18s to=%s attempts=%d%s%s\n",
	    (long long)r->id, sd_out_status_names[r->status],
	    (long long)r->ticket_id, r->kind, r->rcpts, r->attempts,
	    r->last_error ? " error=" : "", r->last_error ? r->last_error : "");
	return 0;
}

static int
quarantine_one(void *arg, const struct sd_msgrec *m)
{
	struct out *o = &((struct walk *)arg)->o;

	out_obj(o, NULL);
	out_int(o, "id", m->id);
	out_str(o, "mailbox", m->mailbox);
	out_int(o, "uidvalidity", m->uidvalidity);
	out_int(o, "uid", m->uid);
	out_str(o, "from", m->from_addr);
	out_str(o, "subject", m->subject);
	out_str(o, "message_id", m->message_id);
	out_str(o, "reason", m->reason);
	out_time(o, "at", m->at);
	out_close(o);
	out_text(o, "%-6lld %s %s uid=%u from=%s: %s\n", (long long)m->id,
	    out_when(o, m->at), m->mailbox ? m->mailbox : "-", m->uid,
	    m->from_addr ? m->from_addr : "-", m->reason ? m->reason : "");
	return 0;
}

static int
cmd_quarantine(struct ctx *cx, int argc, char **argv)
{
	struct listopts	lo;
	struct sd_err	err;
	struct walk	w = { cx, { 0 } };

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc)
		return EX_USAGE;
	out_begin(&w.o, cx, lo.json);
	out_arr(&w.o, NULL);
	return walk_end(&w, store_quarantine_list(cx->store, quarantine_one,
	    &w, &err), &err);
}

static int
cmd_outbox(struct ctx *cx, int argc, char **argv)
{
	struct listopts	lo;
	struct sd_err	err;
	struct walk	w = { cx, { 0 } };

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc)
		return EX_USAGE;
	out_begin(&w.o, cx, lo.json);
	out_arr(&w.o, NULL);
	return walk_end(&w, store_outbox_list(cx->store, lo.all, outbox_one,
	    &w, &err), &err);
}

static int
cmd_set(struct ctx *cx, int argc, char **argv)
{
	struct listopts	 lo;
	struct out	 o;
	struct sd_err	 err;
	int64_t		 id;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc - 3)
		return EX_USAGE;
	if (parse_ticket(cx, argv[optind], &id) == -1)
		return EX_USAGE;
	if (ingest_ticket_set(&cx->ingest, id, argv[optind + 1],
	    argv[optind + 2], lo.by ? lo.by : "supportctl", sd_now(),
	    &err) == -1) {
		fprintf(stderr, "supportctl: set: %s\n", err.msg);
		return exit_for(&err);
	}
	out_begin(&o, cx, lo.json);
	out_obj(&o, NULL);
	out_int(&o, "ticket", id);
	out_str(&o, "field", argv[optind + 1]);
	out_str(&o, "value", argv[optind + 2]);
	out_close(&o);
	out_text(&o, "ticket %lld: %s set to %s\n", (long long)id,
	    argv[optind + 1], argv[optind + 2]);
	out_end(&o, true);
	return 0;
}

/* A reply's text: a file or "-" for standard input, at most 1 MiB of
 * UTF-8.  Caller owns (g_free). */
static char *
read_text(const char *path)
{
	GString	*s = g_string_new(NULL);
	FILE	*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char	 buf[8192];
	size_t	 n;

	if (f == NULL) {
		fprintf(stderr, "supportctl: reply: %s: cannot read\n", path);
		g_string_free(s, TRUE);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && s->len <= 1 << 20)
		g_string_append_len(s, buf, (gssize)n);
	if (f != stdin)
		fclose(f);
	if (s->len > 1 << 20 || !g_utf8_validate(s->str, (gssize)s->len,
	    NULL) || s->len == 0) {
		fprintf(stderr, "supportctl: reply: %s: empty, over 1 MiB, or "
		    "not UTF-8 text\n", path);
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

static int
cmd_reply(struct ctx *cx, int argc, char **argv)
{
	struct listopts	 lo;
	struct sd_err	 err;
	struct sd_outatt atts[nitems(lo.attach)];
	char		*text, *names[nitems(lo.attach)];
	int64_t		 id;
	int		 ret = 0, natts = 0;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc - 1 ||
	    lo.file == NULL)
		return EX_USAGE;
	if (parse_ticket(cx, argv[optind], &id) == -1)
		return EX_USAGE;
	/* Each file is read as the mail is written, never whole. */
	memset(atts, 0, sizeof(atts));
	for (; natts < lo.nattach; natts++) {
		struct stat sb;
		int fd = open(lo.attach[natts], O_RDONLY | O_CLOEXEC);

		if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			fprintf(stderr, "supportctl: reply: %s: %s\n",
			    lo.attach[natts], fd == -1 ? g_strerror(errno) :
			    "not a regular file");
			if (fd != -1)
				close(fd);
			ret = EX_NOINPUT;
			goto out;
		}
		names[natts] = g_path_get_basename(lo.attach[natts]);
		atts[natts].fd = fd;
		atts[natts].name = names[natts];
		atts[natts].type = mime_type_for_name(names[natts]);
		atts[natts].size = (size_t)sb.st_size;
	}
	if ((text = read_text(lo.file)) == NULL) {
		ret = EX_DATAERR;
		goto out;
	}
	if (ingest_agent_reply(&cx->ingest, id, text, lo.by ? lo.by :
	    "supportctl", lo.internal, atts, (size_t)natts, sd_now(),
	    &err) == -1) {
		fprintf(stderr, "supportctl: reply: %s\n", err.msg);
		ret = exit_for(&err);
	} else
		printf("ticket %lld: %s\n", (long long)id, lo.internal ?
		    "internal note added" : "reply queued");
	g_free(text);
 out:
	for (int i = 0; i < natts; i++) {
		close(atts[i].fd);
		g_free(names[i]);
	}
	return ret;
}

static int
cmd_participants(struct ctx *cx, int argc, char **argv)
{
	struct listopts	 lo;
	struct sd_ticket t;
	struct sd_err	 err;
	struct walk	 w = { cx, { 0 } };
	int64_t		 id;
	bool		 found;
	int		 n;

	if (parse_listopts(cx, argc, argv, &lo) == -1)
		return EX_USAGE;
	n = argc - optind;
	if (n != 1 && n != 3)
		return EX_USAGE;
	if (parse_ticket(cx, argv[optind], &id) == -1)
		return EX_USAGE;
	if (n == 3 && ingest_participant(&cx->ingest, id, argv[optind + 1],
	    argv[optind + 2], lo.by ? lo.by : "supportctl", sd_now(),
	    &err) == -1) {
		fprintf(stderr, "supportctl: participants: %s\n", err.msg);
		return exit_for(&err);
	}
	if (store_ticket_get(cx->store, id, &t, &found, &err) == -1) {
		fprintf(stderr, "supportctl: %s\n", err.msg);
		return EX_SOFTWARE;
	}
	store_ticket_clear(&t);
	if (!found) {
		fprintf(stderr, "supportctl: participants: no ticket %lld\n",
		    (long long)id);
		return EX_DATAERR;
	}
	out_begin(&w.o, cx, lo.json);
	out_arr(&w.o, NULL);
	return walk_end(&w, store_participants(cx->store, id, show_part, &w,
	    &err), &err);
}

static int
cmd_merge(struct ctx *cx, int argc, char **argv)
{
	struct listopts	 lo;
	struct out	 o;
	struct sd_err	 err;
	int64_t		 id[2];

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc - 2)
		return EX_USAGE;
	for (int i = 0; i < 2; i++)
		if (parse_ticket(cx, argv[optind + i], &id[i]) == -1)
			return EX_USAGE;
	if (ingest_merge(&cx->ingest, id[0], id[1], lo.by ? lo.by :
	    "supportctl", sd_now(), &err) == -1) {
		fprintf(stderr, "supportctl: merge: %s\n", err.msg);
		return exit_for(&err);
	}
	out_begin(&o, cx, lo.json);
	out_obj(&o, NULL);
	out_int(&o, "ticket", id[0]);
	out_int(&o, "merged_into", id[1]);
	out_close(&o);
	out_text(&o, "ticket %lld: merged into %lld\n", (long long)id[0],
	    (long long)id[1]);
	out_end(&o, true);
	return 0;
}

static int
cmd_tick(struct ctx *cx, int argc, char **argv)
{
	struct listopts		 lo;
	struct sd_outbox	*ob;
	struct sd_oauth		*oa;
	struct sd_err		 err;
	int			 fired = 0, sent = 0, ret = 0;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind != argc)
		return EX_USAGE;
	if (ingest_tick(&cx->ingest, sd_now(), &fired, &err) == -1) {
		fprintf(stderr, "supportctl: tick: %s\n", err.msg);
		return EX_SOFTWARE;
	}
	if ((ob = outbox_new(cx->conf, &err)) == NULL) {
		fprintf(stderr, "supportctl: tick: %s\n", err.msg);
		return EX_CONFIG;
	}
	oa = oauth_new(cx->conf);
	outbox_set_oauth(ob, oa);
	if (outbox_flush(ob, cx->store, sd_now(), 0, &sent, NULL, &err) == -1) {
		fprintf(stderr, "supportctl: tick: %s\n", err.msg);
		ret = EX_SOFTWARE;
	}
	outbox_free(&ob);
	oauth_free(&oa);
	printf("timers fired: %d, mail sent: %d\n", fired, sent);
	return ret;
}

/* templates preview: the example ticket when no --ticket is given. */
static void
sample_ticket(const struct ctx *cx, const struct sd_calendars *cals,
    struct sd_ticket *t)
{
	const struct sd_calendar *cal;

	memset(t, 0, sizeof(*t));
	t->id = 123;
	t->mailbox = cx->conf->mailboxes[0].name;
	t->subject = (char *)"Example: the printer is on fire";
	t->status = SD_ST_OPEN;
	t->priority = cx->conf->priorities[SD_PRIO_TOP].name;
	t->category = cx->conf->default_category;
	t->requester_email = (char *)"ann@customer.example";
	t->requester_name = (char *)"Ann Example";
	t->organization = (char *)"Example Customer";
	t->tier = (char *)"default";
	t->created_at = sd_now();
	t->escalation_level = 2;
	cal = sla_calendars_get(cals, conf_ticket_calendar(cx->conf,
	    t->organization, t->tier));
	t->after_hours = !sla_in_hours(cal, t->created_at);
	sla_due_times(cx->conf, cal, t->tier, SD_PRIO_TOP, t->created_at, NULL,
	    &t->response_due, &t->resolution_due);
}

static int
cmd_templates(struct ctx *cx, int argc, char **argv)
{
	struct listopts		 lo;
	struct sd_strv		 errs = { 0 };
	struct sd_tmpl_set	*set = NULL;
	struct sd_calendars	*cals = NULL;
	struct sd_store		*st = NULL;
	struct sd_ingest	 in;
	struct sd_ticket	 t;
	struct sd_err		 err;
	const struct sd_conf_mailbox *mb;
	char			*raw = NULL;
	bool			 found = false;
	int			 ret = 0;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind >= argc ||
	    (strcmp(argv[optind], "check") == 0 ? optind != argc - 1 :
	    strcmp(argv[optind], "preview") != 0 || optind != argc - 2))
		return EX_USAGE;
	if (tmpl_set_load(cx->conf->templates_dir, &set, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		strv_free(&errs);
		return EX_CONFIG;
	}
	if (strcmp(argv[optind], "check") == 0) {
		printf("%s: %zu templates OK\n", cx->conf->templates_dir,
		    tmpl_nnames);
		goto out;
	}
	memset(&t, 0, sizeof(t));
	if ((cals = sla_calendars_new(cx->conf, &err)) == NULL) {
		fprintf(stderr, "supportctl: %s\n", err.msg);
		ret = EX_CONFIG;
		goto out;
	}
	if (lo.ticket) {
		if (store_open(cx->conf->database, &st, &err) == -1 ||
		    store_ticket_get(st, lo.ticket, &t, &found, &err) == -1) {
			fprintf(stderr, "supportctl: %s\n", err.msg);
			ret = EX_UNAVAILABLE;
			goto out;
		}
		if (!found) {
			fprintf(stderr, "supportctl: no ticket %lld\n",
			    (long long)lo.ticket);
			ret = EX_DATAERR;
			goto out;
		}
	} else
		sample_ticket(cx, cals, &t);
	mime_init();
	memset(&in, 0, sizeof(in));
	in.conf = cx->conf;
	in.tmpl = set;
	in.calendars = cals;
	mb = conf_mailbox(cx->conf, t.mailbox);
	if ((raw = ingest_preview(&in, mb ? mb : &cx->conf->mailboxes[0], &t,
	    argv[optind + 1], &err)) == NULL) {
		fprintf(stderr, "supportctl: templates preview: unknown "
		    "template \"%s\"\n", argv[optind + 1]);
		ret = EX_USAGE;
	} else
		fputs(raw, stdout);
	mime_shutdown();
 out:
	if (found)
		store_ticket_clear(&t);
	free(raw);
	store_close(&st);
	sla_calendars_free(&cals);
	tmpl_set_free(&set);
	strv_free(&errs);
	return ret;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "now", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command	*cmd;
	struct ctx		 cx;
	struct sd_strv		 errs = { 0 };
	struct sd_err		 err;
	int			 ch, ret;

	memset(&cx, 0, sizeof(cx));
	/* '+': stop at the command name; the command parses the rest. */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cx.conf_path = optarg; break;
		case 'N':
			if (sd_clock_set_arg("supportctl", optarg) == -1)
				return EX_USAGE;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("supportctl %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((cmd = find_command(argv[optind])) == NULL) {
		fprintf(stderr, "supportctl: unknown command \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	argc -= optind;
	argv += optind;
	cx.cmd = cmd->name;
	cx.opts = cmd->opts;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0)
			return cmd_help(&cx, 2, (char *[]){ "help",
			    (char *)cmd->name, NULL });
	if (cmd->fn == cmd_help)
		return cmd_help(&cx, argc, argv);
	if (cx.conf_path == NULL) {
		fprintf(stderr, "supportctl: -c FILE is required\n");
		return EX_USAGE;
	}
	log_init("supportctl", true, false);
	if (cmd->fn == cmd_check_config)
		return cmd_check_config(&cx, argc, argv);
	if (conf_load(cx.conf_path, &cx.conf, &errs, NULL) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		strv_free(&errs);
		return EX_CONFIG;
	}
	if (cmd->needs >= N_STORE && store_open(cx.conf->database, &cx.store,
	    &err) == -1) {
		fprintf(stderr, "supportctl: %s\n", err.msg);
		conf_free(&cx.conf);
		return EX_UNAVAILABLE;
	}
	ret = 0;
	if (cmd->needs >= N_INGEST) {
		if (tmpl_set_load(cx.conf->templates_dir, &cx.tmpl, &errs) == -1 ||
		    (cx.calendars = sla_calendars_new(cx.conf, &err)) == NULL) {
			for (size_t i = 0; i < errs.n; i++)
				fprintf(stderr, "%s\n", errs.v[i]);
			ret = EX_CONFIG;
		}
		mime_init();
		outbox_global_init();
		cx.ingest.conf = cx.conf;
		cx.ingest.store = cx.store;
		cx.ingest.tmpl = cx.tmpl;
		cx.ingest.calendars = cx.calendars;
	}
	if (ret == 0)
		ret = cmd->fn(&cx, argc, argv);
	if (ret == EX_USAGE)
		fprintf(stderr, "usage: supportctl -c FILE %s %s\n", cmd->name,
		    cmd->args);
	if (cmd->needs >= N_INGEST) {
		outbox_global_cleanup();
		mime_shutdown();
	}
	strv_free(&errs);
	sla_calendars_free(&cx.calendars);
	tmpl_set_free(&cx.tmpl);
	store_close(&cx.store);
	conf_free(&cx.conf);
	return ret;
}
