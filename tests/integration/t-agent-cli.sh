#!/bin/bash
# SPDX-License-Identifier: MIT
# Agents with supportctl (issue #5 points 1 and 3): reply from a file or
# standard input goes to the requester as a person's mail threaded on the
# customer's mail; --internal stays on the ticket; templates preview
# prints the complete message as it would be sent.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
write_config
printf 'From: Ann Admin <ann@acme.example>\nTo: support@vendor.example\nSubject: printer jams\nMessage-ID: <cust1@acme.example>\n\nIt jams.\n' >"$T/m.eml"
deliver "$T/m.eml"
assert_cmd "a ticket" supportd --once
acks=$(sink_count)

printf 'Hello Ann,\n\nplease clean the rollers.\n\nBob\n' >"$T/reply.txt"
assert_cmd "supportctl reply --file" supportctl reply 1 --file "$T/reply.txt" --by bob@vendor.example
assert_eq "$(sink_count)" "$acks" "queued, not sent by supportctl reply itself"
assert_cmd "supportctl tick sends it" supportctl tick
assert_eq "$(sink_count)" "$((acks + 1))" "the reply went out"
n=$(sink_find 'please clean the rollers')
assert_eq "$(sink_header "$n" Subject)" "[Ticket#1] Re: printer jams" "subject with the tag"
assert_eq "$(sink_header "$n" To)" "Ann Admin <ann@acme.example>" "to the requester"
assert_eq "$(sink_header "$n" From)" "Vendor Support <support@vendor.example>" "from the mailbox"
assert_eq "$(sink_header "$n" In-Reply-To)" "<cust1@acme.example>" "threaded on the customer's mail"
assert_eq "$(sink_header "$n" Auto-Submitted)" "" "a person's mail: no Auto-Submitted"
assert_file_contains "$(sink_env "$n")" '^MAIL FROM:<support@vendor\.example>$' \
	"envelope sender is the mailbox, so bounces come back"
supportctl show 1 --json >"$T/s.json"
assert_ne "$(json_get '.agent_response_at' "$T/s.json")" null "agent_response_at is set"
assert_eq "$(json_py '[e["actor"] for e in j["events"] if e["kind"] == "reply-queued"]' "$T/s.json")" \
	"['bob@vendor.example']" "the event names the agent"

printf 'Second answer from stdin.\n' | supportctl reply 1 --file - >/dev/null
supportctl tick >/dev/null 2>&1
assert_match "$(sink_find 'Second answer from stdin')" '^[0-9]+$' "reply --file - reads standard input"

before=$(sink_count)
printf 'Customer seems confused; call them.\n' | supportctl reply 1 --file - --internal --by bob@vendor.example >/dev/null
supportctl tick >/dev/null 2>&1
assert_eq "$(sink_count)" "$before" "--internal sends nothing"
assert_eq "$(supportctl show 1 --json | json_py '[m["disposition"] for m in j["messages"] if m["body"].startswith("Customer seems")]')" \
	"['internal']" "the note is kept on the ticket"
assert_exit 65 "a reply to an unknown ticket is refused" sh -c "echo x | '$SUPPORTCTL_BIN' -c '$CONF' reply 99 --file -"
assert_exit 64 "reply needs --file" supportctl reply 1

out=$(supportctl templates preview ack-c1 --ticket 1)
assert_match "$out" $'Subject: \\[Ticket#1\\] Re: printer jams' "preview for a real ticket"
assert_match "$out" "Auto-Submitted: auto-replied" "shows the complete message with headers"
out=$(supportctl templates preview escalation)
assert_match "$out" "ESCALATION L2\\] \\[Ticket#123\\]" "preview without --ticket uses an example ticket"
assert_exit 64 "preview of an unknown template is a usage error" supportctl templates preview nosuch
assert_match "$(supportctl templates check)" "16 templates OK" "templates check"
assert_match "$(supportctl reply --help)" "reply ID --file F\|- \[--attach FILE\]\.\.\. \[--by EMAIL\] \[--internal\]" "COMMAND --help"

# A command takes its own options only (list once took reply's).
out=$(supportctl list --internal --file x 2>&1)
assert_eq "$?" 64 "list --internal --file x is a usage error"
assert_match "$out" "list does not take --internal" "naming the option"
assert_exit 64 "show does not take --all" supportctl show 1 --all
assert_exit 64 "outbox does not take --status" supportctl outbox --status open
assert_exit 0 "--now is every command's" supportctl list --now 2026-11-20T10:00:00Z

# --priority names one of the priorities, in any case.
all=$(supportctl list --json | json_get length)
by=0
for p in C1 C2 c3 c4; do
	by=$((by + $(supportctl list --priority "$p" --json | json_get length)))
done
assert_eq "$by" "$all" "each ticket is listed under its one priority"
out=$(supportctl list --priority C9 2>&1)
assert_eq "$?" 64 "an unknown priority is a usage error"
assert_match "$out" 'unknown priority "C9"' "naming it"
# list's filters and order (issue #20 point 6).  Two more tickets: one
# from a stranger, one assigned.
printf 'From: zed@nowhere.example\nTo: support@vendor.example\nSubject: question\nMessage-ID: <z1@nowhere.example>\n\nhi\n' >"$T/z.eml"
printf 'From: bo@acme.example\nTo: support@vendor.example\nSubject: [BUG] export\nMessage-ID: <b1@acme.example>\n\nslow\n' >"$T/b.eml"
deliver "$T/z.eml"
deliver "$T/b.eml"
assert_cmd "two more tickets" supportd --once
supportctl set 3 assignee carol@vendor.example >/dev/null
ids() { supportctl list --json "$@" | json_py '[t["id"] for t in j]'; }
assert_eq "$(ids)" "[1, 2, 3]" "list: all three"
assert_eq "$(ids --assignee carol@vendor.example)" "[3]" "--assignee ADDR"
assert_eq "$(ids --assignee none)" "[1, 2]" "--assignee none"
assert_eq "$(ids --org 'Acme Retail')" "[1, 3]" "--org"
assert_eq "$(ids --tier premium)" "[1, 3]" "--tier"
assert_eq "$(ids --category BUG)" "[3]" "--category"
assert_eq "$(ids --limit 2)" "[1, 2]" "--limit"
assert_eq "$(ids --since 2099-01-01T00:00:00Z)" "[]" "--since"
assert_eq "$(ids --since 2000-01-01T00:00:00Z)" "[1, 2, 3]" "--since a time before them all"
assert_eq "$(ids --due-before 2000-01-01T00:00:00Z)" "[]" "--due-before"
assert_eq "$(ids --breached --now 2099-01-01T00:00:00Z)" "[1, 2, 3]" "--breached, long after every due time"
assert_eq "$(ids --breached --now 2000-01-01T00:00:00Z)" "[]" "...and long before"
supportctl set 1 priority C4 --now 2099-01-01T00:00:00Z >/dev/null
assert_eq "$(ids --sort updated)" "[2, 3, 1]" "--sort updated: the least recently updated first"
assert_eq "$(ids --sort created)" "[1, 2, 3]" "--sort created"
assert_eq "$(supportctl list --sort due --json | json_py '(lambda d: d == sorted(d) and len(d) == 3)([t["resolution_due"] if t["first_response_at"] else t["response_due"] for t in j])')" \
	True "--sort due: by the next due time"
assert_exit 64 "--sort must be due, created or updated" supportctl list --sort size
assert_exit 64 "--limit must be a positive number" supportctl list --limit 0
assert_exit 64 "show does not take --org" supportctl show 1 --org x

# set ID due: an agent's resolution date (issue #20 point 6).
sla_due=$(supportctl show 2 --json | json_get .resolution_due)
assert_cmd "set due" supportctl set 2 due 2099-06-01T12:00:00Z --by bob@vendor.example
assert_eq "$(supportctl show 2 --json | json_get .resolution_due)" "2099-06-01T17:30:00+05:30" \
	"the agent's date is the resolution due time"
assert_eq "$(sql "SELECT actor || ' ' || detail FROM events WHERE ticket_id=2 AND kind='due'")" \
	"bob@vendor.example due: $sla_due -> 2099-06-01T17:30:00+05:30" "an event with its actor"
assert_eq "$(supportctl set 2 due none --json | json_py '(j["ticket"], j["field"], j["value"])')" \
	"(2, 'due', 'none')" "set due none (--json)"
assert_eq "$(supportctl show 2 --json | json_get .resolution_due)" "$sla_due" "none: the SLA's date again"
supportctl set 2 due 2099-06-01T12:00:00Z >/dev/null
assert_eq "$(ids --due-before 2099-06-02T00:00:00Z --assignee none)" "[1, 2]" \
	"--due-before reads it (ticket 1: C4, due long before)"
supportctl set 2 priority C1 >/dev/null
assert_eq "$(supportctl show 2 --json | json_get .resolution_due)" "2099-06-01T17:30:00+05:30" \
	"a priority change keeps the agent's date"
out=$(supportctl set 2 due tomorrow 2>&1)
assert_eq "$?" 65 "a due that is no time is refused (EX_DATAERR)"
assert_match "$out" 'due must be an ISO 8601 time or "none"' "with a clear message"
supportctl tick --now 2099-06-01T11:59:00Z >/dev/null 2>&1
assert_eq "$(sql "SELECT count(*) FROM events WHERE ticket_id=2 AND kind='due-passed'")" 0 \
	"a minute before the date nothing happens"
supportctl tick --now 2099-06-01T12:01:00Z >/dev/null 2>&1
assert_eq "$(sql "SELECT detail FROM events WHERE ticket_id=2 AND kind='due-passed'")" \
	"2099-06-01T17:30:00+05:30" "once it passed unresolved, a due-passed event"
supportctl tick --now 2099-06-02T12:01:00Z >/dev/null 2>&1
assert_eq "$(sql "SELECT count(*) FROM events WHERE ticket_id=2 AND kind='due-passed'")" 1 "once"
supportctl report --json --now 2099-06-02T00:00:00Z >"$T/report.json"
assert_eq "$(json_py '[g["resolution"]["breached"] for g in j["groups"] if g["priority"] == "C1"]' "$T/report.json")" \
	"[1]" "report: the passed date is a breached resolution"
supportctl set 2 due 2099-06-03T00:00:00Z >/dev/null
supportctl set 2 status resolved --now 2099-06-02T10:00:00Z >/dev/null
supportctl report --json --now 2099-06-04T00:00:00Z >"$T/report.json"
assert_eq "$(json_py '[(g["resolution"]["met"], g["resolution"]["breached"]) for g in j["groups"] if g["priority"] == "C1"]' "$T/report.json")" \
	"[(1, 0)]" "resolved before the agent's date: met"

# search: full text over subjects and bodies (issue #20 point 6).
printf 'From: cy@acme.example\nTo: support@vendor.example\nSubject: other matter\nMessage-ID: <c1@acme.example>\n\nThe printer is fine; the export is slow at the caf\xc3\xa9.\n' >"$T/c.eml"
deliver "$T/c.eml"
assert_cmd "a fourth ticket" supportd --once
found() { supportctl search --json "$@" | json_py '[t["id"] for t in j]'; }
assert_eq "$(found jams)" "[1]" "search: a body word"
assert_eq "$(found JAMS)" "[1]" "any case"
assert_eq "$(found printer)" "[1, 4]" "a subject word ranks above a body word"
assert_eq "$(found export slow)" "[3, 4]" "every word must occur, in subject or body"
assert_eq "$(found export fine)" "[4]" "...in one mail"
assert_eq "$(found cafe)" "[4]" "accents ignored"
assert_eq "$(found 'expo*')" "[3, 4]" "a word ending in * is a prefix"
assert_eq "$(found confused)" "[1]" "internal notes are found too"
assert_eq "$(found --limit 1 printer)" "[1]" "--limit"
assert_eq "$(found 'NEAR(' '\"' 'a:b' OR)" "[]" "nothing typed is search syntax"
assert_match "$(supportctl search --json jams | json_py 'j[0]["snippet"]')" '\[jams\]' \
	"the snippet marks the match"
assert_match "$(supportctl search printer)" $'^1 +pending +C[1-4] +printer jams\n +.*\\[printer\\]' \
	"a text listing with the snippet"
assert_exit 64 "no word is a usage error" supportctl search ' '
assert_exit 64 "search does not take --status" supportctl search x --status open

# merge FROM INTO (issue #20 point 6): a colleague of Ann's wrote about
# the same jam; ticket 5 goes into ticket 1.
printf 'From: dee@acme.example\nTo: support@vendor.example\nSubject: the printer again\nMessage-ID: <d1@acme.example>\n\nSame printer, same jam.\n' >"$T/d.eml"
deliver "$T/d.eml"
assert_cmd "a fifth ticket" supportd --once
ack5=$(sql "SELECT message_id FROM messages WHERE ticket_id=5 AND direction='out'")
msgs1=$(sql "SELECT count(*) FROM messages WHERE ticket_id=1")
msgs5=$(sql "SELECT count(*) FROM messages WHERE ticket_id=5")
ev1=$(sql "SELECT count(*) FROM events WHERE ticket_id=1")
ev5=$(sql "SELECT count(*) FROM events WHERE ticket_id=5")
assert_eq "$(supportctl merge 5 1 --by bob@vendor.example --json | json_py '(j["ticket"], j["merged_into"])')" \
	"(5, 1)" "merge 5 into 1 (--json)"
assert_eq "$(sql "SELECT status || ' ' || category || ' ' || linked_to FROM tickets WHERE id=5")" \
	"closed Duplicate 1" "FROM is closed as a Duplicate linked to INTO"
assert_eq "$(sql "SELECT count(*) FROM messages WHERE ticket_id=1")" "$((msgs1 + msgs5))" \
	"FROM's messages moved to INTO"
assert_eq "$(sql "SELECT role FROM participants WHERE ticket_id=1 AND email='dee@acme.example'")" cc \
	"FROM's requester is a participant of INTO"
assert_eq "$(sql "SELECT count(*) FROM events WHERE ticket_id=1")" "$((ev1 + ev5 + 1))" \
	"FROM's events moved, and the merge is an event of INTO"
assert_eq "$(sql "SELECT actor FROM events WHERE ticket_id=1 AND kind='merged'")" bob@vendor.example \
	"naming who merged"
assert_eq "$(sql "SELECT group_concat(kind, ' ') FROM events WHERE ticket_id=5")" "status merged" \
	"FROM keeps its closing and the merge"
assert_eq "$(sql "SELECT count(*) FROM timers WHERE ticket_id=5")" 0 "FROM's timers are gone"
assert_eq "$(found jam)" "[1]" "search finds the merged mail on INTO"
printf 'From: dee@acme.example\nTo: support@vendor.example\nSubject: Re: [Ticket#5] the printer again\nMessage-ID: <d2@acme.example>\n\nStill jammed.\n' >"$T/d2.eml"
printf 'From: dee@acme.example\nTo: support@vendor.example\nSubject: Re: the printer again\nIn-Reply-To: <%s>\nMessage-ID: <d3@acme.example>\n\nAnd again.\n' "$ack5" >"$T/d3.eml"
deliver "$T/d2.eml"
deliver "$T/d3.eml"
tickets=$(sql "SELECT count(*) FROM tickets")
assert_cmd "two more mails from Dee" supportd --once
assert_eq "$(sql "SELECT count(*) FROM tickets")" "$tickets" "no new ticket"
assert_eq "$(sql "SELECT group_concat(ticket_id) FROM messages WHERE message_id IN ('d2@acme.example', 'd3@acme.example')")" \
	"1,1" "mail tagged for FROM, and a reply to FROM's mail, thread onto INTO"
out=$(supportctl merge 5 1 2>&1)
assert_eq "$?" 65 "a merged ticket is not merged again (EX_DATAERR)"
assert_match "$out" "ticket 5 was merged into 1 already" "saying where it went"
assert_exit 65 "nor merged into" supportctl merge 2 5
out=$(supportctl merge 2 1 2>&1)
assert_eq "$?" 65 "tickets of different customers are not merged (EX_DATAERR)"
assert_match "$out" "2 is a stranger's and 1 is Acme Retail's" "saying whose they are"
assert_exit 65 "nor into itself" supportctl merge 1 1
assert_exit 65 "an unknown ticket" supportctl merge 1 99
assert_exit 64 "two ticket numbers" supportctl merge 1
it_done
