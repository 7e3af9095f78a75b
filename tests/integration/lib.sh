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

# Fail, or skip when not in CI, because something is not installed.
_it_missing() {
	if [ "${CI:-}" = true ]; then
		fail "$* (CI must have it: contrib/install-deps.sh)"
	fi
	it_skip "$*"
}

# ------------------------------------------------------------- Dovecot

# make_cert: a throwaway CA ($T/ca.pem) and a server certificate for
# 127.0.0.1 and localhost signed by it ($T/cert.pem, $T/key.pem).
make_cert() {
	[ -s "$T/cert.pem" ] && return 0
	command -v openssl >/dev/null || _it_missing "openssl is not installed"
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	{
		openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=supportd test CA" \
			-keyout "$T/ca.key" -out "$T/ca.pem" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign &&
		openssl req -new "${ec[@]}" -subj "/CN=localhost" \
			-keyout "$T/key.pem" -out "$T/cert.csr" &&
		printf '%s\n' "subjectAltName=${CERT_SAN:-IP:127.0.0.1,DNS:localhost}" \
			"basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" \
			>"$T/cert.ext" &&
		openssl x509 -req -in "$T/cert.csr" -CA "$T/ca.pem" \
			-CAkey "$T/ca.key" -CAcreateserial -days 2 \
			-extfile "$T/cert.ext" -out "$T/cert.pem"
	} >"$T/openssl.log" 2>&1 || fail "make_cert: openssl failed" \
		"$(cat "$T/openssl.log")"
	chmod 0644 "$T/key.pem"	# read by Dovecot's config process
}

# start_dovecot: a private Dovecot (IMAP only) on a free port, account
# $IMAP_USER/$IMAP_PASS with an empty INBOX.  Exports IMAP_PORT (and
# IMAPS_PORT, IMAP_CAFILE with DOVECOT_SSL).  Called again after
# stop_dovecot it reuses the port and the mail.
start_dovecot() {
	command -v dovecot >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
	command -v dovecot >/dev/null 2>&1 ||
		_it_missing "dovecot is not installed (dovecot-imapd)"
	local auto='' tries=0 pid off
	[ -n "${IMAP_PORT:-}" ] || auto=1
	while :; do
		if [ -n "$auto" ]; then
			# shellcheck disable=SC2046
			set -- $(free_port 2)
			IMAP_PORT=$1 IMAPS_PORT=$2
		fi
		_it_dovecot_conf
		off=$(stat -c %s "$T/dovecot.log" 2>/dev/null || echo 0)
		_it_bg dovecot "$T/dovecot.out" dovecot -F -c "$T/dovecot.conf"
		pid=$_it_lastpid
		_it_wait_greeting "$IMAP_PORT" "$pid" \
			"${DOVECOT_START_TIMEOUT:-10}" "* OK" "a LOGOUT" \
			"$T/dovecot.log" "$off" && break
		# Another test may have taken the port since free_port looked.
		if [ -n "$auto" ] && [ "$tries" -lt 3 ] &&
			tail -c +$((off + 1)) "$T/dovecot.log" 2>/dev/null |
			grep "Address already in use" >/dev/null; then
			_it_stop dovecot
			tries=$((tries + 1))
			note "port $IMAP_PORT or $IMAPS_PORT was taken, trying others"
			continue
		fi
		local check
		check=$(doveconf -c "$T/dovecot.conf" -n 2>&1 >/dev/null)
		fail "start_dovecot: no IMAP greeting on 127.0.0.1:$IMAP_PORT" \
			"doveconf -n says: ${check:-config OK}" \
			"$(cat "$T/dovecot.out" 2>/dev/null)"
	done
	export IMAP_PORT IMAPS_PORT
}

# Write $T/dovecot.conf (and the passwd file, the mail directories).
_it_dovecot_conf() {
	local conf=$T/dovecot.conf uid gid internal group login mailuser
	if [ "$(id -u)" -eq 0 ]; then
		# Dovecot never accesses mail as root: use nobody for the mail,
		# its own users for its login and internal processes.
		mailuser=${DOVECOT_MAIL_USER:-nobody}
		internal=${DOVECOT_INTERNAL_USER:-dovecot}
		login=${DOVECOT_LOGIN_USER:-dovenull}
		group=$(id -gn "$internal") || fail "no user $internal"
	else
		mailuser=$(id -un)
		internal=$mailuser login=$mailuser group=$(id -gn)
	fi
	if ! uid=$(id -u "$mailuser") || ! gid=$(id -g "$mailuser"); then
		fail "start_dovecot: no user $mailuser"
	fi
	mkdir -p "$T/mail" "$T/home/$IMAP_USER" "$T/state"
	[ "$(id -u)" -ne 0 ] || chown -R "$uid:$gid" "$T/mail" "$T/home"
	printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$IMAP_USER" "$IMAP_PASS" \
		"$uid" "$gid" "$T/home/$IMAP_USER" >"$T/dovecot.passwd"
	# DOVECOT_USERS=N: users u1..uN too, with the same password.
	local i
	for ((i = 1; i <= ${DOVECOT_USERS:-0}; i++)); do
		printf 'u%d:{PLAIN}%s:%s:%s::%s/home/u%d::\n' "$i" "$IMAP_PASS" \
			"$uid" "$gid" "$T" "$i"
	done >>"$T/dovecot.passwd"
	chmod 0644 "$T/dovecot.passwd"	# read by auth, which runs as $internal

	# Only root may chroot (Dovecot does it for anvil and imap-login).
	local chroot=''
	[ "$(id -u)" -eq 0 ] || chroot=$'  chroot =\n'
	local ssl=${DOVECOT_SSL:-no} imaps_port=0
	if [ "$ssl" != no ]; then
		make_cert
		imaps_port=$IMAPS_PORT
		IMAP_CAFILE=$T/ca.pem
		export IMAP_CAFILE
	fi
	cat >"$conf" <<EOF
# Private test Dovecot written by tests/integration/lib.sh
protocols = imap
listen = 127.0.0.1
instance_name = sd-test-$IMAP_PORT
base_dir = $T/run
state_dir = $T/state
log_path = $T/dovecot.log
ssl = $ssl
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
mail_fsync = never
mail_location = maildir:$T/mail/%u
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = $internal
default_internal_group = $group
default_login_user = $login
verbose_proctitle = yes
namespace inbox {
  inbox = yes
}
# Without the penalty socket the auth process skips anvil's login penalty,
# which otherwise holds the next good login 2-15 s after a failed one.
service anvil {
$chroot  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $T/dovecot.passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $T/dovecot.passwd
}
service imap-login {
$chroot  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
  }
}
EOF
	if [ "$ssl" != no ]; then
		printf '%s\n' "ssl_cert = <$T/cert.pem" "ssl_key = <$T/key.pem" \
			>>"$conf"
	fi
	[ "${DOVECOT_HIBERNATE:-0}" != 1 ] ||
		_it_hibernate_conf "$internal" "$group" >>"$conf"
	# Under faketime(1) (the suite run at another date) Dovecot's
	# processes keep the same clock: it drops the environment otherwise.
	[ -z "${FAKETIME:-}" ] || printf '%s\n' "import_environment = TZ \
CORE_OUTOFMEM CORE_ERROR LISTEN_PID LISTEN_FDS NOTIFY_SOCKET LD_PRELOAD \
FAKETIME FAKETIME_NO_CACHE DONT_FAKE_MONOTONIC NO_FAKE_STAT FAKE_UTIME" >>"$conf"
	[ -z "${DOVECOT_EXTRA:-}" ] || printf '%s\n' "$DOVECOT_EXTRA" >>"$conf"
}

# Dovecot's imap hibernation: a session idle in IDLE for a second is
# handed to imap-hibernate, which watches the mailbox and gives the
# session back to an imap process when it changes (or the client
# speaks).  The imap process (the mail user) passes the session over
# imap-hibernate's socket; imap-hibernate hands it back over imap-master.
_it_hibernate_conf() {	# _it_hibernate_conf INTERNAL_USER GROUP
	cat <<EOF
imap_hibernate_timeout = 1s
service imap {
  extra_groups = $2
  unix_listener imap-master {
    user = $1
  }
}
service imap-hibernate {
  unix_listener imap-hibernate {
    mode = 0660
    group = $2
  }
}
EOF
}

# dovecot_for_many N: call before start_dovecot.  Users u1..uN besides
# IMAP_USER, and the settings a site with N IDLE clients needs: one imap
# process per session would need an inotify instance each (128 per user
# by default), so a few processes hold them all, and imap-login runs in
# high-performance mode; should inotify run out all the same, a session
# looks at its mailbox every second.  Also raises this shell's limit on
# open files.
dovecot_for_many() {
	local n=$1
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	DOVECOT_USERS=$n
	DOVECOT_EXTRA="default_client_limit = $((n + 200))
default_vsz_limit = 1G
mailbox_idle_check_interval = 1s
service imap-login {
  service_count = 0
  client_limit = $((n + 200))
  process_min_avail = 2
}
service imap {
  service_count = 0
  client_limit = $((n / 4 + 50))
  process_limit = 8
}
service auth {
  client_limit = $((n + 200))
}"
}

# stop_dovecot: stop it (the mail stays; start_dovecot brings it back).
stop_dovecot() {
	_it_stop dovecot
}

# restart_dovecot: stop and start again on the same port.
restart_dovecot() {
	stop_dovecot
	start_dovecot
}

# ------------------------------------------------------------- SMTP sink

# start_smtp [--port N] [--mode RULE]... [--starttls | --require-starttls |
#            --smtps]: the recording SMTP sink (smtpsink.py) storing into
# $T/sink.  Exports SMTP_PORT.  A restart reuses $SMTP_PORT and continues
# the numbering.  TLS, with make_cert's certificate (CERT_SAN) and CA
# (exported as SMTP_CAFILE): --starttls offers STARTTLS, --require-starttls
# also refuses mail without it, --smtps is TLS from the first byte (use an
# smtps:// URL).  The .env files' X-Sink-Info line then says tls=TLSv1.3/
# starttls or tls=TLSv1.3/implicit (tls=none without TLS).
start_smtp() {
	local args=() port=${SMTP_PORT:-0} i
	_it_smtp_tls=()
	while [ $# -gt 0 ]; do
		case $1 in
		--port) port=$2; shift 2 ;;
		--starttls|--require-starttls|--smtps)
			_it_smtp_tls+=("$1"); shift ;;
		*) args+=("$1"); shift ;;
		esac
	done
	if [ ${#_it_smtp_tls[@]} -gt 0 ]; then
		make_cert
		SMTP_CAFILE=$T/ca.pem
		export SMTP_CAFILE
		args+=(--tls-cert "$T/cert.pem" --tls-key "$T/key.pem")
		for i in "${_it_smtp_tls[@]}"; do
			case $i in
			--smtps) args+=(--implicit-tls) ;;
			*) args+=("$i") ;;
			esac
		done
	fi
	"$IT_PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
		_it_missing "$IT_PYTHON has no aiosmtpd (python3-aiosmtpd)"
	mkdir -p "$T/sink"
	rm -f "$T/smtp.port"
	_it_bg smtp "$T/smtpsink.log" "$IT_PYTHON" -u "$IT_DIR/smtpsink.py" \
		--port "$port" --port-file "$T/smtp.port" \
		--mode-file "$T/smtp.mode" "${args[@]}" "$T/sink"
	local pid=$_it_lastpid
	i=0
	while [ ! -s "$T/smtp.port" ]; do
		_it_alive "$pid" || fail "start_smtp: the SMTP sink died" \
			"$(cat "$T/smtpsink.log")"
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "start_smtp: no SMTP sink after 10 s" \
			"$(cat "$T/smtpsink.log")"
		sleep 0.1
	done
	SMTP_PORT=$(cat "$T/smtp.port")
	export SMTP_PORT
}

# stop_smtp: stop the sink (SMTP_PORT is kept for restart_smtp).
stop_smtp() {
	_it_stop smtp
}

# restart_smtp [--mode RULE]...: stop and start again on the same port
# (with the TLS options of the last start_smtp).
restart_smtp() {
	local tls=("${_it_smtp_tls[@]}")
	stop_smtp
	start_smtp --port "$SMTP_PORT" "${tls[@]}" "$@"
}

# smtp_mode [RULE]...: make the running sink fail, e.g.
# smtp_mode 'data 452 4.3.1 Insufficient system storage' or
# smtp_mode 'rcpt:x@acme.example 550 5.1.1 No such user'; no RULE: heal.
smtp_mode() {
	if [ $# -eq 0 ]; then
		rm -f "$T/smtp.mode"
	else
		printf '%s\n' "$@" >"$T/smtp.mode.tmp"
		mv "$T/smtp.mode.tmp" "$T/smtp.mode"
	fi
}

# sink_count: how many messages the sink stored.
sink_count() {
	local n=0 f
	for f in "$T"/sink/*.eml; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# sink_has N: true when the sink stored at least N messages
# (wait_until 5 sink_has 2).
sink_has() {
	[ "$(sink_count)" -ge "$1" ]
}

# sink_file N: path of the Nth stored message ($T/sink/000N.eml).
sink_file() {
	printf '%s/sink/%04d.eml\n' "$T" "$1"
}

# sink_env N: path of its envelope (MAIL FROM:<..> / RCPT TO:<..> lines).
sink_env() {
	printf '%s/sink/%04d.env\n' "$T" "$1"
}

# sink_header N NAME: the decoded (RFC 2047, unfolded) header of message N;
# several occurrences give several lines.
sink_header() {
	mail_header "$(sink_file "$1")" "$2"
}

# sink_body N: the decoded text of message N (first text part).
sink_body() {
	mail_body "$(sink_file "$1")"
}

# sink_find ERE: numbers of the stored messages with a line matching ERE
# (raw text, CRLF read as LF), one a line.
sink_find() {
	local f
	for f in "$T"/sink/*.eml; do
		[ -e "$f" ] || continue
		_it_lines "$f" | grep -E -e "$1" >/dev/null || continue
		f=${f##*/}
		f=${f%.eml}
		echo "$((10#$f))"
	done
}

# mail_header FILE NAME / mail_body FILE: as above, for any mail file.
mail_header() {
	"$IT_PYTHON" - "$1" "$2" <<'EOF'
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
for v in m.get_all(sys.argv[2]) or []:
    print(str(v))
EOF
}

mail_body() {
	"$IT_PYTHON" - "$1" <<'EOF'
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
part = m.get_body(preferencelist=("plain", "html"))
if part is not None:
    sys.stdout.write(part.get_content())
EOF
}

# ------------------------------------------------------------ IMAP side

# deliver FILE [INTERNALDATE [FOLDER]]: APPEND FILE to INBOX (or FOLDER),
# unflagged, with the INTERNALDATE given (ISO 8601 such as
# 2026-03-03T03:00:00+05:30, no offset = UTC, or epoch seconds) or now.
# LF and CRLF files both work.  Prints nothing; stops the test on failure.
# Not curl: its APPEND always sets \Seen and cannot set INTERNALDATE.
deliver() {
	local file=$1 date=${2:-} folder=${3:-INBOX} out
	[ -r "$file" ] || fail "deliver: cannot read $file"
	out=$(imaptool append "$file" "$date" "$folder" 2>&1) ||
		fail "deliver: APPEND of $file to $folder failed" "$out"
}

# deliver_many DIR [FOLDER]: APPEND every file of DIR, in name order, over
# one IMAP session (INTERNALDATE now): for hundreds of mails, where
# deliver's process and login per mail cost ~80 ms each.  Stops the test
# on failure.
deliver_many() {
	local dir=$1 folder=${2:-INBOX} out
	[ -d "$dir" ] || fail "deliver_many: no directory $dir"
	out=$(imaptool append-many "$dir" "$folder" 2>&1) ||
		fail "deliver_many: APPEND of $dir to $folder failed" "$out"
}

# deliver_users DIR: APPEND each file DIR/USER.eml to USER's INBOX
# (DOVECOT_USERS), over one process.  Stops the test on failure.
deliver_users() {
	local out
	out=$(imaptool append-users "$1" 2>&1) ||
		fail "deliver_users: APPEND of $1 failed" "$out"
}

# imaptool CMD ARGS...: tests/integration/imaptool.py (append,
# append-many, append-users, count, seen-count, flags, internaldate, fetch, uids,
# uidvalidity, folders, create, delete) against the test Dovecot.
imaptool() {
	IMAP_PORT=${IMAP_PORT:-} "$IT_PYTHON" "$IT_DIR/imaptool.py" "$@"
}

# imap_count [FOLDER]: number of messages.
imap_count() { imaptool count "${1:-INBOX}"; }
# imap_count_seen [FOLDER]: number of messages flagged \Seen.
imap_count_seen() { imaptool seen-count "${1:-INBOX}"; }
# imap_flags N [FOLDER]: flags of message N ("uid:N" for a UID).
imap_flags() { imaptool flags "$1" "${2:-INBOX}"; }
# imap_internaldate N [FOLDER]: INTERNALDATE of message N, ISO 8601.
imap_internaldate() { imaptool internaldate "$1" "${2:-INBOX}"; }
# imap_folders: the folder names.
imap_folders() { imaptool folders; }

# ------------------------------------------------------------- supportd

# write_config [--mailbox LINE]... [--imap LINE]... [--smtp LINE]...
#              [LINE]...
# Writes $T/supportd.conf (exported as CONF) for the test servers.  LINEs
# are libconfig settings: one whose name is already there replaces it
# (libconfig forbids duplicates), others are added.  --mailbox/--imap/
# --smtp go into the mailbox, its imap group, the smtp group; plain LINEs
# are top-level (e.g. 'calendar = { timezone = "UTC"; };', or a whole
# 'mailboxes = (...);' or 'organizations = (...);' to replace ours).
write_config() {
	[ -n "${IMAP_PORT:-}" ] || fail "write_config: start_dovecot first"
	[ -n "${SMTP_PORT:-}" ] || fail "write_config: start_smtp first"
	local top=() mbox=() imap=() smtp=()
	imap=("host = \"127.0.0.1\";" "port = $IMAP_PORT;" "tls = \"none\";"
		"user = \"$(_it_cq "$IMAP_USER")\";"
		"password_file = \"$(_it_cq "$T/imap.pass")\";"
		"folder = \"INBOX\";" "idle = false;")
	mbox=("name = \"support\";" "address = \"support@vendor.example\";"
		"display_name = \"Vendor Support\";")
	smtp=("url = \"smtp://127.0.0.1:$SMTP_PORT\";" "tls = \"none\";")
	local extra_top=()
	while [ $# -gt 0 ]; do
		case $1 in
		--imap) _it_merge imap "$2"; shift 2 ;;
		--mailbox) _it_merge mbox "$2"; shift 2 ;;
		--smtp) _it_merge smtp "$2"; shift 2 ;;
		--) shift; extra_top+=("$@"); break ;;
		*) extra_top+=("$1"); shift ;;
		esac
	done
	local l mb sm
	mb="mailboxes = (
  {"
	for l in "${mbox[@]}"; do mb+=$'\n    '$l; done
	mb+=$'\n    imap = {'
	for l in "${imap[@]}"; do mb+=$'\n      '$l; done
	mb+=$'\n    };\n  }\n);'
	sm="smtp = {"
	for l in "${smtp[@]}"; do sm+=$'\n  '$l; done
	sm+=$'\n};'
	top=("database = \"$(_it_cq "$T/supportd.db")\";"
		"templates_dir = \"$(_it_cq "$SRCDIR/templates")\";"
		"$mb" "$sm"
		"organizations = (
  { name = \"Acme Retail\"; domains = [ \"acme.example\" ]; tier = \"premium\"; }
);")
	for l in "${extra_top[@]}"; do _it_merge top "$l"; done
	printf '%s' "$IMAP_PASS" >"$T/imap.pass"
	chmod 0600 "$T/imap.pass"
	{
		echo "# supportd test configuration written by tests/integration/lib.sh"
		printf '%s\n' "${top[@]}"
	} >"$T/supportd.conf"
	chmod 0600 "$T/supportd.conf"
	CONF=$T/supportd.conf
	export CONF
}

# libconfig string quoting.
_it_cq() {
	local s=${1//\\/\\\\}
	printf '%s' "${s//\"/\\\"}"
}

# _it_merge ARRAY LINE: replace the entry of ARRAY setting the same name
# as LINE, or append LINE.
_it_merge() {
	local -n _a=$1
	local key k i
	key=$(_it_key "$2")
	if [ -n "$key" ]; then
		for i in "${!_a[@]}"; do
			k=$(_it_key "${_a[i]}")
			if [ "$k" = "$key" ]; then
				_a[i]=$2
				return
			fi
		done
	fi
	_a+=("$2")
}

_it_key() {
	local l=${1#"${1%%[![:space:]]*}"}
	case $l in
	[A-Za-z_]*[=:]*) l=${l%%[=:]*}; printf '%s' "${l%"${l##*[![:space:]]}"}" ;;
	esac
}

# Prefix for supportd/supportctl: valgrind on request.
_it_runner() {
	_it_cmd=()
	[ -n "${CONF:-}" ] || fail "write_config before running supportd"
	if [ ! -x "$1" ]; then
		fail "$1 is missing: build it first (make)"
	fi
	if [ "${SUPPORTD_TEST_VALGRIND:-0}" = 1 ]; then
		command -v valgrind >/dev/null || fail "valgrind is not installed"
		if [ "$(head -c 2 "$1")" = "#!" ] && [ -x "$BUILDDIR/libtool" ]; then
			_it_cmd=("$BUILDDIR/libtool" --mode=execute)
		fi
		_it_cmd+=(env G_SLICE=always-malloc G_DEBUG=gc-friendly valgrind
			-q --error-exitcode=99 --leak-check=full
			--errors-for-leak-kinds=definite --track-origins=yes
			"--log-file=$T/valgrind.%p.log")
		[ ! -f "$IT_DIR/valgrind.supp" ] ||
			_it_cmd+=("--suppressions=$IT_DIR/valgrind.supp")
	fi
}

# supportd ARGS...: $BUILDDIR/src/supportd -c $CONF ARGS... (e.g. --once).
supportd() {
	_it_runner "$SUPPORTD_BIN"
	"${_it_cmd[@]}" "$SUPPORTD_BIN" -c "$CONF" "$@"
}

# supportctl ARGS...: $BUILDDIR/src/supportctl -c $CONF ARGS...
supportctl() {
	_it_runner "$SUPPORTCTL_BIN"
	"${_it_cmd[@]}" "$SUPPORTCTL_BIN" -c "$CONF" "$@"
}

# start_supportd ARGS...: supportd --foreground in the background, its
# output in $T/supportd.log (stopped with SIGTERM by stop_supportd or at
# exit).  Leaves its pid in SUPPORTD_PID.
start_supportd() {
	_it_runner "$SUPPORTD_BIN"
	_it_bg supportd "$T/supportd.log" "${_it_cmd[@]}" "$SUPPORTD_BIN" \
		-c "$CONF" --foreground "$@"
	SUPPORTD_PID=$_it_lastpid
	export SUPPORTD_PID
}

# stop_supportd: SIGTERM it and wait (KILL after 5 s).
stop_supportd() {
	_it_stop supportd
}

# sql QUERY: run QUERY on the test database (sqlite3 -batch, | separated).
sql() {
	sqlite3 -batch -noheader "$T/supportd.db" "$1"
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
