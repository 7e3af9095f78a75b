#!/bin/bash
# SPDX-License-Identifier: MIT
# Cc and participants (issue #20 point 3, SPEC §13.3): the people a
# customer's mail went to become participants, and the first response
# and the agents' replies copy them (cc_participants), never our own
# mailboxes or agents; a stranger's Cc is never mailed.
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

write_config 'agents = [ "dave@vendor.example" ];' 'cc_participants = false;'
printf 'Fixed.\n' | supportctl reply 1 --file - --by dave@vendor.example --now "$NOW" >/dev/null
supportctl tick --now "$NOW" >/dev/null 2>&1
k=$(sink_find '^Fixed\.' | tail -n 1)
assert_eq "$(sink_header "$k" Cc)" "" "cc_participants = false copies no one"
it_done
