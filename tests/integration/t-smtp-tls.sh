#!/bin/bash
# SPDX-License-Identifier: MIT
# SMTP over TLS (issue #3 point 1, SPEC §8): tls = "starttls" with the
# relay's CA in ca_file delivers over STARTTLS; a relay that offers no
# STARTTLS gets nothing in plaintext; a certificate that does not lead to
# ca_file (none given: the test CA is not a system CA) or does not name
# the host is refused; smtps:// is TLS from the first byte.  A refused
# response stays queued with its error and goes out once the relay can
# be trusted.  The sink's X-Sink-Info line says how each mail came in.
. "$(dirname "$0")/lib.sh"
it_init "$0"
# The server certificate names 127.0.0.1 only: smtp://localhost must fail.
CERT_SAN=IP:127.0.0.1
start_dovecot
start_smtp --starttls

n=0
mail() {	# mail NAME: deliver a new mail from NAME@acme.example
	n=$((n + 1))
	printf '%s\n' "From: $1 <$1@acme.example>" "To: support@vendor.example" \
		"Subject: tls case $1" "Message-ID: <$1.tls@acme.example>" "" \
		"hello" >"$T/$1.eml"
	deliver "$T/$1.eml"
}
# row NAME FIELD: a field of the outbox row answering NAME's mail
# (supportctl outbox --all --json).
row() {
	supportctl outbox --all --json |
		json_py "[r['$2'] for r in j if r['rcpts'] == '$1@acme.example'][0]"
}
# tls_of N: the tls= word of the sink's message N.
tls_of() {
	sed -n 's/^X-Sink-Info: .* tls=\([^ ]*\).*$/\1/p' "$(sink_env "$1")"
}
CA="ca_file = \"$(_it_cq "$SMTP_CAFILE")\";"
URL="url = \"smtp://127.0.0.1:$SMTP_PORT\";"

# --- (a) STARTTLS with the CA -----------------------------------------
write_config --smtp 'tls = "starttls";' --smtp "$CA"
mail ann
assert_cmd "(a) supportd --once with tls=starttls and ca_file" supportd --once
assert_eq "$(sink_count)" 1 "(a) the response was delivered"
assert_match "$(tls_of 1)" '^TLSv1\.[23]/starttls$' \
	"(a) over STARTTLS (X-Sink-Info tls=$(tls_of 1))"
assert_eq "$(row ann status)" sent "(a) its outbox row is sent"

# --- (b) the relay offers no STARTTLS: nothing in plaintext -------------
stop_smtp
start_smtp --port "$SMTP_PORT"
off=$(stat -c %s "$T/smtpsink.log")
mail bob
supportd --once >"$T/b.out" 2>&1
note "(b) supportd --once exit status $?"
assert_eq "$(sink_count)" 1 "(b) nothing delivered to a relay without STARTTLS"
if tail -c +$((off + 1)) "$T/smtpsink.log" | grep -E 'MAIL FROM|DATA' >/dev/null; then
	not_ok "(b) the envelope never went out in plaintext" \
		"$(tail -c +$((off + 1)) "$T/smtpsink.log")"
else
	ok "(b) the envelope never went out in plaintext"
fi
assert_eq "$(row bob status)" queued "(b) the response stays queued"
assert_match "$(row bob last_error)" '[Ss][Ss][Ll]|TLS|STARTTLS' \
	"(b) supportctl outbox --json shows the error: $(row bob last_error)"

# --- (c) STARTTLS without ca_file: the test CA is not a system CA --------
stop_smtp
start_smtp --port "$SMTP_PORT" --starttls
write_config --smtp 'tls = "starttls";'
mail cat
supportd --once >"$T/c.out" 2>&1
note "(c) supportd --once exit status $?"
assert_eq "$(sink_count)" 1 "(c) nothing delivered to an untrusted certificate"
assert_eq "$(row cat status)" queued "(c) the response stays queued"
assert_match "$(row cat last_error)" '[Cc]ertificate|SSL|verif' \
	"(c) with a certificate error: $(row cat last_error)"

# --- (c2) the certificate does not name the host --------------------------
write_config --smtp "url = \"smtp://localhost:$SMTP_PORT\";" \
	--smtp 'tls = "starttls";' --smtp "$CA"
mail dan
supportd --once >"$T/c2.out" 2>&1
assert_eq "$(sink_count)" 1 "(c2) nothing delivered to a certificate for another name"
assert_eq "$(row dan status)" queued "(c2) the response stays queued"
assert_match "$(row dan last_error)" '[Cc]ertificate|SSL|match|name' \
	"(c2) with a name error: $(row dan last_error)"

# --- (d) smtps://: implicit TLS with the CA ------------------------------
stop_smtp
start_smtp --port "$SMTP_PORT" --smtps
write_config --smtp "url = \"smtps://127.0.0.1:$SMTP_PORT\";" \
	--smtp 'tls = "smtps";' --smtp "$CA"
mail eve
assert_cmd "(d) supportd --once with an smtps:// URL and ca_file" supportd --once
assert_eq "$(sink_count)" 2 "(d) the response was delivered"
assert_match "$(tls_of 2)" '^TLSv1\.[23]/implicit$' \
	"(d) over implicit TLS (X-Sink-Info tls=$(tls_of 2))"
assert_eq "$(row eve status)" sent "(d) its outbox row is sent"

# --- (d2) smtps:// without ca_file is refused too -------------------------
write_config --smtp "url = \"smtps://127.0.0.1:$SMTP_PORT\";" \
	--smtp 'tls = "smtps";'
mail fay
supportd --once >"$T/d2.out" 2>&1
assert_eq "$(sink_count)" 2 "(d2) smtps:// to an untrusted certificate: not delivered"
assert_eq "$(row fay status)" queued "(d2) the response stays queued"

# --- config rules ----------------------------------------------------------
write_config --smtp "url = \"smtps://127.0.0.1:$SMTP_PORT\";" \
	--smtp 'tls = "starttls";'
assert_exit 78 "an smtps:// URL with tls = \"starttls\" is a config error" \
	supportd -n
write_config --smtp "$URL" --smtp 'tls = "smtps";'
assert_exit 78 "tls = \"smtps\" with an smtp:// URL is a config error" \
	supportd -n

# --- the refused responses go out once the relay is trusted ---------------
stop_smtp
start_smtp --port "$SMTP_PORT" --require-starttls
write_config --smtp "$URL" --smtp 'tls = "starttls";' --smtp "$CA"
later=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%S+00:00)
assert_cmd "a later cycle with the CA" supportd --once --now "$later"
assert_eq "$(sink_count)" 6 "the four refused responses are delivered"
assert_eq "$(for i in 3 4 5 6; do tls_of "$i"; done | sed 's,^TLSv1\.[23]/,,' |
	sort -u)" starttls "all of them over STARTTLS"
assert_eq "$(supportctl outbox --json | json_get length)" 0 \
	"nothing is left in the outbox"
assert_eq "$(sql "SELECT count(DISTINCT message_id) || ' ' || count(*) FROM outbox")" \
	"6 6" "one response per mail, none twice"
it_done
