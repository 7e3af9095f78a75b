#!/bin/bash
# SPDX-License-Identifier: MIT
# The escalation ladder (issue #21 point 4, SPEC §14.4), driven by --now
# against real Dovecot and SMTP servers: ConnectSoft's four levels, the
# upper two for enterprise (premium) customers only; an organization's
# own level-4 contact; a priority that never escalates; and the clock
# standing still while the ticket waits on the customer, moving the
# escalations and the resolution due time by as long.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp

write_config 'priorities = ( { name = "C4"; escalation_window = "none"; } );' \
	'escalation = { levels = (
  { name = "Support Team"; contact = "support-team@vendor.example"; },
  { name = "Senior Support Engineer"; contact = "senior@vendor.example"; },
  { name = "Engineering Team"; contact = "engineering@vendor.example"; },
  { name = "CTO/Leadership"; contact = "cto@vendor.example"; } ); };' \
	'tiers = ( { name = "default"; escalation_levels = 2;
    response = { C1 = "4h"; C2 = "1bd"; }; },
  { name = "premium"; response = { C1 = "1h"; C2 = "4h"; }; } );' \
	'organizations = (
  { name = "Acme Retail"; domains = [ "acme.example" ]; tier = "premium";
    contacts = { level4 = "cto-office@acme-vendor.example"; }; },
  { name = "Small Co"; domains = [ "small.example" ]; tier = "default"; } );'

n=0
mail() {	# mail FROM SUBJECT [BODY]
	n=$((n + 1))
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <l%s@test>\n\n%s\n' \
		"$1" "$2" "$n" "${3:-hello}" >"$T/l$n.eml"
	deliver "$T/l$n.eml" "$WHEN"	# the server's time, for exact due times
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
level() { ticket_field "$1" escalation_level; }
to() { sink_find "^To:.*$1" | wc -l; }

assert_cmd "supportd -n accepts the ladder" supportd -n

# --- Monday 10:00 IST: four tickets --------------------------------------
WHEN=2026-11-16T10:00:00+05:30
mail 'ann@acme.example' 'C2 reports broken'
mail 'ann@acme.example' 'C2 invoices wrong'
mail 'sam@small.example' 'C2 small shop slow'
mail 'ann@acme.example' 'C4 typo on the login page'
once_at 2026-11-16T10:00:00+05:30
plain=$(id_of 'C2 reports broken')
waits=$(id_of 'C2 invoices wrong')
small=$(id_of 'C2 small shop slow')
low=$(id_of 'C4 typo on the login page')
res_before=$(ticket_field "$waits" resolution_due)
assert_eq "$res_before" "2026-11-17T10:00:00+05:30" "premium C2: resolution due in 24 h"

# The customer is asked something: the clock stands still.
assert_cmd "waiting on the customer" supportctl set "$waits" status waiting-on-customer \
	--now 2026-11-16T10:30:00+05:30
assert_eq "$(ticket_events "$waits" clock-paused)" 1 "the pause is an event"

once_at 2026-11-16T11:01:00+05:30
assert_eq "$(level "$plain")" 2 "one window (1 business hour): level 2"
assert_eq "$(level "$small")" 2 "the default tier reaches level 2 as well"
assert_eq "$(level "$waits")" 1 "a ticket waiting on the customer does not escalate"
assert_eq "$(to 'senior@vendor\.example')" 2 "level 2's contact was mailed twice"
body=$(sink_body_to 'senior@vendor\.example')
assert_match "$body" "escalated to.level 2 \(Senior Support Engineer\)" "the mail names the level"

# The customer's answer is in at 11:30: the clock runs again, an hour
# later.  (Set here at an exact time; the answer by mail is below.)
assert_cmd "open again" supportctl set "$waits" status open --now 2026-11-16T11:30:00+05:30
assert_eq "$(ticket_events "$waits" clock-resumed)" 1 "the resume is an event"
assert_eq "$(ticket_field "$waits" resolution_due)" "2026-11-17T11:00:00+05:30" \
	"the resolution due time moved by the hour it stood"
assert_eq "$(ticket_field "$waits" response_due)" "2026-11-16T14:00:00+05:30" \
	"the first response is owed as before"

once_at 2026-11-16T12:01:00+05:30
assert_eq "$(level "$plain")" 3 "two windows: level 3 for the enterprise customer"
assert_eq "$(level "$waits")" 2 "the paused one: level 2, an hour later"
assert_eq "$(level "$small")" 2 "the default tier stops at its cap"
assert_eq "$(to 'engineering@vendor\.example')" 1 "level 3 (engineering) mailed once"

once_at 2026-11-16T13:01:00+05:30
assert_eq "$(level "$plain")" 4 "three windows: level 4"
assert_eq "$(level "$waits")" 3 "the paused one: level 3"
assert_eq "$(to 'cto-office@acme-vendor\.example')" 1 "level 4 goes to the organization's own contact"
assert_eq "$(to 'cto@vendor\.example')" 0 "not the global one"
body=$(sink_body_to 'cto-office@acme-vendor\.example')
assert_match "$body" "level 4 \(CTO/Leadership\)" "named as the ladder's top"

once_at 2026-11-16T14:01:00+05:30
assert_eq "$(level "$waits")" 4 "the paused one reaches level 4 an hour after the other"

# Waiting again, and the customer's mail ends the wait.
assert_cmd "waiting again" supportctl set "$small" status waiting-on-customer \
	--now 2026-11-16T14:10:00+05:30
WHEN=2026-11-16T14:20:00+05:30
mail 'sam@small.example' "Re: [Ticket#$small] C2 small shop slow" 'It is slow again.'
once_at 2026-11-16T14:20:00+05:30
assert_eq "$(ticket_field "$small" status)" open "the customer's answer reopens it"
assert_eq "$(ticket_events "$small" clock-resumed)" 1 "and the clock runs again"
for t in 15:00 17:59; do once_at "2026-11-16T$t:00+05:30"; done
once_at 2026-11-18T17:00:00+05:30
assert_eq "$(level "$plain")" 4 "nothing above the top level"
assert_eq "$(level "$small")" 2 "the capped ticket stays at 2"
assert_eq "$(level "$low")" 1 "a priority with escalation_window none never escalates"
assert_eq "$(ticket_events "$low" escalated)" 0 "and records no escalation"
assert_eq "$(sql "SELECT count(*) FROM events WHERE kind='escalated'")" 7 \
	"seven escalations in all: 3 + 3 + 1 + 0"

# --- A wait across the night: each clock stands its own time --------------
# Thursday 16:00 a premium C2; waiting from 16:30 to Friday 10:30 is 18 h
# of wall time but 2 business hours (16:30-18:00, 10:00-10:30).
WHEN=2026-11-19T16:00:00+05:30
mail 'ann@acme.example' 'C2 overnight wait'
once_at 2026-11-19T16:00:00+05:30
w=$(id_of 'C2 overnight wait')
assert_cmd "waiting overnight" supportctl set "$w" status waiting-on-customer \
	--now 2026-11-19T16:30:00+05:30
once_at 2026-11-19T17:01:00+05:30
assert_eq "$(level "$w")" 1 "no escalation while it waits (it was due 17:00)"
assert_cmd "the answer in the morning" supportctl set "$w" status open \
	--now 2026-11-20T10:30:00+05:30
assert_eq "$(ticket_field "$w" resolution_due)" "2026-11-21T10:00:00+05:30" \
	"the resolution (24 h, wall clock) moves by the 18 h it stood"
once_at 2026-11-20T10:59:00+05:30
assert_eq "$(level "$w")" 1 "10:59: not yet (half an hour of its window is left)"
once_at 2026-11-20T11:01:00+05:30
assert_eq "$(level "$w")" 2 "11:01: level 2, the window on business time moved by 2 h"

# --- A reload that raises a tier's cap lets its tickets climb on -----------
sed -i 's/escalation_levels = 2;/escalation_levels = 3;/' "$CONF"
once_at 2026-11-20T11:05:00+05:30
assert_eq "$(level "$small")" 3 "the capped ticket, long past its third window, climbs to 3"
assert_eq "$(level "$plain")" 4 "the others are as they were"
it_done
