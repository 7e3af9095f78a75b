# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# lib-supportd.sh - supportd's configuration, running supportd and
# supportctl, and reading its database.
# Part of the integration harness: sourced by lib.sh, never on its own.

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

# once_at ISO, tick_at ISO: supportd --once, supportctl tick, with the
# clock at ISO; a failure is a failed test with the log's end.
once_at() {
	supportd --once --now "$1" >>"$T/run.log" 2>&1 ||
		not_ok "supportd --once --now $1" "$(tail "$T/run.log")"
}
tick_at() {
	supportctl tick --now "$1" >>"$T/run.log" 2>&1 ||
		not_ok "supportctl tick --now $1" "$(tail "$T/run.log")"
}

# ticket_field ID FIELD: FIELD of supportctl show ID --json.
ticket_field() {
	supportctl show "$1" --json | json_get ".$2"
}

# ticket_events ID KIND: how many KIND events ticket ID has.
ticket_events() {
	sql "SELECT count(*) FROM events WHERE ticket_id=$1 AND kind='$2'"
}

# contract_config NAME [SETTING...]: write_config with the policy of
# conf/examples/NAME.conf, every setting after its "# --- policy" line
# (the site above it is this test's), then SETTINGs.
contract_config() {
	local f="$SRCDIR/conf/examples/$1.conf" s settings=()
	shift
	[ -r "$f" ] || fail "contract_config: no $f"
	while IFS= read -r -d '' s; do
		settings+=("$s")
	done < <("$IT_PYTHON" - "$f" <<'EOF'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
text = text[text.index("# --- policy"):]
out, cur, depth, i = [], [], 0, 0
while i < len(text):
    c = text[i]
    if c == '"':
        j = i + 1
        while text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        cur.append(text[i:j + 1])
        i = j + 1
        continue
    if c == "#" or text.startswith("//", i):
        i = text.find("\n", i)
        i = len(text) if i < 0 else i
        continue
    if text.startswith("/*", i):
        i = text.index("*/", i) + 2
        continue
    if c in "([{":
        depth += 1
    elif c in ")]}":
        depth -= 1
    cur.append(c)
    i += 1
    if c == ";" and depth == 0:
        s = "".join(cur).strip()
        if s:
            out.append(s)
        cur = []
if "".join(cur).strip():	# libconfig's last setting may end without ';'
    out.append("".join(cur).strip())
sys.stdout.write("".join(s + "\0" for s in out))
EOF
)
	write_config "${settings[@]}" "$@"
}
