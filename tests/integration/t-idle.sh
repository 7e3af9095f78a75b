#!/bin/bash
# SPDX-License-Identifier: MIT
# Push intake (issue #3 point 2, SPEC §3.2): the running daemon waits in
# IMAP IDLE and answers a delivered mail at once; several mailboxes are
# served at the same time, and one hanging IMAP server (it accepts TCP and
# never greets) delays nobody else.  Without IDLE on the server, polling.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
imaptool create Sales >/dev/null || fail "cannot create the Sales folder"

# A server that completes the TCP handshake and then says nothing.
start_blackhole

imap() {	# imap FOLDER PORT: one imap block
	printf 'imap = { host = "127.0.0.1"; port = %s; tls = "none"; user = "support";
	  password_file = "%s"; folder = "%s"; idle = true; idle_renew = "3s"; };' \
		"$2" "$T/imap.pass" "$1"
}
write_config 'poll_interval = "60s";' "mailboxes = (
  { name = \"support\"; address = \"support@vendor.example\"; $(imap INBOX "$IMAP_PORT") },
  { name = \"hanging\"; address = \"hang@vendor.example\"; $(imap INBOX "$BH_PORT") },
  { name = \"sales\"; address = \"sales@vendor.example\"; display_name = \"Vendor Sales\";
    $(imap Sales "$IMAP_PORT") }
);"
assert_exit 0 "three mailboxes, one of them on a hanging server" supportctl check-config

mail() {	# mail NAME SUBJECT
	printf 'From: ann@acme.example\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@acme.example>\n\nhello\n' \
		"$2" "$1" >"$T/$1.eml"
}
now_ms() { date +%s%3N; }

start_supportd
wait_until 10 grep -q 'mailbox=sales host=127.0.0.1.*connected' "$T/supportd.log" ||
	fail "the sales mailbox did not connect" "$(cat "$T/supportd.log")"
wait_until 10 grep -q 'mailbox=support host=127.0.0.1.*connected' "$T/supportd.log" ||
	fail "the support mailbox did not connect" "$(cat "$T/supportd.log")"
sleep 0.5	# let both enter IDLE

mail m1 "printer on fire"
t0=$(now_ms)
deliver "$T/m1.eml"
if wait_until 10 sink_has 1; then
	ms=$(($(now_ms) - t0))
	ok "a mail delivered to INBOX is answered while the daemon idles"
	note "delivery to response accepted: ${ms} ms (poll_interval is 60 s)"
	assert_match "$ms" '^[0-9]{1,4}$' "...in under 10 s, with the hanging server still connecting"
else
	not_ok "a mail delivered to INBOX is answered while the daemon idles" "$(cat "$T/supportd.log")"
fi

mail m2 "pricing question"
deliver "$T/m2.eml" "" Sales
wait_until 10 sink_has 2 && ok "a mail to the Sales folder is answered too" ||
	not_ok "a mail to the Sales folder is answered too" "$(cat "$T/supportd.log")"
n=$(sink_find '^Subject: .*pricing question')
assert_eq "$(sink_header "$n" From)" "Vendor Sales <sales@vendor.example>" "...from the sales mailbox"
assert_eq "$(supportctl list --json | json_py '[t["mailbox"] for t in j]')" "['support', 'sales']" \
	"each ticket records its mailbox"

# idle_renew is 3 s: after a few renewals IDLE still delivers at once.
sleep 7
mail m3 "after renewals"
deliver "$T/m3.eml"
wait_until 10 sink_has 3 && ok "IDLE renewed every 3 s keeps answering" ||
	not_ok "IDLE renewed every 3 s keeps answering" "$(cat "$T/supportd.log")"
assert_file_lacks "$T/supportd.log" 'mailbox=(support|sales).*(IDLE|DONE|connection lost|retry)' \
	"the renewals caused no errors on the good mailboxes"
assert_eq "$(grep -c 'mailbox=support host=.*connected' "$T/supportd.log")" 1 \
	"the good session stayed connected throughout"
# The search index follows intake in the daemon's loop, not in a search.
indexed() { test "$(sql "SELECT indexed_to FROM search_state")" = "$(sql "SELECT max(id) FROM messages")"; }
wait_until 10 indexed && ok "the running daemon indexes every mail for search" ||
	not_ok "the running daemon indexes every mail for search" \
	"$(sql "SELECT indexed_to FROM search_state") of $(sql "SELECT max(id) FROM messages")"
assert_eq "$(sql "SELECT group_concat(rowid) FROM messages_fts WHERE messages_fts MATCH 'renewals'")" \
	"$(sql "SELECT group_concat(id) FROM messages WHERE subject LIKE '%after renewals%'")" \
	"...so its words are found"

# SIGTERM: exits 0, promptly, even with a worker stuck on the hanging server.
t0=$(now_ms)
kill -TERM "$SUPPORTD_PID"
wait "$SUPPORTD_PID"
rc=$?
assert_eq "$rc" 0 "SIGTERM: supportd exits 0"
assert_match "$(($(now_ms) - t0))" '^[0-9]{1,4}$' "...within 10 s"
assert_file_contains "$T/supportd.log" 'daemon: stopping' "and says it is stopping"

# A server without IDLE: the daemon polls every poll_interval instead.
stop_supportd
DOVECOT_EXTRA='imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE'
restart_dovecot
write_config 'poll_interval = "1s";'
start_supportd
wait_until 10 grep -q 'mailbox=support.*connected' "$T/supportd.log" ||
	fail "no connection to the IDLE-less server" "$(cat "$T/supportd.log")"
mail m4 "no idle here"
deliver "$T/m4.eml"
wait_until 10 sink_has 4 && ok "without IDLE on the server, polling answers the mail" ||
	not_ok "without IDLE on the server, polling answers the mail" "$(cat "$T/supportd.log")"
stop_supportd
it_done
