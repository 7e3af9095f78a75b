#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/attach.sh - peak RSS of sending a 25 MB attachment (issue #20:
# under 60 MB): supportctl reply --attach queues it (the mail built,
# base64, into the outbox), then supportctl tick sends it to the SMTP
# sink.  Checks that the sink got the attachment's bytes.  Run by
# bench/run.sh as its step 9 (ATTACH=0 skips it), or alone; needs a
# built tree, dovecot-imapd, python3 and /usr/bin/time.  Prints
# attach_reply_kb=PEAK, attach_send_kb=PEAK and attach_ok=yes|no for
# bench/run.sh, and a line of each on stderr.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$BENCH/.." && pwd)
export BUILDDIR=${BUILDDIR:-$SRC}
TIME=/usr/bin/time
MB=${ATTACH_MB:-25}
# shellcheck disable=SC2034  # read by lib.sh
IT_TAP=0
# shellcheck source=../tests/integration/lib.sh
. "$SRC/tests/integration/lib.sh"
it_init bench-attach

die() { echo "bench/attach: $*" >&2; exit 1; }
[ -x "$TIME" ] || die "no /usr/bin/time (package time)"
start_dovecot
start_smtp
write_config "max_outgoing_attachments = \"$((MB + 1))M\";"
printf 'From: Ann <ann@acme.example>\nTo: support@vendor.example\nSubject: logs\nMessage-ID: <a@acme.example>\n\nplease\n' >"$T/m.eml"
deliver "$T/m.eml"
supportd --once >/dev/null 2>&1 || die "supportd --once failed"
head -c $((MB << 20)) /dev/urandom >"$T/big.bin"
n0=$(sink_count)
printf 'Here it is.\n' | "$TIME" -f %M -o "$T/reply.kb" "$SUPPORTCTL_BIN" -c "$CONF" \
	reply 1 --file - --attach "$T/big.bin" >/dev/null || die "reply failed"
"$TIME" -f %M -o "$T/send.kb" "$SUPPORTCTL_BIN" -c "$CONF" tick >/dev/null 2>&1 ||
	die "tick failed"
ok=no
k=$(sink_find 'Here it is' | tail -n 1)
if [ -n "$k" ] && [ "$(sink_count)" -gt "$n0" ] &&
	"$IT_PYTHON" - "$(sink_file "$k")" "$(sha256sum "$T/big.bin" | cut -d' ' -f1)" <<'PY'
import email, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
got = [hashlib.sha256(p.get_payload(decode=True)).hexdigest()
       for p in m.walk() if p.get_filename()]
sys.exit(0 if got == [sys.argv[2]] else 1)
PY
then
	ok=yes
fi
echo "attach_reply_kb=$(tail -n 1 "$T/reply.kb")"
echo "attach_send_kb=$(tail -n 1 "$T/send.kb")"
echo "attach_ok=$ok"
echo "bench/attach: ${MB} MB attachment: reply $(tail -n 1 "$T/reply.kb") KB, send $(tail -n 1 "$T/send.kb") KB, received intact: $ok" >&2
it_done >/dev/null 2>&1 || true
