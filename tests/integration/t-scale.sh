#!/bin/bash
# SPDX-License-Identifier: MIT
# One daemon, a thousand mailboxes (issue #18 point 2, SPEC §17.1): 1,000
# Dovecot users, each a mailbox in IDLE, plus one server that accepts and
# never answers and one that refuses the login.  Every mailbox gets one
# mail; every mail becomes a ticket and is answered; the two bad servers
# hold up none of the others; the thread count is that of the pool, not
# of the mailboxes; descriptors past FD_SETSIZE (1,024) are fine (no
# select(2)); SIGTERM ends the daemon at once though a server hangs.
. "$(dirname "$0")/lib.sh"
it_init "$0"
N=${SCALE_MAILBOXES:-1000}
dovecot_for_many "$N"
# A thousand sockets on each side.
[ "$(ulimit -n)" -gt $((N * 2 + 100)) ] ||
	fail "ulimit -n is $(ulimit -n): $N mailboxes need more open files"
start_dovecot
start_smtp

HANG_PORT=$(free_port)
REFUSE_PORT=$(free_port)
: >"$T/hang.log"
: >"$T/refuse.log"
_it_bg hang "$T/hang.out" "$IT_PYTHON" "$SRCDIR/tests/integration/badimap.py" \
	"$HANG_PORT" silent "$T/hang.log"
_it_bg refuse "$T/refuse.out" "$IT_PYTHON" "$SRCDIR/tests/integration/badimap.py" \
	"$REFUSE_PORT" no-login "$T/refuse.log"

imap() {	# imap USER PORT
	printf 'imap = { host = "127.0.0.1"; port = %s; tls = "none"; user = "%s";
	  password_file = "%s"; folder = "INBOX"; idle = true; };' "$2" "$1" "$T/imap.pass"
}
{
	echo 'mailboxes = ('
	echo "  { name = \"hang\"; address = \"hang@vendor.example\"; $(imap support "$HANG_PORT") },"
	echo "  { name = \"refuse\"; address = \"refuse@vendor.example\"; $(imap support "$REFUSE_PORT") },"
	for ((i = 1; i <= N; i++)); do
		sep=,
		[ "$i" -lt "$N" ] || sep=
		echo "  { name = \"m$i\"; address = \"m$i@vendor.example\"; $(imap "u$i" "$IMAP_PORT") }$sep"
	done
	echo ');'
} >"$T/mailboxes.conf"
write_config "$(cat "$T/mailboxes.conf")"
assert_exit 0 "$N mailboxes and two bad servers: the config is valid" supportctl check-config

# A hundred descriptors open in the daemon from the start, so that its
# sessions' are past FD_SETSIZE however many others it has.
for ((fd = 30; fd < 130; fd++)); do eval "exec $fd</dev/null"; done
start_supportd
for ((fd = 30; fd < 130; fd++)); do eval "exec $fd<&-"; done
connected() { [ "$(grep -c ': connected$' "$T/supportd.log")" -ge "$N" ]; }
wait_until 120 connected ||
	fail "every mailbox logged in" "$(grep -c ': connected$' "$T/supportd.log") of $N" \
		"$(tail -n 20 "$T/supportd.log")"
ok "all $N mailboxes logged in, beside a server that hangs and one that refuses"

# One mail each, from a customer of its own (the per-sender limit of
# automatic replies stays out of it), delivered while the sessions idle.
mkdir "$T/mails"
for ((i = 1; i <= N; i++)); do
	printf 'From: c%d@acme.example\nTo: m%d@vendor.example\nSubject: printer %d is down\nMessage-ID: <scale-%d@acme.example>\n\nhelp\n' \
		"$i" "$i" "$i" "$i" >"$T/mails/u$i.eml"
done
deliver_users "$T/mails"
tickets() { [ "$(sql 'SELECT count(*) FROM tickets')" -ge "$N" ]; }
wait_until 120 tickets ||
	not_ok "every mail became a ticket" "$(sql 'SELECT count(*) FROM tickets') of $N"
assert_eq "$(sql 'SELECT count(*) FROM tickets')" "$N" "every mail is a ticket, once"
assert_eq "$(sql "SELECT count(DISTINCT mailbox) FROM tickets WHERE mailbox LIKE 'm%'")" "$N" \
	"one in each mailbox"
wait_until 120 sink_has "$N" ||
	not_ok "every ticket answered" "$(sink_count) of $N"
assert_eq "$(sink_count)" "$N" "every ticket was answered, once"
n=$(sink_find '^Subject: \[Ticket#[0-9]+\] Re: printer 777 is down' | head -n 1)
assert_file_contains "$(sink_env "$n")" '^RCPT TO:<c777@acme\.example>$' \
	"mailbox 777's customer got mailbox 777's answer"

pid=$SUPPORTD_PID
threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
assert_match "$threads" '^([1-9]|1[0-9]|2[0-4])$' \
	"$threads threads for $N mailboxes: a fixed pool, not one per mailbox"
maxfd=$(find "/proc/$pid/fd" -mindepth 1 -printf '%f\n' | sort -n | tail -n 1)
[ "$maxfd" -ge 1024 ] &&
	ok "descriptors past FD_SETSIZE are in use (up to $maxfd), and nothing aborted" ||
	not_ok "descriptors past FD_SETSIZE are in use, and nothing aborted" "highest: $maxfd"
assert_file_contains "$T/supportd.log" 'mailbox=refuse user=support: login: login refused; retry in' \
	"the refused login is logged and retried"
timed_out() { grep 'mailbox=hang.*greeting' "$T/supportd.log" >/dev/null; }
wait_until 60 timed_out && ok "the silent server timed out at the greeting" ||
	not_ok "the silent server timed out at the greeting" "$(grep 'mailbox=hang' "$T/supportd.log")"
assert_eq "$(grep -c 'Fatal\|FD_SETSIZE\|out of range' "$T/supportd.log")" 0 "no fatal error"

# SIGTERM while a session waits on the silent server: out at once.
kill -TERM "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
wait_until 15 gone && ok "SIGTERM: the daemon stops though a server hangs" ||
	not_ok "SIGTERM: the daemon stops though a server hangs" "$(tail -n 5 "$T/supportd.log")"
assert_file_contains "$T/supportd.log" 'daemon: stopped' "and says so"
stop_supportd
it_done
