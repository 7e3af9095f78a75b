#!/bin/bash
# SPDX-License-Identifier: MIT
# The IMAP cursor and what happens to mail after commit (issue #3 point 3,
# SPEC §3.2-§3.4): UIDVALIDITY change rescans without duplicates, a mail
# over max_message_size makes a headers-only ticket, the three processed
# modes, and the received time from INTERNALDATE clamped into [now-7d, now].
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp

mail() {	# mail NAME SUBJECT [BODY-BYTES]
	{
		printf 'From: ann@acme.example\nTo: support@vendor.example\n'
		printf 'Subject: %s\nMessage-ID: <%s@acme.example>\n\n' "$2" "$1"
		printf 'hello\n'
		[ -z "${3:-}" ] || head -c "$3" /dev/zero | tr '\0' 'x' | fold -w 76
	} >"$T/$1.eml"
}
tickets() { supportctl list --json | json_get length; }

# --- UIDVALIDITY: the folder deleted and recreated ---------------------
imaptool create Support >/dev/null
write_config --imap 'folder = "Support";'
mail a "first"; mail b "second"; mail c "third"
deliver "$T/a.eml" "" Support
deliver "$T/b.eml" "" Support
assert_cmd "first cycle" supportd --once
v1=$(sql "SELECT uidvalidity FROM cursors WHERE mailbox='support'")
assert_eq "$(tickets)" 2 "two tickets"
imaptool delete Support >/dev/null
imaptool create Support >/dev/null
deliver "$T/a.eml" "" Support	# the same two mails again, then a new one
deliver "$T/b.eml" "" Support
deliver "$T/c.eml" "" Support
assert_cmd "cycle after the folder was recreated" supportd --once
v2=$(sql "SELECT uidvalidity FROM cursors WHERE mailbox='support'")
assert_ne "$v2" "$v1" "the server gave the new folder a new UIDVALIDITY"
assert_eq "$(tickets)" 3 "rescan: old mails deduplicated, only the new one is a ticket"
assert_eq "$(sink_count)" 3 "and no second response for the old mails"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE direction='in'")" 3 "each mail stored once"
assert_eq "$(sql "SELECT last_uid FROM cursors WHERE mailbox='support'")" 3 "cursor at the new folder's last UID"

# --- max_message_size: headers only -------------------------------------
write_config 'max_message_size = "4K";'
mail big "large attachment" 20000
mail small "small one"
deliver "$T/big.eml"
deliver "$T/small.eml"
assert_cmd "cycle with a mail over max_message_size" supportd --once
supportctl list --json >"$T/l.json"
id=$(json_py '[t["id"] for t in j if t["subject"] == "large attachment"][0]' "$T/l.json")
assert_match "$id" '^[0-9]+$' "the large mail still makes a ticket"
supportctl show "$id" --json >"$T/s.json"
assert_eq "$(json_py '[e["kind"] for e in j["events"] if e["kind"] == "too-large"]' "$T/s.json")" \
	"['too-large']" "with an event saying it was too large"
assert_eq "$(sql "SELECT length(raw) < 4096 FROM messages WHERE subject='large attachment'")" 1 \
	"only its header was downloaded"
assert_eq "$(json_py 'len([t for t in j if t["subject"] == "small one"])' "$T/l.json")" 1 \
	"the mail after it is taken in as usual"
# A mail over the limit that is all header: its header is not fetched
# whole either (issue #19 point 2), only its first 1 MB.
"$IT_PYTHON" - "$T/allhead.eml" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: ann@acme.example\nSubject: all header\nMessage-ID: <allhead@acme.example>\n")
    for i in range(60000):
        f.write("X-Filler-%05d: %s\n" % (i, "y" * 80))
    f.write("\nbody\n")
EOF
deliver "$T/allhead.eml"
assert_cmd "cycle with a 5.8 MB header over max_message_size" supportd --once
assert_eq "$(sql "SELECT length(raw) <= 1048576 FROM messages WHERE subject='all header'")" 1 \
	"only its first 1 MB of header was downloaded"
assert_eq "$(sql "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.subject='all header' AND e.kind='too-large'")" 1 \
	"it makes a ticket saying it was too large"

# --- sizes around the first FETCH's limit ------------------------------
# The first FETCH of a batch brings each mail's first 33,554 bytes
# (PROBE_BYTES in imap.c); a mail that did not come
# whole in them is fetched again whole.  Mails of exactly that size as
# served (CRLF), one byte either side, and far larger must all be kept
# whole, as the server serves them.
write_config
sized() {	# sized NAME SIZE: a mail of SIZE bytes with CRLF line ends
	python3 - "$T/$1.eml" "$1" "$2" <<'PY'
import sys
path, name, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
head = ("From: ann@acme.example\nTo: support@vendor.example\n"
        "Subject: sized %s\nMessage-ID: <%s@acme.example>\n\n" % (name, name))
body, end = "", "END-OF-%s\n" % name
crlf = lambda t: len(t) + t.count("\n")
while crlf(head + body + end) + 78 + 80 <= size:
    body += "x" * 76 + "\n"
rest = size - crlf(head + body + end)	# 80..157: one more line
out = head + body + "y" * (rest - 2) + "\n" + end
assert crlf(out) == size, (crlf(out), size)
open(path, "w").write(out)
PY
}
for sz in 33553 33554 33555 250000; do
	sized "z$sz" "$sz"
	deliver "$T/z$sz.eml"
done
mail zsmall "small after the large ones"
deliver "$T/zsmall.eml"
assert_cmd "cycle with mails around the first FETCH's limit" supportd --once
for sz in 33553 33554 33555 250000; do
	assert_eq "$(sql "SELECT length(raw) || ' ' || (instr(raw, 'END-OF-z$sz') > 0) FROM messages WHERE subject = 'sized z$sz'")" \
		"$sz 1" "a mail of $sz bytes is kept whole"
done
assert_eq "$(sql "SELECT count(*) FROM messages WHERE subject = 'small after the large ones'")" 1 \
	"the small mail after them is taken in"

# --- committed but never marked (a crash between commit and STORE) -----
# The next session sweeps what is at or below the cursor.
write_config
uid=$(imaptool uids | tail -n 1)
imaptool store "uid:$uid" '-FLAGS (\Seen)' >/dev/null
assert_eq "$(imap_count_seen)" "$(($(imap_count) - 1))" "one committed mail made unread again"
assert_cmd "a new session" supportd --once
assert_eq "$(imap_count_seen)" "$(imap_count)" "the sweep marks it \Seen again"

# --- processed modes ----------------------------------------------------
mail s1 "seen mode"
deliver "$T/s1.eml"
write_config
supportd --once >/dev/null 2>&1
assert_eq "$(imap_count_seen)" "$(imap_count)" 'processed = "seen": every mail is \Seen'

imaptool create Processed >/dev/null
write_config --mailbox 'processed = "move:Processed";'
mail mv "move mode"
deliver "$T/mv.eml"
before=$(imap_count)
assert_cmd 'processed = "move:Processed"' supportd --once
assert_eq "$(imap_count)" 0 "the mail left INBOX, with the mails committed before it (the sweep)"
assert_eq "$(imap_count Processed)" "$before" "all are in Processed"

write_config --mailbox 'processed = "delete";'
mail del "delete mode"
deliver "$T/del.eml"
assert_eq "$(imap_count)" 1 "a new mail in INBOX"
assert_cmd 'processed = "delete"' supportd --once
assert_eq "$(imap_count)" 0 "the mail was deleted from INBOX"
assert_eq "$(tickets)" 14 "all fourteen mails are tickets"

# --- received time: INTERNALDATE, clamped ------------------------------
write_config
mail t1 "three days old"; mail t2 "a month old"; mail t3 "from the future"
deliver "$T/t1.eml" 2026-11-17T12:00:00Z
deliver "$T/t2.eml" 2026-10-01T12:00:00Z
deliver "$T/t3.eml" 2026-11-25T12:00:00Z
assert_cmd "cycle at a fixed clock" supportd --once --now 2026-11-20T12:00:00Z
supportctl list --json >"$T/t.json"
created() { json_py "[t['created_at'] for t in j if t['subject'] == '$1'][0]" "$T/t.json"; }
assert_eq "$(created 'three days old')" "2026-11-17T17:30:00+05:30" "created_at is the INTERNALDATE"
assert_match "$(created 'a month old')" "^2026-11-13T17:30:0[0-9]\+05:30$" "older than 7 days: clamped to now - 7 days"
assert_match "$(created 'from the future')" "^2026-11-20T17:30:0[0-9]\+05:30$" "in the future: clamped to now"
# --- a mail that fails in the middle of a group --------------------------
# A trigger makes the third of five mails (one group) fail in SQL: the
# group is rolled back, the two before it are taken in again and kept,
# once; the failing one and those after it stay unread on the server.
write_config
for i in 1 2 3 4 5; do
	subj="group mail $i"
	[ "$i" = 3 ] && subj=poison
	printf 'From: p%s@poison.example\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <p%s@poison.example>\n\nhi\n' \
		"$i" "$subj" "$i" >"$T/p$i.eml"
	deliver "$T/p$i.eml"
done
mapfile -t pu < <(imaptool uids | tail -n 5)
sql "CREATE TRIGGER poison BEFORE INSERT ON tickets WHEN NEW.subject = 'poison' BEGIN SELECT RAISE(ABORT, 'test: poison mail'); END;"
t0=$(tickets) m0=$(sql "SELECT count(*) FROM messages WHERE direction='in'") s0=$(sink_count)
seen0=$(imap_count_seen)
supportd --once >"$T/poison.log" 2>&1
assert_eq "$?" 75 "--once exits 75 when a mail could not be taken in"
assert_file_contains "$T/poison.log" "uid=${pu[2]}: .*test: poison mail" "the log names the failing mail and why"
assert_file_contains "$T/poison.log" "taking the 2 mail.s. before uid=${pu[2]} in again" \
	"and the group's mails before it are taken in again"
assert_eq "$(tickets)" "$((t0 + 2))" "the two mails before it are tickets"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE direction='in'")" "$((m0 + 2))" "each stored once"
assert_eq "$(sql "SELECT count(*) FROM events WHERE kind = 'created' AND ticket_id IN (SELECT id FROM tickets WHERE subject LIKE 'group mail %')")" \
	2 "with one created event each"
assert_eq "$(sink_count)" "$((s0 + 2))" "and one response each"
assert_eq "$(grep -c "uid=${pu[0]} outcome=new-ticket" "$T/poison.log")" 1 "the first is logged once"
assert_eq "$(grep -c "uid=${pu[1]} outcome=new-ticket" "$T/poison.log")" 1 "the second is logged once"
assert_eq "$(sql "SELECT last_uid FROM cursors WHERE mailbox='support'")" "${pu[1]}" \
	"the cursor stops before the failing mail"
assert_eq "$(imap_count_seen)" "$((seen0 + 2))" "only the two kept are marked \Seen"
sql "DROP TRIGGER poison"
assert_cmd "the next cycle, without the fault" supportd --once
assert_eq "$(tickets)" "$((t0 + 5))" "then all five are tickets"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE direction='in'")" "$((m0 + 5))" "each stored once"
assert_eq "$(imap_count_seen)" "$(imap_count)" "and all are \Seen"

# --- the SMTP relay down: --once says so, the mail waits and goes later --
write_config
stop_smtp
sent=$(sink_count)
# (a new sender: ann has had her autoreply_limit of answers this hour)
printf 'From: zed@acme.example\nTo: support@vendor.example\nSubject: relay down\nMessage-ID: <down@acme.example>\n\nhi\n' >"$T/down.eml"
deliver "$T/down.eml" 2026-11-19T12:00:00Z
supportd --once --now 2026-11-20T12:00:00Z >"$T/down.log" 2>&1
assert_eq "$?" 75 "--once exits 75 (EX_TEMPFAIL) when the relay cannot be reached"
assert_file_contains "$T/down.log" "could not be sent and will be retried" "and says why"
assert_eq "$(sql "SELECT status || ' ' || attempts FROM outbox ORDER BY id DESC LIMIT 1")" "queued 1" \
	"the response stays queued"
restart_smtp
supportctl tick --now 2026-11-20T12:00:30Z >/dev/null 2>&1
assert_eq "$(sink_count)" "$sent" "not before the backoff"
supportctl tick --now 2026-11-20T12:01:30Z >/dev/null 2>&1
assert_eq "$(sink_count)" "$((sent + 1))" "the relay is back: delivered, once"
it_done
