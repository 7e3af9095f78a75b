#!/bin/bash
# SPDX-License-Identifier: MIT
# IMAP over TLS (issue #3 point 1, SPEC §3.1): certificates are verified
# by supportd itself, before LOGIN, against ca_file or the system CAs and
# the host name.  A throwaway CA signs Dovecot's certificate.
. "$(dirname "$0")/lib.sh"
it_init "$0"
DOVECOT_SSL=yes
start_dovecot
start_smtp

logins() {	# successful logins so far, from Dovecot's own log
	grep -c 'imap-login: Info: Login: user=<support>' "$T/dovecot.log" || true
}
mail() {
	printf 'From: ann@acme.example\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@acme.example>\n\nhello\n' \
		"$1" "$2" >"$T/$2.eml"
	deliver "$T/$2.eml"
}

# 1. IMAPS without ca_file: the test CA is not in the system store.
write_config --imap "port = $IMAPS_PORT;" --imap 'tls = "imaps";'
before=$(logins)
supportd --once >"$T/noca.out" 2>&1
assert_ne "$?" 0 "imaps without ca_file: supportd --once fails"
assert_file_contains "$T/noca.out" "port=$IMAPS_PORT: TLS: certificate of 127.0.0.1 refused" \
	"the log says the certificate was refused"
assert_eq "$(logins)" "$before" "no LOGIN was sent to the untrusted server"
assert_file_lacks "$T/noca.out" "test" "the password is not in the log"

# 2. IMAPS with the right ca_file works.
mail "printer on fire" m1
write_config --imap "port = $IMAPS_PORT;" --imap 'tls = "imaps";' \
	--imap "ca_file = \"$IMAP_CAFILE\";"
assert_cmd "imaps with the right ca_file: supportd --once works" supportd --once
assert_eq "$(supportctl list --json | json_get length)" 1 "the mail became a ticket over IMAPS"

# 3. STARTTLS on the plain port, with the CA, works too.
mail "second question" m2
write_config --imap "port = $IMAP_PORT;" --imap 'tls = "starttls";' \
	--imap "ca_file = \"$IMAP_CAFILE\";"
assert_cmd "starttls with the right ca_file: supportd --once works" supportd --once
assert_eq "$(supportctl list --json | json_get length)" 2 "the mail became a ticket over STARTTLS"

# 4. STARTTLS without the CA is refused before LOGIN as well.
write_config --imap "port = $IMAP_PORT;" --imap 'tls = "starttls";'
before=$(logins)
supportd --once >"$T/st-noca.out" 2>&1
assert_ne "$?" 0 "starttls without ca_file: refused"
assert_eq "$(logins)" "$before" "no LOGIN after an unverified STARTTLS"

# 5. A certificate for another host name is refused even with the CA.
stop_dovecot
rm -f "$T/cert.pem" "$T/ca.pem"
CERT_SAN=DNS:imap.vendor.example make_cert
start_dovecot
write_config --imap "port = $IMAPS_PORT;" --imap 'tls = "imaps";' \
	--imap "ca_file = \"$IMAP_CAFILE\";"
before=$(logins)
supportd --once >"$T/host.out" 2>&1
assert_ne "$?" 0 "a certificate for another host name: refused"
assert_file_contains "$T/host.out" "TLS: certificate of 127.0.0.1 refused" "the log names the host"
assert_eq "$(logins)" "$before" "no LOGIN to a server with the wrong name"

# 6. Plain IMAP to a host that is not loopback is a config error...
write_config --imap 'host = "imap.vendor.example";' --imap 'tls = "none";'
out=$(supportctl check-config 2>&1)
assert_eq "$?" 78 "tls=none to a remote host is refused by check-config"
assert_match "$out" "supportd.conf:[0-9]+: mailboxes.\[0\].imap.tls" "...naming file:line"
# ...unless allow_plaintext says so.
write_config --imap 'host = "imap.vendor.example";' --imap 'tls = "none";' \
	--imap 'allow_plaintext = true;'
assert_exit 0 "allow_plaintext = true accepts it" supportctl check-config

# 7. An inline password in a config others can read is warned about.
write_config --imap 'password = "hunter2";' --imap 'password_file = ;'
sed -i '/password_file/d' "$CONF"
chmod 0644 "$CONF"
out=$(supportctl check-config 2>&1)
assert_match "$out" "password inline in a file others can read" "inline password warning"
assert_eq "$(grep -c hunter2 <<<"$out")" 0 "the warning does not print the password"
it_done
