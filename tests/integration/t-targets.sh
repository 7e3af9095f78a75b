#!/bin/bash
# SPDX-License-Identifier: MIT
# Three targets, all enforced (issue #21 point 5, SPEC §14.5), driven by
# --now against real Dovecot, SMTP and HTTP servers: response, update
# and resolution each warn at sla.warn_at (80 %) and breach at 100 %,
# once each: an event, a mail, and for a breach the webhook.  The
# automatic acknowledgement satisfies nothing; an agent's reply
# satisfies the response and starts a new update window; resolving
# meets the resolution; a ticket that may wake nobody waits for
# business hours (SPEC §14.7).
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
start_http

write_config 'team = { emails = [ "support-team@vendor.example" ]; };' \
	"oncall = { emails = [ \"oncall@vendor.example\" ];
  webhook = \"http://127.0.0.1:$HTTP_PORT/hooks/supportd\"; };" \
	'tiers = ( { name = "default"; },
  { name = "premium"; response = { C2 = "1h"; }; update = { C2 = "2h"; };
    resolution = { C2 = "4h"; }; } );'

n=0
mail() {	# mail FROM SUBJECT WHEN
	n=$((n + 1))
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <g%s@test>\n\nhello\n' \
		"$1" "$2" "$n" >"$T/g$n.eml"
	deliver "$T/g$n.eml" "$3"
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
ev() { sql "SELECT count(*) FROM events WHERE ticket_id=$1 AND kind='$2' AND detail LIKE '$3%'"; }
hooks() {	# hooks ID EVENT: webhook POSTs of EVENT about ticket ID
	"$IT_PYTHON" -c 'import glob, json, sys
print(sum(1 for f in glob.glob(sys.argv[1] + "/*.json")
          for b in [json.loads(json.load(open(f))["body"])]
          if b.get("ticket") == int(sys.argv[2]) and b.get("event") == sys.argv[3]))' \
		"$T/http" "$1" "$2"
}
mails() { sink_find "^Subject: \[SLA $1\].*\[Ticket#$2\] $3" | wc -l; }

# --- Monday 10:00 IST: two premium C2s ----------------------------------
mail 'ann@acme.example' 'C2 orders slow' 2026-11-16T10:00:00+05:30
mail 'ann@acme.example' 'C2 exports fail' 2026-11-16T10:00:00+05:30
once_at 2026-11-16T10:00:00+05:30
a=$(id_of 'C2 orders slow')
b=$(id_of 'C2 exports fail')
assert_ne "$(ticket_field "$a" first_response_at)" null "the acknowledgement went out"
printf 'We are on it.\n' >"$T/reply.txt"
assert_cmd "an agent answers b at 10:30" supportctl reply "$b" --file "$T/reply.txt" \
	--by bob@vendor.example --now 2026-11-16T10:30:00+05:30

# Response: 1 h, its warning at 48 minutes.
once_at 2026-11-16T10:47:00+05:30
assert_eq "$(ev "$a" sla-warning response)" 0 "10:47: no response warning yet"
once_at 2026-11-16T10:49:00+05:30
assert_eq "$(ev "$a" sla-warning response)" 1 "10:49: the response warning, though an automatic reply went out"
assert_eq "$(mails WARNING "$a" 'response due')" 1 "mailed (sla-warning)"
assert_eq "$(ev "$b" sla-warning response)" 0 "the answered ticket has none"
once_at 2026-11-16T11:01:00+05:30
assert_eq "$(ev "$a" sla-breach response)" 1 "11:01: the response breach"
assert_eq "$(mails BREACH "$a" 'response was due')" 1 "mailed (sla-breach)"
assert_eq "$(hooks "$a" response-breach)" 1 "and posted"
assert_eq "$(ev "$b" sla-breach response)" 0 "the answered ticket: none"
body=$(sink_body "$(sink_find "^Subject: \[SLA BREACH\].*\[Ticket#$a\]" | head -n 1)")
assert_match "$body" "was due at.Mon 16 Nov 2026 11:00 IST" "the mail says when it was due"

# Update: 2 h of silence; a's since 10:00, b's since the reply at 10:30.
once_at 2026-11-16T11:37:00+05:30
assert_eq "$(ev "$a" sla-warning update)" 1 "11:37: a's update warning (96 minutes)"
assert_eq "$(ev "$b" sla-warning update)" 0 "b's silence is shorter"
once_at 2026-11-16T12:01:00+05:30
assert_eq "$(ev "$a" sla-breach update)" 1 "12:01: a's update breach"
assert_eq "$(ticket_events "$a" c1-reminder)" 1 "which reminds (c1-update-reminder)"
assert_eq "$(hooks "$a" update-breach)" 1 "and is posted"
once_at 2026-11-16T12:07:00+05:30
assert_eq "$(ev "$b" sla-warning update)" 1 "12:07: b's update warning"
# b is resolved before its time is up.
assert_cmd "b resolved at 12:10" supportctl set "$b" status resolved --now 2026-11-16T12:10:00+05:30

# Resolution: 4 h, its warning at 3 h 12 min.
once_at 2026-11-16T13:13:00+05:30
assert_eq "$(ev "$a" sla-warning resolution)" 1 "13:13: a's resolution warning"
once_at 2026-11-16T14:01:00+05:30
assert_eq "$(ev "$a" sla-breach resolution)" 1 "14:01: a's resolution breach"
assert_eq "$(hooks "$a" resolution-breach)" 1 "posted"
once_at 2026-11-16T14:05:00+05:30
assert_eq "$(ticket_events "$a" c1-reminder)" 2 "the update reminder again, 2 h after the first"
assert_eq "$(ev "$a" sla-breach update)" 1 "but the same silence breaches once"
for e in sla-warning sla-breach; do
	assert_eq "$(ticket_events "$b" "$e")" "$([ $e = sla-warning ] && echo 1 || echo 0)" \
		"b: $e as expected (resolved in time)"
done

# Once each: reopened and resolved again, a breaches nothing twice.
assert_cmd "a resolved" supportctl set "$a" status resolved --now 2026-11-16T14:30:00+05:30
assert_cmd "a reopened" supportctl set "$a" status open --now 2026-11-16T14:40:00+05:30
once_at 2026-11-16T17:00:00+05:30
assert_eq "$(ev "$a" sla-breach resolution)" 1 "a's resolution breach stays one"
assert_eq "$(ev "$a" sla-breach response)" 1 "and its response breach"

# --- After hours: a C2 that may wake nobody -------------------------------
mail 'ann@acme.example' 'C2 late order' 2026-11-16T17:30:00+05:30
once_at 2026-11-16T17:30:00+05:30
c=$(id_of 'C2 late order')
assert_eq "$(ticket_field "$c" response_due)" "2026-11-16T18:30:00+05:30" "due 18:30, after closing"
once_at 2026-11-16T18:20:00+05:30
once_at 2026-11-16T19:00:00+05:30
once_at 2026-11-17T03:00:00+05:30
assert_eq "$(ev "$c" sla-breach response)$(hooks "$c" response-breach)" 00 \
	"its breach wakes nobody at night"
once_at 2026-11-17T10:01:00+05:30
assert_eq "$(ev "$c" sla-breach response)" 1 "it is recorded when business hours begin"
assert_eq "$(hooks "$c" response-breach)" 1 "and posted then"
# --- Merged tickets keep their own once-each --------------------------------
mail 'ann@acme.example' 'C2 cart empty' 2026-11-17T15:00:00+05:30
mail 'ann@acme.example' 'C2 cart empty again' 2026-11-17T15:30:00+05:30
once_at 2026-11-17T15:30:00+05:30
e=$(id_of 'C2 cart empty')
f=$(id_of 'C2 cart empty again')
once_at 2026-11-17T16:01:00+05:30
assert_eq "$(ev "$e" sla-breach response)" 1 "e's response breached at 16:00"
assert_cmd "e merged into f" supportctl merge "$e" "$f" --now 2026-11-17T16:10:00+05:30
once_at 2026-11-17T16:31:00+05:30
assert_eq "$(hooks "$f" response-breach)" 1 "f's own breach at 16:30, though e's moved in"

# --- Reopened after an in-time resolve: the time resolved stood ----------
mail 'ann@acme.example' 'C2 coupon broken' 2026-11-18T10:00:00+05:30
once_at 2026-11-18T10:00:30+05:30
h=$(id_of 'C2 coupon broken')
assert_cmd "h answered" supportctl reply "$h" --file "$T/reply.txt" --now 2026-11-18T10:10:00+05:30
assert_cmd "h resolved at 12:00" supportctl set "$h" status resolved --now 2026-11-18T12:00:00+05:30
assert_cmd "h reopened at 15:00" supportctl set "$h" status open --now 2026-11-18T15:00:00+05:30
assert_eq "$(ticket_field "$h" resolution_due)" "2026-11-18T17:00:00+05:30" \
	"its resolution due moved by the 3 h it was resolved"
once_at 2026-11-18T15:01:00+05:30
assert_eq "$(ev "$h" sla-breach resolution)" 0 "no breach on reopening"

# --- The update target waits while the customer is asked --------------------
mail 'ann@acme.example' 'C2 login broken' 2026-11-19T10:00:00+05:30
once_at 2026-11-19T10:00:30+05:30
g=$(id_of 'C2 login broken')
assert_cmd "g waits on the customer" supportctl set "$g" status waiting-on-customer \
	--now 2026-11-19T10:05:00+05:30
once_at 2026-11-19T11:59:00+05:30
assert_eq "$(ev "$g" sla-warning update)$(ticket_events "$g" c1-reminder)" 00 \
	"no update owed while waiting on the customer (it would have warned at 11:36)"
assert_cmd "g answered at 12:00" supportctl set "$g" status open --now 2026-11-19T12:00:00+05:30
once_at 2026-11-19T13:35:00+05:30
assert_eq "$(ev "$g" sla-warning update)" 0 "13:35: the silence counts from the answer"
once_at 2026-11-19T13:37:00+05:30
assert_eq "$(ev "$g" sla-warning 'update, silent since 2026-11-19T12:00')" 1 \
	"13:37: the update warning, 96 minutes after the answer"

# --- Tickets made before the targets existed get them, not their past -------
# As after an upgrade from a version without them: their timers are gone.
mail 'ann@acme.example' 'C2 before the upgrade' 2026-11-20T10:00:00+05:30
mail 'ann@acme.example' 'C2 long before the upgrade' 2026-11-20T10:00:00+05:30
once_at 2026-11-20T10:00:30+05:30
u=$(id_of 'C2 before the upgrade')
v=$(id_of 'C2 long before the upgrade')
timers() { sql "SELECT count(*) FROM timers WHERE ticket_id = $1 AND kind = '$2'"; }
sql "DELETE FROM timers WHERE ticket_id IN ($u, $v) AND kind IN ('sla-response', 'sla-resolution')"
once_at 2026-11-20T10:30:00+05:30
assert_eq "$(timers "$u" sla-response)$(timers "$u" sla-resolution)" 11 \
	"at start, an open ticket without its targets' timers gets them"
sql "DELETE FROM timers WHERE ticket_id = $v AND kind IN ('sla-response', 'sla-resolution')"
once_at 2026-11-20T12:00:00+05:30
assert_eq "$(timers "$v" sla-response)$(timers "$v" sla-resolution)" 01 \
	"a response already past due is history: no timer, only the resolution's"
assert_eq "$(ev "$v" sla-breach response)" 0 "and no breach mailed for it now"
assert_eq "$(ev "$u" sla-breach response)" 1 "the other one's own breach came at 11:00"
it_done
