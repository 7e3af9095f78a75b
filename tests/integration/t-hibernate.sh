#!/bin/bash
# SPDX-License-Identifier: MIT
# IDLE against a Dovecot that hibernates idle sessions (SPEC §3.2; a
# production setting, and the one under which the benchmark measures
# IDLE latency): while the daemon waits, Dovecot hands its session to
# imap-hibernate, which answers for it and gives it back to an imap
# process when mail comes, when the daemon sends DONE to renew the IDLE,
# or when it stops.  Every one of those must go on working: the mail is
# answered at once (with no renewal or poll due for minutes), the
# renewals raise no error, the stop is clean.  Not timed:
# bench/ measures the latency.
. "$(dirname "$0")/lib.sh"
it_init "$0"
DOVECOT_HIBERNATE=1
start_dovecot
start_smtp
# First no renewal and no poll for minutes: only imap-hibernate waking
# the session can bring the mail in within the 10 s the test waits.
write_config 'poll_interval = "60s";' --imap 'idle = true;' \
	--imap 'idle_renew = "5m";'

# Whether imap-hibernate holds a session now (its process title, with
# verbose_proctitle, counts them: "imap-hibernate [1 connections]").
hibernated() {
	ps -eo args= | grep -Eq "sd-test-$IMAP_PORT/imap-hibernate \[[1-9]"
}
# answered N SUBJECT MSG: a mail with SUBJECT delivered, the sink's Nth
# response comes within 10 s.
answered() {
	printf 'From: ann@acme.example\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <h%s@acme.example>\n\nhello\n' \
		"$2" "$1" >"$T/h$1.eml"
	deliver "$T/h$1.eml"
	wait_until 10 sink_has "$1" && ok "$3" ||
		not_ok "$3" "$(cat "$T/supportd.log")"
}

start_supportd
wait_until 10 grep -q 'mailbox=support host=127.0.0.1.*connected' "$T/supportd.log" ||
	fail "the mailbox did not connect" "$(cat "$T/supportd.log")"
if wait_until 10 hibernated; then
	ok "Dovecot hibernates the daemon's IDLE session"
else
	not_ok "Dovecot hibernates the daemon's IDLE session" \
		"$(ps -eo args= | grep "sd-test-$IMAP_PORT")" "$(cat "$T/dovecot.log")"
fi

answered 1 "printer on fire" "a mail delivered while it is hibernated is answered"
assert_eq "$(supportctl list --json | json_py 'len(j)')" 1 "...and makes one ticket"

wait_until 10 hibernated && ok "hibernated again after the mail" ||
	not_ok "hibernated again after the mail"

# Then renewals every 3 s: each DONE goes to imap-hibernate, which hands
# the session back; the new IDLE is hibernated again.
stop_supportd
write_config 'poll_interval = "60s";' --imap 'idle = true;' \
	--imap 'idle_renew = "3s";'
: >"$T/supportd.log"
start_supportd
sleep 8
wait_until 10 hibernated && ok "hibernated again after 8 s of renewals every 3 s" ||
	not_ok "hibernated again after 8 s of renewals every 3 s" "$(cat "$T/supportd.log")"
answered 2 "second mail" "the next mail is answered too"
assert_file_lacks "$T/supportd.log" 'level=(warn|error)' \
	"hibernation and the renewals cause no warning or error"

assert_eq "$(grep -c 'mailbox=support host=.*connected' "$T/supportd.log")" 1 \
	"one session throughout the renewals: hibernation is invisible to the daemon"

wait_until 10 hibernated || note "not hibernated at the stop"
kill -TERM "$SUPPORTD_PID"
wait "$SUPPORTD_PID"
assert_eq "$?" 0 "SIGTERM with the session hibernated: supportd exits 0"
assert_file_contains "$T/supportd.log" 'daemon: stopping' "...and says so"
assert_file_lacks "$T/supportd.log" 'still blocked' \
	"...with the worker's DONE answered, not left blocked"
assert_file_lacks "$T/dovecot.log" '(Error|Panic|Fatal):' \
	"Dovecot logged no error"
it_done
