#!/bin/bash
# SPDX-License-Identifier: MIT
# supportctl status (issue #23 point 1, SPEC §16.1): from the heartbeat
# and mailbox rows the daemon writes at least every 30 s, every mailbox's
# state, last success and last error, the cursor, the quarantine; the
# outbox, timers and database; the daemon itself.  Exit 0 when all is
# well, 1 when something is down or stale, saying what.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp

printf 'wrong-password' >"$T/bad.pass"
chmod 0600 "$T/bad.pass"
DEAD_PORT=$(free_port)	# nothing listens there
mbox() {	# mbox NAME PORT PASSFILE
	printf '{ name = "%s"; address = "%s@vendor.example";
	  imap = { host = "127.0.0.1"; port = %s; tls = "none"; user = "%s";
	    password_file = "%s"; folder = "INBOX"; idle = true; }; }' \
		"$1" "$1" "$2" "$IMAP_USER" "$3"
}
write_config
good=$(mbox support "$IMAP_PORT" "$T/imap.pass")
write_config "mailboxes = ( $good,
  $(mbox down "$DEAD_PORT" "$T/imap.pass"),
  $(mbox badpass "$IMAP_PORT" "$T/bad.pass") );"
cp "$CONF" "$T/three.conf"
write_config "mailboxes = ( $good );"
cp "$CONF" "$T/one.conf"
CONF=$T/three.conf

status_json() { supportctl status --json >"$T/st.json"; }
st() { json_py "$1" "$T/st.json"; }

# Before any daemon: a monitor hears that nothing runs.
assert_exit 1 "before any daemon, status exits 1" supportctl status
assert_match "$(supportctl status)" "daemon: none has run.*PROBLEM: no daemon is running" \
	"...saying no daemon is running"
status_json
assert_eq "$(st '[m["state"] for m in j["mailboxes"]]')" "['never-polled', 'never-polled', 'never-polled']" \
	"...and that no mailbox was ever polled"

start_supportd
heartbeat_at() { supportctl status --json | json_get .daemons[0].heartbeat_at; }
has_beat() { [ "$(heartbeat_at)" != None ]; }
all_polled() {
	status_json
	[ "$(st '[m["state"] for m in j["mailboxes"]]')" = "['idle', 'backing-off', 'auth-failed']" ]
}
wait_until 15 all_polled ||
	fail "the daemon did not write every mailbox's state" "$(cat "$T/st.json"; tail "$T/supportd.log")"
printf 'From: ann@acme.example\nTo: support@vendor.example\nSubject: status one\nMessage-ID: <s1@acme.example>\n\nhello\n' >"$T/s1.eml"
deliver "$T/s1.eml"
wait_until 10 sink_has 1 || fail "the mail was not answered" "$(tail "$T/supportd.log")"
next_uid_is_2() { status_json; [ "$(st 'j["mailboxes"][0]["next_uid"]')" = 2 ]; }
wait_until 15 next_uid_is_2 || not_ok "the cursor moves on with the mail" "$(cat "$T/st.json")"

assert_exit 1 "with one mailbox down and one refused, status exits 1" supportctl status
status_json
assert_eq "$(st 'j["daemons"][0]["state"]')" running "the daemon is running"
assert_eq "$(st 'j["daemons"][0]["pid"]')" "$SUPPORTD_PID" "...with its pid"
assert_eq "$(st 'j["daemons"][0]["version"]')" "$("$SUPPORTD_BIN" --version | cut -d' ' -f2)" "...and version"
assert_eq "$(st 'j["daemons"][0]["instance"]')" "$(hostname)" "...named by its host"
assert_eq "$(st 'j["mailboxes"][0]["state"]')" idle "the good mailbox is idle"
assert_ne "$(st 'j["mailboxes"][0]["connected_since"]')" None "...connected"
assert_ne "$(st 'j["mailboxes"][0]["last_success"]')" None "...with a last success"
assert_eq "$(st 'j["mailboxes"][0]["last_error"]')" None "...and no error"
assert_match "$(st 'j["mailboxes"][0]["uidvalidity"]')" '^[0-9]+$' "...its UIDVALIDITY"
assert_eq "$(st 'j["mailboxes"][1]["state"]')" backing-off "the mailbox on a dead port backs off"
assert_match "$(st 'j["mailboxes"][1]["last_error"]')" 'mailbox=down' "...its last error names it"
assert_eq "$(st 'j["mailboxes"][1]["connected_since"]')" None "...and it is not connected"
assert_eq "$(st 'j["mailboxes"][1]["last_success"]')" None "...and never succeeded"
assert_eq "$(st 'j["mailboxes"][2]["state"]')" auth-failed "a refused password is auth-failed"
assert_eq "$(st 'j["ok"]')" False "ok is false"
assert_eq "$(st 'j["problems"]')" "['mailbox down is backing-off', 'mailbox badpass is auth-failed']" \
	"the problems name both mailboxes"
assert_eq "$(st '(j["outbox"]["queued"], j["outbox"]["failed"])')" "(0, 0)" "the outbox is empty"
assert_match "$(st 'j["database"]["bytes"]')" '^[1-9][0-9]*$' "the database's size"
assert_eq "$(st 'j["tokens"]')" "[]" "no OAuth2 login"
text=$(supportctl status)
assert_match "$text" "daemon $(hostname): running, pid $SUPPORTD_PID" "the text says so too"
assert_match "$text" "mailbox support +idle +last ok 20" "...with the mailboxes"
assert_match "$(printf '%s\n' "$text" | tail -1)" "^PROBLEM: mailbox down is backing-off; mailbox badpass is auth-failed$" \
	"...and the problems on its last line"

# The heartbeat is written at least every 30 s.
b1=$(heartbeat_at)
beat_moved() { [ "$(heartbeat_at)" != "$b1" ]; }
wait_until 30 beat_moved && ok "the heartbeat is written again within 30 s" ||
	not_ok "the heartbeat is written again within 30 s" "$b1"

# Seen from later, the heartbeat is stale (the daemon hangs, say).
status_json_at() { supportctl status --json --now "$1" >"$T/st.json"; }
status_json_at "$(date -u -d '+5 min' +%Y-%m-%dT%H:%M:%SZ)"
assert_eq "$(st 'j["daemons"][0]["state"]')" stale "a heartbeat 5 min old is stale"
assert_match "$(st 'j["problems"]')" "no daemon is running" "...and a problem"

# Only the good mailbox: after a reload all is well.
cp "$T/one.conf" "$T/three.conf"
kill -HUP "$SUPPORTD_PID"
wait_until 10 grep -q 'daemon: reloaded' "$T/supportd.log" || fail "no reload" "$(tail "$T/supportd.log")"
CONF=$T/one.conf
is_ok() { supportctl status >/dev/null; }
wait_until 30 is_ok && ok "with every mailbox well, status exits 0" ||
	not_ok "with every mailbox well, status exits 0" "$(supportctl status)"
assert_eq "$(supportctl status | tail -1)" OK "...and says OK"

# The relay goes away: the response waits in the outbox, and once it
# waits longer than admin.alert_after (15 min) that is a problem.
stop_smtp
printf 'From: bob@acme.example\nTo: support@vendor.example\nSubject: status two\nMessage-ID: <s2@acme.example>\n\nhello\n' >"$T/s2.eml"
deliver "$T/s2.eml"
queued() { status_json; [ "$(st 'j["outbox"]["queued"]')" -ge 1 ]; }
wait_until 15 queued || not_ok "the response waits in the outbox" "$(cat "$T/st.json")"
assert_exit 0 "a response queued a moment ago is no problem" supportctl status
status_json_at "$(date -u -d '+16 min' +%Y-%m-%dT%H:%M:%SZ)"
assert_match "$(st 'j["outbox"]["oldest_age"]')" '^9[0-9][0-9]$' "16 min later the oldest waits 960 s or so"
assert_match "$(st 'j["problems"]')" "the oldest queued mail waits for 9[0-9][0-9] s" "...which is a problem"
# ...and the SLA timers of the new tickets fall due unfired.
status_json_at "$(date -u -d '+3 days' +%Y-%m-%dT%H:%M:%SZ)"
assert_match "$(st 'j["timers"]["due"]')" '^[1-9]' "three days later timers are due"
assert_match "$(st 'j["problems"]')" "timers are [0-9]+ s late" "...and late"

# The quarantine is counted a mailbox at a time.
deliver "$SRCDIR/tests/fixtures/mail/0011-no-from.eml"
held() { status_json; [ "$(st 'j["mailboxes"][0]["quarantined"]')" = 1 ]; }
wait_until 15 held && ok "a quarantined mail is counted on its mailbox" ||
	not_ok "a quarantined mail is counted on its mailbox" "$(cat "$T/st.json")"

# A daemon that stops says so; one killed is found dead.
stop_supportd
status_json
assert_eq "$(st 'j["daemons"][0]["state"]')" stopped "a daemon that stopped says so"
assert_exit 1 "...and status exits 1" supportctl status
start_supportd
running() { status_json; [ "$(st 'j["daemons"][0]["state"]')" = running ]; }
wait_until 15 running || fail "the daemon did not start again" "$(tail "$T/supportd.log")"
kill -KILL "$SUPPORTD_PID"
wait "$SUPPORTD_PID" 2>/dev/null
status_json
assert_eq "$(st 'j["daemons"][0]["state"]')" dead "a daemon killed with SIGKILL is found dead"
assert_exit 1 "...and status exits 1" supportctl status

# --once writes the mailboxes' rows, not a heartbeat.
rm -f "$T/supportd.db"*
restart_smtp
assert_cmd "supportd --once" supportd --once
status_json
assert_eq "$(st 'j["daemons"]')" "[]" "--once leaves no heartbeat"
assert_eq "$(st 'j["mailboxes"][0]["state"]')" idle "...but the mailbox's state"
assert_ne "$(st 'j["mailboxes"][0]["last_success"]')" None "...and its last success"
it_done
