#!/bin/bash
# SPDX-License-Identifier: MIT
# Timers (issue #4 points 3, 5, 6, 8; SPEC §4, §7) driven by --now:
# escalation to levels 2 and 3 at the right minutes and never twice, C1
# update reminders, resolving stops escalation, auto-close after 14 days
# with the closed notice, a reply to the closed ticket is a linked
# follow-up, supportctl set with --by, #close, and the daemon's own loop.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
write_config 'team = { emails = [ "support-team@vendor.example" ]; };' \
	'oncall = { emails = [ "oncall@vendor.example" ]; };' \
	'escalation = { level1 = "accounts@vendor.example"; level2 = "csm@vendor.example";
  level3 = "head-of-product@vendor.example"; };' \
	'organizations = ( { name = "Acme Retail"; domains = [ "acme.example" ]; tier = "premium";
  contacts = { level1 = "am-acme@vendor.example"; level2 = "csm-acme@vendor.example"; }; } );'

mail() {	# mail NAME FROM SUBJECT WHEN [BODY]
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@test>\n\n%s\n' \
		"$2" "$3" "$1" "${5:-hello}" >"$T/$1.eml"
	deliver "$T/$1.eml" "$4"
}
mails_to() { sink_find "^To:.*$1" | wc -l; }

# --- C1 on the wall clock: 30 minutes a level --------------------------
mail c1 'ann@acme.example' 'System Down: checkout' 2026-11-14T03:00:00+05:30
once_at 2026-11-14T03:01:00+05:30
assert_eq "$(ticket_field 1 escalation_level)" 1 "a new ticket is at level 1"
tick_at 2026-11-14T03:29:00+05:30
assert_eq "$(ticket_field 1 escalation_level)" 1 "29 minutes: not escalated yet"
assert_eq "$(mails_to csm-acme@vendor\\.example)" 0 "and nobody at level 2 mailed"
tick_at 2026-11-14T03:30:00+05:30
assert_eq "$(ticket_field 1 escalation_level)" 2 "30 minutes: level 2"
n=$(sink_find '^To:.*csm-acme@vendor\.example')
assert_match "$(sink_header "$n" Subject)" '^\[ESCALATION L2\] \[Ticket#1\]' \
	"the organization's level-2 contact got the escalation template"
tick_at 2026-11-14T03:31:00+05:30
tick_at 2026-11-14T03:45:00+05:30
assert_eq "$(ticket_events 1 escalated)" 1 "level 2 fires once, however often tick runs"
tick_at 2026-11-14T04:00:00+05:30
assert_eq "$(ticket_field 1 escalation_level)" 3 "60 minutes: level 3"
assert_eq "$(mails_to head-of-product@vendor\\.example)" 1 \
	"no level-3 contact for Acme: the global one"
tick_at 2026-11-14T06:00:00+05:30
assert_eq "$(ticket_events 1 escalated)" 2 "three levels: nothing after level 3"
# C1 reminders every c1_update_interval (15 min) while no agent wrote.
assert_eq "$(ticket_events 1 c1-reminder)" "$(sink_find '^Subject: \[REMINDER\] C1 \[Ticket#1\]' | wc -l)" \
	"each C1 reminder was mailed"
n=$(sink_find '^Subject: \[REMINDER\] C1 \[Ticket#1\]' | head -n 1)
assert_file_contains "$(sink_env "$n")" '^RCPT TO:<oncall@vendor\.example>$' \
	"to on-call, as the ticket has no assignee"
assert_match "$(ticket_events 1 c1-reminder)" '^[3-9]$' "reminders kept coming while nobody wrote"
supportctl set 1 assignee bob@vendor.example --by alice@vendor.example --now 2026-11-14T06:01:00+05:30 >/dev/null
tick_at 2026-11-14T06:20:00+05:30
n=$(sink_find '^To:.*bob@vendor\.example' | tail -n 1)
assert_match "$(sink_header "$n" Subject)" 'C1 \[Ticket#1\] needs a customer update' \
	"with an assignee, the reminder goes to the assignee"

# --- C2 in business time; resolving stops escalation; auto-close --------
mail c2 'bob@acme.example' 'C2 report is slow' 2026-10-05T11:00:00+05:30
once_at 2026-10-05T11:01:00+05:30
id=2
assert_eq "$(ticket_field $id priority)" C2 "C2 ticket"
assert_cmd "supportctl set status resolved --by" supportctl set $id status resolved \
	--by alice@vendor.example --now 2026-10-05T11:30:00+05:30
assert_eq "$(sql "SELECT actor || ' ' || detail FROM events WHERE ticket_id=$id AND kind='status'")" \
	"alice@vendor.example pending -> resolved" "the change is an event with its actor"
tick_at 2026-10-05T13:00:00+05:30
assert_eq "$(ticket_field $id escalation_level)" 1 "resolved: no escalation at one business hour"
tick_at 2026-10-19T11:29:00+05:30
assert_eq "$(ticket_field $id status)" resolved "13 days 23:59 later: still resolved"
tick_at 2026-10-19T11:31:00+05:30
assert_eq "$(ticket_field $id status)" closed "14 days after resolving: closed"
n=$(sink_find '^Subject: \[Ticket#2\] Closed:')
assert_match "$n" '^[0-9]+$' "with the closed notice"
assert_file_contains "$(sink_env "$n")" '^RCPT TO:<bob@acme\.example>$' "sent to the requester"
tick_at 2026-10-20T11:31:00+05:30
assert_eq "$(ticket_events $id status)" 2 "closing happens once"

# A reply to the closed ticket: a new ticket linked to it.
mail re2 'bob@acme.example' 'Re: [Ticket#2] Closed: C2 report is slow' 2026-10-21T10:00:00+05:30 'It is slow again.'
once_at 2026-10-21T10:01:00+05:30
assert_eq "$(ticket_field 3 linked_to)" 2 "a reply to a closed ticket makes a follow-up linked to it"
n=$(sink_find '^Subject: \[Ticket#3\]')
assert_match "$(sink_body "$n")" "follow-up of \[Ticket#2\]" "answered with ack-followup naming the old ticket"

# --- priority changes move the due times --------------------------------
before=$(ticket_field 3 response_due)
assert_cmd "supportctl set priority C1" supportctl set 3 priority c1 --now 2026-10-21T10:05:00+05:30
assert_eq "$(ticket_field 3 priority)" C1 "priority is normalised to C1"
assert_eq "$(ticket_field 3 response_due)" "2026-10-21T11:05:00+05:30" \
	"premium C1: due 1 h after the change (SPEC §14.6), not after creation"
assert_ne "$before" "$(ticket_field 3 response_due)" "the due time changed with the priority"
out=$(supportctl set 3 priority C9 2>&1)
assert_eq "$?" 65 "a bad priority is refused (EX_DATAERR)"
assert_match "$out" 'unknown priority "C9" \(use C1, C2, C3, C4\)' "with a clear message"
assert_exit 65 "an unknown ticket is refused" supportctl set 99 status open

# --- #close from the customer ------------------------------------------
mail cl 'bob@acme.example' 'Re: [Ticket#3] thanks' 2026-10-21T12:00:00+05:30 '#close
Thanks, it works now.'
once_at 2026-10-21T12:01:00+05:30
assert_eq "$(ticket_field 3 status)" closed "a first line '#close' closes the ticket"

# --- the daemon's loop runs the same timers -----------------------------
mail c1b 'ann@acme.example' 'C1 again' 2026-11-15T03:00:00+05:30
start_supportd --now 2026-11-15T03:29:58+05:30
level_is() { test "$(ticket_field "$1" escalation_level 2>/dev/null)" = "$2"; }
wait_until 15 level_is 4 2 &&
	ok "the running daemon escalates on time by itself" ||
	not_ok "the running daemon escalates on time by itself" "$(tail -n 20 "$T/supportd.log")"
stop_supportd
assert_eq "$(ticket_events 4 escalated)" 1 "once"

# --- supportctl report over that history --------------------------------
supportctl report --json --now 2026-12-01T00:00:00Z >"$T/report.json"
g() { json_py "[x for x in j['groups'] if x['priority'] == '$1' and x['tier'] == '$2'][0]$3" "$T/report.json"; }
assert_eq "$(json_py '[x["priority"] for x in j["groups"]]' "$T/report.json")" "['C1', 'C2']" \
	"report: two groups (C1 and C2, premium)"
assert_eq "$(g C1 premium "['tickets']")" 3 "three premium C1 tickets (one raised from C2)"
assert_eq "$(g C2 premium "['periods_closed']")" 1 "the raised one's C2 period stays in the C2 row (SPEC §14.6)"
assert_eq "$(g C1 premium "['first_response']['met']")" 3 "every first response in time"
assert_eq "$(g C1 premium "['agent_response']['breached']")" 3 "no agent wrote: agent responses breached"
assert_eq "$(g C1 premium "['escalations']")" "{'level2': 2, 'level3': 1}" "escalations by level"
assert_eq "$(g C1 premium "['after_hours_c1']")" 2 "two C1s after hours"
assert_eq "$(g C1 premium "['pages']")" 2 "two pages sent"
assert_match "$(g C1 premium "['first_response']['median_seconds']")" '^(6[0-9]|[7-9][0-9])$' \
	"median first response about a minute"
assert_match "$(g C1 premium "['first_response']['p90_seconds']")" '^1[78][0-9][0-9]$' \
	"90th percentile: the half-hour one"
assert_eq "$(g C2 premium "['first_response']['met']")" 1 "the C2 was answered in time"
supportctl report --json --since 2026-11-01 --now 2026-12-01T00:00:00Z >"$T/since.json"
assert_eq "$(json_py '[(x["priority"], x["tickets"]) for x in j["groups"]]' "$T/since.json")" \
	"[('C1', 2)]" "--since leaves out October"
out=$(supportctl report --now 2026-12-01T00:00:00Z)
assert_match "$out" "C1  premium          3" "a plain-text table too"

# --- a timer that fails spoils its batch: the ones before it fire again --
# A tick fires its timers in batches of one transaction each.  A trigger
# fails the second of three C1 reminders due together: the first one (and
# whatever came due before it) is kept, once; the tick says why.
for i in 1 2 3; do
	mail "tb$i" "x$i@stranger.example" "System Down: batch $i" 2026-11-17T11:00:00+05:30
done
once_at 2026-11-17T11:01:00+05:30
tid() { sql "SELECT id FROM tickets WHERE subject = 'System Down: batch $1'"; }
t1=$(tid 1) t2=$(tid 2) t3=$(tid 3)
rem() { echo "$(ticket_events "$t1" c1-reminder) $(ticket_events "$t2" c1-reminder) $(ticket_events "$t3" c1-reminder)"; }
# Received at 11:00 (INTERNALDATE), in hours, as a stranger's C1 wakes
# nobody at night (SPEC §14.7): the update target's warnings (80 % of
# 15 minutes) are due 11:12, the first reminders 11:15.
assert_eq "$(rem)" "0 0 0" "three C1s, none reminded at 11:01"
due=$(date -d 2026-11-17T11:12:00+05:30 +%s)
assert_eq "$(sql "SELECT group_concat(due_at, ' ') FROM timers WHERE kind = 'c1-reminder'
	AND ticket_id IN ($t1, $t2, $t3)")" "$due $due $due" \
	"their update warnings are due 12 minutes after they came in"
sql "CREATE TRIGGER bad BEFORE INSERT ON events WHEN NEW.kind = 'c1-reminder' AND NEW.ticket_id = $t2 BEGIN SELECT RAISE(ABORT, 'test: bad timer'); END;"
supportctl tick --now 2026-11-17T11:20:00+05:30 >"$T/bad.log" 2>&1
assert_ne "$?" 0 "supportctl tick fails when a timer fails"
assert_file_contains "$T/bad.log" "test: bad timer" "and says why"
assert_eq "$(rem)" "1 0 0" \
	"the reminder before the failing one is kept, once; it and those after it wait"
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE ticket_id = $t1 AND kind = 'c1-update-reminder'")" 1 \
	"the kept one is queued once"
sql "DROP TRIGGER bad"
tick_at 2026-11-17T11:20:00+05:30
assert_eq "$(rem)" "1 1 1" "without the fault the others fire, and the first not again"
it_done
