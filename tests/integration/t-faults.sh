#!/bin/bash
# SPDX-License-Identifier: MIT
# Faults of the servers around supportd (issue #6 point 1, SPEC §8, §10),
# against the real Dovecot, the SMTP sink and SQLite:
#  1. Dovecot stopped under the running daemon and started again: the
#     daemon backs off without a busy loop (CPU time measured), reconnects,
#     answers new mail, and loses or doubles none of the mail before or
#     during the outage (IDLE mailbox); the same, shorter, for a polling
#     mailbox (idle = false);
#  2. the SMTP relay down, then up: the queued responses go out once each
#     when `supportctl tick --now` passes the backoff;
#  3. the relay answering 451 at DATA, then healed: queued with attempts=1
#     and last_error, delivered after the backoff;
#  4. a 550 at RCPT: failed for good, reported, logged, never retried;
#  5. (the webhook down then up is t-sla.sh's 503 case);
#  6. another process holding the SQLite write lock for 3 s while
#     `supportd --once` takes mail in: the busy timeout waits, then goes on;
#     held past the 10 s busy timeout: exit 75, the mail is left on the
#     server untouched and the next cycle takes it in;
#  7. the sent journal (outbox.c): rows a crashed run had sent are marked
#     sent, not sent again; a torn line or one naming another Message-ID
#     is not taken; rows already marked are not recorded twice; under a
#     held write lock the row waits in the journal; an unreadable journal
#     stops sending, none at all records rows directly; --once waits while
#     another process holds the journal.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp

mail() {	# mail NAME FROM SUBJECT: $T/NAME.eml, Message-ID <NAME@test>
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@test>\n\nhello\n' \
		"$2" "$3" "$1" >"$T/$1.eml"
}
tickets() { sql "SELECT count(*) FROM tickets"; }
# ticket_of NAME: number of tickets holding the incoming mail <NAME@test>.
ticket_of() {
	sql "SELECT count(DISTINCT ticket_id) FROM messages WHERE direction='in'
	     AND message_id IN ('<$1@test>', '$1@test')"
}
sink_times() {	# sink_times MSGID: how often the sink stored that Message-ID
	local id=${1#<}
	id=${id%>}
	sink_find "^Message-I[Dd]: <$(printf '%s' "$id" | sed 's/[.[\*^$+?(){}|]/\\&/g')>" | wc -l
}
responses_to() {	# responses_to ADDR: outbox rows (message_id) to ADDR
	sql "SELECT message_id FROM outbox WHERE rcpts = '$1' ORDER BY id"
}
not_once() {	# not_once PREFIX N: of PREFIX1..N@acme.example, how many
	# responses did not reach the sink exactly once
	local n bad=0
	for n in $(seq 1 "$2"); do
		[ "$(sink_times "$(responses_to "$1$n@acme.example")")" = 1 ] || bad=$((bad + 1))
	done
	echo "$bad"
}
cpu_ticks() {	# cpu_ticks PID: utime + stime in clock ticks
	# Fields after the ")" closing comm: state is field 3, utime 14, stime 15.
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now_ms() { date +%s%3N; }

# ==================== 1. Dovecot down under the running daemon =========
write_config 'poll_interval = "1s";' --imap 'idle = true;' --imap 'idle_renew = "5s";'
mail d1 ann@acme.example "before the outage one"
mail d2 bea@acme.example "before the outage two"
mail d3 cid@acme.example "after the outage"
mail d4 dee@acme.example "arrived during the outage"
deliver "$T/d1.eml"
start_supportd
wait_until 10 grep -q 'mailbox=support host=127.0.0.1.*connected' "$T/supportd.log" ||
	fail "the daemon did not connect" "$(cat "$T/supportd.log")"
if wait_until 10 sink_has 1; then
	ok "the running daemon answers the first mail"
else
	not_ok "the running daemon answers the first mail" "$(cat "$T/supportd.log")"
fi
sleep 0.5	# back in IDLE
# d2 goes in right before the server dies: taken in before or after the
# outage, but exactly once.
deliver "$T/d2.eml"
ts=$(now_ms)
stop_dovecot
note "Dovecot stopped at $(date -u +%T) (stop_dovecot took $(($(now_ms) - ts)) ms)"
# Mail keeps arriving while IMAP is down (the MTA writes the maildir).
md=$T/mail/$IMAP_USER
if [ -d "$md/new" ]; then
	cp "$T/d4.eml" "$md/tmp/d4.eml"
	[ "$(id -u)" -ne 0 ] || chown --reference="$md/new" "$md/tmp/d4.eml"
	mv "$md/tmp/d4.eml" "$md/new/$(date +%s).d4.${HOSTNAME:-localhost}"
else
	fail "no maildir at $md/new"
fi
sleep 0.5
hz=$(getconf CLK_TCK)
c0=$(cpu_ticks "$SUPPORTD_PID")
t0=$(now_ms)
sleep 6
c1=$(cpu_ticks "$SUPPORTD_PID")
t1=$(now_ms)
cpu_ms=$(( (c1 - c0) * 1000 / hz ))
note "supportd CPU while Dovecot was down: $((c1 - c0)) ticks (CLK_TCK=$hz) = ${cpu_ms} ms over $((t1 - t0)) ms"
if [ "$cpu_ms" -lt 500 ]; then
	ok "no busy loop while the IMAP server is down (${cpu_ms} ms CPU in $((t1 - t0)) ms)"
else
	not_ok "no busy loop while the IMAP server is down" "${cpu_ms} ms CPU in $((t1 - t0)) ms" \
		"$(tail -n 20 "$T/supportd.log")"
fi
assert_file_contains "$T/supportd.log" 'mailbox=support.*retry in [0-9]+s' \
	"the worker says it will retry"
retries=$(grep -c 'mailbox=support.*retry in' "$T/supportd.log")
note "reconnect attempts logged during the outage: $retries ($(grep -o 'retry in [0-9]*s' "$T/supportd.log" | tr '\n' ' '))"
if [ "$retries" -le 6 ]; then
	ok "reconnects back off ($retries attempts in ~6.5 s)"
else
	not_ok "reconnects back off" "$retries attempts in ~6.5 s"
fi
assert_eq "$(_it_alive "$SUPPORTD_PID" && echo alive)" alive "supportd keeps running without its IMAP server"

start_dovecot	# the same port and the same mail
t_up=$(now_ms)
note "Dovecot back at $(date -u +%T) on port $IMAP_PORT"
reconnected() { [ "$(grep -c 'mailbox=support host=127.0.0.1.*connected' "$T/supportd.log")" -ge 2 ]; }
if wait_until 20 reconnected; then
	ok "the daemon reconnects by itself ($(($(now_ms) - t_up)) ms after the restart)"
	note "reconnected $(($(now_ms) - t_up)) ms after Dovecot came back"
else
	not_ok "the daemon reconnects by itself" "$(tail -n 20 "$T/supportd.log")"
fi
deliver "$T/d3.eml"
t0=$(now_ms)
answered() { [ -n "$(sink_find "^Subject: .*$1")" ]; }
if wait_until 20 answered 'after the outage'; then
	ms=$(($(now_ms) - t0))
	note "mail delivered after the restart answered in ${ms} ms"
	ok "after the restart the daemon reconnects and answers new mail (${ms} ms)"
else
	not_ok "after the restart the daemon reconnects and answers new mail" \
		"$(tail -n 30 "$T/supportd.log")"
fi
wait_until 5 sink_has 4 || true
sleep 1
assert_eq "$(grep -c 'mailbox=support host=127.0.0.1.*connected' "$T/supportd.log")" 2 \
	"one reconnect after the outage"
for m in d1 d2 d3 d4; do
	assert_eq "$(ticket_of $m)" 1 "$m: one ticket"
	assert_eq "$(sql "SELECT count(*) FROM messages WHERE message_id IN ('<$m@test>', '$m@test')")" 1 \
		"$m: stored once"
done
assert_eq "$(tickets)" 4 "four mails, four tickets: nothing lost or doubled by the outage"
assert_eq "$(sink_count)" 4 "four responses, one each"
for a in ann@acme.example bea@acme.example cid@acme.example dee@acme.example; do
	assert_eq "$(sink_find "^To: .*$a" | wc -l)" 1 "one response to $a"
done
stop_supportd

# The same without IDLE: polling every second, Dovecot down for 4 s.
write_config 'poll_interval = "1s";' --imap 'idle = false;'
: >"$T/supportd.log"
start_supportd
wait_until 10 grep -q 'mailbox=support host=127.0.0.1.*connected' "$T/supportd.log" ||
	fail "the polling daemon did not connect" "$(cat "$T/supportd.log")"
stop_dovecot
sleep 0.5
c0=$(cpu_ticks "$SUPPORTD_PID")
t0=$(now_ms)
sleep 4
c1=$(cpu_ticks "$SUPPORTD_PID")
cpu_ms=$(( (c1 - c0) * 1000 / hz ))
note "polling supportd CPU while Dovecot was down: ${cpu_ms} ms over $(($(now_ms) - t0)) ms"
if [ "$cpu_ms" -lt 400 ]; then
	ok "polling: no busy loop while the IMAP server is down (${cpu_ms} ms CPU)"
else
	not_ok "polling: no busy loop while the IMAP server is down" "${cpu_ms} ms CPU over 4 s"
fi
start_dovecot
mail d5 eve@acme.example "polled after the outage"
deliver "$T/d5.eml"
t0=$(now_ms)
if wait_until 20 answered 'polled after the outage'; then
	note "polling: mail after the restart answered in $(($(now_ms) - t0)) ms"
	ok "polling: after the restart the mail is answered ($(($(now_ms) - t0)) ms)"
else
	not_ok "polling: after the restart the mail is answered" "$(tail -n 20 "$T/supportd.log")"
fi
stop_supportd
assert_eq "$(tickets)" 5 "five tickets in all"
assert_eq "$(sink_count)" 5 "five responses in all"

# From here on the clock is --now: the rows' backoff is driven by ticks.
B=$(date -u +%s)
# ==================== 2. SMTP down, then up =============================
write_config 'poll_interval = "1s";'
stop_smtp
sent=$(sink_count)
for n in 1 2 3; do
	mail s$n "relay$n@acme.example" "relay down $n"
	deliver "$T/s$n.eml"
done
supportd --once --now "$(iso "$B")" >"$T/down.log" 2>&1
assert_eq "$?" 75 "relay down: supportd --once exits 75 (EX_TEMPFAIL)"
assert_eq "$(tickets)" 8 "the three mails are tickets all the same"
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE status='queued'")" 3 "their three responses are queued"
# The first row finds the relay unreachable; the others are not tried in
# vain (outbox_flush stops at a connect failure) and stay due.
assert_eq "$(sql "SELECT group_concat(a, ' ') FROM (SELECT attempts || ':' || (last_error IS NOT NULL) AS a FROM outbox WHERE status='queued' ORDER BY id)")" \
	"1:1 0:0 0:0" "the first row was tried once and has its error, the others wait"
assert_file_contains "$T/down.log" 'could not be sent and will be retried' "--once says they will be retried"
restart_smtp
supportctl tick --now "$(iso $((B + 30)))" >>"$T/down.log" 2>&1
assert_eq "$(sink_count)" "$((sent + 2))" "relay up, tick at +30 s: the two untried rows go"
assert_eq "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE rcpts='relay1@acme.example'")" "queued 1" \
	"...the tried one waits for its 60 s backoff"
assert_match "$(supportctl tick --now "$(iso $((B + 90)))" 2>>"$T/down.log")" 'mail sent: 1' \
	"tick past the backoff (+90 s): it is sent"
assert_eq "$(sink_count)" "$((sent + 3))" "the sink got three mails"
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE status<>'sent'")" 0 "nothing left in the outbox"
for n in 1 2 3; do
	id=$(responses_to "relay$n@acme.example")
	assert_eq "$(sink_times "$id")" 1 "response to relay$n delivered exactly once ($id)"
done
supportctl tick --now "$(iso $((B + 4000)))" >/dev/null 2>&1
assert_eq "$(sink_count)" "$((sent + 3))" "a later tick sends nothing again"

# ==================== 3. 451 at DATA, then healed =======================
B=$((B + 5000))
sent=$(sink_count)
smtp_mode 'data 451 4.3.0 try later'
mail t1 temp@acme.example "temporary refusal"
deliver "$T/t1.eml"
supportd --once --now "$(iso "$B")" >"$T/temp.log" 2>&1
assert_eq "$?" 75 "451 at DATA: supportd --once exits 75"
row=$(sql "SELECT id FROM outbox WHERE rcpts='temp@acme.example'")
assert_eq "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE id=$row")" "queued 1" \
	"the response stays queued with attempts=1"
assert_match "$(sql "SELECT last_error FROM outbox WHERE id=$row")" '451' "last_error holds the 451"
assert_file_contains "$T/temp.log" "outbox: id=$row .*attempt=1.*retry in 60s" "the log says it retries in 60 s"
supportctl outbox --json >"$T/ob.json"
assert_eq "$(json_py "[(o['status'], o['attempts']) for o in j if o['id'] == $row]" "$T/ob.json")" \
	"[('queued', 1)]" "supportctl outbox --json shows it queued"
supportctl tick --now "$(iso $((B + 90)))" >/dev/null 2>&1
assert_eq "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE id=$row")" "queued 2" \
	"still refused after the backoff: attempts=2"
assert_eq "$(sql "SELECT next_attempt_at - $B - 90 FROM outbox WHERE id=$row")" 120 \
	"...and the backoff doubled to 120 s"
smtp_mode	# heal
supportctl tick --now "$(iso $((B + 150)))" >/dev/null 2>&1
assert_eq "$(sink_count)" "$sent" "healed, but inside the 120 s backoff: not yet"
supportctl tick --now "$(iso $((B + 215)))" >/dev/null 2>&1
assert_eq "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE id=$row")" "sent 3" \
	"healed and past the backoff: sent on the third attempt"
assert_eq "$(sink_times "$(sql "SELECT message_id FROM outbox WHERE id=$row")")" 1 \
	"the sink has it exactly once"
assert_eq "$(grep -c 'DATA .*-> 451' "$T/smtpsink.log")" 2 "the sink refused it twice, no more"

# ==================== 4. 550 at RCPT: failed for good ===================
B=$((B + 5000))
sent=$(sink_count)
smtp_mode 'rcpt:gone@acme.example 550 5.1.1 no such user'
mail p1 gone@acme.example "permanent refusal"
mail p2 fine@acme.example "next to it"
deliver "$T/p1.eml"
deliver "$T/p2.eml"
supportd --once --now "$(iso "$B")" >"$T/perm.log" 2>&1
rc=$?
note "supportd --once with one response refused for good exited $rc"
row=$(sql "SELECT id FROM outbox WHERE rcpts='gone@acme.example'")
assert_eq "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE id=$row")" "failed 1" \
	"550 at RCPT: the row is marked failed after one attempt"
assert_match "$(sql "SELECT last_error FROM outbox WHERE id=$row")" '550' "last_error holds the 550"
assert_file_contains "$T/perm.log" "outbox: id=$row ticket=[0-9]+: failed for good: .*550" \
	"the log says it failed for good"
assert_eq "$(sql "SELECT status FROM outbox WHERE rcpts='fine@acme.example'")" sent \
	"the mail next to it went out"
supportctl outbox --json >"$T/ob.json"
assert_eq "$(json_py "[o['status'] for o in j if o['id'] == $row]" "$T/ob.json")" "['failed']" \
	"supportctl outbox --json lists it as failed"
assert_match "$(json_py "[o['last_error'] for o in j if o['id'] == $row][0]" "$T/ob.json")" '550' \
	"...with its last_error"
assert_match "$(supportctl outbox 2>&1)" "failed .*gone@acme.example.*error=.*550" \
	"plain supportctl outbox shows it too"
smtp_mode
supportctl tick --now "$(iso $((B + 7200)))" >/dev/null 2>&1
supportd --once --now "$(iso $((B + 7300)))" >>"$T/perm.log" 2>&1
assert_eq "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE id=$row")" "failed 1" \
	"never retried, even with the relay healed and two hours later"
assert_eq "$(grep -c 'RCPT TO:<gone@acme.example>' "$T/smtpsink.log")" 1 "the sink saw that RCPT once"
assert_eq "$(sink_count)" "$((sent + 1))" "only the good mail reached the sink"

# ============ 4b. smtp.connections = 4: parallel, each mail once =======
# Several transactions at once over reused connections: every response is
# delivered once, over more than one connection; with the relay down the
# in-flight rows are retried later and none is lost or sent twice.
B=$((B + 8000))
write_config --smtp 'connections = 4;'
sent=$(sink_count)
for n in $(seq 1 24); do
	mail par$n "par$n@acme.example" "parallel $n"
	deliver "$T/par$n.eml"
done
supportd --once --now "$(iso "$B")" >"$T/par.log" 2>&1
assert_eq "$?" 0 "connections = 4: supportd --once exits 0"
assert_eq "$(sink_count)" "$((sent + 24))" "...and the sink got the 24 responses"
assert_eq "$(not_once par 24)" 0 "each of them exactly once"
ports=$(for n in $(sink_find '^Subject: .*parallel [0-9]'); do
	sed -n 's/^X-Sink-Info: .* port=\([0-9]*\).*$/\1/p' "$(sink_env "$n")"
done | sort -u | wc -l)
note "connections = 4: the sink saw $ports client ports for 24 mails"
if [ "$ports" -ge 2 ] && [ "$ports" -le 4 ]; then
	ok "they came over 2 to 4 connections ($ports), reused"
else
	not_ok "they came over 2 to 4 connections, reused" "$ports ports"
fi
stop_smtp
sent=$(sink_count)
for n in $(seq 1 6); do
	mail pd$n "pd$n@acme.example" "parallel down $n"
	deliver "$T/pd$n.eml"
done
supportd --once --now "$(iso $((B + 100)))" >"$T/pardown.log" 2>&1
assert_eq "$?" 75 "connections = 4, relay down: exit 75"
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE status='queued' AND rcpts LIKE 'pd%'")" 6 \
	"...all six responses stay queued"
restart_smtp
supportctl tick --now "$(iso $((B + 4000)))" >>"$T/pardown.log" 2>&1
assert_eq "$(sink_count)" "$((sent + 6))" "relay up, past the backoff: the six are sent"
assert_eq "$(not_once pd 6)" 0 "...each exactly once"
write_config 'poll_interval = "1s";'

# ==================== 5. webhook down then up: see t-sla.sh =============
# The webhook endpoint down, then up, is tested in t-sla.sh (503 then 200).

# ==================== 6. SQLite write lock held by another process ======
B=$((B + 10000))
sent=$(sink_count)
mail l1 lock@acme.example "database busy"
deliver "$T/l1.eml"
# lock_db SECS: another process takes SQLite's write lock (BEGIN IMMEDIATE
# and a write) and holds it SECS seconds, or until $T/release exists.
lock_db() {
	rm -f "$T/locked" "$T/release"
	_it_bg locker "$T/locker.log" "$IT_PYTHON" -c '
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE IF NOT EXISTS t_faults_lock (x)")
db.execute("INSERT INTO t_faults_lock VALUES (1)")
open(sys.argv[2], "w").close()
print("write lock taken", flush=True)
end = time.time() + float(sys.argv[4])
while time.time() < end and not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
db.execute("ROLLBACK")
print("write lock released", flush=True)
' "$T/supportd.db" "$T/locked" "$T/release" "$1"
	wait_until 5 test -e "$T/locked" ||
		fail "the locker did not take the write lock" "$(cat "$T/locker.log")"
}
lock_db 3
assert_fails "the database is write-locked (a quick writer is refused)" \
	sqlite3 -batch "$T/supportd.db" "PRAGMA busy_timeout=0; BEGIN IMMEDIATE; ROLLBACK;"
t0=$(now_ms)
supportd --once --now "$(iso "$B")" >"$T/busy.log" 2>&1
rc=$?
ms=$(($(now_ms) - t0))
note "supportd --once under a 3 s write lock: exit $rc after ${ms} ms"
assert_eq "$rc" 0 "supportd --once waits for the lock and exits 0"
if [ "$ms" -ge 2000 ]; then
	ok "...it did wait for the lock (${ms} ms)"
else
	not_ok "...it did wait for the lock" "${ms} ms: the lock was not in its way"
fi
assert_eq "$(ticket_of l1)" 1 "the mail became a ticket"
assert_eq "$(sink_count)" "$((sent + 1))" "and was answered once"
assert_file_lacks "$T/busy.log" 'locked|busy' "no busy error logged"
_it_stop locker

# Held longer than the 10 s busy timeout (until supportd is done): the mail
# is not taken in, not quarantined, not marked; the next cycle takes it.
B=$((B + 5000))
sent=$(sink_count)
mail l2 long@acme.example "database busy for long"
deliver "$T/l2.eml"
lock_db 30
t0=$(now_ms)
: >"$T/busy2.log"
supportd --once --now "$(iso "$B")" >"$T/busy2.log" 2>&1 &
spid=$!
# Release the lock once supportd has given up on the mail, so that the
# rest of its cycle (timers, outbox) does not wait another busy timeout.
wait_until 20 grep -q 'uid=[0-9]*: store: .*database is locked' "$T/busy2.log"
ms=$(($(now_ms) - t0))
touch "$T/release"
wait "$spid"
rc=$?
_it_stop locker
note "supportd --once under a write lock held past the busy timeout: gave up on the mail after ${ms} ms, exit $rc"
assert_eq "$rc" 75 "lock held past the 10 s busy timeout: --once gives up with 75 (EX_TEMPFAIL)"
if [ "$ms" -ge 9500 ] && [ "$ms" -lt 20000 ]; then
	ok "...after waiting the busy timeout (${ms} ms)"
else
	not_ok "...after waiting the busy timeout" "gave up after ${ms} ms"
fi
assert_file_contains "$T/busy2.log" 'uid=[0-9]+: store: .*database is locked' "the log says the database was locked"
assert_eq "$(ticket_of l2)" 0 "the mail is not a ticket yet"
assert_eq "$(supportctl quarantine --json | json_get length)" 0 "nor quarantined"
assert_eq "$(imap_count_seen)" "$(($(imap_count) - 1))" "nor marked \\Seen on the server"
supportd --once --now "$(iso $((B + 60)))" >>"$T/busy2.log" 2>&1
assert_eq "$?" 0 "the next cycle, the lock gone: exit 0"
assert_eq "$(ticket_of l2)" 1 "the mail became a ticket"
assert_eq "$(sink_count)" "$((sent + 1))" "and was answered once"

# ==================== 7. the sent journal ===============================
B=$((B + 10000))
J=$T/supportd.db-sent
events_sent() {	# events_sent TICKET: its mail-sent events
	sql "SELECT count(*) FROM events WHERE ticket_id = $1 AND kind = 'mail-sent'"
}
tag_of() {	# tag_of ROW: the journal's tag of outbox row ROW (g_str_hash)
	"$IT_PYTHON" -c '
import sys
h = 5381
for c in sys.argv[1].encode():
    h = (h * 33 + c) & 0xffffffff
print(h)' "$(sql "SELECT message_id FROM outbox WHERE id = $1")"
}
assert_eq "$(stat -c %s "$J")" 0 "after the runs above the journal is empty"
# A run that crashed after the relay accepted rows, before the store
# said so: they are in the journal, still queued in the store.
stop_smtp
sent=$(sink_count)
mail j1 crash@acme.example "accepted before a crash"
mail j2 torn@acme.example "its line is torn"
mail j5 restored@acme.example "an id the journal names for another mail"
deliver "$T/j1.eml"
deliver "$T/j2.eml"
deliver "$T/j5.eml"
supportd --once --now "$(iso "$B")" >"$T/journal.log" 2>&1
assert_eq "$?" 75 "relay down: the responses are queued (exit 75)"
row=$(sql "SELECT id FROM outbox WHERE rcpts='crash@acme.example'")
row2=$(sql "SELECT id FROM outbox WHERE rcpts='torn@acme.example'")
row5=$(sql "SELECT id FROM outbox WHERE rcpts='restored@acme.example'")
tk=$(sql "SELECT ticket_id FROM outbox WHERE id=$row")
printf '%s %s %s\n%s %s %s\n%s %s' "$row" "$((B + 1))" "$(tag_of "$row")" \
	"$row5" "$((B + 2))" "$(( $(tag_of "$row5") ^ 1 ))" "$row2" 17 >"$J"
restart_smtp
supportctl tick --now "$(iso $((B + 4000)))" >>"$T/journal.log" 2>&1
assert_eq "$(sql "SELECT status || ' ' || sent_at FROM outbox WHERE id=$row")" "sent $((B + 1))" \
	"the journal's row is marked sent, at the time the journal says"
assert_eq "$(sink_times "$(sql "SELECT message_id FROM outbox WHERE id=$row")")" 0 \
	"...and not sent again"
assert_eq "$(events_sent "$tk")" 1 "...with one mail-sent event"
assert_eq "$(sql "SELECT status FROM outbox WHERE id=$row2")" sent \
	"the torn line's row was not taken as sent: it was sent"
assert_eq "$(sink_times "$(sql "SELECT message_id FROM outbox WHERE id=$row5")")" 1 \
	"a line whose tag is not its row's Message-ID is not taken as sent: it was sent once"
assert_eq "$(sink_count)" "$((sent + 2))" "the sink got those two mails only"
assert_file_contains "$T/journal.log" '2 accepted row\(s\) in .*supportd.db-sent from an earlier run' \
	"the log names the rows from the earlier run"
assert_file_contains "$T/journal.log" 'supportd.db-sent: skipping a torn line' "...the torn line"
assert_file_contains "$T/journal.log" "row id=$row5 is not the row the journal names" "...and the mismatch"
assert_eq "$(stat -c %s "$J")" 0 "the journal is empty again"
# A crash after the store said so, before the journal was emptied.
printf '%s %s %s\n' "$row" "$((B + 9))" "$(tag_of "$row")" >"$J"
supportctl tick --now "$(iso $((B + 4100)))" >>"$T/journal.log" 2>&1
assert_eq "$(events_sent "$tk")" 1 "a row already marked sent is not recorded again"
assert_eq "$(sql "SELECT sent_at FROM outbox WHERE id=$row")" "$((B + 1))" "...nor its sent_at changed"

# The journal is really written: the relay accepts the row while another
# process holds SQLite's write lock; the row waits in the journal, and
# is marked sent, once, when the lock is released.
mail j6 written@acme.example "waits in the journal"
stop_smtp
deliver "$T/j6.eml"
supportd --once --now "$(iso $((B + 4150)))" >"$T/jwritten.log" 2>&1
restart_smtp
row6=$(sql "SELECT id FROM outbox WHERE rcpts='written@acme.example'")
touch "$T/hold"
smtp_mode "hold $T/hold"
supportctl tick --now "$(iso $((B + 8000)))" >"$T/jtick.log" 2>&1 &
tpid=$!
wait_until 20 grep -q "MAIL FROM:.* held while" "$T/smtpsink.log" ||
	fail "the flush did not reach the sink" "$(cat "$T/jtick.log")"
lock_db 30
rm -f "$T/hold"
if wait_until 20 grep -q "^$row6 " "$J"; then
	ok "accepted under a write lock: the row is in the journal"
else
	not_ok "accepted under a write lock: the row is in the journal" "$(cat "$T/jtick.log")"
fi
assert_eq "$(sql "SELECT status FROM outbox WHERE id=$row6")" queued "...the database still says queued"
assert_eq "$(sink_times "$(sql "SELECT message_id FROM outbox WHERE id=$row6")")" 1 "...and the sink has it once"
touch "$T/release"
wait "$tpid"
_it_stop locker
smtp_mode
assert_eq "$(sql "SELECT status FROM outbox WHERE id=$row6")" sent "lock released: marked sent"
assert_eq "$(stat -c %s "$J")" 0 "...and the journal emptied"
assert_eq "$(sink_times "$(sql "SELECT message_id FROM outbox WHERE id=$row6")")" 1 "...still once at the sink"

# journal_case NOW EXIT PATTERN STATUS TIMES WHAT: supportd --once at
# NOW, then its exit status, its log, and the status of nojournal@'s
# response and how often the sink has it.
journal_case() {
	supportd --once --now "$(iso "$1")" >"$T/journal-$1.log" 2>&1
	assert_eq "$?" "$2" "$6: --once exits $2"
	assert_file_contains "$T/journal-$1.log" "$3" "...and says why"
	assert_eq "$(sql "SELECT status FROM outbox WHERE rcpts='nojournal@acme.example'")" "$4" \
		"...the response is $4"
	assert_eq "$(sink_times "$(sql "SELECT message_id FROM outbox WHERE rcpts='nojournal@acme.example'")")" "$5" \
		"...the sink has it $5 time(s)"
}
rm -f "$J"
mkdir "$J"
mail j3 nojournal@acme.example "the journal is unreadable"
deliver "$T/j3.eml"
journal_case $((B + 8200)) 75 'cannot open the sent journal .*nothing is sent' queued 0 \
	"a journal that exists but cannot be opened stops sending"
rmdir "$J"
ln -s "$T/no-such-dir/sent" "$J"
journal_case $((B + 8300)) 0 'cannot create the sent journal' sent 1 \
	"no journal exists and none can be made: each row recorded at once"
rm -f "$J"

# Another process holds the journal: --once waits for it.
mail j4 waiter@acme.example "waits for the journal"
deliver "$T/j4.eml"
rm -f "$T/jrelease"
: >"$J"
_it_bg jlock "$T/jlock.log" "$IT_PYTHON" -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("holding", flush=True)
end = time.time() + 30
while time.time() < end and not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
fcntl.flock(fd, fcntl.LOCK_UN)
' "$J" "$T/jrelease"
wait_until 5 grep -q holding "$T/jlock.log" || fail "the journal was not locked" "$(cat "$T/jlock.log")"
supportd --once --now "$(iso $((B + 8400)))" >"$T/jwait.log" 2>&1 &
spid=$!
wait_until 20 grep -q 'intake: mailbox=support mails=1' "$T/jwait.log" ||
	fail "--once did not take the mail in" "$(cat "$T/jwait.log")"
sleep 0.5
assert_eq "$(sink_times "$(responses_to waiter@acme.example)")" 0 \
	"the journal held by another process: --once has not sent"
touch "$T/jrelease"
wait "$spid"
assert_eq "$?" 0 "...let go: --once exits 0"
assert_eq "$(sink_times "$(responses_to waiter@acme.example)")" 1 "...and the response went out once"
_it_stop jlock

# (A 4xx for one response next to a later mailbox's mail: t-badimap.sh.)
it_done
