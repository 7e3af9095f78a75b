#!/bin/bash
# SPDX-License-Identifier: MIT
# BetterCommerce's process (issue #21 point 9) as
# conf/examples/bettercommerce.conf says it, against real Dovecot and
# SMTP servers, a day of mail driven by --now: a Critical climbs from the
# Account Manager to the CSM after 30 minutes and to the Head of Product
# after an hour; the customer is owed an update every 15 minutes; the
# nine statuses and seven categories are there; a resolved ticket closes
# itself two weeks later.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
contract_config bettercommerce

n=0
mail() {	# mail FROM SUBJECT WHEN
	n=$((n + 1))
	printf 'From: %s\nTo: support@bettercommerce.example\nSubject: %s\nMessage-ID: <bc%s@test>\n\nhelp\n' \
		"$1" "$2" "$n" >"$T/bc$n.eml"
	deliver "$T/bc$n.eml" "$3"
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
to() { sink_find "^(To|Cc):.*$1" | wc -l; }	# mails to or copying ERE

assert_cmd "supportd -n accepts the example" supportd -n -c "$SRCDIR/conf/examples/bettercommerce.conf"

# --- Monday 11:00 IST ------------------------------------------------------
mail 'ann@acme.example' 'Critical: checkout throws errors' 2026-11-16T11:00:00+05:30
mail 'ann@acme.example' '[Existing Scope] P3 filter order' 2026-11-16T11:00:00+05:30
once_at 2026-11-16T11:00:30+05:30
c=$(id_of 'Critical: checkout throws errors')
m=$(id_of '[Existing Scope] P3 filter order')
assert_eq "$(ticket_field "$c" priority)" Critical "the Critical marker"
assert_eq "$(ticket_field "$c" response_due)" "2026-11-16T13:00:00+05:30" "first analysis within 2 hours"
assert_eq "$(ticket_field "$m" priority) / $(ticket_field "$m" category)" "Medium / Existing Scope" \
	"P3 is Medium; the tag gives one of the seven categories"
assert_eq "$(to 'am-acme@bettercommerce\.example')" 2 "the Account Manager (level 1) hears of both"

once_at 2026-11-16T11:13:00+05:30
assert_eq "$(ticket_events "$c" sla-warning)" 1 "12 minutes without news: the update warning"
once_at 2026-11-16T11:16:00+05:30
assert_eq "$(ticket_events "$c" c1-reminder)" 1 "15 minutes: the update breach reminds the incident team"
assert_eq "$(to 'incident-team@bettercommerce\.example')" 2 "(warning and reminder)"
once_at 2026-11-16T11:31:00+05:30
assert_eq "$(ticket_field "$c" escalation_level)" 2 "30 minutes: the Customer Success Manager"
assert_eq "$(to 'csm@bettercommerce\.example')" 1 "mailed"
once_at 2026-11-16T12:01:00+05:30
assert_eq "$(ticket_field "$c" escalation_level)" 3 "an hour: the Head of Product"
assert_eq "$(ticket_field "$m" escalation_level)" 1 "the Medium waits its 8 business hours"

# --- the statuses of BetterCommerce's process ------------------------------
for st in review-required in-development bc-testing resolved; do
	assert_cmd "status $st" supportctl set "$c" status "$st" --now 2026-11-16T12:30:00+05:30
done
assert_eq "$(ticket_field "$c" status)" resolved "bc-testing, then resolved"

# --- two weeks later it closes itself ---------------------------------------
once_at 2026-11-30T12:29:00+05:30
assert_eq "$(ticket_field "$c" status)" resolved "13 days 23 hours: still resolved"
once_at 2026-11-30T12:31:00+05:30
assert_eq "$(ticket_field "$c" status)" closed "14 days: closed"
it_done
