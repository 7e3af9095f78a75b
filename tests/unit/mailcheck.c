/* SPDX-License-Identifier: MIT */
/* mailcheck.c - see mailcheck.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "harness.h"
#include "mailcheck.h"

struct sd_mail *
parse_fixture(const char *name, int *rc_r)
{
	struct sd_mail	*m = NULL;
	struct sd_err	 err;
	char		 rel[256];
	char		*buf;
	size_t		 len;

	snprintf(rel, sizeof(rel), "fixtures/mail/%s", name);
	if ((buf = test_slurp(rel, &len)) == NULL) {
		printf("# cannot read %s\n", test_srcpath(rel));
		*rc_r = -2;
		return NULL;
	}
	sd_err_clear(&err);
	*rc_r = mime_parse(buf, len, &m, &err);
	if (*rc_r == -1 && err.cls != SD_E_PERM)
		*rc_r = -3;
	free(buf);
	return m;
}

struct sd_mail *
parse_str(const char *s)
{
	struct sd_mail	*m = NULL;
	struct sd_err	 err;

	if (mime_parse(s, strlen(s), &m, &err) == -1)
		return NULL;
	return m;
}

static bool
utf8_ok(const char *s)
{
	return s == NULL || g_utf8_validate(s, -1, NULL);
}

bool
mail_utf8_ok(const struct sd_mail *m)
{
	bool ok = m->subject != NULL && m->body != NULL &&
	    m->content_type != NULL &&
	    utf8_ok(m->subject) && utf8_ok(m->body) &&
	    utf8_ok(m->from.name) && utf8_ok(m->from.addr) &&
	    utf8_ok(m->reply_to.name) && utf8_ok(m->reply_to.addr) &&
	    utf8_ok(m->message_id) && utf8_ok(m->in_reply_to) &&
	    utf8_ok(m->auto_submitted) && utf8_ok(m->precedence) &&
	    utf8_ok(m->return_path) && utf8_ok(m->content_type) &&
	    utf8_ok(m->x_supportd_ticket);

	for (size_t i = 0; i < m->to.n; i++)
		ok = ok && utf8_ok(m->to.v[i]);
	for (size_t i = 0; i < m->cc.n; i++)
		ok = ok && utf8_ok(m->cc.v[i]);
	for (size_t i = 0; i < m->references.n; i++)
		ok = ok && utf8_ok(m->references.v[i]);
	for (size_t i = 0; i < m->auth_results.n; i++)
		ok = ok && utf8_ok(m->auth_results.v[i]);
	for (size_t i = 0; i < m->nattachments; i++) {
		const char *n = m->attachments[i].name;

		ok = ok && utf8_ok(n) && utf8_ok(m->attachments[i].type) &&
		    m->attachments[i].type != NULL;
		ok = ok && (n == NULL || (strchr(n, '/') == NULL &&
		    strchr(n, '\\') == NULL));
		for (const char *p = n; p != NULL && *p != '\0'; p++)
			ok = ok && (unsigned char)*p >= 0x20 && *p != 0x7f;
	}
	/* The one-line fields have no line breaks. */
	ok = ok && strpbrk(m->subject, "\r\n") == NULL;
	return ok;
}
