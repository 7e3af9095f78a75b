/* SPDX-License-Identifier: MIT */
/*
 * oauth.c - bearer tokens for the IMAP and SMTP logins (SPEC §15.3).
 *
 * A login's access token is kept in memory and in its store row; it is
 * renewed when 80 % of its life is gone, or when a server refused it.
 * One request a login is in flight at a time (its mutex), other logins
 * go on meanwhile.  What a request brings is written to the store, in
 * one statement, before the token is handed out: a rotated refresh
 * token is never used, nor lost by a crash, before it is saved.  A
 * failed request sets the row's next_try (backoff), so however often a
 * mailbox reconnects the endpoint is asked at that pace; a refusal for
 * good is told once (error log line, webhook event) and, for a refresh
 * token, waits for `supportctl oauth login`.
 */
#include <string.h>
#include <time.h>

#include <glib.h>

#include "oauth_int.h"
#include "supportd/log.h"
#include "supportd/store.h"

#define BACKOFF_FIRST	5	/* s after a first failed request */
#define BACKOFF_MAX	300
#define DEFAULT_LIFE	3600	/* a token whose answer says no expiry */
#define DEVICE_LIFE	900	/* a device code whose answer says none */

struct login {
	GMutex		 mu;		/* held while its token is got */
	char		*access;	/* or NULL */
	sd_time		 obtained, expires;
	/* Tokens the endpoint gave that could not be saved yet (the
	 * database was busy): saved before anything else is done, since
	 * the provider may have revoked the refresh token they replace. */
	struct sd_token	 unsaved;	/* name NULL: none */
	char		*unsaved_used;	/* the refresh token they replace */
	/* A failure's backoff, kept here too: its row may not have been
	 * written (the database busy). */
	sd_time		 next_try;
};

struct sd_oauth {
	const struct sd_conf	*conf;		/* borrowed */
	GMutex			 mu;		/* logins and st */
	GHashTable		*logins;	/* name -> struct login * */
	struct sd_store		*st;		/* or NULL: not yet open */
};

static int	row_save(struct sd_oauth *oa, const struct sd_token *t,
		    const char *used, struct sd_err *err);

static void
login_free(gpointer p)
{
	struct login *lg = p;

	secret_free(&lg->access);
	store_token_clear(&lg->unsaved);
	secret_free(&lg->unsaved_used);
	g_mutex_clear(&lg->mu);
	free(lg);
}

struct sd_oauth *
oauth_new(const struct sd_conf *conf)
{
	struct sd_oauth *oa = xcalloc(1, sizeof(*oa));

	oa->conf = conf;
	g_mutex_init(&oa->mu);
	oa->logins = g_hash_table_new_full(g_str_hash, g_str_equal, free,
	    login_free);
	return oa;
}

void
oauth_free(struct sd_oauth **oap)
{
	struct sd_oauth	*oa = *oap;
	GHashTableIter	 it;
	struct sd_err	 err;
	gpointer	 v;

	if (oa == NULL)
		return;
	/* Tokens not saved yet are saved now, or said lost: a reload or
	 * the end of --once must not drop them silently. */
	g_hash_table_iter_init(&it, oa->logins);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct login *lg = v;

		if (lg->unsaved.name == NULL)
			continue;
		sd_err_clear(&err);
		if (row_save(oa, &lg->unsaved, lg->unsaved_used, &err) == -1)
			log_errx("oauth: login=%s: new tokens could not be "
			    "saved (%s); a sign-in may be needed",
			    lg->unsaved.name, err.msg);
	}
	g_hash_table_destroy(oa->logins);
	store_close(&oa->st);
	g_mutex_clear(&oa->mu);
	free(oa);
	*oap = NULL;
}

/* What supportctl oauth calls the login: the mailbox, or "smtp". */
static const char *
login_arg(const char *login)
{
	return strncmp(login, "imap:", 5) == 0 ? login + 5 : login;
}

const struct sd_conf_oauth2 *
oauth_settings(const struct sd_conf *conf, const char *login)
{
	const struct sd_conf_mailbox *mb;

	if (strcmp(login, "smtp") == 0)
		return conf->smtp.auth == SD_AUTH_OAUTH2 ?
		    &conf->smtp.oauth2 : NULL;
	if (strncmp(login, "imap:", 5) != 0 ||
	    (mb = conf_mailbox(conf, login + 5)) == NULL)
		return NULL;
	return mb->imap.auth == SD_AUTH_OAUTH2 ? &mb->imap.oauth2 : NULL;
}

sd_time
oauth_backoff(int n)
{
	sd_time d = BACKOFF_FIRST;

	for (int i = 1; i < n && d < BACKOFF_MAX; i++)
		d *= 2;
	return MIN(d, BACKOFF_MAX);
}

bool
oauth_due(sd_time obtained, sd_time expires, sd_time now)
{
	if (expires <= obtained)
		return true;
	return now >= obtained + (expires - obtained) * 4 / 5;
}

/* Whose tokens a row holds: a change of endpoint or client (or key and
 * subject) makes the old ones worthless. */
static char *
issuer_of(const struct sd_conf_oauth2 *o)
{
	if (o->grant == SD_GRANT_JWT_BEARER)
		return xasprintf("%s %s %s", o->token_url, o->key_file,
		    o->subject ? o->subject : "");
	return xasprintf("%s %s", o->token_url, o->client_id);
}

static struct login *
login_get(struct sd_oauth *oa, const char *name)
{
	struct login *lg;

	g_mutex_lock(&oa->mu);
	if ((lg = g_hash_table_lookup(oa->logins, name)) == NULL) {
		lg = xcalloc(1, sizeof(*lg));
		g_mutex_init(&lg->mu);
		g_hash_table_insert(oa->logins, xstrdup(name), lg);
	}
	g_mutex_unlock(&oa->mu);
	return lg;
}

/* Called with oa->mu held. */
static int
store_ready(struct sd_oauth *oa, struct sd_err *err)
{
	if (oa->st != NULL)
		return 0;
	return store_open(oa->conf->database, &oa->st, err);
}

static int
row_get(struct sd_oauth *oa, const char *name, struct sd_token *t,
    bool *found_r, struct sd_err *err)
{
	int r;

	g_mutex_lock(&oa->mu);
	r = store_ready(oa, err) == -1 ? -1 :
	    store_token_get(oa->st, name, t, found_r, err);
	g_mutex_unlock(&oa->mu);
	return r;
}

/* A sign-in's tokens: written whatever the row held. */
static int
row_put(struct sd_oauth *oa, const struct sd_token *t, struct sd_err *err)
{
	int r;

	g_mutex_lock(&oa->mu);
	r = store_ready(oa, err) == -1 ? -1 : store_token_put(oa->st, t, err);
	g_mutex_unlock(&oa->mu);
	return r;
}

/*
 * Writes t unless the row changed since it was read with the refresh
 * token `used` (supportctl oauth login, or another supportd, wrote it
 * meanwhile): then 1, and the caller takes the row as it now is.  One
 * transaction, so two processes never write over each other.
 */
static int
row_save(struct sd_oauth *oa, const struct sd_token *t, const char *used,
    struct sd_err *err)
{
	struct sd_token	 cur;
	bool		 found = false;
	int		 r = -1;

	memset(&cur, 0, sizeof(cur));
	g_mutex_lock(&oa->mu);
	if (store_ready(oa, err) == -1 || store_begin(oa->st, err) == -1)
		goto out;
	if (store_token_get(oa->st, t->name, &cur, &found, err) == -1) {
		store_rollback(oa->st);
		goto out;
	}
	if (found && g_strcmp0(cur.issuer, t->issuer) == 0 &&
	    g_strcmp0(cur.refresh_token, used) != 0) {
		store_rollback(oa->st);
		r = 1;
		goto out;
	}
	if (store_token_put(oa->st, t, err) == -1) {
		store_rollback(oa->st);
		goto out;
	}
	r = store_commit(oa->st, err) == -1 ? -1 : 0;
 out:
	g_mutex_unlock(&oa->mu);
	store_token_clear(&cur);
	return r;
}

static void
form_add(GString *f, const char *key, const char *value)
{
	gchar *v;

	if (value == NULL)
		return;
	v = g_uri_escape_string(value, NULL, FALSE);
	/* Not g_string_append_printf: its temporary copy is not wiped. */
	if (f->len > 0)
		g_string_append_c(f, '&');
	g_string_append(f, key);
	g_string_append_c(f, '=');
	g_string_append(f, v);
	explicit_bzero(v, strlen(v));
	g_free(v);
}

/* Big enough never to be moved (a move would leave a copy of the
 * secret behind): refresh tokens run to 2 KB, assertions to 1 KB. */
static GString *
form_new(void)
{
	return g_string_sized_new(8192);
}

static void
form_free(GString *f)
{
	explicit_bzero(f->str, f->len);
	g_string_free(f, TRUE);
}

/* client_id and, when there is one, the secret (read anew each time: a
 * rotated secret needs no restart). */
static int
form_client(GString *f, const struct sd_conf_oauth2 *o, struct sd_err *err)
{
	char *secret = NULL;

	form_add(f, "client_id", o->client_id);
	if (o->client_secret_file == NULL)
		return 0;
	if ((secret = conf_read_secret(NULL, o->client_secret_file, err))
	    == NULL)
		return -1;
	form_add(f, "client_secret", secret);
	secret_free(&secret);
	return 0;
}

/* The token request's form for o's grant. */
static GString *
grant_form(const struct sd_conf_oauth2 *o, const struct sd_token *t,
    sd_time now, struct sd_err *err)
{
	GString	*f = form_new();
	gchar	*key = NULL;
	gsize	 len;
	GError	*ge = NULL;
	char	*jwt, *iss;

	switch (o->grant) {
	case SD_GRANT_CLIENT_CREDENTIALS:
		form_add(f, "grant_type", "client_credentials");
		if (form_client(f, o, err) == -1)
			goto fail;
		form_add(f, "scope", o->scope);
		break;
	case SD_GRANT_REFRESH_TOKEN:
		form_add(f, "grant_type", "refresh_token");
		form_add(f, "refresh_token", t->refresh_token);
		if (form_client(f, o, err) == -1)
			goto fail;
		form_add(f, "scope", o->scope);
		break;
	case SD_GRANT_JWT_BEARER:
		if (!g_file_get_contents(o->key_file, &key, &len, &ge)) {
			sd_err_set(err, SD_E_CONFIG, "key_file: %s",
			    ge->message);
			g_error_free(ge);
			goto fail;
		}
		if (len > OAUTH_BODY_MAX || oauth_jwt_assertion(key, len,
		    o->token_url, o->scope, o->subject, now, &jwt, &iss,
		    err) == -1) {
			if (len > OAUTH_BODY_MAX)
				sd_err_set(err, SD_E_CONFIG, "key_file: over "
				    "64 KiB");
			explicit_bzero(key, len);
			g_free(key);
			goto fail;
		}
		explicit_bzero(key, len);
		g_free(key);
		form_add(f, "grant_type",
		    "urn:ietf:params:oauth:grant-type:jwt-bearer");
		form_add(f, "assertion", jwt);
		secret_free(&jwt);
		free(iss);
		break;
	}
	return f;
 fail:
	form_free(f);
	return NULL;
}

/* A provider's text may hold anything: it goes to the log, to the
 * database and to a terminal, so control characters become '?'. */
static char *
printable(char *s)
{
	for (unsigned char *p = (unsigned char *)s; p && *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* The error a provider gave, for the log and the status: its code and
 * the start of its description (never a token: those are not echoed). */
static char *
answer_error(const struct oauth_answer *a, long status)
{
	if (a->error == NULL)
		return xasprintf("HTTP %ld without a token", status);
	return printable(xasprintf("%.64s%s%.200s", a->error,
	    a->error_description ? ": " : "",
	    a->error_description ? a->error_description : ""));
}

/* SPEC §15.3, §16.3 until it lands: a login refused for good is posted
 * to the on-call webhook, once. */
static void
alert(struct sd_oauth *oa, const char *name, const char *what,
    const char *why)
{
	const struct sd_conf	*c = oa->conf;
	struct sd_err		 err;
	GString			*js;
	gchar			*id;
	bool			 first = true;

	log_errx("oauth: login=%s: %s: %s; mail on this login waits until "
	    "an administrator acts (see supportctl oauth status)", name,
	    what, why);
	if (c->oncall_webhook == NULL)
		return;
	id = g_uuid_string_random();
	js = g_string_new("{");
	json_kv_str(js, &first, "event", "oauth-failed");
	json_kv_str(js, &first, "id", id);
	json_kv_str(js, &first, "login", name);
	json_kv_str(js, &first, "what", what);
	json_kv_str(js, &first, "error", why);
	json_kv_time(js, &first, "at", sd_now(), c->calendar.timezone);
	g_string_append(js, "}");
	sd_err_clear(&err);
	g_mutex_lock(&oa->mu);
	if (store_ready(oa, &err) == -1 ||
	    store_outbox_queue_webhook(oa->st, 0, c->oncall_webhook, id, js,
	    sd_now(), &err) == -1)
		log_errx("oauth: login=%s: the alert could not be queued: %s",
		    name, err.msg);
	g_mutex_unlock(&oa->mu);
	g_string_free(js, TRUE);
	g_free(id);
}

static void
cache(struct login *lg, const struct sd_token *t)
{
	secret_free(&lg->access);
	lg->access = xstrdup(t->access_token);
	lg->obtained = t->obtained_at;
	lg->expires = t->expires_at;
}

/*
 * Asks the token endpoint for a new token.  0 with the new tokens in t
 * (not yet saved); -1 with err and t's failure fields set and saved.
 * A provider's final refusal marks the login dead (a refresh token so
 * refused waits for a new sign-in); a problem on our side (a secret or
 * key that cannot be read, a certificate not trusted) does not, but
 * both are alerted, once a run of failures.  Called with the login's
 * mutex held.
 */
static int
request(struct sd_oauth *oa, const struct sd_conf_oauth2 *o,
    struct sd_token *t, sd_time now, struct sd_err *err)
{
	struct oauth_answer	 a;
	struct sd_err		 rerr;
	GString			*form;
	long			 status = 0;
	bool			 final, local, tell;
	char			*why, *used = xstrdup(t->refresh_token);
	int			 r;

	sd_err_clear(&rerr);
	memset(&a, 0, sizeof(a));
	if ((form = grant_form(o, t, now, &rerr)) != NULL) {
		(void)oauth_post(o->token_url, form->str, o, &status, &a,
		    &rerr);
		form_free(form);
	}
	if (rerr.cls == SD_E_NONE && a.access_token != NULL) {
		secret_free(&t->access_token);
		t->access_token = a.access_token;
		a.access_token = NULL;
		if (a.refresh_token != NULL) {	/* rotated */
			secret_free(&t->refresh_token);
			t->refresh_token = a.refresh_token;
			a.refresh_token = NULL;
		}
		t->obtained_at = now;
		t->expires_at = now + (a.expires_in ? a.expires_in :
		    DEFAULT_LIFE);
		g_clear_pointer(&t->last_error, free);
		t->error_at = 0;
		if (t->failures > 0 || t->dead)
			log_info("oauth: login=%s: token obtained again after "
			    "%d failed request(s)", t->name, t->failures);
		t->failures = 0;
		t->dead = false;
		t->next_try = 0;
		t->alerted = false;
		oauth_answer_clear(&a);
		secret_free(&used);
		return 0;
	}
	why = rerr.cls != SD_E_NONE ? printable(xstrdup(rerr.msg)) :
	    answer_error(&a, status);
	/* A client error that names a final code; a server's 5xx says
	 * nothing of the grant. */
	final = status >= 400 && status < 500 && oauth_error_final(a.error);
	local = !final && rerr.cls == SD_E_CONFIG;
	oauth_answer_clear(&a);
	free(t->last_error);
	t->last_error = why;
	t->error_at = now;
	t->failures++;
	t->next_try = now + oauth_backoff(t->failures);
	t->dead = final;
	/* Told once a run of failures, whatever kind came first. */
	tell = (final || local) && !t->alerted;
	t->alerted = t->alerted || final || local;
	r = row_save(oa, t, used, err);
	secret_free(&used);
	if (r == -1)
		return -1;
	if (r == 1)	/* signed in again meanwhile: that row counts */
		return sd_err_set(err, SD_E_TEMP, "oauth: login=%s: the login "
		    "changed while its token was asked for; trying again",
		    t->name);
	if (tell)
		alert(oa, t->name, final ? "refused for good" :
		    "cannot ask for a token", why);
	return sd_err_set(err, final || local ? SD_E_CONFIG : SD_E_TEMP,
	    "oauth: login=%s: token request failed: %s; next in %llds",
	    t->name, why, (long long)(t->next_try - now));
}

/*
 * Saves what request() got, before it is used.  0: saved (or another
 * process's newer row taken into t instead); -1: kept in the login to
 * be saved first thing next time.
 */
static int
save_new(struct sd_oauth *oa, struct login *lg, struct sd_token *t,
    const char *used, struct sd_err *err)
{
	bool	found;
	char	*name;
	int	r = row_save(oa, t, used, err);

	if (r == 1) {
		/* Another login or supportd wrote a newer row: use it. */
		name = xstrdup(t->name);
		store_token_clear(t);
		r = row_get(oa, name, t, &found, err);
		free(name);
		if (r == -1)
			return -1;
		return found && t->access_token != NULL &&
		    !oauth_due(t->obtained_at, t->expires_at, time(NULL)) ? 0 :
		    sd_err_set(err, SD_E_TEMP, "oauth: the login changed "
		    "while its token was asked for; trying again");
	}
	if (r == -1) {
		store_token_clear(&lg->unsaved);
		lg->unsaved = *t;
		memset(t, 0, sizeof(*t));
		secret_free(&lg->unsaved_used);
		lg->unsaved_used = xstrdup(used);
		return -1;
	}
	return 0;
}

int
oauth_bearer(struct sd_oauth *oa, const char *name,
    const struct sd_conf_oauth2 *o, bool stale, char **token_r,
    struct sd_err *err)
{
	struct login	*lg = login_get(oa, name);
	struct sd_token	 t;
	sd_time		 now = time(NULL);
	char		*issuer = issuer_of(o), *used = NULL;
	bool		 found;
	int		 ret = -1;

	*token_r = NULL;
	memset(&t, 0, sizeof(t));
	g_mutex_lock(&lg->mu);
	/* What the endpoint gave last time is saved before all else. */
	if (lg->unsaved.name != NULL) {
		t = lg->unsaved;
		memset(&lg->unsaved, 0, sizeof(lg->unsaved));
		used = lg->unsaved_used;
		lg->unsaved_used = NULL;
		if (save_new(oa, lg, &t, used, err) == -1)
			goto out;
		cache(lg, &t);
	}
	if (!stale && lg->access != NULL &&
	    !oauth_due(lg->obtained, lg->expires, now)) {
		*token_r = xstrdup(lg->access);
		ret = 0;
		goto out;
	}
	store_token_clear(&t);
	if (row_get(oa, name, &t, &found, err) == -1)
		goto out;
	if (!found || strcmp(t.issuer, issuer) != 0) {
		/* Another client's tokens are no use to this one. */
		store_token_clear(&t);
		t.name = xstrdup(name);
	}
	free(t.issuer);
	t.issuer = xstrdup(issuer);
	/* The stored token is good unless it is the one refused. */
	if (t.access_token != NULL &&
	    !oauth_due(t.obtained_at, t.expires_at, now) &&
	    !(stale && lg->access != NULL &&
	    strcmp(lg->access, t.access_token) == 0)) {
		cache(lg, &t);
		*token_r = xstrdup(t.access_token);
		ret = 0;
		goto out;
	}
	if (o->grant == SD_GRANT_REFRESH_TOKEN && t.refresh_token == NULL) {
		sd_err_set(err, SD_E_CONFIG, "oauth: login=%s: no refresh "
		    "token; run supportctl oauth login %s", name,
		    login_arg(name));
		goto out;
	}
	if (t.dead && o->grant == SD_GRANT_REFRESH_TOKEN) {
		sd_err_set(err, SD_E_CONFIG, "oauth: login=%s: refused for "
		    "good (%s); run supportctl oauth login %s", name,
		    t.last_error ? t.last_error : "no detail",
		    login_arg(name));
		goto out;
	}
	if (now < t.next_try) {
		sd_err_set(err, t.dead ? SD_E_CONFIG : SD_E_TEMP, "oauth: "
		    "login=%s: token request failed: %s; next in %llds", name,
		    t.last_error ? t.last_error : "no detail",
		    (long long)(t.next_try - now));
		goto out;
	}
	if (now < lg->next_try) {
		sd_err_set(err, SD_E_TEMP, "oauth: login=%s: token request "
		    "failed; next in %llds", name,
		    (long long)(lg->next_try - now));
		goto out;
	}
	secret_free(&used);
	used = xstrdup(t.refresh_token);
	if (request(oa, o, &t, now, err) == -1) {
		lg->next_try = t.next_try;
		goto out;
	}
	lg->next_try = 0;
	if (save_new(oa, lg, &t, used, err) == -1)
		goto out;
	cache(lg, &t);
	*token_r = xstrdup(t.access_token);
	ret = 0;
 out:
	store_token_clear(&t);
	secret_free(&used);
	g_mutex_unlock(&lg->mu);
	free(issuer);
	return ret;
}

/*
 * RFC 8628: the device authorization request, then the token endpoint
 * polled every `interval` seconds (5 more after each slow_down) until
 * the user has signed in, refused, or the code expired.
 */
int
oauth_device_login(struct sd_oauth *oa, const char *name,
    const struct sd_conf_oauth2 *o, FILE *out, struct sd_err *err)
{
	struct oauth_answer	 dev, a;
	struct sd_token		 t;
	GString			*form;
	sd_time			 interval, until, now;
	long			 status;
	char			*why;
	bool			 found;
	int			 ret = -1;

	if (o->grant != SD_GRANT_REFRESH_TOKEN)
		return sd_err_set(err, SD_E_CONFIG, "oauth: login=%s: grant "
		    "is not refresh_token: supportd gets its tokens by itself",
		    name);
	if (o->device_url == NULL)
		return sd_err_set(err, SD_E_CONFIG, "oauth: login=%s: no "
		    "device_url configured", name);
	form = form_new();
	form_add(form, "client_id", o->client_id);
	form_add(form, "scope", o->scope);
	if (oauth_post(o->device_url, form->str, o, &status, &dev, err)
	    == -1) {
		form_free(form);
		return -1;
	}
	form_free(form);
	if (dev.device_code == NULL || dev.user_code == NULL ||
	    dev.verification_uri == NULL) {
		why = answer_error(&dev, status);
		sd_err_set(err, SD_E_CONFIG, "oauth: login=%s: device "
		    "authorization refused: %s", name, why);
		free(why);
		oauth_answer_clear(&dev);
		return -1;
	}
	fprintf(out, "To let supportd read and send mail as %s, open\n"
	    "  %s\nand enter the code %s\n", name,
	    printable(dev.verification_uri), printable(dev.user_code));
	fflush(out);
	memset(&a, 0, sizeof(a));
	now = time(NULL);
	interval = dev.interval ? dev.interval : 5;
	until = now + (dev.expires_in ? dev.expires_in : DEVICE_LIFE);
	for (;;) {
		if (time(NULL) + interval > until) {
			sd_err_set(err, SD_E_TEMP, "oauth: login=%s: the code "
			    "expired before it was entered", name);
			break;
		}
		g_usleep((gulong)interval * G_USEC_PER_SEC);
		form = form_new();
		form_add(form, "grant_type",
		    "urn:ietf:params:oauth:grant-type:device_code");
		form_add(form, "device_code", dev.device_code);
		if (form_client(form, o, err) == -1) {
			form_free(form);
			break;
		}
		if (oauth_post(o->token_url, form->str, o, &status, &a,
		    err) == -1) {
			form_free(form);
			/* The endpoint's hiccup: poll on, slower. */
			log_warnx("oauth: login=%s: %s; polling on", name,
			    err->msg);
			sd_err_clear(err);
			interval = MIN(interval * 2, 60);
			continue;
		}
		form_free(form);
		if (a.access_token != NULL)
			break;
		if (a.error != NULL && strcmp(a.error,
		    "authorization_pending") == 0) {
			oauth_answer_clear(&a);
			continue;
		}
		if (a.error != NULL && strcmp(a.error, "slow_down") == 0) {
			interval += 5;
			oauth_answer_clear(&a);
			continue;
		}
		why = answer_error(&a, status);
		sd_err_set(err, SD_E_CONFIG, "oauth: login=%s: sign-in "
		    "failed: %s", name, why);
		free(why);
		oauth_answer_clear(&a);
		break;
	}
	oauth_answer_clear(&dev);
	if (a.access_token == NULL)
		return -1;
	if (a.refresh_token == NULL) {
		oauth_answer_clear(&a);
		return sd_err_set(err, SD_E_CONFIG, "oauth: login=%s: the "
		    "provider gave no refresh token (is offline_access in "
		    "the scope?)", name);
	}
	if (row_get(oa, name, &t, &found, err) == -1) {
		oauth_answer_clear(&a);
		return -1;
	}
	store_token_clear(&t);
	now = time(NULL);
	t.name = xstrdup(name);
	t.issuer = issuer_of(o);
	t.access_token = a.access_token;
	t.refresh_token = a.refresh_token;
	a.access_token = a.refresh_token = NULL;
	t.obtained_at = now;
	t.expires_at = now + (a.expires_in ? a.expires_in : DEFAULT_LIFE);
	ret = row_put(oa, &t, err);
	store_token_clear(&t);
	oauth_answer_clear(&a);
	return ret;
}

int
oauth_store_refresh(struct sd_oauth *oa, const char *name,
    const struct sd_conf_oauth2 *o, const char *refresh_token,
    struct sd_err *err)
{
	struct sd_token	t;
	int		r;

	if (o->grant != SD_GRANT_REFRESH_TOKEN)
		return sd_err_set(err, SD_E_CONFIG, "oauth: login=%s: grant "
		    "is not refresh_token: supportd gets its tokens by itself",
		    name);
	memset(&t, 0, sizeof(t));
	t.name = xstrdup(name);
	t.issuer = issuer_of(o);
	t.refresh_token = xstrdup(refresh_token);
	r = row_put(oa, &t, err);
	store_token_clear(&t);
	return r;
}
