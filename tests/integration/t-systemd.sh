#!/bin/bash
# SPDX-License-Identifier: MIT
# systemd (issue #23 point 4, SPEC §16.4): the daemon tells a Type=notify
# unit READY=1 once it serves, STATUS= lines, RELOADING=1 at a SIGHUP
# (READY=1 again after it, done or refused), WATCHDOG=1 while its
# threads make progress and STOPPING=1.  What systemd would hear is
# heard by a small sd_notify socket listener; no systemd is needed.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
write_config --imap 'idle = true;'
start_notify

heard() { grep -c -E -e "$1" "$T/notify.log" 2>/dev/null || true; }
has() { [ "$(heard "$1")" -ge "${2:-1}" ]; }

WATCHDOG_USEC=2000000 start_supportd
wait_until 10 has '^READY=1' || fail "no READY=1" "$(cat "$T/notify.log"; tail "$T/supportd.log")"
assert_match "$(head -1 "$T/notify.log")" '^EXTEND_TIMEOUT_USEC=[0-9]+ \| STATUS=starting' \
	"before the database is opened (a migration), the start's timeout is extended"
assert_match "$(grep -m1 '^READY=1' "$T/notify.log")" '^READY=1 \| STATUS=serving$' "then READY=1"
assert_file_contains "$T/supportd.log" 'daemon: serving mailboxes=1' "...sent once the mailboxes are served"
wait_until 15 has '^STATUS=1 mailbox: 1 idle; outbox: 0 queued, 0 failed$' &&
	ok "a STATUS= line says what the mailboxes and the outbox do" ||
	not_ok "a STATUS= line says what the mailboxes and the outbox do" "$(cat "$T/notify.log")"
assert_eq "$(supportctl status --json | json_get .daemons[0].status)" \
	"1 mailbox: 1 idle; outbox: 0 queued, 0 failed" "supportctl status shows the same line"
# WATCHDOG_USEC is 2 s: a WATCHDOG=1 every second.
w0=$(heard '^WATCHDOG=1$')
sleep 4
w1=$(heard '^WATCHDOG=1$')
# Under load a round of the loop may come late: 2 is still "repeatedly".
assert_match "$((w1 - w0))" '^[2-6]$' "WATCHDOG=1 every half interval ($((w1 - w0)) in 4 s)"

# A reload: RELOADING=1 with the monotonic time, then READY=1.
kill -HUP "$SUPPORTD_PID"
wait_until 30 has '^READY=1 \| STATUS=reloaded$' ||
	fail "no READY=1 after a reload" "$(cat "$T/notify.log")"
assert_match "$(grep -n '' "$T/notify.log" | grep -E 'RELOADING=1|STATUS=reloaded' | tr '\n' ' ')" \
	'^[0-9]+:RELOADING=1 \| MONOTONIC_USEC=[0-9]+ \| STATUS=reloading [0-9]+:READY=1 \| STATUS=reloaded $' \
	"RELOADING=1 with MONOTONIC_USEC, then READY=1"
# A reload refused: READY=1 all the same, saying so.
cp "$CONF" "$T/good.conf"
printf 'poll_interval = "soon";\n' >>"$CONF"
kill -HUP "$SUPPORTD_PID"
wait_until 30 has '^READY=1 \| STATUS=reload refused' &&
	ok "a refused reload is READY=1 with a STATUS= that says so" ||
	not_ok "a refused reload is READY=1 with a STATUS= that says so" "$(cat "$T/notify.log")"
assert_eq "$(heard '^RELOADING=1')" 2 "...after its RELOADING=1"
cp "$T/good.conf" "$CONF"
w0=$(heard '^WATCHDOG=1$')
sleep 3
assert_ne "$(heard '^WATCHDOG=1$')" "$w0" "the watchdog is still told after the reloads"
stop_supportd
assert_match "$(tail -1 "$T/notify.log")" '^STOPPING=1 \| STATUS=stopping$' "STOPPING=1 at SIGTERM"

# The watchdog is another process's (WATCHDOG_PID): never told.
: >"$T/notify.log"
WATCHDOG_USEC=1000000 WATCHDOG_PID=1 start_supportd
wait_until 10 has '^READY=1' || fail "no READY=1" "$(tail "$T/supportd.log")"
sleep 3
assert_eq "$(heard '^WATCHDOG=1$')" 0 "no WATCHDOG=1 when the watchdog is another process's"
stop_supportd

# Without NOTIFY_SOCKET the daemon runs the same and says nothing.
: >"$T/notify.log"
env -u NOTIFY_SOCKET WATCHDOG_USEC=1000000 "$SUPPORTD_BIN" -c "$CONF" --foreground >"$T/plain.log" 2>&1 &
plain=$!
printf 'From: ann@acme.example\nTo: support@vendor.example\nSubject: plain run\nMessage-ID: <p1@acme.example>\n\nhi\n' >"$T/p1.eml"
deliver "$T/p1.eml"
wait_until 10 sink_has 1 && ok "without NOTIFY_SOCKET the daemon answers mail" ||
	not_ok "without NOTIFY_SOCKET the daemon answers mail" "$(cat "$T/plain.log")"
kill -TERM "$plain"
wait "$plain"
assert_eq "$?" 0 "...and stops cleanly"
assert_eq "$(wc -l <"$T/notify.log")" 0 "...having told nothing"
it_done
