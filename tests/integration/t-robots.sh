#!/bin/bash
# SPDX-License-Identifier: MIT
# Robots and our own mail coming back (issue #3 point 6, SPEC §3.7): a
# bounce of one of our responses is recorded on its ticket as a delivery
# failure and makes no ticket, whether it returns our headers, the whole
# message, or quotes them in plain text (Exim); only one of our own
# Message-IDs names its ticket, never an X-Supportd-Ticket line or the
# customer's Message-ID (issue #19 point 11); an out-of-office reply or
# a read receipt on a ticket is recorded as automatic mail and changes
# nothing; none is answered or pages anyone.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
write_config 'oncall = { emails = [ "oncall@vendor.example" ]; };'
NOW=2026-11-16T11:00:00+05:30
once() { supportd --once --now "$(date -d "$NOW + 1 minute" --iso-8601=seconds)" >>"$T/run.log" 2>&1 ||
	not_ok "supportd --once" "$(tail "$T/run.log")"; }

printf 'From: Ann <ann@acme.example>\nTo: support@vendor.example\nSubject: invoices missing\nMessage-ID: <inv1@acme.example>\n\nWhere are they?\n' >"$T/m1.eml"
deliver "$T/m1.eml" "$NOW"
once
ack=$(sink_file 1)
ack_id=$(sink_header 1 Message-ID)
before=$(supportctl show 1 --json | json_get .status)

# A Postfix DSN returning our acknowledgement, headers only.
{
	printf 'Return-Path: <>\nFrom: MAILER-DAEMON@mx.acme.example (Mail Delivery System)\n'
	printf 'To: support@vendor.example\nSubject: Undelivered Mail Returned to Sender\n'
	printf 'Message-ID: <dsn1@mx.acme.example>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\n\n'
	printf -- '--B1\nContent-Type: text/plain\n\nI could not deliver your message to ann@acme.example.\n\n'
	printf -- '--B1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.acme.example\n\n'
	printf 'Final-Recipient: rfc822; ann@acme.example\nAction: failed\nStatus: 5.1.1\n\n'
	printf -- '--B1\nContent-Type: text/rfc822-headers\n\n'
	sed -n '1,/^\r\{0,1\}$/p' "$ack" | tr -d '\r'
	printf -- '--B1--\n'
} >"$T/dsn.eml"
deliver "$T/dsn.eml" "$NOW"
once
assert_eq "$(supportctl list --json | json_get length)" 1 "the bounce makes no ticket"
assert_eq "$(sql "SELECT ticket_id || ' ' || disposition FROM messages WHERE message_id='dsn1@mx.acme.example'")" \
	"1 bounce" "it is stored on the ticket whose response bounced"
assert_eq "$(sql "SELECT count(*) FROM events WHERE ticket_id=1 AND kind='delivery-failure'")" 1 \
	"as a delivery failure event"
assert_eq "$(sink_count)" 1 "nobody answered the bounce"

# The same bounce with the whole message attached (message/rfc822).
{
	printf 'From: postmaster@mail.acme.example\nTo: support@vendor.example\n'
	printf 'Subject: Delivery Status Notification (Failure)\nMessage-ID: <dsn2@acme.example>\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B2"\n\n'
	printf -- '--B2\nContent-Type: text/plain\n\nDelivery failed.\n\n--B2\nContent-Type: message/rfc822\n\n'
	tr -d '\r' <"$ack"
	printf -- '\n--B2--\n'
} >"$T/dsn2.eml"
deliver "$T/dsn2.eml" "$NOW"
once
assert_eq "$(sql "SELECT ticket_id || ' ' || disposition FROM messages WHERE message_id='dsn2@acme.example'")" \
	"1 bounce" "a bounce carrying the whole message is matched too"

# An out-of-office reply to our response: recorded, nothing changes.
printf 'From: Ann <ann@acme.example>\nTo: support@vendor.example\nSubject: Automatic reply: [Ticket#1] Re: invoices missing\nMessage-ID: <ooo1@acme.example>\nIn-Reply-To: %s\nAuto-Submitted: auto-replied\n\nI am away until Monday.\n' \
	"$ack_id" >"$T/ooo.eml"
deliver "$T/ooo.eml" "$NOW"
once
assert_eq "$(sql "SELECT ticket_id || ' ' || disposition FROM messages WHERE message_id='ooo1@acme.example'")" \
	"1 automatic" "the out-of-office is recorded on the ticket"
assert_eq "$(supportctl show 1 --json | json_get .status)" "$before" "and changes nothing"
assert_eq "$(sink_count)" 1 "and is not answered"

# A plain-text bounce (Exim) quoting our response's header lines.
{
	printf 'From: Mail Delivery System <Mailer-Daemon@mx.acme.example>\nTo: support@vendor.example\n'
	printf 'Subject: Mail delivery failed: returning message to sender\nMessage-ID: <exim1@mx.acme.example>\n'
	printf 'Auto-Submitted: auto-replied\n\nThis message was created automatically by mail delivery software.\n\n'
	printf '  ann@acme.example\n    mailbox is full: retry timeout exceeded\n\n'
	printf -- '------ This is a copy of the message, including all the headers. ------\n\n'
	tr -d '\r' <"$ack" | sed 's/^/  /'
} >"$T/exim.eml"
deliver "$T/exim.eml" "$NOW"
once
assert_eq "$(sql "SELECT ticket_id || ' ' || disposition FROM messages WHERE message_id='exim1@mx.acme.example'")" \
	"1 bounce" "a plain-text bounce quoting our headers is matched by its Message-ID line"

# Returned headers without one of our Message-IDs name no ticket,
# whatever their X-Supportd-Ticket says: anyone can write that line.
{
	printf 'Return-Path: <>\nFrom: postmaster@relay.example\nTo: support@vendor.example\n'
	printf 'Subject: Undeliverable: [Ticket#1] Re: invoices missing\nMessage-ID: <ndr3@relay.example>\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B3"\n\n'
	printf -- '--B3\nContent-Type: text/plain\n\nDelivery has failed.\n\n'
	printf -- '--B3\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; ann@acme.example\nAction: failed\nStatus: 5.2.2\n\n'
	printf -- '--B3\nContent-Type: text/rfc822-headers\n\nFrom: support@vendor.example\n'
	printf 'Message-ID: <REWRITTEN.12345@relay.example>\nX-Supportd-Ticket: 1\n\n--B3--\n'
} >"$T/ndr.eml"
deliver "$T/ndr.eml" "$NOW"
once
assert_eq "$(sql "SELECT IFNULL(ticket_id, 0) || ' ' || disposition FROM messages WHERE message_id='ndr3@relay.example'")" \
	"0 ignored" "X-Supportd-Ticket in returned headers names no ticket"
assert_eq "$(sql "SELECT count(*) FROM events WHERE ticket_id=1 AND kind='delivery-failure'")" 3 \
	"each matched bounce is one delivery-failure event"

# A stranger's automatic mail naming the customer's mail, in In-Reply-To
# and quoted in its body with an X-Supportd-Ticket line.
printf 'From: robot@evil.example\nTo: support@vendor.example\nSubject: Auto: invoices\nMessage-ID: <evil1@evil.example>\nIn-Reply-To: <inv1@acme.example>\nAuto-Submitted: auto-replied\n\n> Message-ID: <inv1@acme.example>\n> X-Supportd-Ticket: 1\n' >"$T/evil.eml"
deliver "$T/evil.eml" "$NOW"
once
assert_eq "$(sql "SELECT IFNULL(ticket_id, 0) || ' ' || disposition FROM messages WHERE message_id='evil1@evil.example'")" \
	"0 ignored" "text a stranger writes puts no automatic mail on a ticket"

# A read receipt is a report too, but no delivery failure.
{
	printf 'From: Ann <ann@acme.example>\nTo: support@vendor.example\nSubject: Read: [Ticket#1] Re: invoices missing\n'
	printf 'Message-ID: <mdn1@acme.example>\nIn-Reply-To: %s\nMIME-Version: 1.0\n' "$ack_id"
	printf 'Content-Type: multipart/report; report-type=disposition-notification; boundary="B4"\n\n'
	printf -- '--B4\nContent-Type: text/plain\n\nYour message was displayed.\n\n'
	printf -- '--B4\nContent-Type: message/disposition-notification\n\n'
	printf 'Final-Recipient: rfc822; ann@acme.example\nOriginal-Message-ID: %s\n' "$ack_id"
	printf 'Disposition: manual-action/MDN-sent-manually; displayed\n\n--B4--\n'
} >"$T/mdn.eml"
deliver "$T/mdn.eml" "$NOW"
once
assert_eq "$(sql "SELECT ticket_id || ' ' || disposition FROM messages WHERE message_id='mdn1@acme.example'")" \
	"1 automatic" "a read receipt is recorded as automatic mail, not as a bounce"
assert_eq "$(supportctl show 1 --json | json_get .status)" "$before" "no robot changed the ticket"
assert_eq "$(sink_count)" 1 "and none was answered"

# A robot's C1 after hours pages nobody.
printf 'From: noreply@monitor.acme.example\nTo: support@vendor.example\nSubject: C1 System Down alert\nMessage-ID: <alert1@acme.example>\n\nCPU high.\n' >"$T/alert.eml"
deliver "$T/alert.eml" 2026-11-15T03:00:00+05:30
supportd --once --now 2026-11-15T03:01:00+05:30 >>"$T/run.log" 2>&1
assert_eq "$(supportctl list --json | json_get length)" 1 "a robot's C1 makes no ticket"
assert_eq "$(sink_find '^To:.*oncall@' | wc -l)" 0 "and pages nobody"
it_done
