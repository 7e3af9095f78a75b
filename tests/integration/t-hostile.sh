#!/bin/bash
# SPDX-License-Identifier: MIT
# Mail from people who should not get their way (issue #19): a stranger
# who knows a ticket's Message-ID, a forged colleague of the customer, a
# different mail reusing a Message-ID.  Each section failed on the code
# of 202f870.
. "$(dirname "$0")/lib.sh"
it_init "$0"
NOW=2026-11-16T11:00:00+05:30
start_dovecot
start_smtp
write_config 'trusted_authserv_id = "mx.vendor.example";'
n=0
# mail FROM SUBJECT [HEADER-LINES [BODY]]: deliver and take it in.
mail() {
	n=$((n + 1))
	{
		printf 'From: %s\nTo: support@vendor.example\nSubject: %s\n' "$1" "$2"
		printf 'Message-ID: <h%s@test>\n' "$n"
		[ -z "${3:-}" ] || printf '%s\n' "$3"
		printf '\n%s\n' "${4:-hello}"
	} >"$T/m$n.eml"
	deliver "$T/m$n.eml" "$NOW"
	supportd --once --now "$NOW" >>"$T/run.log" 2>&1 ||
		not_ok "supportd --once" "$(tail "$T/run.log")"
}
tickets() { supportctl list --json | json_get length; }
status() { supportctl show "$1" --json | json_get .status; }
people() { sql "SELECT group_concat(email, ' ') FROM (SELECT email FROM participants WHERE ticket_id=$1 ORDER BY email)"; }
AUTH='Authentication-Results: mx.vendor.example; dkim=pass header.d=acme.example'

mail 'Ann <ann@acme.example>' 'printer jams'
assert_eq "$(tickets)" 1 "ann's ticket"

# --- point 6: a Message-ID is not a key to someone else's ticket -------
mail 'mallory@evil.example' 'Re: printer jams' 'In-Reply-To: <h1@test>
References: <h1@test>' '#close'
assert_eq "$(tickets)" 2 "a stranger's reply to ann's mail starts a new ticket"
assert_ne "$(status 1)" closed "and does not close ann's ticket"
assert_eq "$(people 1)" "ann@acme.example" "nor makes him one of its people"
mail 'frank@acme.example' 'Re: printer jams' 'In-Reply-To: <h1@test>' 'Same here.'
assert_eq "$(tickets)" 2 "a colleague of ann's organization threads by In-Reply-To"
assert_eq "$(people 1)" "ann@acme.example frank@acme.example" "and becomes a participant"

# --- point 6: #close only from a participant, authenticated ------------
mail 'bob@acme.example' 'Re: [Ticket#1] printer jams' "$AUTH" '#close'
assert_ne "$(status 1)" closed "a colleague's first mail with #close does not close"
assert_eq "$(sql "SELECT detail FROM events WHERE ticket_id=1 AND kind='close-refused'")" \
	"only a participant of the ticket may close it" "the ticket says why"
mail 'ann@acme.example' 'Re: [Ticket#1] printer jams' '' '#close'
assert_ne "$(status 1)" closed "ann's #close without an authenticated domain does not close"
assert_match "$(sql "SELECT detail FROM events WHERE ticket_id=1 AND kind='close-refused' ORDER BY id DESC LIMIT 1")" \
	"no Authentication-Results" "and the ticket says why"
mail 'ann@acme.example' 'Re: [Ticket#1] printer jams' "$AUTH" '#close'
assert_eq "$(status 1)" closed "ann's #close from an authenticated domain closes"

# --- point 3: another mail reusing a Message-ID is kept ----------------
printf 'From: carol@globex.example\nTo: support@vendor.example\nSubject: first\nMessage-ID: <same@test>\n\none\n' >"$T/a.eml"
printf 'From: eve@evil.example\nTo: support@vendor.example\nSubject: second\nMessage-ID: <same@test>\n\ntwo\n' >"$T/b.eml"
before=$(tickets)
deliver "$T/a.eml" "$NOW"
deliver "$T/b.eml" "$NOW"
deliver "$T/a.eml" "$NOW"
supportd --once --now "$NOW" >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
assert_eq "$(($(tickets) - before))" 2 "a different mail with a used Message-ID is a ticket of its own"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE message_id='same@test' AND direction='in'")" 2 \
	"the true redelivery is still a duplicate"
assert_eq "$(sql "SELECT group_concat(subject, ',') FROM (SELECT subject FROM tickets ORDER BY id) WHERE subject IN ('first','second')")" \
	"first,second" "both are kept"
it_done
