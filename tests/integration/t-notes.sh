#!/bin/bash
# SPDX-License-Identifier: MIT
# Replies from the vendor side (issue #20 point 2, SPEC §13.2): what
# reaches a customer is decided by the address a mail was sent to.  A
# notification's Reply-To is its ticket's note address with an HMAC
# token; a reply there is an internal note, whoever of the vendor side
# sends it and whatever it quotes; #reply in an agent's note answers the
# customer.  Vendor mail on the customer's thread without the token and
# without authentication changes nothing, reaches no customer, and its
# sender is told why.  A forged token is no token.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
config() {	# config [EXTRA...]
	write_config 'team = { emails = [ "team@vendor.example" ]; };' \
		'organizations = ( { name = "Acme Retail"; domains = [ "acme.example" ];
  tier = "premium"; contacts = { level1 = "am-acme@vendor.example"; }; } );' \
		'agents = ( { email = "bob@vendor.example"; name = "Bob Builder";
  signature = "Bob Builder\nVendor Support, Pune\nBcc: eve@evil.example"; } );' \
		'trusted_authserv_id = "mx.vendor.example";' "$@"
}
config
GOOD='Authentication-Results: mx.vendor.example; dkim=pass header.d=vendor.example'
n=0
mail() {	# mail FROM TO SUBJECT BODY [HEADER]
	n=$((n + 1))
	{
		printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <v%s@test>\n' "$1" "$2" "$3" "$n"
		[ -z "${5:-}" ] || printf '%s\n' "$5"
		printf '\n%s\n' "$4"
	} >"$T/m$n.eml"
	deliver "$T/m$n.eml"
	supportd --once >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
}
to_ann() { sink_find '^To:.*ann@acme\.example' | wc -l; }
disp() { sql "SELECT disposition FROM messages WHERE message_id = 'v$1@test'"; }

mail 'Ann <ann@acme.example>' support@vendor.example '[BUG] export fails' 'The export fails.'
k=$(sink_find '^Subject: \[C3\] New \[Ticket#1\]')
note=$(sink_header "$k" Reply-To)
assert_match "$note" '^support\+note-1-[0-9a-f]{16}@vendor\.example$' \
	"a notification's Reply-To is the ticket's note address with a token"
a=$(sink_find '^To:.*ann@acme\.example' | head -n 1)
assert_match "$a" '^[0-9]+$' "the customer got an acknowledgement"
assert_eq "$(sink_header "$a" Reply-To)" "" "the customer's acknowledgement has none"
acks=$(to_ann)

# --- an agent's reply to the notification is an internal note ------------
mail 'Bob <bob@vendor.example>' "$note" 'Re: [C3] New [Ticket#1] [BUG] export fails' \
	'Do not tell them yet: it is the March release.

On Sat, Vendor Support wrote:
> New ticket [Ticket#1]: C3' "In-Reply-To: <$(sink_header "$k" Message-ID | tr -d '<>')>"
assert_eq "$(disp 2)" note "an agent's reply to a notification is kept as a note"
assert_eq "$(to_ann)" "$acks" "nothing reaches the customer, without any authentication"
assert_eq "$(sql "SELECT actor FROM events WHERE ticket_id=1 AND kind='note'")" bob@vendor.example \
	"an event names who wrote it"
assert_match "$(supportctl show 1)" 'Do not tell them yet' "agents see it in show"

# --- so is the account manager's, who is no agent ------------------------
mail 'am-acme@vendor.example' "$note" 'Re: [C3] New [Ticket#1]' 'I know them well; call me.'
assert_eq "$(disp 3)" note "the account manager's reply is a note, not customer mail"
assert_eq "$(to_ann)" "$acks" "and reaches no customer"

# --- #reply in an agent's note answers the customer ----------------------
mail 'Bob <bob@vendor.example>' "$note" 'Re: [C3] New [Ticket#1]' '#reply
We found the cause and will fix it this week.

-- 
Bob B. (sent from my phone)

On Sat, Vendor Support wrote:
> New ticket [Ticket#1]: C3
> Do not tell them yet' "$GOOD"
assert_eq "$(to_ann)" "$((acks + 1))" "#reply: the note's text goes to the customer"
r=$(sink_find '^To:.*ann@acme\.example' | tail -n 1)
body=$(sink_body "$r")
assert_match "$body" 'We found the cause' "with the agent's new text"
assert_file_lacks "$(sink_text "$r")" 'Do not tell them|New ticket \[Ticket#1\]|sent from my phone' \
	"without the quoted notification or his mail's signature block"
assert_match "$body" $'this week\\.\n\nBob Builder\nVendor Support, Pune\nBcc: eve@evil\\.example' \
	"ending with the signature the config gives the agent"
assert_eq "$(sink_header "$r" Bcc)" "" \
	"a header in a signature stays text in the body: no Bcc header"
assert_eq "$(sink_header "$r" Subject)" "[Ticket#1] Re: [BUG] export fails" "on the customer's thread"
assert_eq "$(sink_header "$r" Auto-Submitted)" "" "a person's mail"
assert_ne "$(supportctl show 1 --json | json_get .agent_response_at)" null "it counts as the agent writing"

# --- a note that acts needs the agent's authentication -------------------
# The token says where a note belongs, not who wrote it: anyone told of
# the ticket (a list, a pager) holds it, and From is easily forged.
mail 'Bob <bob@vendor.example>' "$note" 'Re: [C3] New [Ticket#1]' '#cc add spy@evil.example
#reply
Forged by someone holding the notification.'
assert_eq "$(disp 5) $(to_ann)" "note $((acks + 1))" "unauthenticated commands in a note: kept as a note, nothing sent"
assert_eq "$(sql "SELECT count(*) FROM participants WHERE email='spy@evil.example'")" 0 "nothing applied"
assert_match "$(sink_body "$(sink_find '^Subject: \[Ticket#1\] Not applied' | tail -n 1)")" 'no Authentication-Results' \
	"the agent is told why"
mail 'Bob <bob@vendor.example>' "$note" 'Re: [C3] New [Ticket#1]' '#status waiting-for-development
#assign bob@vendor.example
Waiting for the fix.' "$GOOD"
assert_eq "$(supportctl show 1 --json | json_get .status)" waiting-for-development "#status in an authenticated note"
assert_eq "$(supportctl show 1 --json | json_get .assignee)" bob@vendor.example "#assign in a note"
assert_eq "$(to_ann)" "$((acks + 1))" "without #reply its text stays internal"

# --- a reply whose Reply-To was lost is a note all the same -------------
# (a list rewrote it, a client ignored it): its In-Reply-To names a mail
# we sent the vendor side.  Authenticated, and still not sent.
k=$(sink_find '^Subject: \[C3\] New \[Ticket#1\]' | head -n 1)
mail 'Bob <bob@vendor.example>' support@vendor.example 'Re: [C3] New [Ticket#1] [BUG] export fails' \
	'Between us: the fix slips to April.' "$GOOD
In-Reply-To: $(sink_header "$k" Message-ID)"
assert_eq "$(disp 7) $(to_ann)" "note $((acks + 1))" \
	"a reply to a notification without its note address is a note, not a reply to the customer"

# --- only a quote: nothing goes to the customer -----------------------------
mail 'Bob <bob@vendor.example>' support@vendor.example 'Re: [Ticket#1] [BUG] export fails' '#status in-development

On Sat, 5 Dec 2026 at 10:00, Ann <ann@acme.example> wrote:
> The export fails.' "$GOOD"
assert_eq "$(supportctl show 1 --json | json_get .status)" in-development "its commands apply"
assert_eq "$(to_ann)" "$((acks + 1))" "an agent mail that only quotes sends the customer nothing (no empty mail)"

# --- a wrong token is no token ---------------------------------------------
forged=$(printf '%s' "$note" | sed 's/-[0-9a-f]\{16\}@/-0123456789abcdef@/')
mail 'Bob <bob@vendor.example>' "$forged" 'Re: [Ticket#1] [BUG] export fails' '#reply
Leaked text.'
assert_eq "$(disp 9)" agent "a forged token: an agent's mail on the thread, as without one"
assert_eq "$(to_ann)" "$((acks + 1))" "unauthenticated: nothing reaches the customer"
k=$(sink_find '^Subject: \[Ticket#1\] Not applied' | tail -n 1)
assert_match "$k" '^[0-9]+$' "the agent is told"
assert_match "$(sink_body "$k")" 'no Authentication-Results header' "why"
mail 'Ann <ann@acme.example>' support@vendor.example 'another problem' 'Printer.'
note2=$(sink_header "$(sink_find '^Subject: \[C3\] New \[Ticket#2\]')" Reply-To)
swapped=$(printf '%s' "$note2" | sed 's/note-2-/note-1-/')
mail 'eve@evil.example' "$swapped" 'hello' 'Ticket 2 token on ticket 1.'
assert_eq "$(sql "SELECT disposition || ' ' || (ticket_id <> 1) FROM messages WHERE message_id='v11@test'")" \
	"ticket 1" "another ticket's token does not open ticket 1: the stranger's mail is a ticket of its own"
assert_file_contains "$T/run.log" 'a note address with a wrong token' "the log says so"

# --- the vendor side on the customer's thread -----------------------------
before=$(to_ann)
mail 'am-acme@vendor.example' support@vendor.example 'Re: [Ticket#1] [BUG] export fails' \
	'Dear Ann, between us: the fix slips to April.'
assert_eq "$(disp 12)" refused "an unauthenticated account manager's mail on the thread changes nothing"
assert_eq "$(to_ann)" "$before" "reaches no customer"
assert_eq "$(sql "SELECT count(*) FROM participants WHERE email='am-acme@vendor.example'")" 0 \
	"and does not make him a participant"
k=$(sink_find '^To:.*am-acme@vendor\.example' | tail -n 1)
assert_eq "$(sink_header "$k" Subject)" "[Ticket#1] Not applied: your commands" "he is told"
mail 'am-acme@vendor.example' support@vendor.example 'Re: [Ticket#1] [BUG] export fails' \
	'Authenticated this time.' "$GOOD"
assert_eq "$(disp 13)" note "authenticated, it is a note; never customer mail"
assert_eq "$(to_ann)" "$before" "still nothing to the customer"
assert_eq "$(sql "SELECT count(*) FROM tickets")" 3 "no ticket was made from vendor mail on a thread"

# --- every mail to the vendor side carries the note address ---------------
n=$((n + 1))
printf 'From: dan@acme.example\nTo: support@vendor.example\nSubject: C1 - orders stuck\nMessage-ID: <v%s@test>\n\nDown.\n' "$n" >"$T/m$n.eml"
deliver "$T/m$n.eml" 2026-11-16T11:00:00+05:30
assert_cmd "supportd --once takes the C1 in" supportd --once --now 2026-11-16T11:01:00+05:30
k=$(sink_find '^Subject: \[C1\] New \[Ticket#' | tail -n 1)
assert_match "$(sink_body "$k")" 'C1, critical' "a C1 in business hours: notify-new"
assert_match "$(sink_header "$k" Reply-To)" '^support\+note-[0-9]+-[0-9a-f]{16}@vendor\.example$' \
	"the C1 notice to the team too"

# --- reply_address names another pattern ---------------------------------
config --mailbox 'reply_address = "notes+{ticket}.{token}@vendor.example";'
mail 'Ann <ann@acme.example>' support@vendor.example 'a third problem' 'Third.'
k=$(sink_find '^Subject: \[C3\] New \[Ticket#' | tail -n 1)
note3=$(sink_header "$k" Reply-To)
assert_match "$note3" '^notes\+[0-9]+\.[0-9a-f]{16}@vendor\.example$' "reply_address sets the pattern"
id3=$(printf '%s' "$note3" | sed 's/^notes+\([0-9]*\)\..*/\1/')
mail 'bob@vendor.example' "$(printf '%s' "$note3" | tr a-z A-Z)" 'Re: third' 'Noted, in capitals.'
assert_eq "$(sql "SELECT ticket_id || ' ' || disposition FROM messages WHERE message_id='v16@test'")" \
	"$id3 note" "a note to it (in any case) is a note of its ticket"

# --- supportctl reply signs too; a name cannot carry a header ------------
printf 'Fixed in 4.2.1.\n' | supportctl reply 1 --file - --by bob@vendor.example >/dev/null
supportctl tick >/dev/null 2>&1
r=$(sink_find 'Fixed in 4\.2\.1' | tail -n 1)
assert_match "$(sink_body "$r")" $'Fixed in 4\\.2\\.1\\.\n\nBob Builder\nVendor Support' \
	"supportctl reply --by an agent ends with his signature"
cp "$CONF" "$T/bad.conf"
sed -i 's|name = "Bob Builder";|name = "Bob\\nBcc: eve@evil.example";|' "$T/bad.conf"
out=$("$SUPPORTCTL_BIN" -c "$T/bad.conf" check-config 2>&1)
assert_eq "$?" 78 "an agent name with a line end is refused"
assert_match "$out" 'agents\.\[0\]\.name: contains a control character' "naming the setting"
# --- a notification's Message-ID is no key for anyone else -----------------
# Only the vendor side's replies are read as notes by In-Reply-To: one
# who got hold of a forwarded notification cannot write internal notes.
notes1=$(sql "SELECT count(*) FROM messages WHERE ticket_id = 1 AND disposition = 'note'")
k=$(sink_find '^Subject: \[C3\] New \[Ticket#1\]' | head -n 1)
mail 'eve@evil.example' support@vendor.example 'Re: [C3] New [Ticket#1] [BUG] export fails' \
	'Let me in.' "$GOOD
In-Reply-To: $(sink_header "$k" Message-ID)"
assert_ne "$(disp "$n")" note "a stranger's reply to a notification is no note"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE ticket_id = 1 AND disposition = 'note'")" "$notes1" \
	"and ticket 1 has no note more"
# A note address is ours: never an assignee (who is told internal
# things), never answered.
t3=$(printf '%s' "$note3" | sed 's/^notes+\([0-9]*\)\..*/\1/')
out=$(supportctl set "$t3" assignee "$note3" 2>&1)
assert_eq "$?" 65 "a note address cannot be assigned (EX_DATAERR)"
assert_match "$out" "one of our mailboxes or note addresses" "saying why"
it_done
