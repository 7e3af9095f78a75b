#!/bin/bash
# SPDX-License-Identifier: MIT
# Prometheus metrics (issue #23 point 2, SPEC §16.2): served on loopback
# when metrics.listen is set, names and types by Prometheus's rules, a
# HELP line each (promtool check metrics), the values of a known run;
# labels name mailboxes and priorities only; a client that connects and
# says nothing, or many of them, cannot hold up the daemon or the
# endpoint for good.
. "$(dirname "$0")/lib.sh"
it_init "$0"
command -v promtool >/dev/null || _it_missing "promtool (Debian package prometheus)"
start_dovecot
start_smtp
MPORT=$(free_port)
write_config --imap 'idle = true;' "metrics = { listen = \"127.0.0.1:$MPORT\"; };" \
	'oncall = { emails = [ "oncall@vendor.example" ]; };'
URL=http://127.0.0.1:$MPORT/metrics

scrape() { curl -sS --max-time 5 "$URL" >"$T/m.txt"; }
metric() {	# metric NAME_AND_LABELS: its value in the last scrape
	awk -v k="$1" '$1 == k { print $2 }' "$T/m.txt"
}
mail() {	# mail NAME FROM SUBJECT [DATE]
	printf 'From: %s\nTo: support@vendor.example\nSubject: %s\nMessage-ID: <%s@acme.example>\n\nhello\n' \
		"$2" "$3" "$1" >"$T/$1.eml"
	deliver "$T/$1.eml"
}

assert_match "$(supportd -n 2>&1)" "configuration OK" "metrics.listen on loopback is accepted"
write_config "metrics = { listen = \"0.0.0.0:$MPORT\"; };"
assert_match "$(supportd -n 2>&1)" "metrics: listen 0.0.0.0 serves the metrics beyond this host" \
	"...one beyond this host is warned about"
write_config "metrics = { listen = \"localhost:$MPORT\"; };"
assert_exit 78 "...and a host name is refused (nothing is looked up to bind)" supportd -n
write_config --imap 'idle = true;' "metrics = { listen = \"127.0.0.1:$MPORT\"; };" \
	'oncall = { emails = [ "oncall@vendor.example" ]; };'

# A known run on a Saturday night: three mails, one of them a C1 that
# pages on-call.  The daemon's clock is --now's.
mail m1 ann@acme.example "printer jammed"
mail m2 bob@acme.example "C1 production down"
mail m3 carl@acme.example "question about invoices"
start_supportd --now 2026-12-05T22:00:00Z
wait_until 20 sink_has 4 || fail "the mails were not answered" "$(tail "$T/supportd.log")"
has_gauges() { scrape 2>/dev/null && [ "$(metric 'supportd_outbox_queued_mails')" = 0 ] &&
	[ "$(metric 'supportd_mailbox_up{mailbox="support"}')" = 1 ] &&
	[ "$(metric 'supportd_mails_taken_total{mailbox="support"}')" = 3 ]; }
wait_until 30 has_gauges || fail "no metrics" "$(cat "$T/m.txt"; tail "$T/supportd.log")"
scrape
if promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1; then
	ok "promtool check metrics accepts the exposition"
else
	not_ok "promtool check metrics accepts the exposition" "$(cat "$T/promtool.out")"
fi
assert_eq "$(grep -c '^# HELP supportd_' "$T/m.txt")" "$(grep -c '^# TYPE supportd_' "$T/m.txt")" \
	"a HELP line for every family"
assert_eq "$(metric 'supportd_mails_taken_total{mailbox="support"}')" 3 "three mails taken"
assert_eq "$(metric 'supportd_tickets_created_total{mailbox="support"}')" 3 "three tickets created"
assert_eq "$(metric 'supportd_pages_total')" 1 "one page for the C1 after hours"
assert_eq "$(metric 'supportd_responses_sent_total')" 4 "four mails sent: three acknowledgements and the page"
assert_eq "$(sink_count)" 4 "...as the relay got them"
assert_eq "$(metric 'supportd_responses_failed_total')" 0 "none given up"
assert_eq "$(metric 'supportd_sla_breaches_total{priority="C1"}')" 0 "every priority has its series"
assert_eq "$(metric 'supportd_quarantined_mails{mailbox="support"}')" 0 "nothing quarantined"
assert_match "$(metric 'supportd_mailbox_last_success_timestamp_seconds{mailbox="support"}')" '^1[0-9]{9}$' \
	"the last success as a Unix time"
assert_match "$(metric 'supportd_heartbeat_timestamp_seconds')" '^1[0-9]{9}$' "the heartbeat too"
assert_file_lacks "$T/m.txt" '@|printer|production|invoices' "no address or subject in the metrics"
assert_match "$(curl -sS -o /dev/null -w '%{http_code} %{content_type}' "$URL")" \
	'^200 text/plain; version=0.0.4' "the exposition's content type"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" 404 "other paths are not found"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -d x "$URL")" 405 "POST is not allowed"

# Clients that connect and say nothing, more than the endpoint takes:
# mail still flows, and once they are cut off a scrape works again.
"$IT_PYTHON" - "$MPORT" >"$T/idle.out" 2>&1 <<'EOF' &
import socket, sys, time
conns = []
for _ in range(40):
    try:
        conns.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2))
    except OSError:
        pass
time.sleep(30)
EOF
IDLERS=$!
sleep 1
mail m4 dora@acme.example "while the endpoint is held"
wait_until 20 sink_has 5 && ok "mail is answered while idle clients hold the endpoint" ||
	not_ok "mail is answered while idle clients hold the endpoint" "$(tail "$T/supportd.log")"
scrape_ok() { curl -sS --max-time 3 "$URL" >"$T/m.txt" 2>/dev/null && grep -q '^supportd_pages_total' "$T/m.txt"; }
wait_until 25 scrape_ok && ok "the idle clients are cut off and a scrape works again" ||
	not_ok "the idle clients are cut off and a scrape works again"
kill "$IDLERS" 2>/dev/null
wait "$IDLERS" 2>/dev/null

# A reload that moves the endpoint.
MPORT2=$(free_port)
write_config --imap 'idle = true;' "metrics = { listen = \"127.0.0.1:$MPORT2\"; };"
kill -HUP "$SUPPORTD_PID"
URL=http://127.0.0.1:$MPORT2/metrics
wait_until 20 scrape_ok && ok "after a reload the endpoint moves to the new address" ||
	not_ok "after a reload the endpoint moves to the new address" "$(tail "$T/supportd.log")"
assert_eq "$(metric 'supportd_mails_taken_total{mailbox="support"}')" 4 "...its counters kept"
stop_supportd
it_done
