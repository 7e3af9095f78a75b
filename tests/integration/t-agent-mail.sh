#!/bin/bash
# SPDX-License-Identifier: MIT
# Agents by mail (issue #5 point 2, SPEC §9): #commands at the top of an
# agent's reply are applied and the rest relayed to the requester, only
# with an Authentication-Results header from trusted_authserv_id showing
# dkim=pass or spf=pass for the agent's domain; a forged header from
# another authserv-id, or one placed below the trusted one, applies
# nothing and the agent is told why.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
# bob is told about each of his refused mails here, more than the
# default autoreply_limit (5 an hour) allows; t-hostile checks the limit.
AGENTS='agents = [ "bob@vendor.example" ]; trusted_authserv_id = "mx.vendor.example"; autoreply_limit = 50;'
write_config "$AGENTS"
n=0
mail() {	# mail FROM SUBJECT AR-HEADERS BODY
	n=$((n + 1))
	{
		[ -z "$3" ] || printf '%s\n' "$3"
		printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <a%s@test>\n\n%s\n' \
			"$1" "$2" "$n" "$4"
	} >"$T/m$n.eml"
	deliver "$T/m$n.eml"
	supportd --once >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
}
field() { supportctl show 1 --json | json_get ".$1"; }
to_ann() { sink_find '^To:.*ann@acme\.example' | wc -l; }
GOOD='Authentication-Results: mx.vendor.example; dkim=pass header.d=vendor.example header.s=s1; spf=pass smtp.mailfrom=bob@vendor.example'

mail 'Ann <ann@acme.example>' 'printer jams' '' 'It jams.'
acks=$(to_ann)

# --- authenticated: commands applied, the rest relayed -----------------
mail 'Bob <bob@vendor.example>' 'Re: [Ticket#1] printer jams' "$GOOD" '#priority C2
#assign carol@vendor.example
#due 2099-03-01T18:00:00+05:30
#status waiting-on-customer

Hi Ann, please send us the printer logs.'
assert_eq "$(field priority)" C2 "#priority applied"
assert_eq "$(field assignee)" "carol@vendor.example" "#assign applied"
assert_eq "$(field status)" waiting-on-customer "#status applied"
assert_eq "$(field resolution_due)" "2099-03-01T18:00:00+05:30" "#due applied"
assert_ne "$(field agent_response_at)" null "agent_response_at set"
assert_eq "$(to_ann)" "$((acks + 1))" "the rest went to the requester"
r=$(sink_find 'please send us the printer logs')
assert_eq "$(sink_header "$r" From)" "Vendor Support <support@vendor.example>" "from the mailbox address"
assert_eq "$(sink_header "$r" Subject)" "[Ticket#1] Re: printer jams" "with the tag"
assert_eq "$(sink_header "$r" In-Reply-To)" "<a1@test>" "In-Reply-To the customer's mail"
assert_eq "$(sink_header "$r" References)" "<a1@test>" "References too"
assert_eq "$(sink_header "$r" Auto-Submitted)" "" "not marked automatic"
assert_eq "$(sink_body "$r" | grep -c '^#')" 0 "the commands are not relayed"
assert_eq "$(sql "SELECT actor FROM events WHERE ticket_id=1 AND kind='priority'")" \
	"bob@vendor.example" "the events name the agent"

refused() {	# refused MSG: nothing changed, bob told why
	assert_eq "$(field status)" waiting-on-customer "$1: status unchanged"
	assert_eq "$(field priority)" C2 "$1: priority unchanged"
	assert_eq "$(to_ann)" "$((acks + 1))" "$1: nothing sent to the customer"
	local k
	k=$(sink_find '^Subject: \[Ticket#1\] Not applied' | tail -n 1)
	assert_match "$k" '^[0-9]+$' "$1: the agent is told"
}

# --- a forged header from another authserv-id --------------------------
mail 'bob@vendor.example' 'Re: [Ticket#1]' \
	'Authentication-Results: mx.evil.example; dkim=pass header.d=vendor.example' '#priority C1
#status resolved

done'
refused "another authserv-id"
assert_match "$(sink_body "$(sink_find '^Subject: \[Ticket#1\] Not applied' | tail -n 1)")" \
	"not from the trusted authserv-id" "and why"

# --- a passing header placed below the trusted, failing one ------------
mail 'bob@vendor.example' 'Re: [Ticket#1]' \
	"Authentication-Results: mx.vendor.example; dkim=fail header.d=vendor.example; spf=fail smtp.mailfrom=bob@vendor.example
Authentication-Results: mx.vendor.example; dkim=pass header.d=vendor.example" '#status resolved

done'
refused "a pass placed below the trusted header"

# --- a pass for someone else's domain ------------------------------------
mail 'bob@vendor.example' 'Re: [Ticket#1]' \
	'Authentication-Results: mx.vendor.example; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=x@evil.example' \
	'#status resolved'
refused "a pass for another domain"

# --- a pass smuggled in by the sender (issue #19 point 1) ---------------
# Our MX writes the envelope sender and the HELO name into the header; a
# stranger whose own domain passes SPF controls both.
mail 'bob@vendor.example' 'Re: [Ticket#1]' \
	'Authentication-Results: mx.vendor.example; spf=pass smtp.mailfrom="x;dkim=pass header.d=vendor.example "@evil.example' \
	'#status resolved'
refused "a pass inside a quoted local part"
mail 'bob@vendor.example' 'Re: [Ticket#1]' \
	'Authentication-Results: mx.vendor.example; spf=pass smtp.mailfrom=evil.example
 smtp.helo==?utf-8?q?x=3B_dkim=3Dpass_header.d=3Dvendor.example?=' \
	'#status resolved'
refused "a pass inside an encoded word"
mail 'bob@vendor.example' 'Re: [Ticket#1]' \
	'Authentication-Results: mx.vendor.example; spf=fail (x; dkim=pass header.d=vendor.example) smtp.mailfrom=vendor.example' \
	'#status resolved'
refused "a pass inside a comment"

# --- no header at all ----------------------------------------------------
mail 'bob@vendor.example' 'Re: [Ticket#1]' '' '#status resolved'
refused "no Authentication-Results"

# --- a bad command applies nothing, even when authenticated ------------
mail 'bob@vendor.example' 'Re: [Ticket#1]' "$GOOD" '#status resolved
#priority C9

text'
refused "a bad command"
assert_match "$(sink_body "$(sink_find '^Subject: \[Ticket#1\] Not applied' | tail -n 1)")" \
	'cannot apply "#priority C9"' "naming the bad command"

# --- OpenDKIM's header, with its "(2048-bit key; unprotected)" ----------
mail 'bob@vendor.example' 'Re: [Ticket#1]' \
	'Authentication-Results: mx.vendor.example; dkim=pass (2048-bit key; unprotected) header.d=vendor.example header.i=@vendor.example header.a=rsa-sha256 header.s=s1 header.b=AbCdEfGh' \
	'#assign dave@vendor.example
#internal
Dave knows this printer.'
assert_eq "$(field assignee)" "dave@vendor.example" "OpenDKIM's header passes"

# --- #internal: kept, not sent ------------------------------------------
mail 'bob@vendor.example' 'Re: [Ticket#1]' "$GOOD" '#internal
Ann is a VIP; call before closing.'
assert_eq "$(to_ann)" "$((acks + 1))" "#internal sends nothing to the customer"
assert_eq "$(supportctl show 1 --json | json_py '[m["disposition"] for m in j["messages"] if (m["body"] or "").startswith("Ann is a VIP")]')" \
	"['internal']" "the note is on the ticket"

# --- #close --------------------------------------------------------------
mail 'bob@vendor.example' 'Re: [Ticket#1]' "$GOOD" '#close

Closing as agreed on the phone.'
assert_eq "$(field status)" closed "#close closes"
assert_eq "$(to_ann)" "$((acks + 2))" "and the last word still reaches the customer"

# --- agents_require_auth = false -----------------------------------------
mail 'Ann <ann@acme.example>' 'second problem' '' 'Another one.'
write_config "$AGENTS" 'agents_require_auth = false;'
mail 'bob@vendor.example' 'Re: [Ticket#2]' '' '#priority C4'
assert_eq "$(supportctl show 2 --json | json_get .priority)" C4 \
	"with agents_require_auth = false no header is needed"
it_done
