# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# lib-smtp.sh - the recording SMTP sink and what it stored.
# Part of the integration harness: sourced by lib.sh, never on its own.

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
		--oauth) oauth_key; args+=(--oauth-key "$T/oauth.key"); shift ;;
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

# sink_body_to ADDR: the body of the last message To ADDR (an ERE), or
# nothing.
sink_body_to() {
	local n
	n=$(sink_find "^To:.*$1" | tail -n 1)
	[ -n "$n" ] && sink_body "$n"
}

# sink_rcpts N: the envelope recipients of message N, sorted, each
# followed by a space.
sink_rcpts() {
	grep '^RCPT TO:' "$(sink_env "$1")" | sed 's/^RCPT TO:<\(.*\)>$/\1/' |
		sort | tr '\n' ' '
}

# sink_text N: the decoded text of message N in a file, for assert_file_lacks
# (the raw mail may be quoted-printable or base64).
sink_text() {
	sink_body "$1" >"$T/sink-text-$1.txt"
	printf '%s\n' "$T/sink-text-$1.txt"
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
