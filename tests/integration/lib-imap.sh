# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# lib-imap.sh - the private Dovecot, and the IMAP side of a test:
# delivering mail and reading the mailbox.
# Part of the integration harness: sourced by lib.sh, never on its own.

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

# oauth_key: the HS256 key the test provider (oauthsrv.py) signs access
# tokens with ($T/oauth.key), and Dovecot's copy of it: base64 in the
# key dict, under the default azp, algorithm and key id.
oauth_key() {
	[ -s "$T/oauth.key" ] && return 0
	mkdir -p "$T/oauth-keys/default/HS256"
	head -c 32 /dev/urandom | base64 -w0 | tr -d '/+=' >"$T/oauth.key"
	base64 -w0 <"$T/oauth.key" >"$T/oauth-keys/default/HS256/default"
	chmod -R a+rX "$T/oauth-keys"
	chmod 0644 "$T/oauth.key"
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

	# DOVECOT_OAUTH2=1: XOAUTH2 and OAUTHBEARER too, with tokens signed
	# by oauth_key's key (SPEC §15.5), checked locally by the oauth2
	# passdb; a password then opens PLAIN and LOGIN only.
	local oauth_mechs='' pw_mechs='' oauth_passdb=''
	if [ "${DOVECOT_OAUTH2:-0}" = 1 ]; then
		oauth_key
		oauth_mechs=' xoauth2 oauthbearer'
		pw_mechs=$'  mechanisms = plain login\n'
		oauth_passdb="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $T/dovecot-oauth2.conf.ext
}"
		printf '%s\n' "introspection_mode = local" \
			"local_validation_key_dict = fs:posix:prefix=$T/oauth-keys/" \
			"username_attribute = email" >"$T/dovecot-oauth2.conf.ext"
		chmod 0644 "$T/dovecot-oauth2.conf.ext"
	fi
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
auth_mechanisms = plain login$oauth_mechs
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
$pw_mechs}
$oauth_passdb
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
