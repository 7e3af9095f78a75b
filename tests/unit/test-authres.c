/* SPDX-License-Identifier: MIT */
/*
 * test-authres.c - the Authentication-Results parser (RFC 8601) on the
 * headers real verifiers write, and on every way we know to smuggle a
 * "dkim=pass header.d=vendor.example" past a naive reader.
 */
#include <string.h>

#include "supportd/authres.h"
#include "supportd/util.h"
#include "harness.h"

#define ID	"mx.vendor.example"
#define DOM	"vendor.example"

/* Whether raw, as written by ID, passes for domain. */
static bool
passes(const char *raw, const char *domain)
{
	struct sd_authres	ar;
	bool			ok;

	if (authres_parse(raw, strlen(raw), &ar) == -1)
		return false;
	ok = authres_passes(&ar, ID, domain);
	authres_clear(&ar);
	return ok;
}

static void
test_verifiers(void)
{
	static const char *const good[] = {
		/* OpenDKIM, with its comment holding a ';'. */
		(ID "; dkim=pass (2048-bit key; unprotected) header.d=" DOM
		    " header.i=@" DOM " header.a=rsa-sha256 header.s=s1"
		    " header.b=AbCdEfGh"),
		/* OpenDMARC. */
		ID "; dmarc=pass (p=none dis=none) header.from=" DOM,
		/* Postfix policyd-spf. */
		(ID "; spf=pass (sender IP is 192.0.2.1)"
		    " smtp.mailfrom=bob@" DOM " smtp.helo=mail." DOM),
		/* Exim, folded as it folds. */
		(ID ";\r\n\tiprev=pass (mail." DOM ") smtp.remote-ip=192.0.2.1;"
		    "\r\n\tspf=pass smtp.mailfrom=" DOM ";\r\n\tdkim=pass header.d="
		    DOM " header.s=s1 header.a=rsa-sha256;\r\n\tdmarc=pass"
		    " header.from=" DOM ";\r\n\tarc=none"),
		/* With a version, a method version, any case, quotes. */
		ID " 1; DKIM/1=Pass Header.D=\"" DOM "\"",
		"MX.Vendor.Example; spf=pass smtp.mailfrom=" DOM,
	};
	struct sd_authres ar;

	test_begin("authres: the headers real verifiers write");
	for (size_t i = 0; i < nitems(good); i++)
		test_assert_idx(passes(good[i], DOM), i);
	/* Only for the domain that passed. */
	test_assert(!passes(good[0], "evil.example"));
	test_assert(!passes(good[0], "sub." DOM));
	test_assert(!passes(good[0], ""));

	/* Exim's full header, parsed: five results, in order. */
	test_assert(authres_parse(good[3], strlen(good[3]), &ar) == 0);
	test_assert_streq(ar.authserv_id, ID);
	test_assert(ar.nresults == 5);
	if (ar.nresults == 5) {
		test_assert_streq(ar.results[0].method, "iprev");
		test_assert_streq(ar.results[2].method, "dkim");
		test_assert_streq(ar.results[2].props[0].ptype, "header");
		test_assert_streq(ar.results[2].props[0].property, "d");
		test_assert_streq(ar.results[2].props[0].value, DOM);
		test_assert_streq(ar.results[4].result, "none");
	}
	authres_clear(&ar);

	/* Microsoft 365's results, with action=none (no ptype) among
	 * the properties: skipped, the results around it kept.  Exchange
	 * Online writes them without the authserv-id RFC 8601 requires;
	 * that form is refused whole (test_smuggling), this is the same
	 * after an authserv-id. */
	{
		const char *ms = ID "; spf=pass (sender IP is 192.0.2.1)"
		    " smtp.mailfrom=" DOM "; dkim=pass (signature was"
		    " verified) header.d=" DOM ";dmarc=pass action=none"
		    " header.from=" DOM ";compauth=pass reason=100";

		test_assert(authres_parse(ms, strlen(ms), &ar) == 0);
		test_assert(ar.nresults == 4);
		if (ar.nresults == 4) {
			test_assert_streq(ar.results[2].method, "dmarc");
			test_assert(ar.results[2].nprops == 1);
			test_assert_streq(ar.results[3].method, "compauth");
		}
		authres_clear(&ar);
		ms += strlen(ID "; ");
		test_assert(authres_parse(ms, strlen(ms), &ar) == -1 &&
		    ar.authserv_id == NULL);
		authres_clear(&ar);
	}
	/* "none": no results at all. */
	test_assert(authres_parse(ID "; none", strlen(ID "; none"), &ar) == 0 &&
	    ar.nresults == 0);
	authres_clear(&ar);
	test_end();
}

static void
test_smuggling(void)
{
	static const char *const bad[] = {
		/* A quoted local part in the envelope sender. */
		(ID "; spf=pass smtp.mailfrom=\"x;dkim=pass header.d=" DOM
		    " \"@evil.example"),
		/* The same with an escaped quote inside. */
		(ID "; spf=pass smtp.mailfrom=\"x\\\";dkim=pass header.d=" DOM
		    "\"@evil.example"),
		/* An encoded word in the HELO name: never decoded. */
		(ID "; spf=pass smtp.mailfrom=evil.example smtp.helo="
		    "=?utf-8?q?x=3B_dkim=3Dpass_header.d=3D" DOM "?="),
		/* In a comment, with and without a ';', nested, escaped. */
		(ID "; spf=pass (dkim=pass header.d=" DOM ") smtp.mailfrom="
		    "evil.example"),
		(ID "; spf=fail (x; dkim=pass header.d=" DOM ") smtp.mailfrom="
		    DOM),
		(ID "; spf=fail (a (b \\) ; dkim=pass header.d=" DOM ") c)"
		    " smtp.mailfrom=" DOM),
		/* In a reason. */
		ID "; spf=fail reason=\"; dkim=pass header.d=" DOM "\"",
		/* Not closed: nothing is believed. */
		ID "; spf=pass smtp.mailfrom=\"x; dkim=pass header.d=" DOM,
		ID "; dkim=pass header.d=" DOM " (unclosed",
		/* Someone else's authserv-id, or one in a quoted string. */
		"mx.evil.example; dkim=pass header.d=" DOM,
		"\"mx.evil.example; " ID "\"; dkim=pass header.d=" DOM,
		/* The pass for a domain that only ends like ours. */
		ID "; dkim=pass header.d=evil" DOM,
		ID "; dkim=pass header.d=" DOM ".evil.example",
		/* A pass of the wrong kind: header.d under spf, helo. */
		ID "; spf=pass header.d=" DOM " smtp.mailfrom=evil.example",
		ID "; spf=pass smtp.helo=" DOM,
		ID "; dkim=neutral header.d=" DOM,
		/* A quote in a comment, where a verifier echoed the envelope
		 * sender: its ')' would end the comment (review of #19). */
		(ID "; spf=pass (mx: domain of \"a); dkim=pass header.d=" DOM
		    " (\"@evil.example designates 192.0.2.1) smtp.mailfrom="
		    "evil.example"),
		/* No authserv-id at all, as Exchange Online writes it. */
		"; dkim=pass header.d=" DOM,
		("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=" DOM
		    "; dkim=pass (signature was verified) header.d=" DOM),
		"",
	};

	test_begin("authres: smuggled passes are text, not results");
	for (size_t i = 0; i < nitems(bad); i++)
		test_assert_idx(!passes(bad[i], DOM), i);
	/* The attacker's own domain passes where it should. */
	test_assert(passes(bad[0], "evil.example"));
	/* No trusted id: nothing passes. */
	{
		struct sd_authres ar;
		const char *h = ID "; dkim=pass header.d=" DOM;

		test_assert(authres_parse(h, strlen(h), &ar) == 0);
		test_assert(!authres_passes(&ar, NULL, DOM));
		authres_clear(&ar);
	}
	test_end();
}

int
main(void)
{
	static void (*const fns[])(void) = {
		test_verifiers,
		test_smuggling,
		NULL,
	};

	return test_run(fns);
}
