#!/bin/bash
# SPDX-License-Identifier: MIT
# Admin alerts (issue #23 point 3, SPEC §16.3): a mail to admin.emails
# and an event to the webhook when a mailbox has not polled for
# alert_after, when outgoing mail is given up, when the outbox's oldest
# mail waits that long and when the quarantine grows; one alert per
# incident, a recovery mail, never more than max_alerts_per_hour.  The
# clock is --now's: an hour of incidents in a few --once runs.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
start_http
admin='admin = { emails = [ "ops@vendor.example", "cto@vendor.example" ];
  alert_after = "15m"; max_alerts_per_hour = 3; };'
write_config "$admin" "oncall = { webhook = \"http://127.0.0.1:$HTTP_PORT/hook\"; };"

at() { printf '2026-12-07T%s:00Z' "$1"; }	# at HH:MM, a Monday
run_at() {	# run_at HH:MM: one --once cycle, which may fail
	supportd --once --now "$(at "$1")" >>"$T/run.log" 2>&1 || true
}
mail() {	# mail NAME FROM
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@acme.example>\n\nhello\n' \
		"$2" "$1" "$1" >"$T/$1.eml"
	deliver "$T/$1.eml"
}
alerts() {	# alerts [ERE]: numbers of the admin mails (matching ERE)
	sink_find "^Subject: supportd (ALERT|RECOVERED): ${1:-}"
}
nalerts() { alerts "$@" | wc -l; }
events() {	# events: the webhook's admin events, as "event alert subject"
	"$IT_PYTHON" - "$T/http" <<'EOF'
import glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.json")):
    e = json.load(open(f))
    body = e.get("body", e)
    if isinstance(body, str):
        body = json.loads(body)
    if body.get("event", "").startswith("admin-"):
        print(body["event"], body["alert"], body["subject"] or "-")
EOF
}

mail m1 ann@acme.example
run_at 10:00
assert_eq "$(sink_count)" 1 "a mail is answered; nothing is wrong"
assert_eq "$(nalerts)" 0 "...and no admin hears of anything"

# A mailbox that cannot poll: nothing for 15 minutes, then one alert.
stop_dovecot
run_at 10:05
assert_eq "$(nalerts)" 0 "5 minutes without a poll is no incident yet"
run_at 10:16
assert_eq "$(nalerts 'mailbox support is not polled$')" 1 \
	"16 minutes without a poll: one alert"
n=$(alerts 'mailbox support is not polled$')
assert_eq "$(sink_header "$n" To)" "ops@vendor.example" "...to the first admin"
assert_eq "$(sink_header "$n" Cc)" "cto@vendor.example" "...copied to the second"
assert_eq "$(sink_rcpts "$n")" "cto@vendor.example ops@vendor.example " "...both in the envelope"
assert_file_contains "$(sink_env "$n")" '^MAIL FROM:<>$' "...from the null sender"
assert_eq "$(sink_header "$n" Auto-Submitted)" auto-generated "...marked automatic"
body=$(sink_body "$n")
assert_match "$body" "backing-off, last success .*, last error: .*mailbox=support" \
	"...saying the state, last success and last error"
assert_match "$body" "supportctl status" "...and what to do"
assert_file_contains "$T/run.log" 'level=error alert: mailbox support is not polled' "...and logged at level=error"
assert_eq "$(events)" "admin-alert mailbox-down support" "the webhook hears of it too"
run_at 10:20
assert_eq "$(nalerts)" 1 "still down 4 minutes later: no second alert"

restart_dovecot
run_at 10:25
assert_eq "$(nalerts 'mailbox support polls again$')" 1 "polling again: a recovery mail"
assert_eq "$(events | tail -1)" "admin-recovery mailbox-down support" "...and a recovery event"

# Outgoing mail given up: the relay refuses a recipient for good.
smtp_mode 'rcpt:bob@acme.example 550 5.1.1 No such user'
mail m2 bob@acme.example
run_at 10:30
run_at 10:31
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE status = 'failed'")" 1 "the response to bob is given up"
assert_eq "$(nalerts 'outgoing mail was given up$')" 1 "...and the admins hear of it once"
n=$(alerts 'outgoing mail was given up$')
assert_match "$(sink_body "$n")" "1 more outgoing mails given up, 1 in all" "...with how many"
assert_match "$(sink_body "$n")" "supportctl outbox" "...and where to look"
smtp_mode

# The quarantine grows, but three alerts went out this hour already.
deliver "$SRCDIR/tests/fixtures/mail/0011-no-from.eml"
run_at 10:40
assert_eq "$(nalerts 'mail went to quarantine$')" 0 "the fourth alert of the hour is held back"
assert_file_contains "$T/run.log" 'alert: held back \(admin.max_alerts_per_hour = 3\): mail went to quarantine' \
	"...and the log says so"
# (10:44: the mail given up at 10:30 or 10:31, as the sending thread
# and the look fall, is less than 15 minutes old either way.)
run_at 10:44
assert_eq "$(grep -c 'held back.*quarantine' "$T/run.log")" 1 "...once"
supportctl status --json >"$T/st.json"
assert_eq "$(json_py '[(i["kind"], i["alerted_at"] is None) for i in j["incidents"]]' "$T/st.json")" \
	"[('outbox-failed', False), ('quarantine', True)]" "status lists the open incidents"
assert_match "$(json_py 'j["problems"]' "$T/st.json")" "mail went to quarantine" "...among its problems"

# A new hour: the held alert goes out, and the given-up mail's incident,
# quiet for 15 minutes, recovers.
run_at 11:01
assert_eq "$(nalerts 'mail went to quarantine$')" 1 "in the next hour the held alert goes out"
assert_eq "$(nalerts 'no more outgoing mail given up$')" 1 "no mail given up for 15 minutes: recovered"
deliver "$SRCDIR/tests/fixtures/mail/0011-no-from.eml"
run_at 11:05
assert_eq "$(nalerts 'mail went to quarantine$')" 1 "more quarantined mail in the same incident: no new alert"
run_at 11:21
assert_eq "$(nalerts 'no more mail went to quarantine$')" 1 "quiet for 15 minutes: the quarantine recovers"

# The relay goes away (in a new hour: the cap is spent): the webhook
# hears that the outbox waits; the mail about it goes out once the relay
# is back.
stop_smtp
mail m3 carl@acme.example
run_at 12:00
run_at 12:16
assert_eq "$(events | grep -c 'admin-alert outbox-late')" 1 "the outbox waiting 16 minutes: an event"
restart_smtp
run_at 12:20
assert_eq "$(nalerts 'outgoing mail waits$')" 1 "...and, the relay back, the alert mail"
run_at 12:21
assert_eq "$(nalerts 'outgoing mail flows again$')" 1 "...then the recovery"
assert_eq "$(events | grep -c 'admin-recovery outbox-late')" 1 "...which the webhook hears of too"
assert_eq "$(nalerts)" 8 "eight admin mails in all"
dups=$("$IT_PYTHON" - "$T/http" <<'EOF'
import collections, glob, json, sys
ids = [json.loads(json.load(open(f))["body"])["id"]
       for f in glob.glob(sys.argv[1] + "/*.json")]
print(len(ids), sum(n > 1 for n in collections.Counter(ids).values()))
EOF
)
assert_match "$dups" '^[1-9][0-9]* 0$' "no webhook event was posted twice ($dups: events, repeated)"

# The daemon looks after each heartbeat: with alert_after 5 s, a
# mailbox on a port where nothing listens is told within seconds, and
# those that work never are, not even a new one before its first poll.
mbox() {	# mbox NAME PORT [FOLDER]
	printf '{ name = "%s"; address = "%s@vendor.example"; imap = { host = "127.0.0.1";
	  port = %s; tls = "none"; user = "%s"; password_file = "%s"; idle = true;
	  folder = "%s"; }; }' \
		"$1" "$1" "$2" "$IMAP_USER" "$T/imap.pass" "${3:-INBOX}"
}
imaptool create Sales >/dev/null || fail "cannot create the Sales folder"
# A server that takes the connection and never says a word: its poll
# hangs (up to the 30 s bound) with no error yet.
start_blackhole
two="mailboxes = ( $(mbox support "$IMAP_PORT"), $(mbox down "$(free_port)"),
  $(mbox sales "$IMAP_PORT" Sales), $(mbox mute "$BH_PORT") );"
write_config "admin = { emails = [ \"ops@vendor.example\" ]; alert_after = \"5s\"; };" "$two"
rm -f "$T"/sink/*
start_supportd
down_told() { [ "$(nalerts 'mailbox down is not polled$')" -ge 1 ]; }
wait_until 40 down_told && ok "the daemon alerts for a mailbox that cannot poll" ||
	not_ok "the daemon alerts for a mailbox that cannot poll" "$(tail "$T/supportd.log")"
mute_told() { [ "$(nalerts 'mailbox mute is not polled$')" -ge 1 ]; }
wait_until 25 mute_told && ok "...and for one whose poll hangs, before the poll gives up" ||
	not_ok "...and for one whose poll hangs, before the poll gives up" "$(tail "$T/supportd.log")"
assert_match "$(sink_body "$(alerts 'mailbox mute')")" "polling for [0-9]+ s, without an answer" \
	"...saying it has been polling"
assert_eq "$(nalerts)" 2 "...once each"
assert_eq "$(nalerts 'mailbox (support|sales)')" 0 "...and never for the mailboxes that work"
# A restart is no recovery: the failing mailbox stays an open incident;
# those that work are not down while they wait for their first poll,
# however long ago (more than alert_after) the last one was.
stop_supportd
sleep 6
start_supportd
running() { supportctl status --json | json_py 'j["daemons"][0]["state"] == "running"' | grep -q True; }
wait_until 15 running || fail "the daemon did not start again" "$(tail "$T/supportd.log")"
sleep 12	# a heartbeat or two
assert_eq "$(nalerts)" 2 "a restart sends no recovery and no new alert"
# A mailbox removed from the configuration: its incident closes quietly.
recoveries() { sql "SELECT count(*) FROM outbox WHERE kind = 'admin-recovery'"; }
r0=$(recoveries)
write_config "admin = { emails = [ \"ops@vendor.example\" ]; alert_after = \"5s\"; };" \
	"mailboxes = ( $(mbox support "$IMAP_PORT") );"
kill -HUP "$SUPPORTD_PID"
no_incident() { supportctl status --json | json_py 'j["incidents"]' | grep -qx '\[\]'; }
wait_until 25 no_incident && ok "a mailbox removed: its incident is closed" ||
	not_ok "a mailbox removed: its incident is closed" "$(supportctl status)"
assert_eq "$(recoveries)" "$r0" "...without a recovery mail"
assert_eq "$(sql "SELECT count(*) FROM mailbox_status WHERE mailbox IN ('down', 'mute')")" 0 \
	"...and the removed mailboxes' rows are gone"
stop_supportd
it_done
