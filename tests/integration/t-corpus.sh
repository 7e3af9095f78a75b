#!/bin/bash
# SPDX-License-Identifier: MIT
# The real-mail corpus end to end (issue #3 points 4 and 6, SPEC §3.5,
# §3.7, §3.7a): every file of tests/fixtures/corpus/ is delivered to
# Dovecot in MANIFEST.tsv order (so file N is UID N), one `supportd
# --once` takes them all in, and each file is checked against its
# `expect` column:
#   every file     stored (ticket, automatic, ignored, bounce) or
#                  quarantined with a reason; a file whose Message-ID an
#                  earlier file already brought is a duplicate and is not
#                  stored twice;
#   no-autoreply   no response in the SMTP sink, no ticket of its own
#                  (it may be kept on a ticket it threads onto);
#   ticket         a ticket of its own, or threaded onto one;
#   malformed      supportd does not crash and goes on.
# A few files cannot meet their expect column at all; KNOWN below names
# them and what must happen instead.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
write_config
CORPUS=$SRCDIR/tests/fixtures/corpus

# file -> what happens instead of its expect column, and why.
KNOWN='charset/phpmimemailparser-issue116-iso2022jp-cyrillic.eml	quarantined	its header block was cut down to Subject and Content-Type: no sender to make a ticket for or to answer'

# The corpus as numbered copies, so a batch APPEND keeps manifest order.
mkdir -p "$T/in"
n=0
while IFS=$'\t' read -r file _; do
	[ "$file" = file ] && continue
	[ -n "$file" ] || continue
	n=$((n + 1))
	cp "$CORPUS/$file" "$(printf '%s/in/%04d.eml' "$T" "$n")"
done <"$CORPUS/MANIFEST.tsv"
note "$n corpus files"
if grep -q append-many "$IT_DIR/imaptool.py"; then
	out=$(imaptool append-many "$T/in" 2>&1) ||
		fail "APPEND of the corpus failed" "$out"
else
	for f in "$T"/in/*.eml; do deliver "$f"; done
fi
assert_eq "$(imap_count)" "$n" "every corpus file is in the mailbox"

supportd --once >"$T/once.log" 2>&1
rc=$?
assert_eq "$rc" 0 "supportd --once takes the whole corpus in and exits 0"
assert_file_lacks "$T/once.log" 'AddressSanitizer|runtime error|Segmentation|Aborted' \
	"no crash, no sanitizer report"
assert_eq "$(imap_count_seen)" "$n" "every file is marked \\Seen on the server"
assert_eq "$(sql "SELECT max(uid) FROM messages WHERE direction = 'in'")" "$n" \
	"the cursor went through to the last file"

# One line per check from the database, the sink and the manifest:
# "ok<TAB>message" or "not ok<TAB>message<TAB>diagnostics".
"$IT_PYTHON" - "$CORPUS" "$T/supportd.db" "$T/sink" "$KNOWN" \
	>"$T/checks.tsv" 2>"$T/checks.err" <<'EOF'
import email, email.policy, glob, os, sqlite3, sys

corpus, dbpath, sinkdir, known_text = sys.argv[1:5]
known = {}
for line in known_text.splitlines():
    f, what, why = line.split("\t", 2)
    known[f] = (what, why)

rows = []
with open(os.path.join(corpus, "MANIFEST.tsv"), encoding="utf-8") as fh:
    head = fh.readline().rstrip("\n").split("\t")
    for line in fh:
        if not line.strip():
            continue
        cols = dict(zip(head, line.rstrip("\n").split("\t")))
        rows.append(cols)

def msgid(path):
    with open(path, "rb") as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.compat32)
    v = m.get("Message-ID")
    return str(v).strip().strip("<>").strip() if v else None

db = sqlite3.connect(dbpath)
db.text_factory = lambda b: b.decode("utf-8", "replace")
by_uid = {}
for uid, disp, reason, tid, mid in db.execute(
        "SELECT uid, disposition, reason, ticket_id, message_id"
        " FROM messages WHERE direction = 'in'"):
    by_uid[uid] = (disp, reason, tid, mid)
# The mail that opened each ticket: its first incoming message.
opened = {}
for tid, uid in db.execute(
        "SELECT ticket_id, min(uid) FROM messages WHERE direction = 'in'"
        " AND ticket_id IS NOT NULL GROUP BY ticket_id"):
    opened[uid] = tid
stored_ids = {}
for uid, mid in db.execute("SELECT uid, message_id FROM messages"
                           " WHERE direction = 'in' AND message_id IS NOT NULL"):
    stored_ids.setdefault(mid, uid)

answered = set()		# Message-IDs our responses answer
for path in glob.glob(os.path.join(sinkdir, "*.eml")):
    with open(path, "rb") as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.compat32)
    for h in ("In-Reply-To",):
        v = m.get(h)
        if v:
            answered.add(str(v).strip().strip("<>").strip())

STORED = ("ticket", "automatic", "ignored", "bounce", "quarantined", "agent")

def out(ok, msg, diag=""):
    print("%s\t%s\t%s" % ("ok" if ok else "not ok", msg,
                          diag.replace("\t", " ").replace("\n", " ")))

for i, r in enumerate(rows, 1):
    f, expect = r["file"], r.get("expect", "")
    mid = msgid(os.path.join(corpus, f))
    got = by_uid.get(i)
    if got is None:
        # Not stored: only a duplicate of an earlier file may be skipped.
        first = stored_ids.get(mid) if mid else None
        out(first is not None and first < i,
            "%s: a duplicate of UID %s" % (f, first),
            "no message row for UID %d (Message-ID %s)" % (i, mid))
        continue
    disp, reason, tid, smid = got
    what = "%s: %s%s" % (f, disp, " (%s)" % reason if reason else "")
    ok = disp in STORED and (disp != "quarantined" or bool(reason))
    diag = "disposition %s, reason %r, ticket %s" % (disp, reason, tid)
    if f in known:
        want = known[f][0]
        out(ok and disp == want, "%s [known: %s]" % (what, known[f][1]), diag)
        continue
    if expect == "no-autoreply":
        own = opened.get(i)
        ok = ok and disp not in ("ticket", "agent") and own is None and \
            (smid is None or smid not in answered) and \
            (mid is None or mid not in answered)
        out(ok, "%s, not answered" % what, diag + ", opened %s" % own)
    elif expect == "ticket":
        out(ok and disp == "ticket" and tid is not None,
            "%s, ticket %s" % (what, tid), diag)
    else:
        out(ok, what + (" [%s]" % expect if expect else ""), diag)
EOF
[ -s "$T/checks.err" ] && fail "the corpus checker failed" "$(cat "$T/checks.err")"
while IFS=$'\t' read -r res msg diag; do
	if [ "$res" = ok ]; then ok "$msg"; else not_ok "$msg" "$diag"; fi
done <"$T/checks.tsv"

# Totals, for the log: what the corpus became.
note "dispositions: $(sql "SELECT group_concat(d || '=' || n, ' ') FROM
	(SELECT disposition d, count(*) n FROM messages WHERE direction = 'in'
	 GROUP BY disposition ORDER BY disposition)")"
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE kind NOT LIKE 'ack%'")" 0 \
	"nothing but acknowledgements went out (no page, no escalation)"
assert_eq "$(sink_count)" "$(sql "SELECT count(*) FROM outbox")" \
	"every queued acknowledgement reached the SMTP server"

# Nothing is taken twice.
before=$(sql 'SELECT count(*) FROM tickets; SELECT count(*) FROM messages; SELECT count(*) FROM outbox')
assert_cmd "a second supportd --once" supportd --once
assert_eq "$(sql 'SELECT count(*) FROM tickets; SELECT count(*) FROM messages; SELECT count(*) FROM outbox')" \
	"$before" "a second cycle takes nothing in again"
it_done
