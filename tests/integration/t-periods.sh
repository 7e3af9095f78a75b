#!/bin/bash
# SPDX-License-Identifier: MIT
# Priority changes keep history (issue #21 point 6, SPEC §14.6), driven
# by --now against real Dovecot and SMTP servers, on Commerceup's terms:
# a C1 reduced to C2 within 6 h meets the C1 resolution target by the
# downgrade.  A change closes the SLA period with its targets' outcome
# and opens a new one whose due times count from the change; a breach
# in the new period is its own.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp

write_config 'priorities = ( { name = "C1"; resolution_met_by = "downgrade"; } );' \
	'tiers = ( { name = "default"; },
  { name = "premium"; response = { C1 = "2h"; C2 = "4h"; };
    resolution = { C1 = "6h"; C2 = "24h"; }; } );' \
	'organizations = (
  { name = "Acme Retail"; domains = [ "acme.example" ]; tier = "premium"; },
  { name = "Beta Shop"; domains = [ "beta.example" ]; tier = "premium"; },
  { name = "Delta Mart"; domains = [ "delta.example" ]; tier = "premium"; } );'

n=0
mail() {	# mail FROM SUBJECT
	n=$((n + 1))
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <p%s@test>\n\nhelp\n' \
		"$1" "$2" "$n" >"$T/p$n.eml"
	deliver "$T/p$n.eml" 2026-11-16T10:00:00+05:30
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
period() {	# period ID SEQ: "priority response resolution" of a closed period
	sql "SELECT priority || ' ' || response || ' ' || resolution FROM sla_periods
		WHERE ticket_id = $1 AND seq = $2"
}
ev() { sql "SELECT count(*) FROM events WHERE ticket_id=$1 AND kind='$2' AND detail = '$3'"; }

assert_cmd "supportd -n accepts resolution_met_by" supportd -n

# --- Monday 10:00 IST: four tickets of three premium customers ------------
# (one C1 each: C1s of one organization would be one incident, §3.8)
mail ann@acme.example 'C1 checkout down'
mail bea@beta.example 'C1 payments down'
mail ann@acme.example 'C2 reports slow'
mail dan@delta.example 'C1 search down'
once_at 2026-11-16T10:00:00+05:30
a=$(id_of 'C1 checkout down')
b=$(id_of 'C1 payments down')
c=$(id_of 'C2 reports slow')
d=$(id_of 'C1 search down')
printf 'Looking into it.\n' >"$T/r.txt"
assert_cmd "a answered at 10:30" supportctl reply "$a" --file "$T/r.txt" \
	--by bob@vendor.example --now 2026-11-16T10:30:00+05:30

# c is raised to C1 at 11:00: its C2 period is cut short, the C1 period's
# response is due 2 h from the change, not from creation.
assert_cmd "c raised to C1" supportctl set "$c" priority C1 --now 2026-11-16T11:00:00+05:30
assert_eq "$(period "$c" 1)" "C2 open open" "c's C2 period: cut short, neither met nor breached"
assert_eq "$(ticket_field "$c" response_due)" "2026-11-16T13:00:00+05:30" \
	"c's C1 response is due 2 h after the change"
assert_eq "$(ticket_field "$c" resolution_due)" "2026-11-16T17:00:00+05:30" \
	"and its resolution 6 h after it"

once_at 2026-11-16T12:01:00+05:30
assert_eq "$(ev "$b" sla-breach response)" 1 "b's C1 response breached at 12:00"

# a: answered in time, reduced to C2 at 13:00, within the 6 h.
assert_cmd "a reduced to C2" supportctl set "$a" priority C2 --now 2026-11-16T13:00:00+05:30
assert_eq "$(period "$a" 1)" "C1 met met-by-downgrade" \
	"a's C1 period: response met, resolution met by the downgrade"
assert_eq "$(ticket_field "$a" resolution_due)" "2026-11-17T13:00:00+05:30" \
	"a's C2 resolution: 24 h from the change, not from creation"
assert_eq "$(ticket_field "$a" priority)" C2 "a is a C2 now"

# b: never answered, reduced at 12:30: the response breach stays.
assert_cmd "b reduced to C2" supportctl set "$b" priority C2 --now 2026-11-16T12:30:00+05:30
assert_eq "$(period "$b" 1)" "C1 breached met-by-downgrade" \
	"b's C1 period: response breached, resolution met by the downgrade"

once_at 2026-11-16T13:01:00+05:30
assert_eq "$(ev "$c" sla-breach 'response, period 2')" 1 \
	"c's C1 response breach belongs to its second period"
assert_eq "$(ev "$c" sla-breach response)" 0 "not to the first"

# d: reduced at 16:30, after its 6 h: too late to count.
once_at 2026-11-16T16:01:00+05:30
assert_eq "$(sql "SELECT count(*) FROM events WHERE ticket_id = $c AND kind = 'sla-breach'
	AND detail LIKE 'response%'")" 1 "past the C2 period's own due time (14:00), still only the C1 breach"
assert_cmd "d reduced to C2" supportctl set "$d" priority C2 --now 2026-11-16T16:30:00+05:30
assert_eq "$(period "$d" 1)" "C1 breached breached" "d's C1 period: both breached"
assert_eq "$(ev "$d" sla-breach resolution)" 1 "its resolution breach was recorded at 16:00"

# Raising a C2 back to C1 is no downgrade; setting the same priority
# opens no period.
assert_cmd "a raised again" supportctl set "$a" priority C1 --now 2026-11-16T17:00:00+05:30
assert_eq "$(period "$a" 2)" "C2 met open" "a's C2 period: answered before it began, resolution cut short"
assert_cmd "a set to C1 again" supportctl set "$a" priority c1 --now 2026-11-16T17:10:00+05:30
assert_eq "$(sql "SELECT count(*) FROM sla_periods WHERE ticket_id = $a")" 2 \
	"the same priority again opens no period"
assert_eq "$(ticket_field "$a" period)" 3 "a is in its third period"
it_done
