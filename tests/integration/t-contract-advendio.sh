#!/bin/bash
# SPDX-License-Identifier: MIT
# ADvendio's policy (issue #21 point 9) as conf/examples/advendio.conf
# says it, against real Dovecot and SMTP servers, a week of mail driven
# by --now: Severity Level 1-4 with their own labels and descriptions,
# the case reasons as categories, targets in business hours only (nobody
# is paged at night), and the escalation path to the Customer Success
# Manager, the COO and the CEO for a Severity 1 left a business day.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
contract_config advendio

n=0
mail() {	# mail FROM SUBJECT WHEN
	n=$((n + 1))
	printf 'From: %s\nTo: support@advendio.example\nSubject: %s\nMessage-ID: <ad%s@test>\n\nhelp\n' \
		"$1" "$2" "$n" >"$T/ad$n.eml"
	deliver "$T/ad$n.eml" "$3"
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
ack_of() {	# the body of the last mail to Ann about SUBJECT
	local k
	k=$(sink_find "^Subject:.*$1" | grep -Fx -f <(sink_find '^To:.*ann@acme\.example') | tail -n 1)
	[ -n "$k" ] && sink_body "$k"
}

assert_cmd "supportd -n accepts the example" supportd -n -c "$SRCDIR/conf/examples/advendio.conf"

# --- Tuesday 10:00 Berlin ------------------------------------------------
mail 'ann@acme.example' 'Sev1 booking engine fails' 2026-11-17T10:00:00+01:00
mail 'ann@acme.example' '[Question] how to export invoices' 2026-11-17T10:00:00+01:00
mail 'ann@acme.example' '[customization] a field for agencies' 2026-11-17T10:00:00+01:00
once_at 2026-11-17T10:00:30+01:00
s1=$(id_of 'Sev1 booking engine fails')
q=$(id_of '[Question] how to export invoices')
cu=$(id_of '[customization] a field for agencies')
assert_eq "$(ticket_field "$s1" priority)" "Severity 1" "Sev1 is Severity 1"
assert_match "$(ack_of 'Sev1 booking engine fails')" \
	"Priority: +Critical \(the system is unusable or data is lost, with no workaround\)" \
	"the customer reads the label and description"
assert_eq "$(ticket_field "$s1" response_due)" "2026-11-17T12:00:00+01:00" "2 business hours"
assert_eq "$(ticket_field "$q" category)" "Question about handling" "a case reason by its short tag"
assert_eq "$(ticket_field "$q" priority)" "Severity 3" "no marker: Severity 3"
assert_eq "$(ticket_field "$cu" category)" "Customization / development request" "another"
once_at 2026-11-17T16:59:00+01:00
assert_eq "$(ticket_field "$s1" escalation_level)" 1 "the same day: still with the Customer Success Manager"
once_at 2026-11-18T10:01:00+01:00
assert_eq "$(ticket_field "$s1" escalation_level)" 2 "a business day unresolved: the COO"
assert_match "$(sink_body_to 'coo@advendio\.example')" "level 2 \(COO\)" "named in the mail"
once_at 2026-11-19T10:01:00+01:00
assert_eq "$(ticket_field "$s1" escalation_level)" 3 "two: the CEO"
assert_eq "$(sink_find '^To:.*ceo@advendio\.example' | wc -l)" 1 "mailed once"
assert_eq "$(ticket_field "$q" escalation_level)" 1 "a Severity 3 climbs nothing by itself"
assert_cmd "an agent may set a case reason" supportctl set "$q" category "feature request"
out=$(supportctl set "$q" category "Existing Scope" 2>&1)
assert_ne "$?" 0 "but not a built-in category ADvendio has not"
assert_match "$out" "unknown category" "saying so"

# --- Saturday night: business hours only ----------------------------------
mail 'ann@acme.example' 'Severity 1: nothing loads' 2026-11-21T03:00:00+01:00
once_at 2026-11-21T03:00:30+01:00
w=$(id_of 'Severity 1: nothing loads')
assert_eq "$(ticket_events "$w" page)$(ticket_events "$w" page-skipped)" 00 "nobody is paged"
body=$(ack_of 'Severity 1: nothing loads')
assert_match "$body" "open again on Mon 23 Nov 2026 09:00 CET" "the customer is told when we open"
assert_no_match "$body" "page|on-call" "and promised no page"
assert_eq "$(ticket_field "$w" response_due)" "2026-11-23T11:00:00+01:00" "2 business hours from Monday 09:00"
once_at 2026-11-22T23:00:00+01:00
assert_eq "$(ticket_field "$w" escalation_level)" 1 "no escalation all weekend"
once_at 2026-11-23T16:59:00+01:00
assert_eq "$(ticket_field "$w" escalation_level)" 1 "Monday 16:59: not yet"
once_at 2026-11-23T17:01:00+01:00
assert_eq "$(ticket_field "$w" escalation_level)" 2 "a business day from Monday 09:00: level 2"
it_done
