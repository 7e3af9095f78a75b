#!/bin/bash
# SPDX-License-Identifier: MIT
# ConnectSoft's tiers (issue #21 point 9) as conf/examples/connectsoft.conf
# says them, against real Dovecot and SMTP servers, a weekend and a
# Monday of mail driven by --now: at Saturday 03:00 a Premium (enterprise)
# Severity 1 pages on-call and climbs all four levels of the ladder; a
# Standard one waits for the extended hours and stops at level 2; a
# Basic one is best effort, without due times.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
contract_config connectsoft

n=0
mail() {	# mail FROM SUBJECT WHEN
	n=$((n + 1))
	printf 'From: %s\nTo: support@connectsoft.example\nSubject: %s\nMessage-ID: <cs%s@test>\n\nhelp\n' \
		"$1" "$2" "$n" >"$T/cs$n.eml"
	deliver "$T/cs$n.eml" "$3"
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
level() { ticket_field "$1" escalation_level; }

assert_cmd "supportd -n accepts the example" supportd -n -c "$SRCDIR/conf/examples/connectsoft.conf"

# --- Saturday 03:00 London: three Severity 1s ------------------------------
mail 'ops@bank.example' 'Sev1 payments down' 2026-11-14T03:00:00Z
mail 'dev@growth.example' 'Sev1 dashboard down' 2026-11-14T03:00:00Z
mail 'me@studio.example' 'Sev1 site down' 2026-11-14T03:00:00Z
once_at 2026-11-14T03:00:30Z
p=$(id_of 'Sev1 payments down')
s=$(id_of 'Sev1 dashboard down')
b=$(id_of 'Sev1 site down')
assert_eq "$(ticket_events "$p" page)" 1 "Premium: 24x7 for critical, on-call is paged"
assert_eq "$(ticket_field "$p" response_due)" "2026-11-14T04:00:00+00:00" "and owes a response in 1 h"
assert_eq "$(ticket_events "$s" page)$(ticket_events "$b" page)" 00 "Standard and Basic page nobody"
assert_eq "$(ticket_field "$s" response_due)" "2026-11-16T11:00:00+00:00" \
	"Standard: 4 h from Monday 07:00, its extended hours"
assert_eq "$(ticket_field "$b" response_due)" null "Basic: best effort, no response due"

for t in 03:31 04:01 04:31 05:30; do once_at "2026-11-14T$t:00Z"; done
assert_eq "$(level "$p")" 4 "the enterprise ticket climbs to level 4 by 04:30"
assert_eq "$(sink_find '^To:.*cto-office@connectsoft\.example' | wc -l)" 1 \
	"level 4 goes to its own CTO contact"
assert_match "$(sink_body_to 'engineering@connectsoft\.example')" "level 3 \(Engineering Team\)" \
	"level 3 is the engineering team"
assert_eq "$(level "$s")$(level "$b")" 11 "the others wait for business time"

# --- Monday ---------------------------------------------------------------
once_at 2026-11-16T07:31:00Z
assert_eq "$(level "$s")" 2 "Standard: level 2 half an hour into Monday's extended hours"
once_at 2026-11-16T09:31:00Z
assert_eq "$(level "$b")" 2 "Basic: level 2 half an hour into business hours"
once_at 2026-11-16T20:00:00Z
assert_eq "$(level "$s")$(level "$b")" 22 "levels 3 and 4 are for enterprise customers only"
assert_eq "$(sink_find '^To:.*engineering@connectsoft\.example' | wc -l)" 1 \
	"the engineering team heard of the enterprise ticket only"
it_done
