#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/scale.sh - the daemon with many mailboxes (issue #18 point 2,
# SPEC §17.1).  Run by bench/run.sh as its step 7 (SCALE=0 skips it), or
# alone.  Needs what run.sh needs (a built tree, dovecot-imapd, Postfix's
# smtp-sink).
#
# One Dovecot tuned for many IDLE clients (lib.sh's dovecot_for_many),
# users u1..u1000.  For each count in SCALE_COUNTS (1 10 100 1000): the
# daemon with that many mailboxes, each in IDLE; once every mailbox has
# logged in and a few seconds passed, its RSS (VmRSS, and VmHWM, the
# peak) and thread count.  With 1 and with the most mailboxes: IDLE
# latency (bench/latency.py, SCALE_LAT_N mails, default 100, back to
# back) on mailbox 1 while the others idle: APPEND -> response accepted
# by smtp-sink, p50/p99.  Dovecot's defaults tell an IDLE session 500 ms
# after the change; both runs pay that, so the difference is supportd's.
#
# Prints "scale_<count>_<what>=<value>" lines on stdout (run.sh reads
# them) and a progress log on stderr.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$BENCH/.." && pwd)
export BUILDDIR=${BUILDDIR:-$SRC}
PY=/usr/bin/python3
# Nearly all the generated senders are of no known organization; the
# benchmark answers every one, as it did before stranger_reply_limit.
BENCH_CONF='stranger_reply_limit = 1000000;'
SMTP_SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
COUNTS=${SCALE_COUNTS:-1 10 100 1000}
LAT_N=${SCALE_LAT_N:-100}
# shellcheck disable=SC2034  # read by lib.sh
IT_TAP=0
# shellcheck source=../tests/integration/lib.sh
. "$SRC/tests/integration/lib.sh"
it_init bench-scale

die() { echo "bench/scale: $*" >&2; exit 1; }
log() { echo "bench/scale: $(date -u +%H:%M:%S) $*" >&2; }
[ -x "$SMTP_SINK" ] || die "no smtp-sink (package postfix)"

MAX=0
for n in $COUNTS; do [ "$n" -le "$MAX" ] || MAX=$n; done
dovecot_for_many "$MAX"
start_dovecot
mkdir -p "$T/dump"
chmod 0777 "$T/dump"
SMTP_PORT=$(free_port)
_it_bg smtpsink "$T/smtp-sink.log" "$SMTP_SINK" -u root \
	-d "$T/dump/%H%M%S." "127.0.0.1:$SMTP_PORT" 1000
sleep 0.5

config() {	# config N: N mailboxes in IDLE, m1..mN on u1..uN
	local i sep
	{
		echo 'mailboxes = ('
		for ((i = 1; i <= $1; i++)); do
			sep=,
			[ "$i" -lt "$1" ] || sep=
			printf '  { name = "m%d"; address = "m%d@vendor.example"; imap = {
    host = "127.0.0.1"; port = %s; tls = "none"; user = "u%d";
    password_file = "%s"; folder = "INBOX"; idle = true; }; }%s\n' \
				"$i" "$i" "$IMAP_PORT" "$i" "$T/imap.pass" "$sep"
		done
		echo ');'
	} >"$T/mailboxes.conf"
	write_config "$(cat "$T/mailboxes.conf")" "$BENCH_CONF"
}

status_of() {	# status_of PID FIELD: a /proc/PID/status value (kB for sizes)
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

for n in $COUNTS; do
	rm -f "$T/supportd.db"*
	: >"$T/supportd.log"
	config "$n"
	start_supportd
	connected() { [ "$(grep -c ': connected$' "$T/supportd.log")" -ge "$n" ]; }
	wait_until 300 connected || die "$n mailboxes: only $(grep -c ': connected$' "$T/supportd.log") logged in"
	sleep 5
	pid=$SUPPORTD_PID
	rss=$(status_of "$pid" VmRSS) hwm=$(status_of "$pid" VmHWM)
	thr=$(status_of "$pid" Threads)
	log "$n mailboxes: RSS ${rss} kB (peak ${hwm} kB), $thr threads"
	echo "scale_${n}_rss_kb=$rss"
	echo "scale_${n}_peak_kb=$hwm"
	echo "scale_${n}_threads=$thr"
	if [ "$LAT_N" -gt 0 ] && { [ "$n" -eq 1 ] || [ "$n" -eq "$MAX" ]; }; then
		lat=$("$PY" "$BENCH/latency.py" 127.0.0.1 "$IMAP_PORT" u1 \
			"$IMAP_PASS" "$T/dump" "$LAT_N" 0 2>"$T/latency-$n.err") ||
			log "latency.py failed: $(tail -n 5 "$T/latency-$n.err")"
		log "$n mailboxes, latency on mailbox 1: $lat"
		for kv in $lat; do
			case ${kv%%=*} in
			got | p50 | p99 | max) echo "scale_${n}_lat_${kv%%=*}=${kv#*=}" ;;
			esac
		done
		rss=$(status_of "$pid" VmRSS) hwm=$(status_of "$pid" VmHWM)
		echo "scale_${n}_rss_after_kb=$rss"
		echo "scale_${n}_peak_after_kb=$hwm"
	fi
	stop_supportd
done
it_stop_all
