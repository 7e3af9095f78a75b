#!/bin/bash
# SPDX-License-Identifier: MIT
# supportctl report (issue #21 point 8, SPEC §14.8) over a history made
# against real Dovecot and SMTP servers with --now: per priority and
# tier, or organization, the response, update and resolution met and
# breached, resolution times, the breaches of the periods after a
# priority change, pages and after-hours tickets; as text, json, csv,
# and one html file with SVG charts that needs nothing from outside.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp

write_config 'oncall = { emails = [ "oncall@vendor.example" ]; };' \
	'priorities = ( { name = "C1"; resolution_met_by = "downgrade"; } );' \
	'tiers = ( { name = "default"; },
  { name = "premium"; response = { C1 = "1h"; C2 = "4h"; C3 = "1bd"; };
    update = { C2 = "2h"; }; resolution = { C1 = "6h"; C2 = "24h"; C3 = "5bd"; }; } );' \
	'organizations = (
  { name = "Acme Retail"; domains = [ "acme.example" ]; tier = "premium"; },
  { name = "Beta Shop"; domains = [ "beta.example" ]; tier = "premium"; } );'

n=0
mail() {	# mail FROM SUBJECT WHEN
	n=$((n + 1))
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <r%s@test>\n\nhelp\n' \
		"$1" "$2" "$n" >"$T/r$n.eml"
	deliver "$T/r$n.eml" "$3"
}
id_of() { supportctl list --json | json_py "[t['id'] for t in j if t['subject'] == '$1'][0]"; }
printf 'On it.\n' >"$T/reply.txt"
answer() { supportctl reply "$1" --file "$T/reply.txt" --now "$2" >/dev/null; }
resolve() { supportctl set "$1" status resolved --now "$2" >/dev/null; }

# --- a week of Acme and Beta ----------------------------------------------
mail ann@acme.example 'C1 checkout down' 2026-11-14T03:00:00+05:30	# Saturday night
mail bea@beta.example 'C2 slow search' 2026-11-16T10:00:00+05:30
mail ann@acme.example 'C2 coupons' 2026-11-16T10:00:00+05:30
mail bea@beta.example 'C3 typo' 2026-11-16T11:00:00+05:30
once_at 2026-11-16T11:00:30+05:30
a=$(id_of 'C1 checkout down') b=$(id_of 'C2 slow search')
c=$(id_of 'C2 coupons') d=$(id_of 'C3 typo')
answer "$a" 2026-11-14T03:30:00+05:30			# response met
supportctl set "$a" priority C2 --now 2026-11-14T06:00:00+05:30 >/dev/null	# met by downgrade
answer "$b" 2026-11-16T10:30:00+05:30			# response met
answer "$d" 2026-11-16T12:00:00+05:30			# met
answer "$b" 2026-11-16T12:20:00+05:30			# b kept informed
resolve "$b" 2026-11-16T14:00:00+05:30			# 4 h: met
once_at 2026-11-16T15:00:00+05:30	# c: response late; a, c silent too long
answer "$c" 2026-11-16T15:10:00+05:30
resolve "$d" 2026-11-17T11:00:00+05:30			# 1 day: met
once_at 2026-11-17T11:00:30+05:30	# c silent again; a, c resolution late
resolve "$c" 2026-11-17T12:00:00+05:30
resolve "$a" 2026-11-17T12:00:00+05:30
once_at 2026-11-18T12:00:00+05:30

supportctl report --json --now 2026-11-20T00:00:00+05:30 >"$T/r.json"
g() { json_py "[x for x in j['groups'] if x['priority'] == '$1' and x['tier'] == '$2'][0]$3" "$T/r.json"; }
assert_eq "$(json_py '[(x["priority"], x["tier"]) for x in j["groups"]]' "$T/r.json")" \
	"[('C1', 'premium'), ('C2', 'premium'), ('C3', 'premium')]" "a group per priority and tier, most urgent first"
assert_eq "$(g C1 premium "['periods_closed']")" 1 "the C1 is a closed period: the ticket is a C2 now"
assert_eq "$(g C1 premium "['resolution']['met_by_downgrade']")" 1 "its resolution met by the downgrade"
assert_eq "$(g C1 premium "['agent_response']['met']")" 1 "and its response met"
assert_eq "$(g C1 premium "['after_priority_change']")" "{'periods': 0, 'breached': 0}" "no change after it"
assert_eq "$(g C2 premium "['tickets']")" 3 "three tickets are C2s now"
assert_eq "$(g C2 premium "['agent_response']")" \
	"{'met': 1, 'breached': 1, 'responses': 2, 'median_seconds': 1800, 'p90_seconds': 18600}" \
	"C2 responses: b in 30 min, c after 5 h 10 min; a's counted in its C1 period"
assert_eq "$(g C2 premium "['update']")" "{'met': 1, 'breached': 2, 'silences_too_long': 3}" \
	"updates: b kept informed; a silent once too long, c twice"
assert_eq "$(g C2 premium "['resolution']['met']") $(g C2 premium "['resolution']['breached']")" "1 2" \
	"resolutions: b in time; a (24 h from its downgrade) and c late"
assert_eq "$(g C2 premium "['after_priority_change']")" "{'periods': 1, 'breached': 1}" \
	"the period after a's change breached its resolution"
assert_eq "$(g C2 premium "['after_hours']")" 1 "one ticket came after hours"
assert_eq "$(g C2 premium "['pages']")" 1 "and paged"
assert_eq "$(g C3 premium "['resolution']['median_seconds']")" 86400 "the C3 took a day to resolve"

supportctl report --json --by org --now 2026-11-20T00:00:00+05:30 >"$T/o.json"
assert_eq "$(json_py '[(x["priority"], x["organization"], x["tickets"]) for x in j["groups"]]' "$T/o.json")" \
	"[('C1', 'Acme Retail', 0), ('C2', 'Acme Retail', 2), ('C2', 'Beta Shop', 1), ('C3', 'Beta Shop', 1)]" \
	"--by org: a group per priority and organization"

supportctl report --format csv --now 2026-11-20T00:00:00+05:30 >"$T/r.csv"
assert_eq "$("$IT_PYTHON" -c 'import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
print(len(rows), [(r["priority"], r["resolution_breached"], r["update_breached"]) for r in rows])' "$T/r.csv")" \
	"3 [('C1', '0', '0'), ('C2', '2', '2'), ('C3', '0', '0')]" "--format csv: the same figures, RFC 4180"
assert_match "$(head -n 1 "$T/r.csv")" '^priority,tier,tickets,' "with a header"

out=$(supportctl report --format text --now 2026-11-20T00:00:00+05:30)
assert_match "$out" "C2  premium          3" "--format text: the table"
out=$(supportctl report --format pdf 2>&1)
assert_ne "$?" 0 "--format pdf is refused"
assert_match "$out" "text, json, csv or html" "naming the formats"

supportctl report --format html --now 2026-11-20T00:00:00+05:30 >"$T/r.html"
assert_eq "$("$IT_PYTHON" - "$T/r.html" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.outside, self.stack, self.text = {}, [], [], ""
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k in ("src", "href") or (v and v.startswith(("http:", "https:", "//"))
                                         and k != "xmlns"):
                self.outside.append((tag, k, v))
    def handle_data(self, data):
        self.text += data
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(p.tags.get("svg"), p.tags.get("rect", 0) > 0, p.tags.get("script", 0),
      p.tags.get("link", 0), p.outside, "Breaches per week" in p.text,
      "2026-11-16" in p.text, "Agent response times" in p.text)
EOF
)" "2 True 0 0 [] True True True" \
	"--format html: one page, two SVG charts (breaches in the week of 16 Nov), nothing from outside"
it_done
