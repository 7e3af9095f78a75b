/* SPDX-License-Identifier: MIT */
/*
 * cmd_oauth.c - supportctl oauth (SPEC §15.4): `login MAILBOX|smtp`
 * signs a login in with the device authorization grant (RFC 8628) and
 * stores its tokens (or, with --file, stores a refresh token got
 * elsewhere); `status` shows every OAuth2 login's state.  No
 * token or secret is ever printed.
 */
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "supportctl.h"
#include "supportd/oauth.h"
#include "supportd/outbox.h"

/* What a login's row says, for a person and for a monitor. */
static const char *
state_of(const struct sd_conf_oauth2 *o, const struct sd_token *t,
    bool found, sd_time now, bool *bad_r)
{
	*bad_r = false;
	if (found && t->dead) {
		*bad_r = true;
		return "refused";
	}
	if (o->grant == SD_GRANT_REFRESH_TOKEN &&
	    (!found || t->refresh_token == NULL)) {
		*bad_r = true;
		return "needs-login";
	}
	if (found && t->failures > 0)
		return "failing";
	if (!found || t->access_token == NULL)
		return "none";	/* got at the first login */
	return now < t->expires_at ? "ok" : "expired";
}

static const char *const grant_names[] = {
	[SD_GRANT_CLIENT_CREDENTIALS] = "client_credentials",
	[SD_GRANT_REFRESH_TOKEN] = "refresh_token",
	[SD_GRANT_JWT_BEARER] = "jwt_bearer",
};

/* One login of the status; -1 with err on a database error. */
static int
status_one(struct ctx *cx, struct out *o, const char *login,
    const struct sd_conf_oauth2 *oc, sd_time now, bool *bad_r,
    struct sd_err *err)
{
	struct sd_token	 t;
	const char	*state;
	bool		 found, bad;

	if (store_token_get(cx->store, login, &t, &found, err) == -1)
		return -1;
	state = state_of(oc, &t, found, now, &bad);
	*bad_r = *bad_r || bad;
	out_obj(o, NULL);
	out_str(o, "login", login);
	out_str(o, "grant", grant_names[oc->grant]);
	out_str(o, "state", state);
	out_time(o, "obtained_at", t.obtained_at);
	out_time(o, "expires_at", t.expires_at);
	out_bool(o, "refresh_token", t.refresh_token != NULL);
	out_int(o, "failures", t.failures);
	out_str(o, "last_error", t.last_error);
	out_time(o, "error_at", t.error_at);
	out_time(o, "next_try", t.next_try > now ? t.next_try : 0);
	out_close(o);
	out_text(o, "%-24s %-12s %-18s expires=%s", login, state,
	    grant_names[oc->grant], t.expires_at ?
	    out_when(o, t.expires_at) : "-");
	out_text(o, " refresh_token=%s", t.refresh_token ? "yes" : "no");
	if (t.last_error != NULL)
		out_text(o, " failures=%d error=\"%s\"", t.failures,
		    t.last_error);
	out_text(o, "\n");
	store_token_clear(&t);
	return 0;
}

int
oauth_rows(struct ctx *cx, struct out *o, bool *bad_r, int *n_r,
    struct sd_err *err)
{
	struct sd_strv	logins = { 0 };
	/* Token lifetimes are the provider's clock, not --now's. */
	sd_time		now = time(NULL);
	int		r = 0;

	conf_oauth_logins(cx->conf, &logins);
	for (size_t i = 0; r == 0 && i < logins.n; i++)
		r = status_one(cx, o, logins.v[i], oauth_settings(cx->conf,
		    logins.v[i]), now, bad_r, err);
	*n_r = (int)logins.n;
	strv_free(&logins);
	return r;
}

static int
oauth_status(struct ctx *cx, bool json)
{
	struct out		 o;
	struct sd_err		 err;
	bool			 bad = false;
	int			 r, n;

	out_begin(&o, cx, json);
	out_arr(&o, NULL);
	r = oauth_rows(cx, &o, &bad, &n, &err);
	if (r == 0 && n == 0)
		out_text(&o, "no login uses OAuth2\n");
	out_close(&o);
	if (r == -1)
		fprintf(stderr, "supportctl: %s\n", err.msg);
	out_end(&o, r == 0);
	/* For a monitor: 1 when a login cannot get a token by itself. */
	return r == -1 ? EX_SOFTWARE : bad ? 1 : 0;
}

static int
oauth_login(struct ctx *cx, const char *name, const char *file)
{
	const struct sd_conf_oauth2	*oc;
	struct sd_oauth			*oa;
	struct sd_err			 err;
	char				*login, *refresh = NULL;
	int				 ret = 0;

	login = strcmp(name, "smtp") == 0 ? xstrdup(name) :
	    xasprintf("imap:%s", name);
	if ((oc = oauth_settings(cx->conf, login)) == NULL) {
		fprintf(stderr, "supportctl: oauth: \"%s\" is neither a "
		    "mailbox nor smtp with auth = \"oauth2\"\n", name);
		free(login);
		return EX_USAGE;
	}
	outbox_global_init();
	oa = oauth_new(cx->conf);
	sd_err_clear(&err);
	/* --file: a refresh token got elsewhere, on the file's first line. */
	if (file != NULL && ((refresh = conf_read_secret(NULL, file, &err))
	    == NULL || oauth_store_refresh(oa, login, oc, refresh, &err)
	    == -1)) {
		fprintf(stderr, "supportctl: %s\n", err.msg);
		ret = err.cls == SD_E_TEMP ? EX_TEMPFAIL : EX_NOPERM;
	} else if (file != NULL)
		printf("%s: the refresh token is stored\n", login);
	else if (oauth_device_login(oa, login, oc, stdout, &err) == -1) {
		fprintf(stderr, "supportctl: %s\n", err.msg);
		ret = err.cls == SD_E_TEMP ? EX_TEMPFAIL : EX_NOPERM;
	} else
		printf("%s: signed in; the tokens are stored\n", login);
	secret_free(&refresh);
	oauth_free(&oa);
	outbox_global_cleanup();
	free(login);
	return ret;
}

int
cmd_oauth(struct ctx *cx, int argc, char **argv)
{
	struct listopts lo;

	if (parse_listopts(cx, argc, argv, &lo) == -1 || optind >= argc)
		return EX_USAGE;
	if (strcmp(argv[optind], "status") == 0 && optind + 1 == argc &&
	    lo.file == NULL)
		return oauth_status(cx, lo.json);
	if (strcmp(argv[optind], "login") == 0 && optind + 2 == argc &&
	    !lo.json)
		return oauth_login(cx, argv[optind + 1], lo.file);
	return EX_USAGE;
}
