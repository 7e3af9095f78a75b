#!/bin/bash
# SPDX-License-Identifier: MIT
# Tiers own their coverage (issue #21 points 1, 2, 7; SPEC §14.1, §14.2,
# §14.7), driven by --now against real Dovecot, SMTP and HTTP servers:
# a Basic-tier C1 at Saturday 03:00 pages nobody, is told when business
# hours resume and starts its clock then; a stranger's C1 wakes nobody by
# reminder or escalation until Monday; a Premium C1 still does, on the
# wall clock; an organization on its own evening calendar is in hours
# when the business calendar is not, and the other way round.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
start_http

write_config 'team = { emails = [ "support-team@vendor.example" ]; };' \
	"oncall = { emails = [ \"oncall@vendor.example\" ];
  webhook = \"http://127.0.0.1:$HTTP_PORT/hooks/supportd\"; };" \
	'escalation = { level1 = "accounts@vendor.example"; level2 = "csm@vendor.example";
  level3 = "head-of-product@vendor.example"; };' \
	'calendars = ( { name = "evening"; timezone = "Asia/Kolkata";
  open = "18:00"; close = "02:00"; } );' \
	'tiers = ( { name = "default"; response = { C1 = "2h"; }; },
  { name = "premium"; response = { C1 = "1h"; }; },
  { name = "standard"; oncall = [ ]; response = { C1 = "4h"; C2 = "1bd"; }; },
  { name = "basic"; } );' \
	'organizations = (
  { name = "Acme Retail"; domains = [ "acme.example" ]; tier = "premium"; },
  { name = "Basic Co"; domains = [ "basic.example" ]; tier = "basic"; },
  { name = "Night Co"; domains = [ "night.example" ]; tier = "standard";
    calendar = "evening"; } );'

mail() {	# mail NAME FROM SUBJECT WHEN
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@test>\n\nhello\n' \
		"$2" "$3" "$1" >"$T/$1.eml"
	deliver "$T/$1.eml" "$4"
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
hooks() {	# hooks ID: webhook POSTs about ticket ID
	"$IT_PYTHON" -c 'import glob, json, sys
print(sum(json.loads(json.load(open(f))["body"]).get("ticket") == int(sys.argv[2])
          for f in glob.glob(sys.argv[1] + "/*.json")))' "$T/http" "$1"
}

# --- Saturday 03:00-03:20: three C1s --------------------------------------
mail basic 'Bea <bea@basic.example>' 'C1 basic shop down' 2026-11-14T03:00:00+05:30
mail stranger 'eve@unknown.example' 'System Down: stranger' 2026-11-14T03:10:00+05:30
mail premium 'ann@acme.example' 'System Down: premium' 2026-11-14T03:20:00+05:30
once_at 2026-11-14T03:21:00+05:30
b=$(id_of 'C1 basic shop down')
s=$(id_of 'System Down: stranger')
p=$(id_of 'System Down: premium')

# The Basic tier has no after-hours on-call: nobody paged, the customer
# told when business hours resume, the clock waiting for them.
assert_eq "$(ticket_field "$b" priority)" C1 "the Basic customer's mail is a C1"
assert_eq "$(ticket_events "$b" page)$(ticket_events "$b" page-skipped)" 00 "a Basic-tier C1 after hours pages nobody"
assert_eq "$(hooks "$b")" 0 "and posts no webhook"
body=$(sink_body_to bea@basic.example)
assert_match "$body" "outside business hours .*open again on Mon 16 Nov 2026 10:00 IST" \
	"it is answered with ack-after-hours, naming Monday 10:00"
assert_no_match "$body" "paged|on-call" "which promises no page"
assert_eq "$(ticket_field "$b" response_due)" null "Basic is best effort: no response due"
# The Premium C1 pages; the stranger's is answered but pages nobody.
assert_eq "$(ticket_events "$p" page)" 1 "a Premium C1 after hours pages on-call"
assert_eq "$(hooks "$p")" 1 "with the webhook"
assert_eq "$(ticket_field "$p" response_due)" "2026-11-14T04:20:00+05:30" "Premium C1: due 1 h later, at night"
assert_eq "$(ticket_events "$s" page-skipped)" 1 "the stranger's C1 pages nobody"
body=$(sink_body_to eve@unknown.example)
assert_match "$body" "outside business hours .*open again on Mon 16 Nov 2026 10:00 IST" \
	"and is answered with when we open"
assert_no_match "$body" "paged|on-call" "promising no page"
assert_eq "$(ticket_field "$s" response_due)" "2026-11-16T12:00:00+05:30" \
	"its clock starts at the opening: 2 h from Monday 10:00"

# --- Saturday night goes by ------------------------------------------------
for t in 03:40 04:00 04:30 06:00 09:59; do once_at "2026-11-14T$t:00+05:30"; done
once_at 2026-11-15T23:00:00+05:30
assert_eq "$(ticket_field "$p" escalation_level)" 3 "the Premium C1 escalated to level 3 by 04:20, at night"
assert_match "$(ticket_events "$p" c1-reminder)" '^[1-9][0-9]*$' "and on-call was reminded at night"
for t in "$b" "$s"; do
	assert_eq "$(ticket_field "$t" escalation_level)" 1 "ticket $t: no escalation all weekend"
	assert_eq "$(ticket_events "$t" c1-reminder)" 0 "ticket $t: no reminder all weekend"
	assert_eq "$(hooks "$t")" 0 "ticket $t: no webhook all weekend"
done
assert_eq "$(sink_find '^To:.*csm@vendor\.example' | wc -l)" 1 \
	"level 2 was mailed once, for the Premium C1 only"

# --- Monday: business time ---------------------------------------------------
once_at 2026-11-16T10:14:00+05:30
for t in "$b" "$s"; do
	assert_eq "$(ticket_events "$t" c1-reminder)" 0 "ticket $t: 10:14, no reminder yet"
done
assert_eq "$(ticket_events "$s" sla-warning)" 1 "the stranger's: 12 business minutes, the update warning"
once_at 2026-11-16T10:16:00+05:30
assert_eq "$(ticket_events "$s" c1-reminder)" 1 "the stranger's: 15 business minutes: one reminder"
assert_eq "$(ticket_events "$s" sla-breach)" 1 "which is the update target's breach"
# Basic is best effort: no update target, so nobody is reminded.
assert_eq "$(ticket_events "$b" c1-reminder)$(ticket_events "$b" sla-warning)" 00 \
	"the Basic C1: no update target, no reminder"
for t in "$b" "$s"; do
	assert_eq "$(ticket_field "$t" escalation_level)" 1 "ticket $t: 10:16, not escalated yet"
done
once_at 2026-11-16T10:31:00+05:30
for t in "$b" "$s"; do
	assert_eq "$(ticket_field "$t" escalation_level)" 2 "ticket $t: 30 business minutes: level 2"
done
assert_eq "$(hooks "$b")" 1 "the level-2 escalation posted the webhook in business hours"
once_at 2026-11-16T11:01:00+05:30
for t in "$b" "$s"; do
	assert_eq "$(ticket_field "$t" escalation_level)" 3 "ticket $t: one window later, level 3, not both at once"
done

# --- An organization on its own evening calendar (18:00-02:00) --------------
mail eve2 'nick@night.example' 'C2 slow reports' 2026-11-16T19:00:00+05:30
once_at 2026-11-16T19:01:00+05:30
n=$(id_of 'C2 slow reports')
assert_eq "$(ticket_field "$n" after_hours)" false "19:00 is in Night Co's hours"
assert_eq "$(ticket_field "$n" response_due)" "2026-11-17T19:00:00+05:30" \
	"1bd on the evening calendar: 7 h to 02:00, 1 h from 18:00 the next day"
body=$(sink_body_to nick@night.example)
assert_match "$body" "Your request is now ticket" "Night Co's C2 is answered"
assert_no_match "$body" "outside business hours" "as in hours"
mail noon 'nick@night.example' 'C1 noon outage' 2026-11-16T12:00:00+05:30
once_at 2026-11-16T19:02:00+05:30
n=$(id_of 'C1 noon outage')
assert_eq "$(ticket_field "$n" after_hours)" true "noon is outside Night Co's hours"
assert_eq "$(ticket_field "$n" response_due)" "2026-11-16T22:00:00+05:30" \
	"no on-call for its tier: the 4 h start at 18:00"
assert_match "$(sink_body_to nick@night.example)" "open again on Mon 16 Nov 2026 18:00 IST" \
	"the customer is told its own calendar's opening"
assert_eq "$(ticket_events "$n" page)$(ticket_events "$n" page-skipped)" 00 "and nobody is paged"
it_done
