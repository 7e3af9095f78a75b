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
assert_match "$(atts '[0]["sha256"]')" '^[0-9a-f]{64}$' "with its SHA-256"
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
ln -s /tmp/sd-attach-target "$T/out/log.txt"
assert_exit 73 "nor through a link" supportctl attachment 1 "$msg" 4
[ ! -e /tmp/sd-attach-target ] && ok "the link's target was not made" || not_ok "the link's target was not made"
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
it_done
