#!/bin/bash
# SPDX-License-Identifier: MIT
# Demandware's three-tier model (issue #21 point 9) as
# conf/examples/demandware.conf says it, against real Dovecot and SMTP
# servers, a day of mail driven by --now: the customer's own Customer
# Service is level 1 and hears of every ticket; unhandled, a ticket goes
# up to the partner's Solution Support leads, then to Demandware's
# Product Support; a C1 at night pages the partner's on-call.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
contract_config demandware

n=0
mail() {	# mail FROM SUBJECT WHEN
	n=$((n + 1))
	printf 'From: %s\nTo: solution-support@partner.example\nSubject: %s\nMessage-ID: <dw%s@test>\n\nhelp\n' \
		"$1" "$2" "$n" >"$T/dw$n.eml"
	deliver "$T/dw$n.eml" "$3"
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
to() { sink_find "^(To|Cc):.*$1" | wc -l; }	# mails to or copying ERE

assert_cmd "supportd -n accepts the example" supportd -n -c "$SRCDIR/conf/examples/demandware.conf"

# --- Monday 09:00 New York ----------------------------------------------------
mail 'buyer@outdoor.example' 'C2 checkout errors' 2026-11-16T09:00:00-05:00
once_at 2026-11-16T09:00:30-05:00
c=$(id_of 'C2 checkout errors')
assert_eq "$(to 'customer-service@outdoor\.example')" 1 "L1, the customer's Customer Service, hears of it"
assert_eq "$(ticket_field "$c" response_due)" "2026-11-16T13:00:00-05:00" "a C2 is answered in 4 business hours"
once_at 2026-11-16T10:01:00-05:00
assert_eq "$(ticket_field "$c" escalation_level)" 2 "an hour unhandled: L2"
assert_match "$(sink_body_to 'solution-support-leads@partner\.example')" "level 2 \(L2 Solution Support\)" \
	"the partner's Solution Support leads"
once_at 2026-11-16T11:01:00-05:00
assert_eq "$(ticket_field "$c" escalation_level)" 3 "two hours: L3"
assert_match "$(sink_body_to 'product-support@demandware\.example')" "level 3 \(L3 Product Support\)" \
	"Demandware's Product Support"
printf 'Fixed in the cartridge.\n' >"$T/r.txt"
assert_cmd "answered" supportctl reply "$c" --file "$T/r.txt" --now 2026-11-16T11:30:00-05:00
assert_cmd "resolved" supportctl set "$c" status resolved --now 2026-11-16T11:40:00-05:00
once_at 2026-11-16T17:00:00-05:00
assert_eq "$(ticket_events "$c" sla-breach)" 0 "answered and resolved in time: no breach"

# --- Saturday 02:00: a C1 pages the partner's on-call -------------------------
mail 'buyer@outdoor.example' 'C1 site down' 2026-11-21T02:00:00-05:00
once_at 2026-11-21T02:00:30-05:00
d=$(id_of 'C1 site down')
assert_eq "$(ticket_events "$d" page)" 1 "after hours a C1 pages"
assert_eq "$(to 'partner-oncall@partner\.example')" 1 "the partner's on-call"
assert_eq "$(ticket_field "$d" response_due)" "2026-11-21T03:00:00-05:00" "and is due in 1 h"
it_done
