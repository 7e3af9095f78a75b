#!/bin/bash
# SPDX-License-Identifier: MIT
# Attachments both ways (issue #20 point 5, SPEC §13.5).  In: every
# attachment of a mail is recorded (name, type, size, SHA-256), listed by
# show and in the team's notification, and written out again by
# supportctl attachment (never outside the current directory by default,
# never over a file) and raw.  Out: an agent's attachments, by mail or
# supportctl reply --attach, reach the customer as multipart/mixed with
# RFC 2231 names; max_outgoing_attachments refuses more, saying so.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
config() {
	write_config 'agents = [ "bob@vendor.example" ];' 'agents_require_auth = false;' \
		'team = { emails = [ "team@vendor.example" ]; };' "$@"
}
config
sed 's/^From: Carol <carol@customer.example>/From: Ann <ann@acme.example>/' \
	"$SRCDIR/tests/fixtures/mail/0007-attachment-rfc2231.eml" >"$T/in.eml"
deliver "$T/in.eml"
assert_cmd "a mail with four attachments" supportd --once
msg=$(sql "SELECT id FROM messages WHERE message_id='0007@customer.example'")
supportctl show 1 --json >"$T/show.json"
atts() { json_py "[m for m in j['messages'] if m['id'] == $msg][0]['attachments']$1" "$T/show.json"; }
assert_eq "$(atts '.__len__()')" 4 "show --json lists the four, inline image included"
assert_eq "$(atts '[0]["name"]') $(atts '[0]["content_type"]') $(atts '[0]["size"]')" \
	"€ rates.pdf application/pdf 1040" "name (RFC 2231), type and size"
assert_eq "$(atts '[1]["name"]') $(atts '[2]["name"]') $(atts '[2]["content_type"]') $(atts '[3]["name"]')" \
	"evil.exe None image/png log.txt" "a path in a name is cut; an inline image has none"
want=$("$IT_PYTHON" -c 'import email, email.policy, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(hashlib.sha256(next(m.iter_attachments()).get_payload(decode=True)).hexdigest())' "$T/in.eml")
assert_eq "$(atts '[0]["sha256"]')" "$want" "with its SHA-256, of the decoded part"
assert_eq "$(supportctl search --json evil | json_py '[(t["id"], t["message"]) for t in j]')" "[(1, $msg)]" \
	"search finds an attachment's name"
assert_match "$(supportctl show 1)" "attachment 1: € rates\\.pdf \\(application/pdf, 1040 bytes" \
	"show lists them for people"
k=$(sink_find '^Subject: \[C3\] New \[Ticket#1\]')
assert_match "$(sink_body "$k")" $'\nAttachments:\n  € rates\\.pdf \\(application/pdf, 1\\.0 KiB\\)\n  evil\\.exe \\(application/x-msdownload, 2 bytes\\)' \
	"the team's notification lists them with their sizes"

# --- written out again ---------------------------------------------------
mkdir "$T/out"
cd "$T/out" || fail "cd"
assert_eq "$(supportctl attachment 1 "$msg" 1)" "€ rates.pdf" "attachment: into the current directory, by its name"
assert_eq "$(sha256sum '€ rates.pdf' | cut -d' ' -f1)" "$(atts '[0]["sha256"]')" \
	"the bytes are those recorded"
assert_exit 73 "never over a file that is there (EX_CANTCREAT)" supportctl attachment 1 "$msg" 1
assert_eq "$(supportctl attachment 1 "$msg" 2)" "evil.exe" "a name with a path: its last part only"
assert_eq "$(supportctl attachment 1 "$msg" 3)" "attachment-$msg-3" "no name: attachment-MSG-N"
assert_eq "$(ls -A "$T/out" | wc -l)" 3 "nothing written elsewhere"
[ ! -e "$T/evil.exe" ] && [ ! -e "$T/Windows" ] && [ ! -e /log.txt ] &&
	ok "...not above it either" || not_ok "...not above it either"
ln -s "$T/attach-target" "$T/out/log.txt"
assert_exit 73 "nor through a link" supportctl attachment 1 "$msg" 4
[ ! -e "$T/attach-target" ] && ok "the link's target was not made" || not_ok "the link's target was not made"
assert_eq "$(supportctl attachment 1 "$msg" 4 -o - )" "log line" "-o - writes to standard output"
assert_cmd "-o FILE" supportctl attachment 1 "$msg" 1 -o "$T/rates.pdf"
cmp -s "$T/rates.pdf" "$T/out/€ rates.pdf" && ok "-o FILE writes there" || not_ok "-o FILE writes there"
assert_exit 65 "an attachment it does not have" supportctl attachment 1 "$msg" 5
assert_exit 65 "a mail of another ticket" supportctl attachment 2 "$msg" 1
assert_exit 64 "N counts from 1" supportctl attachment 1 "$msg" 0
cd "$T" || fail "cd"
supportctl raw 1 "$msg" >"$T/raw.eml"
assert_file_contains "$T/raw.eml" '^Message-ID: <0007@customer\.example>$' "raw writes the mail as it came"
assert_eq "$(grep -c 'JVBERi0xLjQKAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v' "$T/raw.eml")" 1 \
	"attachments and all"

# --- out: supportctl reply --attach --------------------------------------
# parts N: "filename sha256" of each attachment of sunk mail N.
parts() {
	"$IT_PYTHON" - "$(sink_file "$1")" <<'PY'
import email, email.policy, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_content_type())
for p in m.iter_attachments():
    print(p.get_filename(), hashlib.sha256(p.get_content() if isinstance(p.get_content(), bytes) else p.get_payload(decode=True)).hexdigest())
PY
}
printf 'diff --git a/x b/x\n+fixed\n' >"$T/patch.txt"
head -c 300000 /dev/urandom >"$T/Größe Ärger.bin"
printf 'Here is the fix.\n' | supportctl reply 1 --file - --attach "$T/patch.txt" \
	--attach "$T/Größe Ärger.bin" --by bob@vendor.example >/dev/null
supportctl tick >/dev/null 2>&1
r=$(sink_find 'Here is the fix' | tail -n 1)
assert_eq "$(parts "$r")" "multipart/mixed
patch.txt $(sha256sum "$T/patch.txt" | cut -d' ' -f1)
Größe Ärger.bin $(sha256sum "$T/Größe Ärger.bin" | cut -d' ' -f1)" \
	"reply --attach: multipart/mixed, names (RFC 2231) and bytes as sent"
assert_eq "$(sink_header "$r" To)" "Ann <ann@acme.example>" "to the customer"
out=$(supportctl show 1 --json | json_py '[a["name"] + " " + str(a["size"]) for m in j["messages"] if m["direction"] == "out" and m["attachments"] for a in m["attachments"]]')
assert_eq "$out" "['patch.txt $(stat -c %s "$T/patch.txt")', 'Größe Ärger.bin 300000']" "what went out is recorded with its mail"
assert_exit 66 "a file that is not there (EX_NOINPUT)" sh -c "echo x | '$SUPPORTCTL_BIN' -c '$CONF' reply 1 --file - --attach '$T/nope'"
assert_exit 65 "an internal note carries none" sh -c "echo x | '$SUPPORTCTL_BIN' -c '$CONF' reply 1 --file - --internal --attach '$T/patch.txt'"

# --- out: an agent's mail with an attachment -----------------------------
agent_mail() {	# agent_mail ID BODY NAME CONTENT-FILE
	{
		printf 'From: bob@vendor.example\nTo: support@vendor.example\nSubject: Re: [Ticket#1]\n'
		printf 'Message-ID: <%s@test>\nMIME-Version: 1.0\n' "$1"
		printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n%s\n' "$2"
		printf -- '--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; %s\n' "$3"
		printf 'Content-Transfer-Encoding: base64\n\n'
		base64 "$4"
		printf -- '--b--\n'
	} >"$T/$1.eml"
	deliver "$T/$1.eml"
	supportd --once >>"$T/run.log" 2>&1 || not_ok "supportd --once takes in $1" "$(tail "$T/run.log")"
}
agent_mail a1 'The log you asked for.

On Mon, Ann wrote:
> old' "filename*=UTF-8''x.log%0D%0ABcc%3A%20eve%40evil.example" "$T/patch.txt"
r=$(sink_find 'The log you asked for' | tail -n 1)
assert_match "$r" '^[0-9]+$' "an agent's mail with an attachment reaches the customer"
assert_match "$(parts "$r")" "^multipart/mixed
x\.log.*Bcc.* $(sha256sum "$T/patch.txt" | cut -d' ' -f1)$" "with the attachment, its bytes as they came"
assert_file_contains "$(sink_file "$r")" '^ filename="x\.log  Bcc: eve@evil\.example"$' \
	"a name that tries a header stays a quoted parameter, its line ends made spaces"
assert_file_lacks "$(sink_file "$r")" '^Bcc:' "and starts no header"

# --- max_outgoing_attachments ---------------------------------------------
config 'max_outgoing_attachments = "1K";'
out=$(printf 'x\n' | supportctl reply 1 --file - --attach "$T/Größe Ärger.bin" 2>&1)
assert_eq "$?" 65 "reply --attach over max_outgoing_attachments is refused (EX_DATAERR)"
assert_match "$out" 'over max_outgoing_attachments \(1024\)' "saying why"
before=$(sink_find '^To:.*ann@acme\.example' | wc -l)
agent_mail a2 'Too big for the limit.' 'filename="big.bin"' "$T/Größe Ärger.bin"
assert_eq "$(sink_find '^To:.*ann@acme\.example' | wc -l)" "$before" "an agent's mail over it reaches nobody"
k=$(sink_find '^Subject: \[Ticket#1\] Not applied' | tail -n 1)
assert_match "$(sink_body "$k")" 'over max_outgoing_attachments \(1024\)' "and the agent is told why"
# --- names that are the sender's to choose ----------------------------------
long=$(printf 'x%.0s' $(seq 1 300))
{
	printf 'From: ann@acme.example\nTo: support@vendor.example\nSubject: [Ticket#1] names\n'
	printf 'Message-ID: <names@acme.example>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nTwo files.\n'
	printf -- "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename*=UTF-8''%%1B%%5B2Jred.txt\n\nred\n"
	printf -- '--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename="%s.txt"\n\nlong\n--b--\n' "$long"
} >"$T/names.eml"
deliver "$T/names.eml"
assert_cmd "a mail with hostile names" supportd --once
m2=$(sql "SELECT id FROM messages WHERE message_id='names@acme.example'")
out=$(supportctl show 1)
assert_match "$out" "attachment 1: \[2Jred\.txt " "a control character in a name was dropped when taken in"
assert_eq "$(printf '%s' "$out" | tr -d '\n' | tr -dc '\033' | wc -c)" 0 "and none reaches the terminal"
assert_eq "$(supportctl attachment 1 "$m2" 2 | wc -c)" 201 "a name over 200 bytes is cut to 200 for a file"
it_done
