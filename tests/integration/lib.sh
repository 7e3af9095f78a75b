# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Harness for supportd's integration tests (tests/integration/t-*.sh) and
# the demo (contrib/demo/run-demo.sh).  Source it from bash:
#
#	#!/bin/bash
#	. "$(dirname "$0")/lib.sh"
#	it_init "$0"
#	start_dovecot
#	start_smtp
#	write_config
#	deliver "$SRCDIR/contrib/demo/01-system-down.eml"
#	supportd --once
#	assert_eq "$(sink_count)" 1 "one acknowledgement sent"
#	it_done
#
# This file holds the set-up, the reporting and the process handling;
# it sources the servers' parts: lib-imap.sh (Dovecot, delivering and
# reading mail), lib-smtp.sh (the SMTP sink) and lib-supportd.sh (the
# configuration, supportd, supportctl and the database).
#
# Everything lives in a private directory $T (mktemp -d).  The servers are
# private instances on free 127.0.0.1 ports; an EXIT/INT/TERM trap stops
# every one of them and removes $T (KEEP=1 keeps it).  The output is TAP
# ("ok N - msg", "not ok N - msg", "# diagnostics", a trailing "1..N") and
# ends with "N passed, N failed"; the script exits 0 only if nothing failed.
#
# Assertions record a result and carry on (returning 1 on failure); `fail`
# records a failure and stops the script.  A test that runs under `set -e`
# therefore stops at its first failed assertion, which is fine too.
#
# Helpers meant to be used inside $(...) (sink_file, json_get, imap_*, ...)
# never call `fail`: a subshell cannot stop the test nor count results.
# Start servers only from the main shell, never inside $(...) or a pipe.
#
# Works as root (CI: mail is owned by `nobody`, Dovecot's own processes run
# as dovecot/dovenull) and as an ordinary user (everything runs as you).
#
# Variables a test may set before calling the functions:
#	KEEP=1			keep $T at exit (its path is printed)
#	IT_TAP=0		no TAP plan and summary (the demo)
#	IMAP_USER, IMAP_PASS	test account (default support / test)
#	CERT_SAN		subjectAltName of make_cert's server certificate
#	DOVECOT_SSL=yes|required  also IMAPS on $IMAPS_PORT, cert from make_cert
#	DOVECOT_EXTRA		lines appended to dovecot.conf
#	DOVECOT_HIBERNATE=1	IMAP sessions idle for 1 s are hibernated
#	DOVECOT_USERS=N		users u1..uN besides IMAP_USER (same password)
#	SUPPORTD_BIN, SUPPORTCTL_BIN  binaries (default $BUILDDIR/src/...)
#	SUPPORTD_TEST_VALGRIND=1  run supportd/supportctl under valgrind
#	IT_PYTHON		Python with aiosmtpd (default /usr/bin/python3)

# ---------------------------------------------------------------- setup

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# automake exports abs_top_srcdir/abs_top_builddir to the tests; run by
# hand, the tree holding this file is both.
SRCDIR=${abs_top_srcdir:-$(cd "$IT_DIR/../.." && pwd)}
BUILDDIR=${abs_top_builddir:-${BUILDDIR:-$SRCDIR}}
# Debian's python3 has python3-aiosmtpd; a pyenv `python3` on PATH may not.
IT_PYTHON=${IT_PYTHON:-/usr/bin/python3}
[ -x "$IT_PYTHON" ] || IT_PYTHON=$(command -v python3 || echo python3)
IMAP_USER=${IMAP_USER:-support}
IMAP_PASS=${IMAP_PASS:-test}
SUPPORTD_BIN=${SUPPORTD_BIN:-$BUILDDIR/src/supportd}
SUPPORTCTL_BIN=${SUPPORTCTL_BIN:-$BUILDDIR/src/supportctl}
IT_TAP=${IT_TAP:-1}
export SRCDIR BUILDDIR IMAP_USER IMAP_PASS

_it_n=0 _it_pass=0 _it_fail=0 _it_skipped=''
_it_procs=()		# "name:pid" of every server started, in order
_it_smtp_tls=()		# TLS options of the last start_smtp
_it_cleanup=()		# extra commands run at exit (it_on_exit)
_it_lastpid=

# it_init NAME: make $T, install the traps.  NAME may be "$0".
it_init() {
	IT_NAME=$(basename "${1:-${0:-test}}" .sh)
	local tmp=${TMPDIR:-/tmp}
	# Dovecot's unix sockets live under $T; keep the path short (108 max).
	[ "${#tmp}" -le 40 ] || tmp=/tmp
	T=$(mktemp -d "$tmp/sd-${IT_NAME:0:20}.XXXXXX") || {
		echo "Bail out! mktemp failed"
		exit 99
	}
	# When root, Dovecot reads mail as `nobody`, which must get through.
	chmod 0711 "$T"
	export T
	# Nothing of an outer run or of the caller's environment leaks in.
	unset IMAP_PORT IMAPS_PORT IMAP_CAFILE SMTP_PORT SMTP_CAFILE CONF \
		SUPPORTD_PID
	trap _it_exit EXIT
	trap '_it_signal INT 130' INT
	trap '_it_signal TERM 143' TERM
	trap '_it_signal HUP 129' HUP
	note "$IT_NAME: T=$T"
}

# it_on_exit CMD...: run CMD at exit, before the servers are stopped.
it_on_exit() {
	_it_cleanup+=("$(printf '%q ' "$@")")
}

# it_done: end of the test; exit status 0 iff no assertion failed.
it_done() {
	[ "$_it_fail" -eq 0 ] && exit 0
	exit 1
}

# it_skip REASON: skip the whole test: TAP "1..0 # SKIP REASON" and exit
# 0, which automake's tap-driver.sh counts as SKIP (it would call 77 an
# error).
it_skip() {
	_it_skipped=1
	echo "1..0 # SKIP $*"
	exit 0
}

_it_signal() {
	note "caught SIG$1, stopping"
	exit "$2"
}

_it_exit() {
	local rc=$?
	trap - EXIT INT TERM HUP
	set +e
	if [ -n "$_it_skipped" ]; then
		rc=0
	elif [ "$rc" -ne 0 ] && [ "$_it_fail" -eq 0 ]; then
		if [ "$IT_TAP" = 1 ]; then
			_it_result "not ok" "${IT_NAME:-test} exited with status $rc"
		else
			note "${IT_NAME:-test} exited with status $rc"
		fi
	fi
	if [ "$_it_fail" -gt 0 ] || [ "$rc" -ne 0 ]; then
		_it_diag_logs
	fi
	local c
	for c in "${_it_cleanup[@]}"; do
		eval "$c"
	done
	it_stop_all
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ "${KEEP:-0}" = 1 ]; then
			note "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	if [ "$IT_TAP" = 1 ] && [ -z "$_it_skipped" ]; then
		echo "1..$_it_n"
		echo "$_it_pass passed, $_it_fail failed"
	fi
	[ "$rc" -eq 0 ] && [ "$_it_fail" -gt 0 ] && rc=1
	exit "$rc"
}

# Print the end of every server and program log, for diagnosis.
_it_diag_logs() {
	local f seen=' '
	for f in "$T"/dovecot.log "$T"/dovecot.out "$T"/smtpsink.log \
		"$T"/*.log; do
		[ -s "$f" ] || continue
		case $seen in *" $f "*) continue ;; esac
		seen="$seen$f "
		note "---- last lines of ${f#"$T"/} ----"
		tail -n "${IT_LOG_LINES:-25}" "$f" | sed 's/^/#   /'
	done
}

# ------------------------------------------------------------ reporting

# note MSG...: a TAP diagnostic line.
note() {
	echo "# $*"
}

_it_result() {
	_it_n=$((_it_n + 1))
	if [ "$1" = ok ]; then
		_it_pass=$((_it_pass + 1))
	else
		_it_fail=$((_it_fail + 1))
	fi
	echo "$1 $_it_n - $2"
}

# ok MSG: record a passed check.
ok() {
	_it_result ok "$*"
}

# not_ok MSG [DIAG...]: record a failed check, with diagnostic lines.
not_ok() {
	_it_result "not ok" "$1"
	shift
	local d
	for d in "$@"; do
		printf '%s\n' "$d" | sed 's/^/#   /'
	done
	return 1
}

# skip MSG REASON: record a skipped check (TAP "ok N - MSG # SKIP REASON").
skip() {
	_it_result ok "$1 # SKIP $2"
}

# fail MSG [DIAG...]: record a failure and stop the test (logs are shown).
fail() {
	not_ok "$@"
	exit 1
}

# assert_eq GOT WANT MSG
assert_eq() {
	if [ "$1" = "$2" ]; then ok "$3"; else
		not_ok "$3" "got:  '$1'" "want: '$2'"
	fi
}

# assert_ne GOT UNWANTED MSG
assert_ne() {
	if [ "$1" != "$2" ]; then ok "$3"; else
		not_ok "$3" "got the unwanted value '$1'"
	fi
}

# assert_match GOT ERE MSG: GOT matches the extended regular expression.
assert_match() {
	if [[ $1 =~ $2 ]]; then ok "$3"; else
		not_ok "$3" "got:   '$1'" "wanted a match for /$2/"
	fi
}

# assert_no_match GOT ERE MSG: GOT does not match.
assert_no_match() {
	if [[ $1 =~ $2 ]]; then
		not_ok "$3" "got:   '$1'" "wanted no match for /$2/"
	else ok "$3"; fi
}

# Lines of FILE without the CR of CRLF line ends, so that an ERE's $
# works on mail as it went over SMTP.
_it_lines() {
	sed 's/\r$//' -- "$1"
}

# assert_file_contains FILE ERE MSG: some line of FILE matches ERE (CRLF
# line ends are read as LF).
assert_file_contains() {
	if [ ! -r "$1" ]; then
		not_ok "$3" "no file $1"
	elif _it_lines "$1" | grep -E -e "$2" >/dev/null; then
		ok "$3"
	else
		not_ok "$3" "no line of ${1#"$T"/} matches /$2/; it starts:" \
			"$(_it_lines "$1" | head -n 20)"
	fi
}

# assert_file_lacks FILE ERE MSG: no line of FILE matches ERE (CRLF as LF).
assert_file_lacks() {
	if [ ! -r "$1" ]; then
		not_ok "$3" "no file $1"
	elif ! _it_lines "$1" | grep -E -e "$2" >/dev/null; then
		ok "$3"
	else
		not_ok "$3" "${1#"$T"/} has a line matching /$2/:" \
			"$(_it_lines "$1" | grep -E -m 5 -e "$2")"
	fi
}

# assert_cmd MSG CMD...: CMD exits 0 (its output is shown if not).
assert_cmd() {
	local msg=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then ok "$msg"; else
		not_ok "$msg" "command: $*" "exit status $rc, output:" "$out"
	fi
}

# assert_fails MSG CMD...: CMD exits non-zero.
assert_fails() {
	local msg=$1 out
	shift
	if out=$("$@" 2>&1); then
		not_ok "$msg" "command: $*" "succeeded, output:" "$out"
	else
		ok "$msg"
	fi
}

# assert_exit WANT MSG CMD...: CMD exits with status WANT.
assert_exit() {
	local want=$1 msg=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$msg"; else
		not_ok "$msg" "command: $*" "exit status $rc, wanted $want;" \
			"output:" "$out"
	fi
}

# wait_until SECS CMD...: poll CMD every 0.1 s until it succeeds; 1 on
# timeout.  Example: wait_until 5 sink_has 2
wait_until() {
	local secs=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -lt $((secs * 10)) ] || return 1
		sleep 0.1
	done
}

# --------------------------------------------------------- processes

# Start CMD in the background in its own process group, output to LOG;
# leaves its pid in $_it_lastpid.  Must run in the main shell.
_it_bg() {
	local name=$1 logf=$2 had_m=
	shift 2
	case $- in *m*) had_m=1 ;; esac
	# Job control gives the job its own process group (pgid = pid), so
	# the whole server can be signalled, and a ^C on the terminal goes
	# to the test only: the trap then stops the servers in order.
	set -m
	"$@" >>"$logf" 2>&1 </dev/null &
	_it_lastpid=$!
	[ -n "$had_m" ] || set +m
	_it_procs+=("$name:$_it_lastpid")
}

# Alive and not a zombie.
_it_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*) return 1 ;; esac
	return 0
}

# A live (non-zombie) process is in process group $1.
_it_group_alive() {
	ps -e -o pgid=,stat= | awk -v g="$1" \
		'$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

# Stop one server: SIGTERM to its process group (Dovecot's master alone
# lingers a second for its log process; the group goes in milliseconds),
# SIGKILL for whatever is left after 5 s, then reap it.
_it_stop_pid() {
	local name=$1 pid=$2 i=0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	while _it_group_alive "$pid" && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if _it_group_alive "$pid"; then
		note "$name (pid $pid) ignored SIGTERM for 5 s, killing it"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# _it_stop NAME: stop every process registered under NAME.
_it_stop() {
	local keep=() e
	for e in "${_it_procs[@]}"; do
		if [ "${e%%:*}" = "$1" ]; then
			_it_stop_pid "${e%%:*}" "${e#*:}"
		else
			keep+=("$e")
		fi
	done
	_it_procs=("${keep[@]}")
}

# it_stop_all: stop every server, newest first (the EXIT trap does this).
it_stop_all() {
	local i e
	for ((i = ${#_it_procs[@]} - 1; i >= 0; i--)); do
		e=${_it_procs[i]}
		_it_stop_pid "${e%%:*}" "${e#*:}"
	done
	_it_procs=()
}

# it_pids [NAME]: the pids (= process groups) of the running servers.
it_pids() {
	local e
	for e in "${_it_procs[@]}"; do
		[ -z "${1:-}" ] || [ "${e%%:*}" = "$1" ] || continue
		echo "${e#*:}"
	done
}

# _it_wait_greeting PORT PID SECS BANNER BYE [LOG [OFFSET]]: wait until
# 127.0.0.1:PORT greets with BANNER (then say BYE), while PID lives and LOG
# (from byte OFFSET on) has no " Fatal: " line.  Status 1 timeout, 2 PID died, 3 fatal error.
_it_wait_greeting() {
	"$IT_PYTHON" - "$@" <<'EOF'
import os, socket, sys, time
port, pid, secs, banner, bye, logf, off = (sys.argv[1:8] + ["", "0"])[:7]
deadline = time.monotonic() + float(secs)
def alive(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(int(pid), 0)
            return True
        except OSError:
            return False
while time.monotonic() < deadline:
    if not alive(pid):
        sys.exit(2)
    if logf and os.path.exists(logf):
        with open(logf, errors="replace") as f:
            f.seek(int(off))
            if " Fatal: " in f.read():
                sys.exit(3)
    try:
        with socket.create_connection(("127.0.0.1", int(port)), 1) as s:
            s.settimeout(2)
            line = s.recv(1024)
            s.sendall(bye.encode() + b"\r\n")
            if line.startswith(banner.encode()):
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit(1)
EOF
}

# free_port [N]: N (default 1) distinct free TCP ports on 127.0.0.1.
free_port() {
	"$IT_PYTHON" - "${1:-1}" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}

# start_http: a real HTTP server for webhooks on HTTP_PORT, each request
# kept as $T/http/NNNN.json (httpsink.py).
start_http() {
	HTTP_PORT=$(free_port)
	_it_bg httpsink "$T/httpsink.log" "$IT_PYTHON" "$IT_DIR/httpsink.py" \
		"$HTTP_PORT" "$T/http"
	wait_until 5 "$IT_PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $HTTP_PORT), 1)" 2>/dev/null ||
		fail "the HTTP server did not start"
}

# start_blackhole: a server on BH_PORT (exported) that takes every
# connection and never says a word: a hanging IMAP server.
start_blackhole() {
	BH_PORT=$(free_port)
	export BH_PORT
	_it_bg blackhole "$T/blackhole.log" "$IT_PYTHON" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)   # accept, never answer
' "$BH_PORT"
	wait_until 5 "$IT_PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $BH_PORT), 1)" 2>/dev/null ||
		fail "the hanging server did not start"
}

# start_notify: what systemd would hear (sdnotify.py) on NOTIFY_SOCKET,
# exported; each message a line of $T/notify.log.
start_notify() {
	_it_bg sdnotify "$T/sdnotify.log" "$IT_PYTHON" -u "$IT_DIR/sdnotify.py" \
		"$T/notify.sock" "$T/notify.log"
	wait_until 5 test -S "$T/notify.sock" ||
		fail "start_notify: the listener did not start" "$(cat "$T/sdnotify.log")"
	NOTIFY_SOCKET=$T/notify.sock
	export NOTIFY_SOCKET
}

# start_oauth [--client ID:SECRET:USER]... [--jwt-pubkey PEM] [--tls]:
# the test OAuth2 provider (oauthsrv.py) with its state in $T/oauth.
# Exports OAUTH_URL (http://127.0.0.1:PORT, https:// with --tls and
# make_cert's certificate).  oauth_mode LINE... sets its behaviour,
# oauth_requests OUTCOME counts its answers so far.
start_oauth() {
	local args=() scheme=http
	while [ $# -gt 0 ]; do
		case $1 in
		--tls) make_cert; scheme=https
			args+=(--tls-cert "$T/cert.pem" --tls-key "$T/key.pem")
			shift ;;
		*) args+=("$1"); shift ;;
		esac
	done
	oauth_key
	mkdir -p "$T/oauth"
	rm -f "$T/oauth.port"
	_it_bg oauth "$T/oauthsrv.log" "$IT_PYTHON" -u "$IT_DIR/oauthsrv.py" \
		--port-file "$T/oauth.port" --key-file "$T/oauth.key" \
		--state "$T/oauth" "${args[@]}"
	wait_until 10 test -s "$T/oauth.port" ||
		fail "start_oauth: the token endpoint did not start" \
			"$(cat "$T/oauthsrv.log")"
	OAUTH_URL=$scheme://127.0.0.1:$(cat "$T/oauth.port")
	export OAUTH_URL
}

oauth_mode() {
	printf '%s\n' "$@" >"$T/oauth/mode"
}

# oauth_requests [OUTCOME]: answers given (with that outcome).
oauth_requests() {
	if [ $# -eq 0 ]; then
		wc -l <"$T/oauth/requests.log" 2>/dev/null || echo 0
	else
		awk -v o="$1" '$3 == o { n++ } END { print n + 0 }' \
			"$T/oauth/requests.log" 2>/dev/null || echo 0
	fi
}

# Fail, or skip when not in CI, because something is not installed.
_it_missing() {
	if [ "${CI:-}" = true ]; then
		fail "$* (CI must have it: contrib/install-deps.sh)"
	fi
	it_skip "$*"
}

# --------------------------------------------------------------- JSON

# json_get PATH [FILE]: one value from JSON on stdin (or FILE), jq-like:
# '.', '.[0].priority', '.messages[-1].from', '.requester.email',
# '.[]|length' is not supported but 'length' and '.x|length' are.
# Strings print raw, null as "null", containers as compact JSON.
json_get() {
	_it_json path "$@"
}

# json_py EXPR [FILE]: a Python expression over the JSON bound to `j`,
# printed as Python prints it (True, None, ['pending', 'open']), e.g.
# json_py 'sum(t["priority"] == "C1" for t in j)'.
json_py() {
	_it_json expr "$@"
}

_it_json() {
	local mode=$1 what=$2 file=${3:--}
	"$IT_PYTHON" -c '
import json, re, sys
mode, what, path = sys.argv[1:4]
src = sys.stdin if path == "-" else open(path, encoding="utf-8")
j = json.load(src)
def out(v):
    if v is None: print("null")
    elif isinstance(v, bool): print("true" if v else "false")
    elif isinstance(v, str): print(v)
    elif isinstance(v, (int, float)): print(json.dumps(v))
    else: print(json.dumps(v, sort_keys=True, separators=(",", ":")))
if mode == "expr":
    # As Python prints it: True, None, ["a", "b"] (with single quotes).
    print(eval(what, {"j": j, "json": json}))
    sys.exit(0)
v = j
tok = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]|\[\"([^\"]*)\"\]|\.")
try:
    for seg in what.split("|"):
        seg = seg.strip()
        if seg == "length":
            v = len(v)
            continue
        for m in tok.finditer(seg):
            if m.group(1) is not None: v = v[m.group(1)]
            elif m.group(2) is not None: v = v[int(m.group(2))]
            elif m.group(3) is not None: v = v[m.group(3)]
except (KeyError, IndexError, TypeError) as e:
    sys.exit("json_get: %s: no %s" % (what, e))
out(v)
' "$mode" "$what" "$file"
}

# ------------------------------------------------------------- the parts

# shellcheck source=lib-imap.sh
. "$IT_DIR/lib-imap.sh"
# shellcheck source=lib-smtp.sh
. "$IT_DIR/lib-smtp.sh"
# shellcheck source=lib-supportd.sh
. "$IT_DIR/lib-supportd.sh"
