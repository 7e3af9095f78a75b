#!/bin/bash
# SPDX-License-Identifier: MIT
# Threading and loop limits (issue #3 points 6 and 7; SPEC §3.7, §3.8):
# C1 grouping within c1_duplicate_window with ack-duplicate naming the
# incident, a colleague's tag threads, a reply reopens a resolved ticket,
# at most autoreply_limit automatic replies per sender per window, and
# at most 10 per ticket per hour.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
write_config
n=0
mail() {	# mail FROM SUBJECT WHEN: deliver and take it in a minute later
	n=$((n + 1))
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <t%s@test>\n\nhello\n' \
		"$1" "$2" "$n" >"$T/m$n.eml"
	deliver "$T/m$n.eml" "$3"
	supportd --once --now "$(date -d "$3 + 1 minute" --iso-8601=seconds)" >>"$T/run.log" 2>&1 ||
		not_ok "supportd --once" "$(tail "$T/run.log")"
}
tickets() { supportctl list --json | json_get length; }

# --- C1 grouping ---------------------------------------------------------
mail 'ann@acme.example' 'System Down: tills' 2026-11-16T11:00:00+05:30
mail 'Bob Ops <bob@acme.example>' 'C1 - tills frozen in Pune' 2026-11-16T11:30:00+05:30
assert_eq "$(tickets)" 1 "a second C1 from Acme within 2 h joins the incident"
assert_eq "$(supportctl show 1 --json | json_get .messages | json_get length)" 4 \
	"the incident holds both mails and both answers"
k=$(sink_find '^To:.*bob@acme\.example')
assert_match "$(sink_body "$k")" "already working on this incident as ticket \[Ticket#1\]" \
	"bob gets ack-duplicate naming the incident"
assert_eq "$(sql "SELECT count(*) FROM participants WHERE ticket_id=1 AND email='bob@acme.example'")" 1 \
	"bob is a participant of the incident"
mail 'eve@unknown.example' 'System Down too' 2026-11-16T11:40:00+05:30
assert_eq "$(tickets)" 2 "a stranger's C1 is never grouped"
mail 'carol@acme.example' 'C1 again' 2026-11-16T13:30:00+05:30
assert_eq "$(tickets)" 3 "after the 2 h window, a new C1 is a new ticket"
supportctl set 1 status resolved >/dev/null
supportctl set 3 status resolved >/dev/null
mail 'dan@acme.example' 'C1 payments' 2026-11-16T13:45:00+05:30
assert_eq "$(tickets)" 4 "a resolved incident is not joined"

# --- a colleague's tag threads; a stranger's does not --------------------
mail 'frank@acme.example' 'Re: [Ticket#4] C1 payments' 2026-11-16T14:00:00+05:30
assert_eq "$(tickets)" 4 "a colleague of the same organization threads by tag"
mail 'mallory@evil.example' 'Re: [Ticket#4] C1 payments' 2026-11-16T14:05:00+05:30
assert_eq "$(tickets)" 5 "a stranger's tag starts a new ticket"

# --- a reply to a resolved ticket reopens it ----------------------------
assert_eq "$(sql "SELECT count(*) FROM timers WHERE ticket_id=3 AND kind='auto-close'")" 1 \
	"resolving started the auto-close clock"
mail 'carol@acme.example' 'Re: [Ticket#3] C1 again' 2026-11-16T15:00:00+05:30
assert_eq "$(supportctl show 3 --json | json_get .status)" open "a reply to a resolved ticket reopens it"
assert_eq "$(sql "SELECT count(*) FROM timers WHERE ticket_id=3 AND kind='auto-close'")" 0 \
	"and stops the auto-close clock"

# --- per-sender limit on automatic replies ------------------------------
before=$(sink_find '^To:.*spammy@loud\.example' | wc -l)
for i in 1 2 3 4 5 6 7; do
	mail 'spammy@loud.example' "question $i" "2026-11-16T16:0$i:00+05:30"
done
assert_eq "$(supportctl list --json | json_py 'len([t for t in j if t["requester"] == "spammy@loud.example"])')" 7 \
	"seven mails from one sender make seven tickets"
assert_eq "$(($(sink_find '^To:.*spammy@loud\.example' | wc -l) - before))" 5 \
	"but only autoreply_limit (5) acknowledgements within the hour"
assert_eq "$(sql "SELECT count(*) FROM events WHERE kind='ack-suppressed'")" 2 \
	"the other two tickets record ack-suppressed"
mail 'spammy@loud.example' 'question after an hour' 2026-11-16T17:10:00+05:30
assert_eq "$(($(sink_find '^To:.*spammy@loud\.example' | wc -l) - before))" 6 \
	"an hour later the sender is answered again"

# --- per-ticket limit: 10 automatic replies per ticket per hour ---------
# An incident, then eleven colleagues joining it within a few minutes:
# the incident's ack and nine ack-duplicates go out, the last two
# joiners are still added to the incident, silently.
mail 'ops@acme.example' 'C1 warehouse down' 2026-11-17T11:00:00+05:30
inc=$(supportctl list --json | json_get '.[-1].id')
for i in $(seq 11); do
	printf 'From: colleague%d@acme.example\nTo: support@vendor.example\nSubject: C1 warehouse %d\nMessage-ID: <join%d@test>\n\nsame here\n' \
		"$i" "$i" "$i" >"$T/join$i.eml"
	deliver "$T/join$i.eml" "$(date -d "2026-11-17T11:00:00+05:30 + $i minutes" --iso-8601=seconds)"
done
supportd --once --now 2026-11-17T11:15:00+05:30 >>"$T/run.log" 2>&1 ||
	not_ok "supportd --once" "$(tail "$T/run.log")"
assert_eq "$(supportctl list --json | json_get '.[-1].id')" "$inc" "all eleven join the incident"
assert_eq "$(sql "SELECT count(*) FROM participants WHERE ticket_id=$inc AND email LIKE 'colleague%'")" 11 \
	"each joiner is a participant"
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE ticket_id=$inc AND kind LIKE 'ack%'")" 10 \
	"at most 10 automatic replies on one ticket within the hour"
assert_eq "$(sink_find '^To:.*colleague1[01]@acme\.example' | wc -l)" 0 "the last two joiners get none"
assert_eq "$(sql "SELECT count(*) FROM events WHERE ticket_id=$inc AND kind='ack-suppressed'")" 2 \
	"the incident records both suppressed acknowledgements"
it_done
