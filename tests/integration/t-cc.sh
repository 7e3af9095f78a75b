#!/bin/bash
# SPDX-License-Identifier: MIT
# Cc and participants (issue #20 point 3, SPEC §13.3): the people a
# customer's mail went to become participants, and the first response
# and the agents' replies copy them (cc_participants), never our own
# mailboxes or agents; a stranger's Cc is never mailed.  Agents manage
# them with #cc add|remove and supportctl participants.
. "$(dirname "$0")/lib.sh"
it_init "$0"
NOW=2026-11-16T11:00:00+05:30
start_dovecot
start_smtp
write_config 'agents = [ "dave@vendor.example" ];'
mail() {	# mail NAME FROM TO CC
	printf 'From: %s\nTo: %s\nCc: %s\nSubject: export %s\nMessage-ID: <%s@test>\n\nslow\n' \
		"$2" "$3" "$4" "$1" "$1" >"$T/$1.eml"
	deliver "$T/$1.eml" "$NOW"
	supportd --once --now "$NOW" >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
}
people() { sql "SELECT group_concat(email, ' ') FROM (SELECT email FROM participants WHERE ticket_id=$1 ORDER BY email)"; }

mail a 'Ann <ann@acme.example>' 'support@vendor.example, Bob <bob@acme.example>' \
	'carol@partner.example, dave@vendor.example'
assert_eq "$(people 1)" "ann@acme.example bob@acme.example carol@partner.example" \
	"To and Cc join the ticket, not our mailbox or an agent"
k=$(sink_find '^To:.*ann@acme\.example' | tail -n 1)
assert_match "$(sink_header "$k" Cc)" 'bob@acme\.example.*carol@partner\.example' \
	"the first response copies them"
assert_file_contains "$(sink_env "$k")" '^RCPT TO:<carol@partner\.example>$' "and they get it"
assert_file_lacks "$(sink_env "$k")" 'dave@vendor\.example' "not the agent"

printf 'We are looking into it.\n' | supportctl reply 1 --file - --by dave@vendor.example --now "$NOW" >/dev/null
supportctl tick --now "$NOW" >/dev/null 2>&1
k=$(sink_find 'We are looking into it' | tail -n 1)
assert_match "$(sink_header "$k" Cc)" 'bob@acme\.example.*carol@partner\.example' \
	"an agent's reply copies them too"

mail b 'eve@stranger.example' 'support@vendor.example' 'victim@elsewhere.example'
k=$(sink_find '^To:.*eve@stranger\.example' | tail -n 1)
assert_match "$k" '^[0-9]+$' "a stranger is answered"
assert_eq "$(sink_header "$k" Cc)" "" "but his Cc is not mailed"

# supportctl participants: list, add, remove.
assert_eq "$(supportctl participants 1 --json | json_py '[p["email"] + " " + p["role"] for p in j]')" \
	"['ann@acme.example requester', 'bob@acme.example cc', 'carol@partner.example cc']" "participants --json"
assert_exit 0 "participants add" supportctl participants 1 add Erin@Acme.example --by dave@vendor.example
assert_match "$(supportctl participants 1)" 'erin@acme\.example +cc' "...lower-cased, as cc"
assert_exit 0 "participants remove" supportctl participants 1 remove carol@partner.example
assert_eq "$(sql "SELECT group_concat(kind || ' ' || detail, ', ') FROM events WHERE ticket_id=1 AND kind LIKE 'participant-%'")" \
	"participant-added erin@acme.example, participant-removed carol@partner.example" "each change is an event"
assert_exit 65 "the requester cannot be removed" supportctl participants 1 remove ann@acme.example
assert_exit 65 "nor our mailbox added" supportctl participants 1 add support@vendor.example
assert_exit 65 "nor an agent" supportctl participants 1 add dave@vendor.example
assert_exit 64 "an unknown action is a usage error" supportctl participants 1 frob x@y.example

# #cc by mail (agents_require_auth off: t-agent-mail tests the header).
write_config 'agents = [ "dave@vendor.example" ];' 'agents_require_auth = false;'
printf 'From: dave@vendor.example\nTo: support@vendor.example\nSubject: Re: [Ticket#1] export a\nMessage-ID: <cc1@test>\n\n#cc add frank@acme.example\n#cc remove erin@acme.example\nFrank joins us.\n' >"$T/cc1.eml"
deliver "$T/cc1.eml" "$NOW"
supportd --once --now "$NOW" >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
assert_eq "$(people 1)" "ann@acme.example bob@acme.example frank@acme.example" "#cc add and #cc remove"
k=$(sink_find 'Frank joins us' | tail -n 1)
assert_match "$(sink_header "$k" Cc)" 'frank@acme\.example' "the reply with them already copies frank"
printf 'From: dave@vendor.example\nTo: support@vendor.example\nSubject: Re: [Ticket#1] export a\nMessage-ID: <cc2@test>\n\n#cc add support@vendor.example\nnot sent\n' >"$T/cc2.eml"
deliver "$T/cc2.eml" "$NOW"
supportd --once --now "$NOW" >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
assert_eq "$(sink_find 'not sent' | wc -l)" 0 "#cc add of our own mailbox applies nothing"
assert_match "$(sink_body "$(sink_find '^Subject: \[Ticket#1\] Not applied' | tail -n 1)")" \
	'cannot apply "#cc add support@vendor.example"' "and dave is told why"

write_config 'agents = [ "dave@vendor.example" ];' 'cc_participants = false;'
printf 'Fixed.\n' | supportctl reply 1 --file - --by dave@vendor.example --now "$NOW" >/dev/null
supportctl tick --now "$NOW" >/dev/null 2>&1
k=$(sink_find '^Fixed\.' | tail -n 1)
assert_eq "$(sink_header "$k" Cc)" "" "cc_participants = false copies no one"
it_done
