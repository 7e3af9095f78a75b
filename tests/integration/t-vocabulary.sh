#!/bin/bash
# SPDX-License-Identifier: MIT
# Vocabulary is configuration (issue #21 point 3, SPEC §14.3), against
# real Dovecot and SMTP servers: ADvendio's "Severity 1".."Severity 4"
# with their own markers, labels and descriptions, and its case reasons
# as categories.  Classification, the acknowledgement, agents' commands
# by mail, supportctl set/list/report all speak the configured names, and
# refuse the built-in ones the file replaced.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp

AR='Authentication-Results: mx.vendor.example; dkim=pass header.d=vendor.example'
write_config 'agents = [ "bob@vendor.example" ]; trusted_authserv_id = "mx.vendor.example";' \
	'team = { emails = [ "support-team@vendor.example" ]; };' \
	'priorities = (
  { name = "Severity 1"; label = "Critical";
    description = "the application cannot be used at all";
    markers = [ "Severity 1", "Sev1", "System Down" ]; },
  { name = "Severity 2"; label = "Urgent"; markers = [ "Severity 2", "Sev2" ]; },
  { name = "Severity 3"; label = "High"; },
  { name = "Severity 4"; label = "Medium";
    description = "an inconvenience with a workaround"; } );' \
	'default_priority = "Severity 4";' \
	'categories = (
  { name = "Bug"; tags = [ "Bug", "Fehler" ]; },
  { name = "Question about handling"; },
  { name = "Customization / development request"; },
  { name = "Feature request"; } );' \
	'default_category = "Question about handling";' \
	'tiers = ( { name = "default";
  response = { Severity_1 = "2h"; Severity_2 = "4bh"; Severity_3 = "1bd"; Severity_4 = "2bd"; };
  resolution = { Severity_1 = "1bd"; }; },
  { name = "premium"; response = { Severity_1 = "1h"; }; } );'

n=0
mail() {	# mail FROM SUBJECT [HEADER] [BODY]
	n=$((n + 1))
	{
		[ -z "${3:-}" ] || printf '%s\n' "$3"
		printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <v%s@test>\n\n%s\n' \
			"$1" "$2" "$n" "${4:-hello}"
	} >"$T/v$n.eml"
	deliver "$T/v$n.eml" "$WHEN"	# the server's time, for exact due times
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
ack_of() {	# ack_of ERE: the body of the first mail to Ann whose subject matches
	local k
	k=$(sink_find "^Subject:.*$1" | grep -Fx -f <(sink_find '^To:.*ann@acme\.example') | head -n 1)
	[ -n "$k" ] && sink_body "$k"
}

assert_cmd "supportd -n accepts the vocabulary" supportd -n

# --- Monday 11:00 IST, in hours ------------------------------------------
WHEN=2026-11-16T11:00:00+05:30
mail 'ann@acme.example' 'Sev1: checkout is down'
mail 'ann@acme.example' '[fehler] report totals wrong'
mail 'ann@acme.example' '[Customization /  development request] a new field'
mail 'ann@acme.example' 'C1 how do I export?'
once_at 2026-11-16T11:00:00+05:30
s1=$(id_of 'Sev1: checkout is down')
bug=$(id_of '[fehler] report totals wrong')
dev=$(id_of '[Customization /  development request] a new field')
how=$(id_of 'C1 how do I export?')

assert_eq "$(ticket_field "$s1" priority)" "Severity 1" "a configured marker gives its priority"
assert_eq "$(ticket_field "$s1" response_due)" "2026-11-16T12:00:00+05:30" \
	"with the tier's target keyed Severity_1"
body=$(ack_of 'Sev1: checkout is down')
assert_match "$body" "Priority: +Critical \(the application cannot be used at all\)" \
	"the acknowledgement shows the label and description"
assert_no_match "$body" "Severity 1|C1|production system" "not the name or a built-in text"
assert_eq "$(ticket_field "$bug" category)" "Bug" "a second tag of a category chooses it"
assert_eq "$(ticket_field "$bug" priority)" "Severity 4" "no marker: default_priority"
body=$(ack_of 'report totals wrong')
assert_match "$body" "Priority: +Medium \(an inconvenience with a workaround\)" \
	"a label and description of the file's own"
assert_eq "$(ticket_field "$dev" category)" "Customization / development request" \
	"a tag with a slash and spaces"
assert_eq "$(ticket_field "$how" priority)" "Severity 4" "C1 is no marker once priorities are renamed"
assert_eq "$(ticket_field "$how" category)" "Question about handling" "no tag: default_category"
notify=$(sink_find '^Subject: \[Severity 1\] New ' | wc -l)
assert_eq "$notify" 1 "the team's notice names the priority"

# --- an agent by mail ----------------------------------------------------
tag() { printf '[Ticket#%s]' "$1"; }
WHEN=2026-11-16T11:10:00+05:30
mail 'bob@vendor.example' "Re: $(tag "$bug") report totals wrong" "$AR" '#priority severity 2
#category feature REQUEST

We will look at it.'
once_at 2026-11-16T11:10:00+05:30
assert_eq "$(ticket_field "$bug" priority)" "Severity 2" "#priority takes a name in any case"
assert_eq "$(ticket_field "$bug" category)" "Feature request" "#category a configured one, stored as configured"
# SPEC §14.6: 4 business hours from the change (all in hours here).
changed=$(sql "SELECT at FROM events WHERE ticket_id = $bug AND kind = 'priority'")
assert_eq "$(date -d "$(ticket_field "$bug" response_due)" +%s)" "$((changed + 4 * 3600))" \
	"the due time follows the new priority: 4bh from the change"
WHEN=2026-11-16T11:20:00+05:30
mail 'bob@vendor.example' "Re: $(tag "$how") how do I export?" "$AR" '#category General Support

Answer.'
once_at 2026-11-16T11:20:00+05:30
assert_eq "$(ticket_field "$how" category)" "Question about handling" "a built-in category the file dropped is refused"
refusal=$(sink_body "$(sink_find "^Subject: $(tag "$how" | sed 's/[][]/\\&/g') Not applied" | tail -n 1)")
assert_match "$refusal" 'cannot apply "#category General Support"' "the agent is told what"
assert_match "$refusal" "Question about handling, Customization / development request" \
	"and which categories there are"
WHEN=2026-11-16T11:30:00+05:30
mail 'bob@vendor.example' "Re: $(tag "$how") how do I export?" "$AR" '#priority C2

Answer.'
once_at 2026-11-16T11:30:00+05:30
assert_eq "$(ticket_field "$how" priority)" "Severity 4" "a built-in priority the file replaced is refused"

# --- after hours: how to be most urgent, in this file's words -------------
WHEN=2026-11-16T20:00:00+05:30
mail 'ann@acme.example' 'reports are slow tonight'
once_at 2026-11-16T20:00:00+05:30
body=$(ack_of 'reports are slow tonight')
assert_match "$body" 'outside business hours' "a mail after hours gets ack-after-hours"
assert_match "$(printf '%s' "$body" | tr '\n' ' ')" 'write again with "Severity 1", "Sev1" or "System Down" in the subject' \
	"which names the most urgent priority's markers"

# --- supportctl ------------------------------------------------------------
assert_cmd "set priority by name" supportctl set "$dev" priority "SEVERITY 3" --now 2026-11-16T11:40:00+05:30
assert_eq "$(ticket_field "$dev" priority)" "Severity 3" "supportctl set priority stores the configured name"
out=$(supportctl set "$dev" priority C3 2>&1)
assert_ne "$?" 0 "supportctl set priority C3 fails"
assert_match "$out" 'unknown priority "C3" \(use Severity 1, Severity 2, Severity 3, Severity 4\)' \
	"naming the priorities there are"
out=$(supportctl set "$dev" category "Existing Scope" 2>&1)
assert_ne "$?" 0 "supportctl set category fails for one not configured"
assert_match "$out" 'unknown category "Existing Scope"' "saying so"
assert_eq "$(ticket_field "$dev" category)" "Customization / development request" "and changes nothing"
assert_cmd "set category" supportctl set "$dev" category "bug"
assert_eq "$(ticket_field "$dev" category)" "Bug" "a configured category in any case"
assert_eq "$(supportctl list --priority 'severity 2' --json | json_py '[t["id"] for t in j]')" "[$bug]" \
	"list --priority takes a name in any case"
out=$(supportctl list --priority C1 2>&1)
assert_ne "$?" 0 "list --priority C1 fails"
assert_match "$out" "use Severity 1, Severity 2" "naming the priorities"
assert_eq "$(supportctl list --category 'feature request' --json | json_py '[t["id"] for t in j]')" "[$bug]" \
	"list --category matches a configured category in any case"
assert_eq "$(supportctl report --json | json_py '[g["priority"] for g in j["groups"]]')" \
	"['Severity 1', 'Severity 2', 'Severity 3', 'Severity 4']" "the report has a row per priority, most urgent first"
it_done
