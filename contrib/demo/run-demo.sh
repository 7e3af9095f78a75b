#!/bin/bash
# SPDX-License-Identifier: MIT
#
# supportd demo: a private Dovecot and a recording SMTP sink on loopback,
# the sample mails of this directory delivered to the support mailbox, one
# `supportd --once` cycle, then the tickets and every mail supportd sent.
# Nothing is installed and nothing leaves 127.0.0.1; the servers are
# stopped and the temporary directory removed at the end (--keep keeps it).
#
# Usage: contrib/demo/run-demo.sh [--keep] [--now ISO8601 | --real-time]
#                                 [--no-supportd]
#   --keep         keep the temporary directory (database, sink, logs)
#   --now T        the clock supportd runs on (default $DEMO_NOW or
#                  2026-03-03T03:10:00+05:30, a Tuesday 03:10 in Kolkata:
#                  after hours, so the C1 pages on-call)
#   --real-time    run on the real clock (INTERNALDATEs get clamped)
#   --no-supportd  only start the servers and deliver the mail
#
# Exit status: 0 all well, 2 binaries not built, 3 a check at the end
# failed, 1 anything else (the server logs are shown).
#
# Environment: BUILDDIR (default: the source tree), SUPPORTD_BIN,
# SUPPORTCTL_BIN, DEMO_SUPPORTD_ARGS (default "--foreground --once").
# Needs dovecot-imapd, python3-aiosmtpd, sqlite3 (contrib/install-deps.sh).

# shellcheck source-path=SCRIPTDIR
# The helpers take optional arguments:
# shellcheck disable=SC2119
set -u
DEMO_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2034 # read by lib.sh: no TAP plan and summary
IT_TAP=0
# shellcheck source=../../tests/integration/lib.sh
. "$DEMO_DIR/../../tests/integration/lib.sh"

now=${DEMO_NOW-2026-03-03T03:10:00+05:30}
run_supportd=1
while [ $# -gt 0 ]; do
	case $1 in
	--keep) KEEP=1 ;;
	--now) now=${2:?--now needs a time}; shift ;;
	--now=*) now=${1#--now=} ;;
	--real-time) now= ;;
	--no-supportd) run_supportd= ;;
	-h | --help) sed -n '3,25s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "run-demo.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
	esac
	shift
done

if [ -n "$run_supportd" ]; then
	for b in "$SUPPORTD_BIN" "$SUPPORTCTL_BIN"; do
		[ -x "$b" ] && continue
		cat >&2 <<EOF
run-demo.sh: $b is not built.
  Build first:  autoreconf -fi && ./configure && make
  (a VPATH build: BUILDDIR=/path/to/build $0),
  or point SUPPORTD_BIN/SUPPORTCTL_BIN at installed binaries,
  or run with --no-supportd to only start the servers and deliver the mail.
EOF
		exit 2
	done
fi
if [ -n "$now" ] && ! date -d "$now" >/dev/null 2>&1; then
	echo "run-demo.sh: --now: cannot read the time '$now'" >&2
	exit 64
fi

section() {
	printf '\n==> %s\n' "$*"
}

indent() {
	sed 's/^/    /'
}

it_init demo
section "Starting a private Dovecot and the SMTP sink"
start_dovecot
start_smtp
echo "    IMAP  127.0.0.1:$IMAP_PORT  user $IMAP_USER, password $IMAP_PASS"
echo "    SMTP  127.0.0.1:$SMTP_PORT  (every mail lands in $T/sink)"

write_config \
	'calendar = { timezone = "Asia/Kolkata";
             days = [ "Mon", "Tue", "Wed", "Thu", "Fri" ];
             open = "10:00"; close = "18:00"; };' \
	'organizations = (
  { name = "Acme Retail"; domains = [ "acme.example" ]; tier = "premium";
    contacts = { level1 = "am-acme@vendor.example"; }; }
);' \
	'escalation = { level1 = "accounts@vendor.example";
               level2 = "csm@vendor.example";
               level3 = "head-of-product@vendor.example"; };' \
	'team = { emails = [ "support-team@vendor.example" ]; };' \
	'oncall = { emails = [ "oncall@vendor.example" ];
           page_unknown_senders = false; max_pages_per_hour = 3; };'
section "Configuration $CONF"
indent <"$CONF"
if [ -n "$run_supportd" ]; then
	section "supportctl check-config"
	supportctl check-config 2>&1 | indent
	[ "${PIPESTATUS[0]}" -eq 0 ] || fail "supportctl check-config failed"
fi

section "Delivering the sample mails (INTERNALDATE = their Date: header)"
n=0
for f in "$DEMO_DIR"/[0-9]*.eml; do
	date=$(TZ=Asia/Kolkata date -d "$(mail_header "$f" Date)" --iso-8601=seconds) ||
		fail "no readable Date: in $f"
	deliver "$f" "$date"
	n=$((n + 1))
	printf '    %-22s %s  %s\n' "$(basename "$f")" "$date" \
		"$(mail_header "$f" Subject)"
done
[ "$(imap_count)" = "$n" ] || fail "INBOX does not hold the $n sample mails"

if [ -z "$run_supportd" ]; then
	section "Stopping here (--no-supportd); INBOX has $(imap_count) mails," \
		"$(imap_count_seen) of them seen"
	exit 0
fi

read -r -a sd_args <<<"${DEMO_SUPPORTD_ARGS:---foreground --once}"
section "supportd ${sd_args[*]}${now:+ --now $now}"
supportd "${sd_args[@]}" ${now:+--now "$now"} >"$T/supportd.log" 2>&1
rc=$?
indent <"$T/supportd.log"
[ "$rc" -eq 0 ] || fail "supportd exited with status $rc"

section "supportctl list"
supportctl list 2>&1 | indent
section "supportctl show 1"
supportctl show 1 2>&1 | indent

count=$(sink_count)
section "Mail sent by supportd ($count)"
for ((i = 1; i <= count; i++)); do
	"$IT_PYTHON" - "$(sink_env "$i")" "$(sink_file "$i")" "$i" \
		"$count" <<'EOF'
import email, email.policy, sys
env, eml, i, n = sys.argv[1:5]
print("\n    ---- %s of %s %s" % (i, n, "-" * 60))
for line in open(env, encoding="utf-8", errors="replace"):
    if not line.startswith("X-Sink-Info"):
        print("    envelope  " + line.rstrip("\n"))
with open(eml, "rb") as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
print()
for k, v in m.items():
    print("    %s: %s" % (k, v))
print()
body = m.get_body(preferencelist=("plain", "html"))
text = body.get_content() if body is not None else "(no text part)"
for line in text.rstrip("\n").split("\n"):
    print("    | " + line)
for part in m.iter_attachments():
    print("    [attachment %s, %s]" % (part.get_filename(),
                                        part.get_content_type()))
EOF
done

section "Checks"
bad=0
check() {
	if "${@:2}"; then
		echo "    [ok] $1"
	else
		echo "    [!!] $1"
		bad=$((bad + 1))
	fi
}
ooo_id=$(mail_header "$DEMO_DIR/03-out-of-office.eml" Message-ID)
refs_ooo() {
	local j
	for ((j = 1; j <= count; j++)); do
		grep -qiF -- "$ooo_id" "$(sink_file "$j")" && return 0
	done
	return 1
}
got_mail() {
	grep -qi "^RCPT TO:<$1>" "$T"/sink/*.env 2>/dev/null
}
tickets=$(supportctl list --json 2>/dev/null | json_get length 2>/dev/null)
check "3 tickets (C1 incident, export bug, question): got ${tickets:-?}" \
	test "${tickets:-}" = 3
check "all $n mails marked \\Seen on the server" \
	test "$(imap_count_seen)" = "$n"
check "the out-of-office reply got no answer" eval '! refs_ooo'
for who in priya.nair@acme.example tomas.oliveira@globex-logistics.example \
	megan.lee@initech.example; do
	check "$who got a response" got_mail "$who"
done
# Kolkata business hours are Mon-Fri 10:00-18:00 in this config.
when=$(TZ=Asia/Kolkata date -d "${now:-now}" +%u%H)
if [ "${when:0:1}" -ge 6 ] || [ "${when:1}" -lt 10 ] || [ "${when:1}" -ge 18 ]; then
	check "on-call was paged for the after-hours C1" \
		got_mail oncall@vendor.example
else
	check "the team heard of the C1 in business hours" \
		got_mail support-team@vendor.example
fi

section "Done${bad:+, $bad check(s) failed}"
if [ "${KEEP:-0}" = 1 ]; then
	echo "    Kept $T: supportd.db (sqlite3), sink/, dovecot.log"
else
	echo "    Run with --keep to look at the database and the raw mail."
fi
[ "$bad" -eq 0 ] || exit 3
