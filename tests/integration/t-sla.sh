#!/bin/bash
# SPDX-License-Identifier: MIT
# SLA at intake (issue #4 points 2, 4, 8; SPEC §5, §6), driven by --now
# against real Dovecot, SMTP and HTTP servers: due times on the business
# calendar (Asia/Kolkata, Mon-Fri 10:00-18:00), after-hours answers, C1
# paging by mail and webhook, nobody paged for strangers, the page limit.
# Mail arrives at fixed instants in the past (Dovecot replaces a future
# APPEND date), and supportd's clock starts a minute later.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
start_http
printf 's3cr3t-pager-token\n' >"$T/pager.token"
hooks() {	# webhook POSTs of C1 pages (escalations post too)
	local f n=0
	for f in "$T"/http/*.json; do
		[ -e "$f" ] || continue
		[ "$(json_get '.body' "$f" | json_get '.event')" = c1-after-hours ] && n=$((n + 1))
	done
	echo "$n"
}

config() {	# config PAGE_UNKNOWN
	write_config 'team = { emails = [ "support-team@vendor.example" ]; };' \
		"oncall = { emails = [ \"oncall@vendor.example\" ];
  webhook = \"http://127.0.0.1:$HTTP_PORT/hooks/supportd\";
  webhook_token_file = \"$T/pager.token\";
  page_unknown_senders = $1; max_pages_per_hour = 3; };" \
		'organizations = ( { name = "Acme Retail"; domains = [ "acme.example" ];
  tier = "premium"; contacts = { level1 = "am-acme@vendor.example"; }; } );'
}
config false

# mail NAME FROM SUBJECT WHEN: deliver it, received at WHEN.
mail() {
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@test>\n\nhello\n' \
		"$2" "$3" "$1" >"$T/$1.eml"
	deliver "$T/$1.eml" "$4"
}
run_at() {	# run_at ISO: supportd --once with the clock a minute later
	local now
	now=$(date -d "$1 + 1 minute" --iso-8601=seconds)
	if supportd --once --now "$now" >>"$T/once.log" 2>&1; then
		ok "supportd --once --now $now"
	else
		not_ok "supportd --once --now $now" "$(tail -n 20 "$T/once.log")"
	fi
}
ticket() {	# ticket SUBJECT FIELD
	supportctl list --json | json_py "[t['$2'] for t in j if t['subject'] == '$1'][0]"
}

# --- Friday 17:00 + 1bd = Monday 17:00 (default tier, C3) --------------
mail fri 'bob@unknown.example' 'export question' 2026-11-13T17:00:00+05:30
run_at 2026-11-13T17:00:00+05:30
assert_eq "$(ticket 'export question' response_due)" "2026-11-16T17:00:00+05:30" \
	"Friday 17:00 + 1bd: response due Monday 17:00"
assert_eq "$(ticket 'export question' after_hours)" False "Friday 17:00 is in business hours"
assert_match "$(sink_body_to bob@unknown.example)" "answer by Mon 16 Nov 2026 17:00 IST" \
	"the acknowledgement says when, in the customer's terms"

# --- Saturday 12:00 + 1bd = Monday 18:00, answered as after hours -------
mail sat 'carol@unknown.example' 'weekend question' 2026-11-14T12:00:00+05:30
run_at 2026-11-14T12:00:00+05:30
assert_eq "$(ticket 'weekend question' response_due)" "2026-11-16T18:00:00+05:30" \
	"Saturday 12:00 + 1bd: response due Monday 18:00"
assert_eq "$(ticket 'weekend question' after_hours)" True "Saturday is after hours"
assert_match "$(sink_body_to carol@unknown.example)" "open again on Mon 16 Nov 2026 10:00 IST" \
	"ack-after-hours names the next business opening"

# --- Premium C1 at 03:00 Saturday from a known organization -------------
mail c1 'Ann Admin <ann@acme.example>' 'System Down: checkout' 2026-11-14T03:00:00+05:30
run_at 2026-11-14T03:00:00+05:30
assert_eq "$(ticket 'System Down: checkout' priority)" C1 "System Down is C1"
assert_eq "$(ticket 'System Down: checkout' response_due)" "2026-11-14T04:00:00+05:30" \
	"premium C1: due in 1 h, on the wall clock at night"
assert_match "$(sink_body_to ann@acme.example)" "urgent \(C1\) report outside business.hours. It is ticket .* and our on-call engineer has been paged" \
	"answered with ack-c1-after-hours"
n=$(sink_find '^To:.*oncall@vendor\.example' | tail -n 1)
assert_match "$n" '^[0-9]+$' "on-call got a page mail"
assert_match "$(sink_header "$n" Subject)" '^\[ON-CALL\] C1 \[Ticket#3\] System Down: checkout$' \
	"the page names the ticket"
assert_eq "$(hooks)" 1 "the webhook got one POST"
h=$(grep -l c1-after-hours "$T"/http/*.json | tail -n 1)
assert_eq "$(json_get '.path' "$h")" "/hooks/supportd" "POSTed to the configured path"
assert_eq "$(json_get '.headers.Authorization' "$h")" "Bearer s3cr3t-pager-token" \
	"with the bearer token from webhook_token_file"
assert_eq "$(json_get '.headers.Content-Type' "$h")" "application/json" "as JSON"
json_get '.body' "$h" >"$T/event.json"
assert_eq "$(json_get '.event' "$T/event.json")" "c1-after-hours" "event c1-after-hours"
assert_eq "$(json_get '.ticket' "$T/event.json")" 3 "for ticket 3"
assert_eq "$(json_get '.organization' "$T/event.json")" "Acme Retail" "of Acme Retail"
assert_eq "$(json_get '.response_due' "$T/event.json")" "2026-11-14T04:00:00+05:30" "with its due time"
assert_eq "$(json_get '.headers.X-Supportd-Event' "$h")" "$(json_get '.id' "$T/event.json")" \
	"the event id travels as X-Supportd-Event"
assert_file_lacks "$T/once.log" s3cr3t "the token is never logged"

# --- The same from an unknown sender: answered, nobody paged ------------
pages=$(sink_find '^To:.*oncall@vendor\.example' | wc -l)
mail c1x 'eve@unknown.example' 'System Down: urgent!!' 2026-11-14T03:10:00+05:30
run_at 2026-11-14T03:10:00+05:30
assert_match "$(sink_body_to eve@unknown.example)" "outside business hours .*open again on Mon 16 Nov 2026 10:00 IST" \
	"the stranger's C1 is answered, as it may wake nobody, with when we open (SPEC §14.7)"
assert_eq "$(sink_find '^To:.*oncall@vendor\.example' | wc -l)" "$pages" "but on-call gets no mail"
assert_eq "$(hooks)" 1 "and no webhook"
id=$(ticket 'System Down: urgent!!' id)
assert_eq "$(supportctl show "$id" --json | json_py '[e["detail"] for e in j["events"] if e["kind"] == "page-skipped"]')" \
	"['sender of no known organization']" "the ticket says why nobody was paged"

# --- A C1 in business hours tells the team and the level-1 contact -----
mail c1d 'dan@acme.example' 'C1 - orders stuck' 2026-11-16T11:00:00+05:30
run_at 2026-11-16T11:00:00+05:30
n=$(sink_find '^Subject: \[C1\] New \[Ticket#5\]')
assert_match "$n" '^[0-9]+$' "in hours: a C1's notify-new went out"
assert_file_contains "$(sink_env "$n")" '^RCPT TO:<support-team@vendor\.example>$' "to the team"
assert_file_contains "$(sink_env "$n")" '^RCPT TO:<am-acme@vendor\.example>$' "and to Acme's level-1 contact"
assert_match "$(sink_body "$n")" "C1, critical: a production system is down" "saying it is a C1"
assert_eq "$(hooks)" 1 "in hours nobody is paged"

# --- At most max_pages_per_hour pages (here for unknown senders) -------
config true
for i in 1 2 3 4; do
	mail "u$i" "x$i@stranger$i.example" "C1 outage $i" 2026-11-14T05:0$i:00+05:30
done
run_at 2026-11-14T05:04:00+05:30
assert_eq "$(hooks)" 4 "page_unknown_senders: three more pages, the fourth held back"
assert_eq "$(sql "SELECT count(*) FROM events WHERE kind='page-suppressed'")" 1 \
	"the fourth C1 of the hour records page-suppressed"

# --- The pager endpoint fails, then heals: the webhook is retried ------
echo 503 >"$T/http/status"
mail c1r 'ann@acme.example' 'System Down: payments' 2026-11-15T02:00:00+05:30
supportd --once --now 2026-11-15T02:01:00+05:30 >>"$T/once.log" 2>&1
assert_eq "$?" 75 "--once exits 75: a page could not be delivered"
last_hook() {	# the page of the payments C1 (escalations post webhooks too)
	sql "SELECT status || ' ' || attempts || ' ' || coalesce(last_error, '') FROM outbox
	     WHERE kind='webhook' AND ticket_id=(SELECT id FROM tickets
	     WHERE subject='System Down: payments') ORDER BY id LIMIT 1"
}
assert_match "$(last_hook)" "^queued 1 .*HTTP 503" "a 503 leaves the page queued, with the error"
supportctl outbox --json >"$T/outbox.json"
assert_match "$(json_py '[o["last_error"] for o in j if o["kind"] == "webhook"]' "$T/outbox.json")" "HTTP 503" \
	"supportctl outbox shows it"
rm -f "$T/http/status"
supportctl tick --now 2026-11-15T02:01:30+05:30 >/dev/null 2>&1
assert_match "$(last_hook)" "^queued 1 " "not before the backoff (1 min) is over"
supportctl tick --now 2026-11-15T02:02:30+05:30 >/dev/null 2>&1
assert_match "$(last_hook)" "^sent 2" "after it, the page is delivered"
assert_eq "$(grep -l '"status": 200' "$T"/http/*.json | xargs grep -l 'System Down: payments' | wc -l)" 1 \
	"the endpoint got it once with success"
it_done
