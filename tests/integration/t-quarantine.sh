#!/bin/bash
# SPDX-License-Identifier: MIT
# Quarantine (issue #3 point 8, SPEC §3.7a): a mail that cannot be
# processed is kept with its reason, marked on the server so it is not
# fetched again, listed by supportctl quarantine, and the mails after it
# are processed.  A mail over a work bound is read as far as the bound.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
write_config
F=$SRCDIR/tests/fixtures
good() {
	printf 'From: ann@acme.example\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@acme.example>\n\nhello\n' \
		"$1" "$1" >"$T/$1.eml"
	deliver "$T/$1.eml"
}
good before
deliver "$F/corpus/malformed/mailparser-outlook-msg-binary.eml"	# not a mail at all
deliver "$F/mail/0011-no-from.eml"				# nobody to answer
good after
assert_cmd "supportd --once goes through the bad mails" supportd --once
assert_eq "$(supportctl list --json | json_py '[t["subject"] for t in j]')" "['before', 'after']" \
	"the good mails before and after became tickets"
supportctl quarantine --json >"$T/q.json"
assert_eq "$(json_get length "$T/q.json")" 2 "two mails quarantined"
assert_eq "$(json_py '[q["uid"] for q in j]' "$T/q.json")" "[2, 3]" "with their UIDs"
assert_eq "$(json_py 'all(q["reason"] for q in j)' "$T/q.json")" True "each with a reason"
assert_match "$(json_get '.[1].reason' "$T/q.json")" "no sender address" "the reason says what is wrong"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE disposition='quarantined' AND length(raw) > 0")" 2 \
	"the raw mail is kept"
assert_eq "$(imap_count_seen)" 4 "all four are marked on the server"
assert_match "$(supportctl quarantine)" "uid=3 from=-: no sender address" "a plain listing too"
assert_cmd "a second cycle" supportd --once
assert_eq "$(supportctl quarantine --json | json_get length)" 2 "nothing is fetched or quarantined twice"
assert_eq "$(sink_count)" 2 "only the good mails were answered"

# Work per mail is bounded: a mail of 600 parts is read as far as the
# 500-part limit, made a ticket of, and says what was left unread.
{
	printf 'From: ann@acme.example\nTo: support@vendor.example\nSubject: wide\n'
	printf 'Message-ID: <wide@acme.example>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="w"\n\n--w\n\nthe text\n'
	for i in $(seq 600); do printf -- '--w\nContent-Type: application/octet-stream; name="f%d.bin"\n\nx\n' "$i"; done
	printf -- '--w--\n'
} >"$T/wide.eml"
deliver "$T/wide.eml"
assert_cmd "supportd --once takes the wide mail" supportd --once
assert_eq "$(sql "SELECT disposition || ': ' || reason FROM messages WHERE message_id='wide@acme.example'")" \
	"ticket: more than 500 MIME parts" "the wide mail is a ticket, its message says what was cut"
assert_eq "$(sql "SELECT count(*) FROM events e JOIN messages m ON m.ticket_id = e.ticket_id
	WHERE m.message_id='wide@acme.example' AND e.kind='parse-limit'")" 1 "and so does a parse-limit event"
it_done
