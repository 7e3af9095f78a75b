#!/bin/bash
# SPDX-License-Identifier: MIT
# Mail from people who should not get their way (issue #19): a stranger
# who knows a ticket's Message-ID, a forged colleague of the customer, a
# different mail reusing a Message-ID, a spammer naming a victim in
# Reply-To, a flood of strangers, forged commands in an agent's name, a
# UTF-8 Message-ID.  Each section failed on the code
# of 202f870.
. "$(dirname "$0")/lib.sh"
it_init "$0"
NOW=2026-11-16T11:00:00+05:30
start_dovecot
start_smtp
write_config 'trusted_authserv_id = "mx.vendor.example";'
n=0
# mail FROM SUBJECT [HEADER-LINES [BODY]]: deliver and take it in.
mail() {
	n=$((n + 1))
	{
		printf 'From: %s\nTo: support@vendor.example\nSubject: %s\n' "$1" "$2"
		printf 'Message-ID: <h%s@test>\n' "$n"
		[ -z "${3:-}" ] || printf '%s\n' "$3"
		printf '\n%s\n' "${4:-hello}"
	} >"$T/m$n.eml"
	deliver "$T/m$n.eml" "$NOW"
	supportd --once --now "$NOW" >>"$T/run.log" 2>&1 ||
		not_ok "supportd --once" "$(tail "$T/run.log")"
}
tickets() { supportctl list --json | json_get length; }
status() { supportctl show "$1" --json | json_get .status; }
people() { sql "SELECT group_concat(email, ' ') FROM (SELECT email FROM participants WHERE ticket_id=$1 ORDER BY email)"; }
AUTH='Authentication-Results: mx.vendor.example; dkim=pass header.d=acme.example'

mail 'Ann <ann@acme.example>' 'printer jams'
assert_eq "$(tickets)" 1 "ann's ticket"

# --- point 6: a Message-ID is not a key to someone else's ticket -------
mail 'mallory@evil.example' 'Re: printer jams' 'In-Reply-To: <h1@test>
References: <h1@test>' '#close'
assert_eq "$(tickets)" 2 "a stranger's reply to ann's mail starts a new ticket"
assert_ne "$(status 1)" closed "and does not close ann's ticket"
assert_eq "$(people 1)" "ann@acme.example" "nor makes him one of its people"
mail 'frank@acme.example' 'Re: printer jams' 'In-Reply-To: <h1@test>' 'Same here.'
assert_eq "$(tickets)" 2 "a colleague of ann's organization threads by In-Reply-To"
assert_eq "$(people 1)" "ann@acme.example frank@acme.example" "and becomes a participant"

# --- point 6: #close only from a participant, authenticated ------------
mail 'bob@acme.example' 'Re: [Ticket#1] printer jams' "$AUTH" '#close'
assert_ne "$(status 1)" closed "a colleague's first mail with #close does not close"
assert_eq "$(sql "SELECT detail FROM events WHERE ticket_id=1 AND kind='close-refused'")" \
	"only the requester or a Cc of the first mail may close the ticket" "the ticket says why"
mail 'bob@acme.example' 'Re: [Ticket#1] printer jams' "$AUTH" '#close'
assert_ne "$(status 1)" closed "nor does his second, though he joined the ticket with the first"
mail 'ann@acme.example' 'Re: [Ticket#1] printer jams' '' '#close'
assert_ne "$(status 1)" closed "ann's #close without an authenticated domain does not close"
assert_match "$(sql "SELECT detail FROM events WHERE ticket_id=1 AND kind='close-refused' ORDER BY id DESC LIMIT 1")" \
	"no Authentication-Results" "and the ticket says why"
mail 'ann@acme.example' 'Re: [Ticket#1] printer jams' "$AUTH" '#close'
assert_eq "$(status 1)" closed "ann's #close from an authenticated domain closes"

# --- point 3: another mail reusing a Message-ID is kept ----------------
printf 'From: carol@globex.example\nTo: support@vendor.example\nSubject: first\nMessage-ID: <same@test>\n\none\n' >"$T/a.eml"
printf 'From: eve@evil.example\nTo: support@vendor.example\nSubject: second\nMessage-ID: <same@test>\n\ntwo\n' >"$T/b.eml"
before=$(tickets)
deliver "$T/a.eml" "$NOW"
deliver "$T/b.eml" "$NOW"
deliver "$T/a.eml" "$NOW"
supportd --once --now "$NOW" >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
assert_eq "$(($(tickets) - before))" 2 "a different mail with a used Message-ID is a ticket of its own"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE message_id='same@test' AND direction='in'")" 2 \
	"the true redelivery is still a duplicate"
assert_eq "$(sql "SELECT group_concat(subject, ',') FROM (SELECT subject FROM tickets ORDER BY id) WHERE subject IN ('first','second')")" \
	"first,second" "both are kept"
# --- point 4: joining an incident answers From, greets the writer ------
mail 'Ann <ann@acme.example>' 'C1 System Down: payment DB corrupted'
inc=$(supportctl list --json | json_get '.[-1].id')
to_mallory=$(sink_find '^To:.*mallory@evil\.example' | wc -l)
mail 'nobody@acme.example' 'C1 payments down too' 'Reply-To: Mallory <mallory@evil.example>'
assert_eq "$(supportctl list --json | json_get '.[-1].id')" "$inc" "the colleague's C1 joins the incident"
k=$(sink_find '^Subject: .*Re: C1 System Down: payment DB' | tail -n 1)
assert_eq "$(sink_find '^To:.*mallory@evil\.example' | wc -l)" "$to_mallory" "nothing about the incident goes to Reply-To"
assert_file_contains "$(sink_env "$k")" '^RCPT TO:<nobody@acme\.example>$' "ack-duplicate goes to From"
assert_match "$(sink_body "$k")" '^Hello nobody@acme\.example,' "and greets the colleague, not ann"

# --- point 5: no backscatter through Reply-To, only an excerpt ---------
spam_name='Cheap pills at https://pills.example buy now buy now buy now buy now buy now'
spam_subj="$(printf 'BEST PRICES %.0s' $(seq 40))www.pills.example"
mail "$spam_name <spammer@spam.example>" "$spam_subj" 'Reply-To: Victim <victim@victim.example>'
assert_eq "$(sink_find '^To:.*victim@victim\.example' | wc -l)" 0 "a stranger's Reply-To in another domain gets nothing"
k=$(sink_find '^To:.*spammer@spam\.example' | tail -n 1)
assert_match "$k" '^[0-9]+$' "the answer goes to From"
subj=$(sink_header "$k" Subject)
assert_match "$subj" '^\[Ticket#[0-9]+\] Re: BEST PRICES .*\.\.\.$' "the subject is echoed as an excerpt"
assert_eq "$((${#subj} < 100))" 1 "of at most 60 characters (${#subj} in all)"
assert_file_lacks "$(sink_file "$k")" 'https://|www\.' "no link of the stranger's is sent"
assert_eq "$(($(sink_header "$k" To | wc -c) < 80))" 1 "the To name is cut short too"
assert_eq "$(sql "SELECT length(subject) > 400 FROM tickets ORDER BY id DESC LIMIT 1")" 1 \
	"the ticket keeps the whole subject"
mail 'Judy <judy@acme.example>' 'printer question' 'Reply-To: Help Desk <helpdesk@acme.example>'
k=$(sink_find '^To:.*helpdesk@acme\.example' | tail -n 1)
assert_match "$k" '^[0-9]+$' "Reply-To within a customer's own domain is followed"
mail 'mal@freemail.example' 'hello' 'Reply-To: victim2@freemail.example'
assert_eq "$(sink_find '^To:.*victim2@freemail\.example' | wc -l)" 0 \
	"a stranger's Reply-To is not followed, even at his own mail provider"

# The closed notice two weeks later is an automatic reply like the rest.
sid=$(sql "SELECT id FROM tickets WHERE requester_email='spammer@spam.example'")
supportctl set "$sid" status resolved --now "$NOW" >/dev/null
supportctl tick --now 2026-12-01T11:00:00+05:30 >/dev/null 2>&1
k=$(sink_find '^Subject: \[Ticket#'"$sid"'\] Closed' | tail -n 1)
assert_match "$k" '^[0-9]+$' "the stranger's ticket is closed and he is told"
assert_eq "$(($(sink_header "$k" Subject | wc -c) < 110))" 1 "with the excerpt of his subject"
assert_file_lacks "$(sink_file "$k")" 'https://|www\.' "and no link of his"

# --- point 5: at most stranger_reply_limit answers to strangers an hour -
write_config 'trusted_authserv_id = "mx.vendor.example";' 'stranger_reply_limit = 2;'
NOW=2026-11-16T14:00:00+05:30
before=$(sink_count)
for i in 1 2 3 4; do mail "s$i@stranger$i.example" "question $i"; done
supportctl tick --now "$NOW" >/dev/null 2>&1
assert_eq "$(($(sink_count) - before))" 2 "two of four strangers are answered within the hour"
assert_eq "$(sql "SELECT count(*) FROM events WHERE detail='stranger_reply_limit reached this hour'")" 2 \
	"the other two tickets say why"
mail 'carol@acme.example' 'a customer in the same hour'
supportctl tick --now "$NOW" >/dev/null 2>&1
assert_eq "$(sink_find '^To:.*carol@acme\.example' | wc -l)" 1 "a known organization is still answered"
NOW=2026-11-16T15:00:00+05:30
mail 's5@stranger5.example' 'question 5'
supportctl tick --now "$NOW" >/dev/null 2>&1
assert_eq "$(sink_find '^To:.*s5@stranger5\.example' | wc -l)" 1 "the next hour a stranger is answered again"
# --- point 13: a UTF-8 Message-ID does not go into our headers --------
printf 'From: zoe@acme.example\nTo: support@vendor.example\nSubject: umlaut id\nMessage-ID: <\xc3\xbc.1@acme.example>\n\nhi\n' >"$T/utf8id.eml"
deliver "$T/utf8id.eml" "$NOW"
supportd --once --now "$NOW" >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
k=$(sink_find '^To:.*zoe@acme\.example' | tail -n 1)
assert_match "$k" '^[0-9]+$' "the mail with a UTF-8 Message-ID is answered"
assert_eq "$("$IT_PYTHON" -c 'import sys; h = open(sys.argv[1], "rb").read().split(b"\r\n\r\n")[0]; print(all(c < 128 for c in h))' "$(sink_file "$k")")" \
	True "with headers of ASCII only"
# --- point 12: no mail-bombing an agent through forged commands --------
write_config 'trusted_authserv_id = "mx.vendor.example";' 'agents = [ "dave@vendor.example" ];'
NOW=2026-11-16T16:00:00+05:30
for i in 1 2 3 4 5 6 7; do
	mail 'dave@vendor.example' 'Re: [Ticket#1] printer jams' '' "#status resolved"
done
assert_eq "$(sql "SELECT count(*) FROM events WHERE kind='agent-refused'")" 7 "seven forged commands refused"
assert_eq "$(sink_find '^To:.*dave@vendor\.example' | wc -l)" 5 \
	"the agent is told only autoreply_limit (5) times within the hour"
it_done
