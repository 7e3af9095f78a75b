#!/bin/bash
# SPDX-License-Identifier: MIT
# A misbehaving IMAP server (issue #6 point 1, SPEC §10): what Dovecot
# cannot do on cue is scripted by badimap.py - a "* BYE" or an SMTP or
# binary greeting, the connection closed instead of answering SELECT or
# half way through a FETCH literal, a 4 GB literal, a FETCH response that
# does not parse, LOGIN refused.  For each, in a configuration that also
# has a good mailbox on the real Dovecot:
#   - supportd --once neither crashes nor hangs: exit 75 (EX_TEMPFAIL);
#   - the log names the bad mailbox and what went wrong;
#   - the good mailbox's mail is taken in and answered all the same;
#   - nothing of the bad server's mail is stored: no ticket, no cursor.
# Closing inside a FETCH literal made libetpan 1.9.4 spin for ever (found
# here; supportd now wraps the stream, see src/intake/imap.c).
# Then the daemon against a server that closes mid-FETCH: it backs off
# (1, 2, 4 s: few connections, no busy loop) and keeps serving Dovecot.
# Then a server that is only slow (slow-select) orders two flushes of
# one --once: a 452 in the first does not stop the second.  Last, mail
# announced outside IDLE (in the answer to UID STORE, or with IDLE's
# "+") is taken in before the daemon waits.  And a session that dies
# while the next group is fetched keeps what was committed.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp

BAD_PORT=$(free_port)
start_bad() {	# start_bad MODE
	_it_stop badimap 2>/dev/null
	: >"$T/bad-$1.log"
	_it_bg badimap "$T/badimap.out" "$IT_PYTHON" "$SRCDIR/tests/integration/badimap.py" \
		"$BAD_PORT" "$1" "$T/bad-$1.log"
	wait_until 5 "$IT_PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $BAD_PORT), 1)" 2>/dev/null ||
		fail "badimap.py ($1) did not start" "$(cat "$T/badimap.out")"
	: >"$T/bad-$1.log"	# the probe's connection is not supportd's
}

imap() {	# imap PORT: one imap block
	printf 'imap = { host = "127.0.0.1"; port = %s; tls = "none"; user = "support";
	  password_file = "%s"; folder = "INBOX"; idle = false; };' "$1" "$T/imap.pass"
}
write_config 'poll_interval = "1s";' "mailboxes = (
  { name = \"good\"; address = \"support@vendor.example\"; $(imap "$IMAP_PORT") },
  { name = \"bad\"; address = \"bad@vendor.example\"; $(imap "$BAD_PORT") }
);"
assert_exit 0 "a good and a bad mailbox: the config is valid" supportctl check-config

mail() {	# mail NAME SUBJECT: from NAME@customer.example (one sender a
	# mail, so the per-sender limit of automatic replies stays out of it)
	printf 'From: %s@customer.example\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@customer.example>\nDate: Mon, 16 Nov 2026 09:00:00 +0000\n\nhello\n' \
		"$1" "$2" "$1" >"$T/$1.eml"
}
gone() { ! kill -0 "$1" 2>/dev/null; }
bad_rows() {
	sql "SELECT (SELECT count(*) FROM messages WHERE message_id LIKE '%bad-1@acme.example%')
	     + (SELECT count(*) FROM cursors WHERE mailbox = 'bad')"
}

n=0
for mode in bye smtp garbage select-close fetch-close huge-literal bad-fetch no-login; do
	n=$((n + 1))
	start_bad "$mode"
	mail "good$n" "good mail $n"
	deliver "$T/good$n.eml"
	sent=$(sink_count)
	t0=$(date +%s)
	# In the background with a deadline: a hang must fail, not stall CI.
	supportd --once >"$T/once-$mode.log" 2>&1 &
	pid=$!
	if ! wait_until 60 gone "$pid"; then
		kill -9 "$pid" 2>/dev/null
		not_ok "$mode: supportd --once ends" "still running after 60 s"
	fi
	wait "$pid"
	rc=$?
	secs=$(($(date +%s) - t0))
	note "$mode: exit $rc after ${secs}s; server log: $(tr '\n' ' ' <"$T/bad-$mode.log")"
	# A refused LOGIN is a failed mailbox like the others: --once exits
	# 75 for any mailbox it could not read (78 is for a bad config).
	assert_eq "$rc" 75 "$mode: supportd --once exits 75, no crash, no hang"
	assert_file_contains "$T/once-$mode.log" "mailbox=bad" "$mode: the log names the bad mailbox"
	assert_file_lacks "$T/once-$mode.log" "AddressSanitizer|runtime error|Segmentation" \
		"$mode: no sanitizer report"
	assert_eq "$(sink_count)" "$((sent + 1))" "$mode: the good mailbox's mail is answered all the same"
	assert_eq "$(bad_rows)" 0 "$mode: nothing of the bad server's mail is stored"
	if [ ! -s "$T/bad-$mode.log" ]; then
		not_ok "$mode: supportd talked to the bad server" "no connection logged"
	else
		ok "$mode: supportd talked to the bad server"
	fi
done
grep -h "mailbox=bad" "$T"/once-*.log | sed 's/^/#   /' | head -n 20

# The daemon against a server that closes mid-FETCH: backoff, no busy
# loop, and the good mailbox goes on.
start_bad fetch-close
start_supportd
sleep 8
conns=$(grep -c '^connect' "$T/bad-fetch-close.log")
note "daemon: the mid-FETCH closer saw $conns connections in 8 s"
if [ "$conns" -ge 2 ] && [ "$conns" -le 5 ]; then
	ok "daemon: reconnects with backoff ($conns connections in 8 s, 1-2-4 s apart)"
else
	not_ok "daemon: reconnects with backoff" "$conns connections in 8 s"
fi
assert_file_contains "$T/supportd.log" "mailbox=bad.*retry in [0-9]+s" "daemon: the log says when it retries"
mail gooddaemon "while the bad one misbehaves"
sent=$(sink_count)
deliver "$T/gooddaemon.eml"
wait_until 15 sink_has "$((sent + 1))" ||
	not_ok "daemon: the good mailbox is served" "$(tail -n 20 "$T/supportd.log")"
assert_eq "$(sink_count)" "$((sent + 1))" "daemon: the good mailbox's mail is answered while the bad one fails"
stop_supportd
assert_eq "$(bad_rows)" 0 "daemon: still nothing of the bad server's mail stored"

# A 4xx for one response does not stop --once from sending what a later
# mailbox brings in.  The second server answers SELECT only once the
# sender's flush that met the 452 has ended, so that flush and the one
# after the second mailbox's commit are surely two.
start_bad slow-select
touch "$T/bad-slow-select.log.hold"
smtp_mode 'rcpt:full@customer.example 452 4.2.2 mailbox full'
mail full "refused for now"
deliver "$T/full.eml"
supportd --once >"$T/slow.log" 2>&1 &
spid=$!
wait_until 20 grep -q 'sending failed (1 tried)' "$T/slow.log" ||
	not_ok "the 452 was met" "$(cat "$T/slow.log")"
rm -f "$T/bad-slow-select.log.hold"
wait "$spid"
assert_eq "$?" 75 "one response refused with 452: --once exits 75"
assert_eq "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE rcpts='full@customer.example'")" \
	"queued 1" "...that one waits for its retry"
assert_eq "$(sql "SELECT status FROM outbox WHERE rcpts='ann@acme.example'")" sent \
	"...the later mailbox's response went out in the same run"
smtp_mode

# A mail announced in the answer to another command is not announced
# again by IDLE: the daemon must poll before it idles (late-exists: the
# second mail comes with the answer to UID STORE), and must read what
# came in with IDLE's "+" (idle-exists).  With IDLE renewed only every
# 24 minutes, the second mail is taken in at once or not in this test.
write_config 'poll_interval = "60s";' "mailboxes = (
  { name = \"late\"; address = \"late@vendor.example\";
    imap = { host = \"127.0.0.1\"; port = $BAD_PORT; tls = \"none\"; user = \"support\";
      password_file = \"$T/imap.pass\"; folder = \"INBOX\"; idle = true; }; }
);"
for mode in late-exists idle-exists; do
	start_bad "$mode"
	sql "DELETE FROM cursors WHERE mailbox = 'late'" >/dev/null
	: >"$T/supportd.log"
	start_supportd
	wait_until 10 grep -q 'mailbox=late uid=1 outcome=' "$T/supportd.log" ||
		not_ok "$mode: the first mail is taken in" "$(cat "$T/supportd.log")"
	if wait_until 10 grep -q 'mailbox=late uid=2 outcome=' "$T/supportd.log"; then
		ok "$mode: the second mail is taken in at once"
	else
		not_ok "$mode: the second mail is taken in at once" \
			"$(cat "$T/supportd.log")" "server: $(tr '\n' ' ' <"$T/bad-$mode.log")"
	fi
	stop_supportd
done
# The server logs each command's first word: two polls before any IDLE.
assert_match "$(tr '\n' ' ' <"$T/bad-late-exists.log" | sed 's/ IDLE.*//')" \
	'SELECT.* SELECT' "late-exists: the daemon polls again before it idles"

# daemon_counts MODE SECS WORD MIN MAX MSG: the daemon against badimap
# MODE for SECS seconds; the server must have seen MIN to MAX commands
# WORD (a count, not a time: the bound holds on a slow machine too).
daemon_counts() {
	local n
	start_bad "$1"
	sql "DELETE FROM cursors WHERE mailbox = 'late'" >/dev/null
	: >"$T/supportd.log"
	start_supportd
	sleep "$2"
	stop_supportd
	n=$(grep -c "^$3" "$T/bad-$1.log")
	note "$1: $n $3 commands in $2 s"
	if [ "$n" -ge "$4" ] && [ "$n" -le "$5" ]; then
		ok "$1: $6 ($n in $2 s)"
	else
		not_ok "$1: $6" "$n $3 commands in $2 s"
	fi
}

# An EXISTS that only repeats the count is no news: no poll after poll.
daemon_counts chatty-exists 4 SELECT 1 3 \
	"an EXISTS with the same count does not make it poll again"
# A server that takes the poll but refuses IDLE is tried again after a
# backoff (1, 2 s...), not at once again in a loop.
daemon_counts idle-no 5 IDLE 1 4 "a refused IDLE is retried with backoff"
assert_file_contains "$T/supportd.log" 'mailbox=late: IDLE: .*; retry in 1s' \
	"idle-no: the refusal is logged with the backoff"
assert_file_contains "$T/supportd.log" 'mailbox=late uid=1 outcome=' \
	"idle-no: the mail was taken in all the same"

# The fetching thread fetches the next group while this one is taken in
# (the first group is 32 mails).  When the session dies in the second
# group's FETCH, the first group is committed all the same, the poll
# fails, and the next session takes the rest and marks everything
# \Seen (the sweep marks what was committed but not marked): 40 mails,
# each once.
write_config "mailboxes = (
  { name = \"pipe\"; address = \"pipe@vendor.example\"; $(imap "$BAD_PORT") }
);"
start_bad group-close
pipe_rows() { sql "SELECT count(*) || ' ' || count(DISTINCT message_id) FROM messages WHERE mailbox = 'pipe' AND direction = 'in'"; }
supportd --once >"$T/pipe1.log" 2>&1
assert_eq "$?" 75 "group-close: the session dies in the second group's FETCH: --once exits 75"
assert_file_contains "$T/pipe1.log" "mailbox=pipe.*UID FETCH" "...the log says which command failed"
assert_eq "$(pipe_rows)" "32 32" "...the first group (32 mails) is committed all the same"
assert_eq "$(sql "SELECT last_uid FROM cursors WHERE mailbox = 'pipe'")" 32 "...and the cursor is at its last mail"
supportd --once >"$T/pipe2.log" 2>&1
assert_eq "$?" 0 "group-close: the next session goes on: --once exits 0"
assert_eq "$(pipe_rows)" "40 40" "...all 40 mails are taken in, each once"
assert_eq "$(grep '^seen=' "$T/bad-group-close.log" | tail -n 1)" "seen=40" \
	"...and all 40 are marked \\Seen on the server"
assert_file_lacks "$T/pipe1.log" "AddressSanitizer|runtime error|Segmentation" "group-close: no sanitizer report"
# --once polls its mailboxes at once, as the daemon serves them (issue
# #19 point 10): a server that never says a word, listed first, holds
# up no mailbox after it.  The silent one is given up only after the
# greeting timeout (30 s); the good one's mail is answered long before.
write_config "mailboxes = (
  { name = \"mute\"; address = \"mute@vendor.example\"; $(imap "$BAD_PORT") },
  { name = \"good\"; address = \"support@vendor.example\"; $(imap "$IMAP_PORT") }
);"
start_bad silent
mail quick "answered while the first mailbox is mute"
deliver "$T/quick.eml"
sent=$(sink_count)
supportd --once >"$T/mute.log" 2>&1 &
mpid=$!
if wait_until 20 sink_has "$((sent + 1))" && ! gone "$mpid"; then
	ok "--once: the second mailbox's mail is answered while the first is mute"
else
	not_ok "--once: the second mailbox's mail is answered while the first is mute" \
		"$(tail -n 20 "$T/mute.log")"
fi
kill -KILL "$mpid" 2>/dev/null
wait "$mpid" 2>/dev/null
it_done
