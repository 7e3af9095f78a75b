#!/bin/bash
# SPDX-License-Identifier: MIT
# Notifications to the vendor side (issue #20 point 1, SPEC §13.1):
# notify-new, notify-reply, notify-assigned and notify-reopened go out
# through Dovecot and the SMTP sink, to the right people, as
# auto-generated mail, with the customer's new text, never to a
# customer and never because of a robot.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
config() {	# config [EXTRA...]
	write_config 'team = { emails = [ "team@vendor.example", "support@vendor.example" ]; };' \
		'organizations = ( { name = "Acme Retail"; domains = [ "acme.example" ];
  tier = "premium"; contacts = { level1 = "am-acme@vendor.example"; }; } );' \
		'agents = [ "bob@vendor.example", "carol@vendor.example" ];' \
		'agents_require_auth = false;' "$@"
}
config
n=0
mail() {	# mail FROM SUBJECT BODY [HEADER]
	n=$((n + 1))
	{
		printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <n%s@test>\n' "$1" "$2" "$n"
		[ -z "${4:-}" ] || printf '%s\n' "$4"
		printf '\n%s\n' "$3"
	} >"$T/m$n.eml"
	deliver "$T/m$n.eml"
	supportd --once >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
}
# notes KIND: the numbers of the sunk notifications of that kind.
notes() { sink_find "^Subject: \\[C[1-4]\\] $1 "; }

# --- notify-new: the team and the level-1 contact -----------------------
mail 'Ann <ann@acme.example>' '[BUG] export fails' 'The export fails with error 42.

On Mon, Ann wrote:
> old text'
k=$(notes New)
assert_match "$k" '^[0-9]+$' "a new ticket: one notify-new"
assert_eq "$(sink_header "$k" Subject)" "[C3] New [Ticket#1] [BUG] export fails" "its subject: priority and tag"
assert_eq "$(sink_rcpts "$k")" "am-acme@vendor.example team@vendor.example " \
	"to the team and Acme's level-1 contact, never to our own mailbox"
assert_eq "$(sink_header "$k" Auto-Submitted)" "auto-generated" "Auto-Submitted: auto-generated"
assert_file_contains "$(sink_env "$k")" '^MAIL FROM:<support@vendor\.example>$' \
	"the mailbox as envelope sender: bounces come back to the ticket"
body=$(sink_body "$k")
assert_match "$body" 'The export fails with error 42\.' "with the customer's text"
assert_file_lacks "$(sink_text "$k")" 'old text' "without the quoted history"
assert_match "$body" 'Organization: +Acme Retail' "the organization"
assert_match "$body" 'Respond by: +[A-Z][a-z]{2} ' "the SLA due times"
assert_eq "$(sql "SELECT detail FROM events WHERE ticket_id=1 AND kind='notified'")" \
	"team@vendor.example, am-acme@vendor.example" "an event names the recipients"
assert_eq "$(sql "SELECT kind || ' ' || ticket_id FROM outbox WHERE rcpts LIKE 'team@%' ORDER BY id LIMIT 1")" \
	"notify-new 1" "its outbox row names the ticket"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE ticket_id=1 AND direction='out' AND reason LIKE 'ack%'")" 1 \
	"the ticket's own mail is recorded with its template as reason"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE ticket_id=1 AND direction='out' AND reason LIKE 'notify-%'")" 0 \
	"not a mail of the ticket (show stays the conversation)"

# A stranger's text is shown to the team (never echoed to the stranger).
mail 'zed@nowhere.example' 'hello' 'Buy cheap watches at http://spam.example now.'
k=$(notes New | tail -n 1)
assert_eq "$(sink_rcpts "$k")" "team@vendor.example " "a stranger's ticket: the team only"
assert_match "$(sink_body "$k")" 'cheap watches' "with the text"
assert_match "$(sink_body "$k")" 'none: a sender of no known customer' "saying it is no customer"

# --- notify-reply: the team while nobody is assigned --------------------
mail 'Ann <ann@acme.example>' 'Re: [Ticket#1] [BUG] export fails' 'Here is the log you wanted.

-----Original Message-----
From: Vendor Support'
k=$(notes Reply)
assert_match "$k" '^[0-9]+$' "customer mail on a ticket: one notify-reply"
assert_eq "$(sink_rcpts "$k")" "team@vendor.example " "to the team while nobody is assigned"
assert_match "$(sink_body "$k")" 'ann@acme\.example wrote on \[Ticket#1\]' "saying who wrote"
assert_match "$(sink_body "$k")" 'Here is the log you wanted\.' "with the new text"
assert_file_lacks "$(sink_text "$k")" 'Original Message' "quoted history removed"

# --- notify-assigned, then replies go to the assignee -------------------
supportctl set 1 assignee carol@vendor.example --by bob@vendor.example >/dev/null
supportctl tick >/dev/null 2>&1
k=$(sink_find '^Subject: \[C3\] Assigned to you: \[Ticket#1\]')
assert_match "$k" '^[0-9]+$' "assigning sends notify-assigned"
assert_eq "$(sink_rcpts "$k")" "carol@vendor.example " "to the new assignee"
assert_match "$(sink_body "$k")" $'last mail, from ann@acme\\.example:\n\nHere is the log you wanted\\.' \
	"showing the customer's last mail, its new text"
supportctl set 1 assignee bob@vendor.example --by bob@vendor.example >/dev/null
supportctl tick >/dev/null 2>&1
assert_eq "$(sink_find '^To: .*bob@vendor\.example' | wc -l)" 0 "nobody is told he took a ticket himself"
supportctl set 1 assignee carol@vendor.example --by bob@vendor.example >/dev/null
mail 'Dee <dee@acme.example>' 'Re: [Ticket#1] [BUG] export fails' 'Same here.' 'Cc: ann@acme.example'
k=$(notes Reply | tail -n 1)
assert_eq "$(sink_rcpts "$k")" "carol@vendor.example " "with an assignee, the reply goes to the assignee only"

# --- an assignee is never one of the ticket's customers -------------------
out=$(supportctl set 1 assignee ann@acme.example 2>&1)
assert_eq "$?" 65 "a customer of the ticket cannot be its assignee (EX_DATAERR)"
assert_match "$out" "is a customer on this ticket" "saying why"
assert_exit 65 "nor something that is no plain address" supportctl set 1 assignee 'x"y@z'
# One who becomes a customer later (he writes on it) is not told.
supportctl set 1 assignee gus@acme.example >/dev/null
mail 'gus@acme.example' 'Re: [Ticket#1] [BUG] export fails' 'I am Ann'"'"'s boss, any news?'
mail 'Ann <ann@acme.example>' 'Re: [Ticket#1] [BUG] export fails' 'Any news?'
k=$(notes Reply | tail -n 1)
assert_eq "$(sink_rcpts "$k")" "team@vendor.example " "an assignee who wrote as a customer is not told; the team is"
assert_file_contains "$T/run.log" 'gus@acme\.example is a participant; no notification' "the log says why"
assert_cmd "assignee none unassigns" supportctl set 1 assignee none
assert_eq "$(supportctl show 1 --json | json_get .assignee)" null "no assignee"
supportctl set 1 assignee carol@vendor.example >/dev/null

# --- notify-reopened ------------------------------------------------------
supportctl set 1 status resolved --by carol@vendor.example >/dev/null
mail 'Ann <ann@acme.example>' 'Re: [Ticket#1] [BUG] export fails' 'It broke again.'
k=$(notes Reopened)
assert_match "$k" '^[0-9]+$' "customer mail on a resolved ticket: notify-reopened"
assert_eq "$(sink_rcpts "$k")" "carol@vendor.example " "to the assignee"
assert_match "$(sink_body "$k")" 'It broke again\.' "with the text"
assert_eq "$(notes Reply | wc -l)" 4 "and no notify-reply besides"

# --- robots are never a cause --------------------------------------------
before=$(sink_count)
mail 'mailer-daemon@acme.example' 'Re: [Ticket#1] Out of office' 'I am away.' 'Auto-Submitted: auto-replied'
assert_eq "$(sink_count)" "$before" "an auto-reply on a ticket notifies nobody"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE from_addr = 'mailer-daemon@acme.example'")" 1 \
	"though it was taken in"

# --- per priority: notify_new = false ------------------------------------
config 'priorities = ( { name = "C4"; notify_new = false; } );'
before=$(notes New | wc -l)
mail 'Ann <ann@acme.example>' '[C4] typo on the login page' 'A typo.'
assert_eq "$(sql "SELECT priority FROM tickets ORDER BY id DESC LIMIT 1")" C4 "a C4 ticket"
assert_eq "$(notes New | wc -l)" "$before" "priorities.[].notify_new = false: no notify-new"
mail 'Ann <ann@acme.example>' '[C2] reports are slow' 'Slow.'
assert_eq "$(notes New | wc -l)" "$((before + 1))" "other priorities still notify"
it_done
