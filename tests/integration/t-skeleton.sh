#!/bin/bash
# SPDX-License-Identifier: MIT
# The walking skeleton end to end (issue #2, SPEC §2, §3.6, §3.8, §8):
# real Dovecot in, real SMTP server out, tickets asserted with supportctl
# --json and responses asserted on the exact mail the server received.
. "$(dirname "$0")/lib.sh"
it_init "$0"
# Mail arrives (INTERNALDATE) and is taken in on Monday 11:00 IST, in
# business hours, whenever the test runs: after-hours handling has its
# own test.  It lies in the past because Dovecot replaces an APPEND date
# in the future with the time of arrival.
NOW=2026-11-16T11:00:00+05:30
start_dovecot
start_smtp
write_config

mail() {	# mail FILE FROM SUBJECT MSGID [EXTRA-HEADER-LINES]
	{
		printf 'From: %s\nTo: Vendor Support <support@vendor.example>\n' "$2"
		printf 'Subject: %s\nMessage-ID: <%s>\n' "$3" "$4"
		printf 'Date: Fri, 20 Nov 2026 10:00:00 +0000\n'
		[ -z "${5:-}" ] || printf '%s\n' "$5"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n'
		printf 'Hello,\nsomething is wrong.\n'
	} >"$T/$1"
}

mail c1.eml 'Ann Admin <ann@acme.example>' 'C1: checkout is down' c1@acme.example
mail abc1.eml 'bob@unknown.example' 'Order ABC1 looks odd' abc1@unknown.example
# "System Down" only after RFC 2047 decoding (base64, UTF-8).
mail enc.eml 'carol@globex.example' '=?UTF-8?B?U3lzdGVtIERvd24gaW4gcHJvZA==?=' enc@globex.example
# An automatic reply must get nothing back.
mail ooo.eml 'dave@acme.example' 'Out of Office: back Monday' ooo@acme.example \
	'Auto-Submitted: auto-replied'
for f in c1 abc1 enc ooo; do deliver "$T/$f.eml" "$NOW"; done

assert_cmd "supportd --once --now $NOW takes in the first batch" supportd --once --now $NOW
supportctl list --json >"$T/list1.json"
assert_eq "$(json_get 'length' "$T/list1.json")" 3 "three tickets, no ticket for the auto-reply"
assert_eq "$(json_get '.[0].priority' "$T/list1.json")" C1 "C1 marker makes a C1 ticket"
assert_eq "$(json_get '.[0].organization' "$T/list1.json")" "Acme Retail" "organization from the sender's domain"
assert_eq "$(json_get '.[0].tier' "$T/list1.json")" premium "tier from the organization"
assert_eq "$(json_get '.[1].priority' "$T/list1.json")" C3 "ABC1 is not a marker: default C3"
assert_eq "$(json_get '.[1].organization' "$T/list1.json")" null "unknown sender: no organization"
assert_eq "$(json_get '.[2].priority' "$T/list1.json")" C1 "encoded System Down subject is C1"
assert_eq "$(json_get '.[2].subject' "$T/list1.json")" "System Down in prod" "subject decoded to UTF-8"
assert_eq "$(json_py '[t["status"] for t in j]' "$T/list1.json")" "['pending', 'pending', 'pending']" \
	"each ticket pending once its response was accepted"
assert_eq "$(json_py 'all(t["first_response_at"] for t in j)' "$T/list1.json")" True "first_response_at set"
assert_eq "$(json_get '.[0].response_due' "$T/list1.json")" "2026-11-16T12:00:00+05:30" \
	"premium C1: response due in 1 h"

# The exact mails the SMTP server received.
assert_eq "$(sink_count)" 3 "three acknowledgements, none to the auto-reply"
n=$(sink_find '^To:.*ann@acme\.example')
assert_eq "$n" 1 "the first response went to the C1 sender"
assert_file_contains "$(sink_env "$n")" '^MAIL FROM:<>$' "null envelope sender"
assert_file_contains "$(sink_env "$n")" '^RCPT TO:<ann@acme\.example>$' "envelope recipient is the requester"
assert_eq "$(sink_header "$n" Subject)" "[Ticket#1] Re: C1: checkout is down" "subject carries the ticket tag"
assert_eq "$(sink_header "$n" In-Reply-To)" "<c1@acme.example>" "In-Reply-To the customer's mail"
assert_eq "$(sink_header "$n" References)" "<c1@acme.example>" "References the customer's mail"
assert_eq "$(sink_header "$n" Auto-Submitted)" "auto-replied" "Auto-Submitted: auto-replied"
assert_eq "$(sink_header "$n" X-Auto-Response-Suppress)" "All" "X-Auto-Response-Suppress: All"
assert_eq "$(sink_header "$n" X-Supportd-Ticket)" "1" "X-Supportd-Ticket"
assert_eq "$(sink_header "$n" From)" "Vendor Support <support@vendor.example>" "From is the mailbox"
assert_match "$(sink_body "$n")" "critical \(C1\)" "C1 ticket answered with ack-c1"
m=$(sink_find '^To:.*bob@unknown\.example')
assert_match "$(sink_body "$m")" "Your request is now ticket \[Ticket#2\]" "C3 ticket answered with ack"
ack_id=$(sink_header "$m" Message-ID)
assert_match "$ack_id" '^<.+@vendor\.example>$' "response has a Message-ID in our domain"
assert_file_lacks "$(sink_file "$m")" '.{999,}' "no line over 998 octets"

assert_eq "$(imap_count_seen)" 4 "every processed mail is \\Seen on the server"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE disposition='ignored'")" 1 \
	"the auto-reply is kept, as ignored"

# A second cycle with nothing new changes nothing.
before=$(sql 'SELECT count(*) FROM tickets; SELECT count(*) FROM messages; SELECT count(*) FROM outbox; SELECT count(*) FROM events')
assert_cmd "second supportd --once --now $NOW" supportd --once --now $NOW
after=$(sql 'SELECT count(*) FROM tickets; SELECT count(*) FROM messages; SELECT count(*) FROM outbox; SELECT count(*) FROM events')
assert_eq "$after" "$before" "a second cycle with no new mail changes nothing"
assert_eq "$(sink_count)" 3 "and sends nothing"

# Replies: one by tag, one by In-Reply-To of our response only.
mail tagreply.eml 'Ann Admin <ann@acme.example>' 'Re: [Ticket#1] Re: C1: checkout is down' r1@acme.example \
	'In-Reply-To: <nothing-we-know@acme.example>'
mail irtreply.eml 'bob@unknown.example' 'Re: your mail' r2@unknown.example "In-Reply-To: $ack_id"
# A stranger's tag must not thread onto someone else's ticket.
mail stranger.eml 'eve@evil.example' 'Re: [Ticket#1] give me the data' s1@evil.example
deliver "$T/tagreply.eml" "$NOW"
deliver "$T/irtreply.eml" "$NOW"
deliver "$T/stranger.eml" "$NOW"
assert_cmd "supportd --once --now $NOW takes in the replies" supportd --once --now $NOW
supportctl list --json >"$T/list2.json"
assert_eq "$(json_get 'length' "$T/list2.json")" 4 "replies thread; only the stranger opens a ticket"
assert_eq "$(json_get '.[0].messages' "$T/list2.json")" 3 "ticket 1: mail, response, tagged reply"
assert_eq "$(json_get '.[1].messages' "$T/list2.json")" 3 "ticket 2: mail, response, In-Reply-To reply"
assert_eq "$(json_get '.[3].requester' "$T/list2.json")" "eve@evil.example" "the stranger's mail is a new ticket"
assert_eq "$(sink_count)" 4 "no new acknowledgement for replies (one for the stranger)"
supportctl show 1 --json >"$T/show1.json"
assert_eq "$(json_get '.messages[2].message_id' "$T/show1.json")" "r1@acme.example" "show lists the reply"
assert_eq "$(json_py '[e["kind"] for e in j["events"]]' "$T/show1.json")" \
	"['created', 'response-queued', 'mail-sent', 'mail-in']" "events of ticket 1"

# A config error makes supportd fail with a clear message, not run.
printf 'poll_interval = "5x";\n' >>"$CONF"
assert_exit 78 "supportd --once --now $NOW exits 78 (EX_CONFIG) on a bad config" supportd --once --now $NOW
supportd --once --now $NOW >"$T/bad.out" 2>&1
assert_file_contains "$T/bad.out" "supportd.conf:[0-9]+: poll_interval" "the error names file:line"
it_done
