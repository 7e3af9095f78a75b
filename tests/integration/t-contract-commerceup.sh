#!/bin/bash
# SPDX-License-Identifier: MIT
# Commerceup's contract (issue #21 point 9) as conf/examples/commerceup.conf
# says it, against real Dovecot and SMTP servers, a weekend and a working
# day of mail driven by --now: a C1 at Saturday 03:00 pages on-call and
# is due in 2 h; anything else waits for Monday 10:00; a C1 reduced to C2
# within 6 h meets its resolution target; a C3 before a holiday counts
# no holiday.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
contract_config commerceup

n=0
mail() {	# mail FROM SUBJECT WHEN
	n=$((n + 1))
	printf 'From: %s\nTo: support@commerceup.example\nSubject: %s\nMessage-ID: <cu%s@test>\n\nhelp\n' \
		"$1" "$2" "$n" >"$T/cu$n.eml"
	deliver "$T/cu$n.eml" "$3"
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }

assert_cmd "supportd -n accepts the example" supportd -n -c "$SRCDIR/conf/examples/commerceup.conf"

# --- Saturday night -------------------------------------------------------
mail 'ann@acme.example' 'C1 checkout down' 2026-11-14T03:00:00+05:30
mail 'ann@acme.example' 'website slow' 2026-11-14T03:10:00+05:30
once_at 2026-11-14T03:11:00+05:30
c1=$(id_of 'C1 checkout down')
c3=$(id_of 'website slow')
assert_eq "$(ticket_events "$c1" page)" 1 "a C1 after hours pages on-call"
assert_eq "$(sink_find '^To:.*oncall@commerceup\.example' | wc -l)" 1 "by mail"
assert_eq "$(ticket_field "$c1" response_due)" "2026-11-14T05:00:00+05:30" "due 2 h later, at night"
assert_eq "$(ticket_field "$c3" priority)" C3 "no marker: C3"
assert_eq "$(ticket_events "$c3" page)" 0 "which pages nobody"
assert_match "$(sink_body_to 'ann@acme\.example')" "open again on Mon 16 Nov 2026 10:00 IST" \
	"and is told when business hours resume"
assert_eq "$(ticket_field "$c3" response_due)" "2026-11-16T18:00:00+05:30" "due 1 business day after Monday 10:00"

# The C1 is reduced to C2 at 06:00, within 6 h.
assert_cmd "C1 reduced to C2" supportctl set "$c1" priority C2 --now 2026-11-14T06:00:00+05:30
assert_eq "$(sql "SELECT response || ' ' || resolution FROM sla_periods WHERE ticket_id = $c1")" \
	"breached met-by-downgrade" "its C1 resolution is met by the downgrade (the response was not)"
assert_eq "$(ticket_field "$c1" resolution_due)" "2026-11-18T18:00:00+05:30" \
	"the C2 resolves within 24 business hours from then: Wednesday 18:00"

# --- Monday, in hours -----------------------------------------------------
mail 'eve@stranger.example' 'System Down at last' 2026-11-16T10:00:00+05:30
once_at 2026-11-16T10:01:00+05:30
s=$(id_of 'System Down at last')
assert_eq "$(ticket_field "$s" priority)" C1 '"System Down" is a C1'
assert_eq "$(ticket_field "$s" response_due)" "2026-11-16T12:00:00+05:30" "2 h"
assert_eq "$(ticket_field "$s" resolution_due)" "2026-11-16T16:00:00+05:30" "and 6 h to be reduced"

# --- Gandhi Jayanti is a holiday --------------------------------------------
mail 'ann@acme.example' 'C3 banner misaligned' 2026-10-01T17:00:00+05:30
once_at 2026-10-01T17:01:00+05:30
b=$(id_of 'C3 banner misaligned')
assert_eq "$(ticket_field "$b" response_due)" "2026-10-05T17:00:00+05:30" \
	"1 business day from Thursday 17:00 skips the holiday and the weekend"
it_done
