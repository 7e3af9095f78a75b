#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/hostile.sh - peak RSS of supportd --once taking in the worst
# mails of issue #19 point 2, each alone, at the default limits
# (max_message_size 25M): a 16 MB From display name, a 16 MB Subject, a
# 12 MB folded Subject of encoded words, and a 34 MB mail that is all
# header (over max_message_size), beside a small plain mail and one of
# 24 MB (a base64 attachment: the largest under the limit).  Target:
# at most 150 MB for any of them.  Run by bench/run.sh as its step 8
# (HOSTILE=0 skips it), or alone; needs a built tree, dovecot-imapd,
# python3 and /usr/bin/time.  Prints hostile_NAME_kb=PEAK and
# hostile_NAME_what=WHAT (what became of the mail) for bench/run.sh,
# and a line per mail on stderr.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$BENCH/.." && pwd)
export BUILDDIR=${BUILDDIR:-$SRC}
TIME=/usr/bin/time
# shellcheck disable=SC2034  # read by lib.sh
IT_TAP=0
# shellcheck source=../tests/integration/lib.sh
. "$SRC/tests/integration/lib.sh"
it_init bench-hostile

die() { echo "bench/hostile: $*" >&2; exit 1; }
[ -x "$TIME" ] || die "no /usr/bin/time (package time)"
start_dovecot
start_smtp
# Each run takes in its one mail and deletes it from the server.
write_config --mailbox 'processed = "delete";'

# The mails, written by Python (a shell loop would take minutes).
"$IT_PYTHON" - "$T" <<'EOF'
import sys
t = sys.argv[1]
head = "To: support@vendor.example\nMessage-ID: <%s@acme.example>\n"
def mail(name, hdr, body="help\n"):
    with open("%s/%s.eml" % (t, name), "w") as f:
        f.write(hdr + head % name + "\n" + body)
mail("plain", "From: Ann <ann@acme.example>\nSubject: printer jams\n")
mail("from16m", 'From: "%s" <ann@acme.example>\nSubject: big name\n'
     % ("A" * (16 << 20)))
mail("subject16m", "From: ann@acme.example\nSubject: %s\n" % ("S" * (16 << 20)))
mail("folded12m", "From: ann@acme.example\nSubject: x" +
     "".join("\n =?utf-8?b?w6TDtsO8w6TDtsO8w6TDtsO8?=xxxxxxxxxxxxxxxxxxx"
             for _ in range(200000)) + "\n")
with open("%s/attach24m.eml" % t, "w") as f:
    f.write("From: ann@acme.example\nSubject: logs attached\n" +
            head % "attach24m" + "MIME-Version: 1.0\nContent-Type: "
            "multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n"
            "\nsee attached\n--b\nContent-Type: application/octet-stream; "
            "name=logs.bin\nContent-Transfer-Encoding: base64\n\n")
    line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\n"
    for _ in range((24 << 20) // len(line)):
        f.write(line)
    f.write("--b--\n")
with open("%s/allhead34m.eml" % t, "w") as f:
    f.write("From: ann@acme.example\nSubject: all header\n" +
            head % "allhead34m")
    line = "X-Filler: " + "y" * 90 + "\n"
    for _ in range((34 << 20) // len(line)):
        f.write(line)
    f.write("\nbody\n")
EOF

for name in plain attach24m from16m subject16m folded12m allhead34m; do
	rm -f "$T/supportd.db"*
	deliver "$T/$name.eml"
	t0=$(date +%s.%N)
	"$TIME" -f "%M" -o "$T/time.out" "$SUPPORTD_BIN" -c "$CONF" --once \
		>"$T/$name.log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	rss=$(tail -n 1 "$T/time.out")
	what=$(sql "SELECT disposition || IFNULL(' (' || reason || ')', '') FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1")
	printf 'bench/hostile: %-11s rss=%sKB secs=%s rc=%s %s\n' "$name" \
		"$rss" "$(awk -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%.1f", b - a }')" "$rc" "$what" >&2
	printf 'hostile_%s_kb=%s\nhostile_%s_what=%s\n' "$name" "$rss" \
		"$name" "$what"
done
