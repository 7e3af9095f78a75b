#!/bin/bash
# SPDX-License-Identifier: MIT
# OAuth2 for IMAP and SMTP (issue #22, SPEC §15), offline against real
# servers: Dovecot's oauth2 passdb validating the tokens locally, the
# test provider oauthsrv.py (client credentials, rotating refresh
# tokens, device code, JWT bearer, failures on demand) and an SMTP sink
# that takes XOAUTH2 and OAUTHBEARER only.  Tokens expire in real time,
# as a provider's do: the waits below are a few seconds of token life.
. "$(dirname "$0")/lib.sh"
it_init "$0"
DOVECOT_OAUTH2=1
DOVECOT_USERS=2
start_dovecot
start_oauth --client app:s3cret-app:support --client dev::support \
	--client other:s3cret-other:u1 --client jwt::u2
start_smtp --oauth
start_http

printf 's3cret-app\n' >"$T/app.secret"
printf 's3cret-other\n' >"$T/other.secret"
chmod 0600 "$T/app.secret" "$T/other.secret"

mint() {	# mint USER SECONDS: a token of the provider's key
	"$IT_PYTHON" - "$T/oauth.key" "$1" "$2" <<'EOF'
import base64, hashlib, hmac, json, sys, time
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
key = open(sys.argv[1], "rb").read().strip()
h = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
p = b(json.dumps({"email": sys.argv[2], "sub": sys.argv[2], "exp": int(time.time()) + int(sys.argv[3])}).encode())
print(h + "." + p + "." + b(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest()))
EOF
}
xoauth2() {	# xoauth2 USER TOKEN: what Dovecot answers to AUTHENTICATE
	"$IT_PYTHON" - "$IMAP_PORT" "$1" "$2" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
try:
    m.authenticate("XOAUTH2", lambda _: ("user=%s\x01auth=Bearer %s\x01\x01" % (sys.argv[2], sys.argv[3])).encode())
    print("OK")
except imaplib.IMAP4.error:
    print("NO")
EOF
}

# 1. The Dovecot of these tests checks what a provider's server would.
assert_eq "$(xoauth2 support "$(mint support 60)")" OK "Dovecot takes a valid token"
assert_eq "$(xoauth2 support "$(mint support -60)")" NO "and refuses an expired one"
assert_eq "$(xoauth2 support "not-a-jwt")" NO "and one that is not a JWT"
assert_eq "$(xoauth2 u1 "$(mint support 60)")" NO "and another user's"
assert_eq "$(xoauth2 support "$IMAP_PASS")" NO "a password is no token"

oauth_group() {	# oauth_group CLIENT GRANT [EXTRA]: an oauth2 group
	printf 'oauth2 = { provider = "generic"; token_url = "%s/token"; device_url = "%s/device"; client_id = "%s"; grant = "%s"; scope = "mail"; timeout = "2s"; %s };' \
		"$OAUTH_URL" "$OAUTH_URL" "$1" "$2" "${3:-}"
}
mailbox() {	# mailbox NAME USER OAUTH2-GROUP: one mailbox of the config
	printf '{ name = "%s"; address = "%s@vendor.example"; imap = { host = "127.0.0.1"; port = %s; tls = "none"; user = "%s"; folder = "INBOX"; idle = false; auth = "oauth2"; %s }; }' \
		"$1" "$2" "$IMAP_PORT" "$2" "$3"
}
APP=$(oauth_group app client_credentials "client_secret_file = \"$T/app.secret\";")
config() {	# config MAILBOX...: those mailboxes, SMTP with the app
	local mbs
	mbs=$(printf '%s,\n' "$@")
	write_config --smtp 'auth = "oauth2";' --smtp 'user = "support";' \
		--smtp "$APP" --smtp "connections = ${SMTP_CONNS:-1};" \
		"mailboxes = ( ${mbs%,} );" \
		"oncall = { webhook = \"http://127.0.0.1:$HTTP_PORT/hook\"; };" \
		${ADMIN:+"$ADMIN"}
}
n=0
mail() {	# mail USER SUBJECT: a customer's mail into USER's INBOX
	n=$((n + 1))
	mkdir -p "$T/in.$n"
	# A sender each: acknowledgements to one sender are rate-limited.
	printf 'From: ann%d@acme.example\nTo: %s@vendor.example\nSubject: %s\nMessage-ID: <m%d@acme.example>\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n\nHello\n' \
		"$n" "$1" "$2" "$n" >"$T/in.$n/$1.eml"
	deliver_users "$T/in.$n"
}
tickets() {
	sql "SELECT count(*) FROM tickets WHERE subject = '$1'"
}
# For wait_until, which runs its command again and again (a $(...) in
# its arguments would be read once).
has_ticket() { [ "$(tickets "$1")" = 1 ]; }
hooks_at_least() { [ "$(ls "$T/http" 2>/dev/null | wc -l)" -ge "$1" ]; }

# 2. Client credentials (Microsoft's app-only grant): IMAP by XOAUTH2,
#    SMTP by OAUTHBEARER, which libcurl picks when both are offered.
config "$(mailbox support support "$APP")"
mail support "first by token"
supportd --once >"$T/once1.log" 2>&1
assert_eq "$?" 0 "supportd --once logs in with tokens only"
assert_eq "$(tickets 'first by token')" 1 "the mail became a ticket"
assert_file_contains "$T/dovecot.log" 'Login: user=<support>, method=XOAUTH2' \
	"IMAP logged in with XOAUTH2"
assert_eq "$(sink_count)" 1 "the acknowledgement went out"
assert_file_contains "$T/sink/0001.env" 'auth=OAUTHBEARER:support' \
	"SMTP authenticated with OAUTHBEARER"
assert_eq "$(oauth_requests ok)" 2 "one token request each for IMAP and SMTP"
mail support "second by token"
supportd --once >"$T/once2.log" 2>&1
assert_eq "$(tickets 'second by token')" 1 "the next run takes mail too"
assert_eq "$(oauth_requests ok)" 2 "with the stored tokens: no new request"

# 3. XOAUTH2 when the relay offers only that.
stop_smtp
start_smtp --port "$SMTP_PORT" --oauth --oauth-mechs XOAUTH2
mail support "relay offers xoauth2"
supportd --once >"$T/once3.log" 2>&1
assert_file_contains "$T/sink/0003.env" 'auth=XOAUTH2:support' \
	"SMTP authenticated with XOAUTH2"

# 4. A token expires between two polls: renewed ahead of expiry, no
#    mail lost.  And a token the server refuses (revoked) is renewed
#    once and the login tried once more.
oauth_mode "expires_in 3"
sql "UPDATE oauth_tokens SET expires_at = obtained_at + 1"
mail support "after expiry"
supportd --once >"$T/once4.log" 2>&1
assert_eq "$(tickets 'after expiry')" 1 "a renewed token took the mail in"
before=$(oauth_requests ok)
sleep 3
mail support "after expiry 2"
supportd --once >"$T/once5.log" 2>&1
assert_eq "$(tickets 'after expiry 2')" 1 "and again after the 3 s token expired"
assert_eq "$(oauth_requests ok)" $((before + 2)) "both logins renewed their expired token"
oauth_mode ""
# Three mails on two SMTP connections: both transactions are refused,
# wait for the one renewal, and go out then.
SMTP_CONNS=2
config "$(mailbox support support "$APP")"
sql "UPDATE oauth_tokens SET access_token = '$(mint support -10)', expires_at = obtained_at + 3600"
mail support "refused token"
mail support "refused token 2"
mail support "refused token 3"
sent=$(sink_count)
refusals=$(grep -c -- '-> 535' "$T/smtpsink.log")
supportd --once >"$T/once6.log" 2>&1
assert_eq "$?" 0 "a run with revoked tokens still succeeds"
assert_eq "$(tickets 'refused token')" 1 "a refused token is renewed and the login tried again"
assert_file_contains "$T/once6.log" 'mailbox=support user=support: XOAUTH2: login refused; renewing the token' \
	"the log says why"
assert_file_contains "$T/once6.log" 'relay refused the token; renewed, trying once more' \
	"SMTP renews a refused token too"
assert_eq "$(sink_count)" $((sent + 3)) "and the three acknowledgements went out, once each"
assert_eq "$(( $(grep -c -- '-> 535' "$T/smtpsink.log") - refusals ))" 2 \
	"both connections had been refused"
assert_eq "$(grep -c 'relay refused the token' "$T/once6.log")" 1 "and renewed the token once"
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE status <> 'sent' AND kind <> 'webhook'")" 0 \
	"nothing is left queued"
SMTP_CONNS=1

# 5. Device login (RFC 8628) and a provider that rotates refresh tokens:
#    supportd killed right after a rotation still has the new one.
DEV=$(oauth_group dev refresh_token)
config "$(mailbox support support "$DEV")"
supportctl oauth status >"$T/status0.txt"
assert_eq "$?" 1 "status says a login is needed (exit 1)"
assert_file_contains "$T/status0.txt" 'imap:support +needs-login' "and which"
oauth_mode "device_pending 1" "rotate" "expires_in 2"
supportctl oauth login support >"$T/login.txt" 2>&1
assert_eq "$?" 0 "supportctl oauth login signs in"
assert_file_contains "$T/login.txt" 'enter the code WDJB-MJHT' "it prints the code"
assert_eq "$(oauth_requests pending) $(oauth_requests slow_down) $(oauth_requests signed_in)" \
	"1 1 1" "it polled through pending and slow_down"
assert_eq "$(sql "SELECT refresh_token IS NOT NULL FROM oauth_tokens WHERE name = 'imap:support'")" 1 \
	"the refresh token is stored"
sleep 2		# the access token expires
start_supportd
wait_until 20 grep -q 'auth=xoauth2: connected' "$T/supportd.log" ||
	fail "the daemon did not log in" "$(cat "$T/supportd.log")"
kill -9 "$SUPPORTD_PID"
wait "$SUPPORTD_PID" 2>/dev/null
assert_eq "$(oauth_requests rotated)" 1 "the provider rotated the refresh token"
current=$("$IT_PYTHON" -c "import json; print(' '.join(json.load(open('$T/oauth/refresh.json'))))")
assert_eq "$(sql "SELECT refresh_token FROM oauth_tokens WHERE name = 'imap:support'")" "$current" \
	"killed after the rotation, supportd had saved the new refresh token"
sleep 2
mail support "after the kill"
supportd --once >"$T/once7.log" 2>&1
assert_eq "$(tickets 'after the kill')" 1 "the next start works"
assert_eq "$(oauth_requests bad_refresh)" 0 "no refresh token was used twice"

# A refresh token got elsewhere (Google offers no device sign-in for
# the Gmail scope) is stored with --file.
"$IT_PYTHON" -c "import json; print(list(json.load(open('$T/oauth/refresh.json')))[0])" >"$T/rt.txt"
sql "DELETE FROM oauth_tokens WHERE name = 'imap:support'"
supportctl oauth login support --file "$T/rt.txt" >"$T/login2.txt" 2>&1
assert_eq "$?" 0 "supportctl oauth login --file stores a refresh token"
sleep 2
mail support "by a stored refresh token"
supportd --once >"$T/once7b.log" 2>&1
assert_eq "$(tickets 'by a stored refresh token')" 1 "and supportd uses it"

# 6. invalid_grant: that mailbox stops and says so, the others go on;
# the administrators hear of it (SPEC §16.3).
OTHER=$(oauth_group other client_credentials "client_secret_file = \"$T/other.secret\";")
ADMIN='admin = { emails = [ "ops@vendor.example" ]; };'
admin_mails() { sink_find "^Subject: supportd (ALERT|RECOVERED): OAuth2 login imap:sales $1" | wc -l; }
config "$(mailbox support support "$APP")" "$(mailbox sales u1 "$OTHER")"
oauth_mode "invalid_grant other"
mail support "support goes on"
mail u1 "sales is stuck"
supportd --once >"$T/once8.log" 2>&1
assert_ne "$?" 0 "the run reports the failed mailbox"
assert_eq "$(tickets 'support goes on')" 1 "the other mailbox went on"
assert_eq "$(tickets 'sales is stuck')" 0 "the refused one took nothing"
assert_file_contains "$T/once8.log" 'level=error oauth: login=imap:sales: refused for good: invalid_grant' \
	"an error-level line names the login and the reason"
wait_until 10 hooks_at_least 1
assert_eq "$(grep -l 'oauth-failed' "$T"/http/*.json 2>/dev/null | wc -l)" 1 \
	"an oauth-failed webhook event was posted"
supportd --once >"$T/once9.log" 2>&1
assert_eq "$(grep -l 'oauth-failed' "$T"/http/*.json 2>/dev/null | wc -l)" 1 \
	"once, not again at the next run"
assert_eq "$(admin_mails 'fails$')" 1 "one alert mail tells the administrators"
assert_match "$(sink_body "$(sink_find '^Subject: supportd ALERT: OAuth2 login')")" \
	"refused for good: invalid_grant" "...why"
supportctl oauth status --json >"$T/status.json"
assert_eq "$?" 1 "status exits 1"
assert_eq "$(json_get '.[1].state' "$T/status.json")" refused "and says refused for sales"
assert_eq "$(json_get '.[0].state' "$T/status.json")" ok "ok for support"
oauth_mode ""
sql "UPDATE oauth_tokens SET next_try = 0 WHERE name = 'imap:sales'"
supportd --once >"$T/once10.log" 2>&1
assert_eq "$(tickets 'sales is stuck')" 1 "mended at the provider, the mailbox takes its mail"
assert_file_contains "$T/once10.log" 'login=imap:sales: token obtained again' "and says so"
assert_eq "$(admin_mails 'works again$')" 1 "and the administrators hear it recovered"
ADMIN=

# 7. The token endpoint down: backoff, no busy loop, recovery.
config "$(mailbox support support "$APP")"
sql "UPDATE oauth_tokens SET expires_at = obtained_at + 1"
oauth_mode "fail 503"
before=$(oauth_requests fail503)
mail support "endpoint down"
start_supportd
sleep 12
asked=$(( $(oauth_requests fail503) - before ))
assert_match "$asked" '^[1-4]$' "in 12 s down the endpoint was asked $asked times (backoff 5, 10 s)"
assert_eq "$(tickets 'endpoint down')" 0 "no mail while there is no token"
oauth_mode ""
wait_until 40 has_ticket 'endpoint down'
assert_eq "$(tickets 'endpoint down')" 1 "recovered by itself once the endpoint answers"
stop_supportd

# 8. A slow endpoint is cut at the timeout (2 s here).
sql "UPDATE oauth_tokens SET expires_at = obtained_at + 1, next_try = 0"
oauth_mode "slow 4"
supportd --once >"$T/once11.log" 2>&1
assert_file_contains "$T/once11.log" 'token request failed: Timeout' "a slow answer times out"
oauth_mode ""

# 9. Google's service account: an RS256 assertion (JWT bearer), from a
#    token endpoint over TLS whose certificate is verified.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/sa.pem" 2>/dev/null
openssl pkey -in "$T/sa.pem" -pubout -out "$T/sa.pub" 2>/dev/null
"$IT_PYTHON" -c "import json,sys; json.dump({'type': 'service_account', 'client_email': 'sd@proj.iam.example', 'private_key_id': 'k1', 'private_key': open('$T/sa.pem').read()}, open('$T/sa.json', 'w'))"
chmod 0600 "$T/sa.json"
_it_stop oauth
start_oauth --tls --jwt-pubkey "$T/sa.pub"
assert_match "$OAUTH_URL" '^https://' "the provider speaks TLS now"
jwt_group() {	# jwt_group [EXTRA]
	printf 'oauth2 = { provider = "generic"; token_url = "%s/token"; grant = "jwt_bearer"; key_file = "%s"; scope = "https://mail.google.com/"; %s };' \
		"$OAUTH_URL" "$T/sa.json" "${1:-}"
}
config "$(mailbox gmail u2 "$(jwt_group)")"
mail u2 "by service account"
asked=$(oauth_requests)
supportd --once >"$T/once12.log" 2>&1
assert_eq "$(tickets 'by service account')" 0 "a provider whose certificate is not trusted gets no request"
assert_file_contains "$T/once12.log" 'level=error oauth: login=imap:gmail: cannot ask for a token: .*(certificate|SSL)' \
	"an error-level line says the certificate was refused"
supportctl oauth status --json >"$T/status9.json"
assert_eq "$(json_get '.[0].state' "$T/status9.json")" failing \
	"our side's problem leaves the grant usable: failing, not refused"
gmail_alerts() { grep -l 'imap:gmail' "$T"/http/*.json 2>/dev/null | wc -l; }
gmail_posted() { [ "$(gmail_alerts)" -ge 1 ]; }
wait_until 10 gmail_posted
assert_eq "$(gmail_alerts)" 1 "and is posted to the webhook"
sql "UPDATE oauth_tokens SET next_try = 0 WHERE name = 'imap:gmail'"
supportd --once >"$T/once12b.log" 2>&1
assert_file_contains "$T/once12b.log" 'login=imap:gmail: token request failed' "tried again after the backoff"
assert_eq "$(gmail_alerts)" 1 "without a second alert for the same run of failures"
assert_eq "$(oauth_requests)" "$asked" "the untrusted endpoint was sent nothing"
before=$(oauth_requests ok)
config "$(mailbox gmail u2 "$(jwt_group "ca_file = \"$T/ca.pem\";")")"
sql "DELETE FROM oauth_tokens WHERE name = 'imap:gmail'"
supportd --once >"$T/once13.log" 2>&1
assert_eq "$(tickets 'by service account')" 1 "trusted, the service account's assertion got the token"
assert_eq "$(oauth_requests ok)" $((before + 1)) "one request"
assert_eq "$(oauth_requests bad_assertion)" 0 "the provider found the RS256 signature good"

# 10. No token or secret in any log line or JSON output.
cat "$T"/once*.log "$T/supportd.log" "$T"/status*.json "$T"/status*.txt \
	"$T"/login*.txt >"$T/all-output"
printf '%s\n' s3cret-app s3cret-other >>"$T/oauth/issued.log"
leaks=$(grep -c -F -f "$T/oauth/issued.log" "$T/all-output")
assert_eq "$leaks" 0 "no token or secret was logged or printed"

it_done
