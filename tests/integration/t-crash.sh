#!/bin/bash
# SPDX-License-Identifier: MIT
# Crash safety (issue #3 point 9, SPEC §10): 200 mails (new ones from
# many senders, replies tagged [Ticket#N], replies by In-Reply-To) are
# delivered, then `supportd --once` is killed with SIGKILL again and again
# -- during start-up, while it takes mail in, and while it flushes the
# outbox, several times right as the SMTP server accepts a response --
# and restarted, until a last clean run.  Afterwards: every mail is stored
# once and on the right ticket, no ticket was made twice, every response
# and notification went out, and at most one mail per kill went out
# twice (with the same Message-ID).  The kill moments are counts (mails committed,
# responses accepted) and fixed delays, so the run is deterministic up to
# the machine's speed.  tests/integration/crashloop.py does the killing.
. "$(dirname "$0")/lib.sh"
it_init "$0"
command -v sqlite3 >/dev/null || _it_missing "sqlite3 is not installed"
start_dovecot
start_smtp
# Every new ticket is answered: more than stranger_reply_limit's 100
# an hour go to strangers here.  The team is told of every mail
# (notify-new, notify-reply), so kills land among notifications too.
write_config 'stranger_reply_limit = 1000;' \
	'team = { emails = [ "team@vendor.example" ]; };'

N=200
SEED=7
# ---- the mails: deterministic, replies only to earlier mails ----------
"$IT_PYTHON" - "$T/mails" "$N" "$SEED" "$T/expect" <<'EOF'
import os, random, sys
outdir, n, seed, expect = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
os.makedirs(outdir)
# 36 senders without an organization, 4 of Acme Retail (premium); at
# most 3 new tickets each, well inside autoreply_limit (5 an hour).
senders = ["cust%02d@c%02d.example" % (k, k) for k in range(36)] + \
    ["buyer%d@acme.example" % k for k in range(4)]
topics = ["printer offline", "invoice question", "login fails",
          "slow export", "[BUG] report crashes", "[Feature Request] dark mode",
          "password reset", "licence renewal", "sync stopped", "API 500s"]
tickets, roots, made = [], [], {}	# ticket N = tickets[N-1]
for i in range(n):
    free = [s for s in senders if made.get(s, 0) < 3]
    kind = "new" if not tickets or (free and rng.random() < 0.6) else \
        rng.choice(["tag", "irt"])
    mid = "m%03d.%d@crash.example" % (i, seed)
    h = []
    if kind == "new":
        s = rng.choice(free)
        made[s] = made.get(s, 0) + 1
        subj = "%s #%d" % (rng.choice(topics), i)
        tickets.append((mid, subj, s))
        h.append("Subject: " + subj)
        root = mid
    else:
        t = rng.randrange(len(tickets))
        root, osubj, s = tickets[t]
        if kind == "tag":	# ticket ids are given in order of arrival
            h.append("Subject: Re: [Ticket#%d] %s" % (t + 1, osubj))
        else:
            h += ["Subject: Re: " + osubj, "In-Reply-To: <%s>" % root,
                  "References: <%s>" % root]
    roots.append("%s|%s" % (mid, root))
    h = ["From: Customer %d <%s>" % (i, s), "To: support@vendor.example",
         "Message-ID: <%s>" % mid,
         "Date: Mon, 02 Mar 2026 10:%02d:%02d +0000" % (i // 60, i % 60)] + h
    body = "Hello,\n\nmail %d (%s) from %s.\n\n-- \n%s\n" % (i, kind, s, s)
    with open(os.path.join(outdir, "%04d.eml" % i), "w") as f:
        f.write("\n".join(h) + "\n\n" + body)
with open(expect + ".new", "w") as f:
    f.write("".join(m + "\n" for m, _, _ in sorted(tickets)))
with open(expect + ".roots", "w") as f:
    f.write("".join(r + "\n" for r in sorted(roots)))
EOF
NEW=$(wc -l <"$T/expect.new")
deliver_many "$T/mails"
assert_eq "$(imap_count)" "$N" "$N mails delivered ($NEW new, $((N - NEW)) replies)"

# ---- the kills ---------------------------------------------------------
# Start-up (before and around the schema and the IMAP login), intake at
# mail counts, the outbox flush at counts of responses the sink stored
# (firing the instant a response is stored, i.e. before supportd knows it
# was accepted) and of rows marked sent, and a few fixed delays.
triggers=(delay:0.012 delay:0.004 delay:0.025 delay:0.04
	in:12 in:30 in:31 in:55+0.0004 in:80 in:110 in:140+0.001 in:170
	in:199 in:200
	smtp:3 smtp:15 smtp:16+0.0003 sent:30+0.0008 smtp:45 smtp:60
	delay:0.06 smtp:80 sent:95 smtp:104 smtp:118+0.0005)
"$IT_PYTHON" "$IT_DIR/crashloop.py" --log "$T/supportd.log" \
	"$T/supportd.db" "$T/sink" "$N" "${triggers[@]}" -- \
	"$SUPPORTD_BIN" -c "$CONF" --once >"$T/crash.out" 2>&1 ||
	fail "crashloop.py failed" "$(cat "$T/crash.out")"
sed 's/^# /#   /' "$T/crash.out" | grep '^#' || true
summary=$(sed -n 's/^crash: //p' "$T/crash.out")
note "kill statistics: $summary"
for kv in $summary; do
	declare "k_${kv%%=*}=${kv#*=}"
done
assert_match "${k_interrupted:-0}" '^([1-9][0-9]+)$' \
	"at least 10 kills interrupted work (${k_interrupted:-0} of ${k_kills:-0})"
assert_ne "${k_intake:-0}" 0 "some kills landed during intake (${k_intake:-0})"
assert_ne "${k_flush:-0}" 0 "some kills landed during the outbox flush (${k_flush:-0})"

assert_cmd "a last clean supportd --once completes" supportd --once

# ---- every mail once, on the right ticket --------------------------------
assert_eq "$(sql "SELECT count(*) FROM messages WHERE direction='in'")" "$N" \
	"every delivered mail is stored"
assert_eq "$(sql "SELECT count(DISTINCT coalesce(message_id, dedupe_key)) FROM messages WHERE direction='in'")" \
	"$N" "each under its own Message-ID or dedupe key"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE direction='in'
	AND (ticket_id IS NULL OR disposition <> 'ticket')")" 0 \
	"every mail is a ticket or threaded on one"
assert_eq "$(sql "SELECT count(*) FROM tickets")" "$NEW" \
	"no ticket made twice ($NEW tickets)"
sql "SELECT m.message_id FROM messages m WHERE m.direction='in' AND m.id =
	(SELECT min(id) FROM messages WHERE ticket_id = m.ticket_id
	 AND direction='in') ORDER BY 1" >"$T/got.new"
assert_cmd "each ticket was opened by one of the new mails" \
	diff "$T/expect.new" "$T/got.new"
sql "SELECT m.message_id || '|' || r.message_id FROM messages m
	JOIN messages r ON r.ticket_id = m.ticket_id AND r.direction = 'in'
	AND r.id = (SELECT min(id) FROM messages WHERE ticket_id = m.ticket_id
	 AND direction = 'in')
	WHERE m.direction = 'in' ORDER BY 1" >"$T/got.roots"
assert_cmd "each reply is threaded on the ticket it answers" \
	diff "$T/expect.roots" "$T/got.roots"
assert_eq "$(sql "SELECT count(*) FROM cursors WHERE last_uid = $N")" 1 \
	"the cursor is at the last mail"

# ---- every response sent, at most one duplicate per kill ----------------
assert_eq "$(sql "SELECT status || ' ' || count(*) FROM outbox GROUP BY status")" \
	"sent $((NEW + N))" "every acknowledgement and notification queued once and sent"
# A mail's acknowledgement goes to its sender, its notification (new or
# reply) to the team; each is keyed by the mail it is about.
"$IT_PYTHON" - "$T/sink" "$T/expect.new" "$T/expect.roots" >"$T/dups" <<'EOF'
import email, os, sys
sink, expect, roots = sys.argv[1], sys.argv[2], sys.argv[3]
want = {("ack", m) for m in open(expect).read().split()}
want |= {("note", r.split("|")[0]) for r in open(roots).read().split()}
by_key = {}
for n in sorted(os.listdir(sink)):
    if not n.endswith(".eml"):
        continue
    with open(os.path.join(sink, n), "rb") as f:
        m = email.message_from_binary_file(f)
    irt = (m["In-Reply-To"] or "").strip().strip("<>")
    kind = "note" if "team@vendor.example" in (m["To"] or "") else "ack"
    by_key.setdefault((kind, irt), []).append((m["Message-ID"] or "").strip())
dups = sum(len(v) - 1 for v in by_key.values())
same = all(len(set(v)) == 1 for v in by_key.values())
print("answered=%d dups=%d unknown=%d missing=%d same_msgid=%d" % (
    len(by_key), dups, len(set(by_key) - want), len(want - set(by_key)),
    same))
EOF
note "sink: $(cat "$T/dups")"
read -ra kvs <"$T/dups"
for kv in "${kvs[@]}"; do
	declare "s_${kv%%=*}=${kv#*=}"
done
assert_eq "${s_answered:-}/${s_unknown:-}/${s_missing:-}" "$((NEW + N))/0/0" \
	"the sink got a response to each new mail, a notification of each mail, and nothing else"
if [ "${s_dups:-99}" -le "${k_kills:-0}" ]; then
	ok "responses sent twice: ${s_dups} <= ${k_kills} kills"
else
	not_ok "at most one response sent twice per kill" \
		"${s_dups:-?} duplicates, ${k_kills:-?} kills"
fi
assert_eq "${s_same_msgid:-}" 1 "a response sent again keeps its Message-ID"
[ "${s_dups:-0}" = "${k_window:-0}" ] ||
	note "duplicates ${s_dups:-?} != kills seen in the accepted-not-recorded window ${k_window:-?}"
note "mails left without \\Seen (killed between commit and STORE): $((N - $(imap_count_seen)))"

# ---- attachment sends (issue #20): kills while large mails go out ---------
# Six agent replies with a 1.5 MB attachment each, kept in the outbox in
# parts; --once is killed as the sink stores them and as they are marked
# sent.  Each arrives intact, at most one twice per kill.
head -c 1500000 /dev/urandom >"$T/att.bin"
for i in 1 2 3 4 5 6; do
	printf 'Attachment reply %s.\n' "$i" | supportctl reply "$i" --file - \
		--attach "$T/att.bin" >/dev/null || not_ok "reply --attach $i"
done
base=$(sink_count)
triggers=(smtp:$((base + 1))+0.0002 delay:0.05 smtp:$((base + 3))
	sent:$((NEW + N + 2))+0.0005 smtp:$((base + 5)) delay:0.02)
"$IT_PYTHON" "$IT_DIR/crashloop.py" --log "$T/supportd2.log" \
	"$T/supportd.db" "$T/sink" "$N" "${triggers[@]}" -- \
	"$SUPPORTD_BIN" -c "$CONF" --once >"$T/crash2.out" 2>&1 ||
	fail "crashloop.py (attachments) failed" "$(cat "$T/crash2.out")"
kills2=$(sed -n 's/^crash: kills=\([0-9]*\).*/\1/p' "$T/crash2.out")
note "attachment kills: $(sed -n 's/^crash: //p' "$T/crash2.out")"
assert_cmd "a clean supportd --once after them" supportd --once
"$IT_PYTHON" - "$T/sink" "$base" "$(sha256sum "$T/att.bin" | cut -d' ' -f1)" >"$T/att.res" <<'EOF2'
import email, hashlib, os, re, sys
sink, base, want = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seen, bad = {}, 0
for n in sorted(os.listdir(sink)):
    if not n.endswith(".eml") or int(n[:4]) <= base:
        continue
    with open(os.path.join(sink, n), "rb") as f:
        m = email.message_from_binary_file(f)
    text = [p.get_payload(decode=True).decode() for p in m.walk()
            if p.get_content_type() == "text/plain" and not p.get_filename()]
    k = re.search(r"Attachment reply (\d)", text[0] if text else "")
    atts = [hashlib.sha256(p.get_payload(decode=True)).hexdigest()
            for p in m.walk() if p.get_filename()]
    if not k or atts != [want]:
        bad += 1
        continue
    seen.setdefault(k.group(1), set()).add(m["Message-ID"])
print("replies=%d bad=%d same_msgid=%d" % (len(seen), bad,
      all(len(v) == 1 for v in seen.values())))
EOF2
assert_eq "$(cat "$T/att.res")" "replies=6 bad=0 same_msgid=1" \
	"every attachment reply arrived, intact, a repeat with its Message-ID, nothing else"
dups2=$(( $(sink_count) - base - 6 ))
if [ "$dups2" -le "${kills2:-0}" ]; then
	ok "attachment replies sent twice: $dups2 <= ${kills2:-0} kills"
else
	not_ok "at most one attachment reply twice per kill" "$dups2 duplicates, ${kills2:-?} kills"
fi
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE status <> 'sent'")" 0 "the outbox is empty"
it_done
