#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs the libFuzzer targets built by `make fuzz` (tests/fuzz/fuzz.mk):
#
#	tests/fuzz/run.sh SECONDS [TARGET...]
#		(TARGET: mime classify authres quote tmpl conf note oauth)
#
# from the top of a configured build tree (or with builddir= and srcdir=
# set, as `make fuzz-run` does).  Each target runs SECONDS from its seed
# corpus:
#	mime	 tests/fixtures/mail, tests/fixtures/corpus/**/*.eml
#	classify tests/fuzz/subjects.txt, one subject a line
#	authres	 tests/fuzz/authres.txt, one header value a line
#	quote	 tests/fixtures/mail, as mail bodies
#	tmpl	 templates/ (dictionary tests/fuzz/tmpl.dict)
#	note	 tests/fuzz/notes.txt, one "pattern\taddress" a line
#	oauth	 tests/fuzz/oauth.txt, one token answer or key file a line
#	conf	 tests/fixtures/conf/*.conf and *.ics,
#		 conf/supportd.conf.example, conf/examples/*.conf
#		 (dictionary: the setting names of the example)
# plus tests/fuzz/regress/TARGET/*: inputs that once failed, run first so
# a regression fails at once.
# New inputs are kept in tests/fuzz/corpus/TARGET of the build tree,
# crashes in tests/fuzz/artifacts/TARGET/, the output in
# tests/fuzz/logs/TARGET.log.  Any crash, leak, timeout (-timeout=10) or
# out-of-memory (-rss_limit_mb=2048) makes the exit status 1.
set -uo pipefail

secs=${1:?usage: run.sh SECONDS [TARGET...]}
shift
[ $# -gt 0 ] || set -- mime classify authres quote tmpl conf note oauth
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${builddir:-$(pwd)}
fz=$builddir/tests/fuzz

# Sanitizers: every finding is fatal, leaks included; libconfig 1.5's
# known leak and GLib's one-time tables are suppressed (tests/lsan.supp).
export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$srcdir/tests/lsan.supp
export G_SLICE=always-malloc

seed() {	# seed TARGET: fill $fz/seed/TARGET; print extra fuzzer options
	local t=$1 d=$fz/seed/$1 i=0 line
	rm -rf "$d"
	mkdir -p "$d"
	case $t in
	mime)
		find "$srcdir/tests/fixtures/mail" "$srcdir/tests/fixtures/corpus" \
			-type f -name '*.eml' -exec cp -t "$d" {} +
		echo "-max_len=65536"
		;;
	quote)
		cp "$srcdir"/tests/fixtures/mail/*.eml "$d"/
		echo "-max_len=16384"
		;;
	classify|authres)
		local lines=subjects.txt
		[ "$t" = classify ] || lines=authres.txt
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in '#'*) continue ;; esac
			i=$((i + 1))
			printf '%s' "$line" >"$d/$i"
		done <"$srcdir/tests/fuzz/$lines"
		if [ "$t" = classify ]; then
			echo "-max_len=512"
		else
			echo "-max_len=4096"
		fi
		;;
	oauth)
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in '#'*) continue ;; esac
			i=$((i + 1))
			printf '%s' "$line" >"$d/$i"
		done <"$srcdir/tests/fuzz/oauth.txt"
		echo "-max_len=8192"
		;;
	note)
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in '#'*) continue ;; esac
			i=$((i + 1))
			printf '%s\n%s' "${line%%	*}" "${line#*	}" >"$d/$i"
		done <"$srcdir/tests/fuzz/notes.txt"
		echo "-max_len=512"
		;;
	tmpl)
		cp "$srcdir"/templates/* "$d"/
		echo "-max_len=8192 -dict=$srcdir/tests/fuzz/tmpl.dict"
		;;
	conf)
		cp "$srcdir"/tests/fixtures/conf/*.conf \
			"$srcdir"/tests/fixtures/conf/*.ics \
			"$srcdir/conf/supportd.conf.example" \
			"$srcdir"/conf/examples/*.conf "$d"/
		# Every setting name of the example, and the value words.
		{
			sed -n 's/^[ #]*\([a-z_0-9]*\) *=.*/"\1"/p' \
				"$srcdir/conf/supportd.conf.example"
			printf '"%s"\n' '=' ';' '{' '}' '(' ')' '[' ']' ',' \
				'30m' '4bh' '1bd' 'none' '25M' 'C1' 'imaps' \
				'starttls' 'smtps' 'seen' 'move:' 'delete' 'true' \
				'false' '127.0.0.1' 'smtp://' 'smtps://' '@' \
				'22:00' '24:00' 'BEGIN:VCALENDAR' 'BEGIN:VEVENT' \
				'END:VEVENT' 'DTSTART;VALUE=DATE:' 'DTEND:' \
				'DURATION:P' 'RRULE:FREQ=YEARLY;' 'COUNT=' \
				'UNTIL=' 'STATUS:CANCELLED' 'Severity 1' \
				'Severity_1'
		} | sort -u >"$fz/conf.dict"
		echo "-max_len=16384 -dict=$fz/conf.dict"
		;;
	*)
		echo "run.sh: unknown target $t" >&2
		return 1
		;;
	esac
	if [ -d "$srcdir/tests/fuzz/regress/$t" ]; then
		cp "$srcdir/tests/fuzz/regress/$t"/* "$d"/
	fi
}

failed=0
mkdir -p "$fz/logs"
for t in "$@"; do
	prog=$fz/fuzz-$t
	if [ ! -x "$prog" ]; then
		echo "run.sh: $prog is missing: run make fuzz" >&2
		failed=1
		continue
	fi
	opts=$(seed "$t") || { failed=1; continue; }
	mkdir -p "$fz/corpus/$t" "$fz/artifacts/$t"
	log=$fz/logs/$t.log
	# shellcheck disable=SC2086
	"$prog" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$fz/artifacts/$t/" \
		$opts "$fz/corpus/$t" "$fz/seed/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -o 'cov: [0-9]*')
	if [ "$rc" -eq 0 ]; then
		echo "fuzz-$t: ok, ${runs:-?} runs in ${secs}s, ${eps:-?} exec/s, ${cov:-cov: ?}"
	else
		failed=1
		echo "fuzz-$t: FAILED (exit status $rc) after ${runs:-?} runs; log $log"
		grep -E -A40 '^==[0-9]+==ERROR|runtime error|^ERROR: libFuzzer|SUMMARY' \
			"$log" | head -60 | sed 's/^/    /'
		ls "$fz/artifacts/$t" | sed "s|^|    artifact: $fz/artifacts/$t/|"
	fi
done
exit "$failed"
