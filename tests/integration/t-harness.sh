#!/bin/bash
# SPDX-License-Identifier: MIT
# Self-test of the integration harness (lib.sh, smtpsink.py, imaptool.py):
# private Dovecot, APPEND with and without INTERNALDATE, the recording SMTP
# sink and its fault modes, IMAPS with a throwaway CA, the config writer,
# and that nothing is left running afterwards.  Needs no supportd binary.

# shellcheck source-path=SCRIPTDIR
# The helpers take optional arguments:
# shellcheck disable=SC2119
. "$(dirname "$0")/lib.sh"
it_init "$0"

# ---- servers
start_dovecot
ok "dovecot answers on 127.0.0.1:$IMAP_PORT"
start_smtp
ok "SMTP sink listens on 127.0.0.1:$SMTP_PORT"
# The pids are process-group leaders; remembered for the final check.
pgids=$(it_pids)

# ---- putting mail in: one LF file, one CRLF file with a date
cat >"$T/m1.eml" <<'EOF'
From: Asha Rao <asha@acme.example>
To: Vendor Support <support@vendor.example>
Subject: C1 System Down: POS terminals offline
Message-ID: <m1.harness@acme.example>
Date: Tue, 03 Mar 2026 03:00:00 +0530

All POS terminals in the Pune store are offline.
EOF
printf '%s\r\n' "From: Li Wei <li@globex.example>" \
	"To: support@vendor.example" "Subject: question" \
	"Message-ID: <m2.harness@globex.example>" \
	"Date: Mon, 02 Mar 2026 09:15:00 +0000" "" "How do I export?" \
	>"$T/m2.eml"
deliver "$T/m1.eml"
deliver "$T/m2.eml" 2026-03-02T09:15:00Z
assert_eq "$(imap_count)" 2 "INBOX has 2 messages"
got=$(imap_internaldate 2)
assert_eq "$(date -u -d "$got" +%FT%TZ)" 2026-03-02T09:15:00Z \
	"INTERNALDATE set by deliver ($got)"
got=$(imap_internaldate 1)
now=$(date +%s)
d=$(($(date -d "$got" +%s) - now))
assert_cmd "INTERNALDATE without a date is now ($got)" test "${d#-}" -lt 120
imaptool fetch 1 | tr -d '\r' >"$T/m1.back"
assert_cmd "message 1 comes back intact" cmp "$T/m1.eml" "$T/m1.back"
assert_eq "$(imaptool fetch 2 | tr -d '\r' | tail -n 1)" "How do I export?" \
	"message 2 comes back intact"
assert_eq "$(imap_count_seen)" 0 "nothing \\Seen yet"
imaptool store 2 '+FLAGS (\Seen)'
assert_eq "$(imap_count_seen)" 1 "one \\Seen after STORE"
assert_match "$(imap_flags 2)" '\\Seen' "imap_flags shows \\Seen"
assert_eq "$(imap_flags uid:1 | grep -c Seen)" 0 "message UID 1 is not \\Seen"
assert_match "$(imap_folders)" 'INBOX' "INBOX is listed"

# A wrong password is refused quickly, and the next good login is not held
# back by Dovecot's login penalty.
start=$(date +%s%N)
IMAP_PASS=wrong assert_fails "wrong password refused" imaptool count
assert_eq "$(imap_count)" 2 "good login right after a failed one"
ms=$((($(date +%s%N) - start) / 1000000))
assert_cmd "failed + good login took ${ms} ms (< 2 s)" test "$ms" -lt 2000

# ---- restart keeps port and mail
restart_dovecot
assert_eq "$(imap_count)" 2 "mail survives restart_dovecot"

# ---- the SMTP sink
smtp() {
	curl -sS --max-time 10 --url "smtp://127.0.0.1:$SMTP_PORT" "$@"
}
printf '%s\r\n' "From: Vendor Support <support@vendor.example>" \
	"To: a@b.example" "Subject: [Ticket#1] Re: hello" \
	"Auto-Submitted: auto-replied" "" "line one" ".dot line" "" "bye" \
	>"$T/out1.eml"
assert_cmd "curl sends with the null sender" \
	smtp --mail-from '' --mail-rcpt a@b.example -T "$T/out1.eml"
assert_eq "$(sink_count)" 1 "sink stored one message"
assert_cmd "stored DATA is byte-identical (CRLF, dot unstuffed)" \
	cmp "$T/out1.eml" "$(sink_file 1)"
assert_eq "$(grep -c '' "$(sink_env 1)")" 3 "envelope has 3 lines"
assert_file_contains "$(sink_env 1)" '^MAIL FROM:<>$' "envelope: MAIL FROM:<>"
assert_file_contains "$(sink_env 1)" '^RCPT TO:<a@b\.example>$' \
	"envelope: RCPT TO:<a@b.example>"
assert_eq "$(sink_header 1 Subject)" "[Ticket#1] Re: hello" "sink_header"
assert_file_contains "$(sink_file 1)" '^Auto-Submitted: auto-replied$' \
	"assert_file_contains: \$ matches before CRLF"
assert_eq "$(sink_body 1 | head -n 2 | tail -n 1)" ".dot line" "sink_body"

assert_cmd "curl sends to two recipients" \
	smtp --mail-from oncall@vendor.example --mail-rcpt x@acme.example \
	--mail-rcpt y@acme.example -T "$T/out1.eml"
assert_eq "$(grep -c '^RCPT TO:' "$(sink_env 2)")" 2 "two RCPT lines"
assert_file_contains "$(sink_env 2)" '^MAIL FROM:<oncall@vendor\.example>$' \
	"envelope: MAIL FROM:<oncall@vendor.example>"
assert_eq "$(sink_find 'oncall|x@acme')" "" "sink_find looks at the data only"
assert_eq "$(sink_find '^\.dot line' | tr '\n' ' ')" "1 2 " "sink_find"

smtp_mode 'data 452 4.3.1 Insufficient system storage'
# curl (and libcurl) report any refusal after DATA as error 8, "Weird
# server reply"; the code itself is only in the transcript.
out=$(smtp -v --mail-from '' --mail-rcpt a@b.example -T "$T/out1.eml" 2>&1)
assert_eq "$?" 8 "smtp_mode data 452: curl fails with 8"
assert_match "$out" '< 452 4\.3\.1' "smtp_mode data 452: the server said 452"
smtp_mode 'rcpt:bad@b.example 550 5.1.1 No such user'
out=$(smtp --mail-from '' --mail-rcpt bad@b.example -T "$T/out1.eml" 2>&1)
assert_match "$out" 'RCPT failed: 550' "smtp_mode rcpt:ADDR 550 refuses"
smtp_mode 'mail 421 4.3.2 Shutting down'
out=$(smtp --mail-from '' --mail-rcpt a@b.example -T "$T/out1.eml" 2>&1)
assert_match "$out" 'MAIL failed: 421' "smtp_mode mail 421 refuses"
smtp_mode
assert_cmd "healed sink accepts again" \
	smtp --mail-from '' --mail-rcpt a@b.example -T "$T/out1.eml"
assert_eq "$(sink_count)" 3 "refused mail was not stored"
restart_smtp
assert_cmd "restarted sink accepts on the same port" \
	smtp --mail-from '' --mail-rcpt a@b.example -T "$T/out1.eml"
assert_cmd "numbering continues after restart" test -s "$(sink_file 4)"

# ---- IMAPS with a throwaway CA
DOVECOT_SSL=yes restart_dovecot
assert_cmd "IMAPS works with the test CA" curl -sS --max-time 10 \
	--cacert "$IMAP_CAFILE" --user "$IMAP_USER:$IMAP_PASS" \
	"imaps://127.0.0.1:$IMAPS_PORT/INBOX" -X 'EXAMINE INBOX'
assert_exit 60 "IMAPS without the CA fails verification" curl -sS \
	--max-time 10 --user "$IMAP_USER:$IMAP_PASS" \
	"imaps://127.0.0.1:$IMAPS_PORT/INBOX" -X 'EXAMINE INBOX'
assert_eq "$(IMAP_SSL=1 IMAP_PORT=$IMAPS_PORT imap_count)" 2 \
	"imaptool over IMAPS"
pgids="$pgids $(it_pids)"

# ---- config writer
write_config --imap 'idle = true;' --mailbox 'processed = "move:Processed";' \
	'poll_interval = "5s";' 'database = "/nonexistent/x.db";'
assert_eq "$CONF" "$T/supportd.conf" "CONF exported"
assert_file_contains "$CONF" "^      port = $IMAP_PORT;$" "config: imap port"
assert_file_contains "$CONF" '^      idle = true;$' "config: --imap replaces"
assert_eq "$(grep -c 'idle = ' "$CONF")" 1 "config: no duplicate setting"
assert_file_contains "$CONF" '^    processed = "move:Processed";$' \
	"config: --mailbox adds"
assert_file_contains "$CONF" "url = \"smtp://127.0.0.1:$SMTP_PORT\";" \
	"config: smtp url"
assert_file_contains "$CONF" '^database = "/nonexistent/x.db";$' \
	"config: top-level line replaces"
assert_file_contains "$CONF" '^poll_interval = "5s";$' "config: extra line"
assert_eq "$(cat "$T/imap.pass")" "$IMAP_PASS" "password file"
write_config
if [ -x "$SUPPORTCTL_BIN" ]; then
	assert_cmd "supportctl check-config accepts the test config" \
		supportctl check-config
else
	skip "supportctl check-config accepts the test config" "not built"
fi

# ---- JSON helpers
js='[{"id":1,"priority":"C1","organization":null,"after_hours":true,
      "requester":{"email":"asha@acme.example"},"messages":[{"n":1},{"n":2}]}]'
assert_eq "$(json_get '.[0].priority' <<<"$js")" C1 "json_get string"
assert_eq "$(json_get '.[0].organization' <<<"$js")" null "json_get null"
assert_eq "$(json_get '.[0].after_hours' <<<"$js")" true "json_get bool"
assert_eq "$(json_get '.[0].requester.email' <<<"$js")" asha@acme.example \
	"json_get nested"
assert_eq "$(json_get '.[0].messages|length' <<<"$js")" 2 "json_get length"
assert_eq "$(json_get '.[-1].messages[1].n' <<<"$js")" 2 "json_get index"
assert_fails "json_get fails on a missing key" json_get '.[0].nope' <<<"$js"
assert_eq "$(json_py 'sum(t["priority"] == "C1" for t in j)' <<<"$js")" 1 \
	"json_py"
assert_eq "$(json_py '[t["priority"] for t in j]' <<<"$js")" "['C1']" \
	"json_py prints like Python"
assert_eq "$(json_py 'j[0]["after_hours"]' <<<"$js")" True "json_py bool"

# ---- stopping leaves nothing behind
it_stop_all
left=
for g in $pgids; do
	kill -0 -- "-$g" 2>/dev/null && left="$left $g"
done
assert_eq "$left" "" "no process group of a server is left"
assert_eq "$(pgrep -f -- "$T" | tr '\n' ' ')" "" "no process mentions \$T"
for p in "IMAP $IMAP_PORT" "IMAPS $IMAPS_PORT" "SMTP $SMTP_PORT"; do
	# shellcheck disable=SC2016 # $1 is bash -c's
	assert_fails "${p% *} port is closed" \
		bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "${p#* }"
done

it_done
