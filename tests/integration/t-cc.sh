#!/bin/bash
# SPDX-License-Identifier: MIT
# Cc and participants (issue #20 point 3, SPEC §13.3): a customer's
# colleague in To or Cc becomes a participant and is copied on the first
# response and the agent's replies; a stranger's or a forged sender's Cc
# never is; our mailboxes and the vendor side never are; #cc and
# supportctl participants add and remove, and a removal sticks.  One
# refused Cc does not keep the mail from the requester.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
write_config 'agents = [ "bob@vendor.example" ];' 'agents_require_auth = false;' \
	'team = { emails = [ "team@vendor.example" ]; };'
n=0
mail() {	# mail FROM SUBJECT BODY HEADERS...
	n=$((n + 1))
	local from=$1 subj=$2 body=$3
	shift 3
	{
		printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <c%s@test>\n' "$from" "$subj" "$n"
		for h in "$@"; do printf '%s\n' "$h"; done
		printf '\n%s\n' "$body"
	} >"$T/m$n.eml"
	deliver "$T/m$n.eml"
	supportd --once >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
}
people() { supportctl participants "$1" --json | json_py '" ".join(p["email"] + ":" + p["role"] for p in j)'; }

# --- a customer's colleagues in Cc are copied -----------------------------
mail 'Ann <ann@acme.example>' 'printer jams' 'It jams.' \
	'Cc: Dee <dee@acme.example>, eve@evil.example, support@vendor.example, bob@vendor.example, support+note-1-0123456789abcdef@vendor.example, noreply@acme.example, "x y"@acme.example'
assert_eq "$(people 1)" "ann@acme.example:requester dee@acme.example:cc" \
	"a colleague in Cc joins; an outsider, our mailbox, a note address, an agent, a robot and an odd address do not"
k=$(sink_find '^Subject: \[Ticket#1\]' | head -n 1)
assert_eq "$(sink_rcpts "$k")" "ann@acme.example dee@acme.example " "the first response goes to both"
assert_eq "$(sink_header "$k" To)" "Ann <ann@acme.example>" "To the requester"
assert_eq "$(sink_header "$k" Cc)" "dee@acme.example" "Cc the colleague"

# --- a stranger's Cc is never copied ---------------------------------------
mail 'zed@nowhere.example' 'question' 'hi' 'Cc: victim1@nowhere.example, victim2@else.example'
id=$(sql "SELECT id FROM tickets WHERE requester_email='zed@nowhere.example'")
assert_eq "$(people "$id")" "zed@nowhere.example:requester" "a stranger's ticket gains nobody from Cc"
k=$(sink_find '^To:.*zed@nowhere\.example' | head -n 1)
assert_eq "$(sink_rcpts "$k")" "zed@nowhere.example " "his answer goes to him alone"

# --- later mail: To and Cc join as copied ----------------------------------
mail 'dee@acme.example' 'Re: [Ticket#1] printer jams' 'Also the second printer.' \
	'To: support@vendor.example, Fay <fay@acme.example>'
assert_eq "$(people 1)" "ann@acme.example:requester dee@acme.example:cc fay@acme.example:joined" \
	"a colleague in To of a later mail joins"

# --- the agent's reply: requester To, the others Cc ------------------------
mail 'bob@vendor.example' 'Re: [Ticket#1] printer jams' 'Please send the model number.'
r=$(sink_find 'Please send the model number' | tail -n 1)
assert_eq "$(sink_rcpts "$r")" "ann@acme.example dee@acme.example fay@acme.example " \
	"an agent's reply goes to every participant"
assert_eq "$(sink_header "$r" Cc)" "dee@acme.example, fay@acme.example" "the others in Cc"

# --- #cc and supportctl participants ---------------------------------------
mail 'bob@vendor.example' 'Re: [Ticket#1] printer jams' '#cc remove fay@acme.example
#cc add gus@partner.example
#internal
Fay left; Gus is their contractor.'
assert_eq "$(people 1)" "ann@acme.example:requester dee@acme.example:cc fay@acme.example:removed gus@partner.example:cc" \
	"#cc remove and #cc add (an agent may add anyone)"
mail 'dee@acme.example' 'Re: [Ticket#1] printer jams' 'Fay, see this.' 'Cc: fay@acme.example'
assert_match "$(people 1)" 'fay@acme\.example:removed' "a removal sticks: a later Cc does not undo it"
assert_cmd "supportctl participants add" supportctl participants 1 add hal@acme.example --by bob@vendor.example
assert_cmd "supportctl participants remove" supportctl participants 1 remove gus@partner.example
assert_eq "$(people 1)" "ann@acme.example:requester dee@acme.example:cc fay@acme.example:removed gus@partner.example:removed hal@acme.example:cc" \
	"supportctl participants lists them with their roles"
assert_eq "$(sql "SELECT actor || ' ' || detail FROM events WHERE ticket_id=1 AND kind='participant' AND detail LIKE '%hal%'")" \
	"bob@vendor.example added hal@acme.example" "each change is an event"
out=$(supportctl participants 1 remove ann@acme.example 2>&1)
assert_eq "$?" 65 "the requester cannot be removed (EX_DATAERR)"
assert_match "$out" "is the requester" "saying why"
assert_exit 65 "nor our mailbox added" supportctl participants 1 add support@vendor.example
assert_exit 65 "nor something that is no address" supportctl participants 1 add 'x y@z'
assert_exit 65 "an unknown ticket" supportctl participants 99
mail 'bob@vendor.example' 'Re: [Ticket#1] printer jams' '#cc add support@vendor.example
Text.'
assert_eq "$(sink_find '^Subject: \[Ticket#1\] Not applied' | wc -l)" 1 "a bad #cc refuses the whole mail, telling the agent"
assert_eq "$(sink_find '^Text\.$' | wc -l)" 0 "and its text is not sent"

# --- cc_participants = false ------------------------------------------------
write_config 'agents = [ "bob@vendor.example" ];' 'agents_require_auth = false;' 'cc_participants = false;'
mail 'bob@vendor.example' 'Re: [Ticket#1] printer jams' 'Only to Ann.'
r=$(sink_find 'Only to Ann' | tail -n 1)
assert_eq "$(sink_rcpts "$r")" "ann@acme.example " "cc_participants = false: the requester alone"

# --- one refused Cc does not keep the mail from the requester --------------
write_config 'agents = [ "bob@vendor.example" ];' 'agents_require_auth = false;'
assert_cmd "the Cc to be refused joins" supportctl participants 1 add refuse-rcpt@acme.example
smtp_mode 'rcpt:refuse-rcpt@acme.example 550 5.1.1 No such user'
mail 'bob@vendor.example' 'Re: [Ticket#1] printer jams' 'Despite the bad address.'
smtp_mode
r=$(sink_find 'Despite the bad address' | tail -n 1)
assert_match "$r" '^[0-9]+$' "one Cc refused at RCPT: the mail still went out"
assert_file_contains "$(sink_env "$r")" '^RCPT TO:<ann@acme\.example>$' "to the requester"
assert_match "$(sink_header "$r" Cc)" 'refuse-rcpt@acme\.example' "it was addressed to the Cc as well"
assert_file_contains "$T/smtpsink.log" 'RCPT TO:<refuse-rcpt@acme\.example> -> 550' \
	"which was tried, and refused at RCPT"
assert_file_lacks "$(sink_env "$r")" 'refuse-rcpt' "without the refused one"
assert_eq "$(sql "SELECT status FROM outbox WHERE CAST(raw AS TEXT) LIKE '%Despite the bad address%'")" sent "and is marked sent"
it_done
