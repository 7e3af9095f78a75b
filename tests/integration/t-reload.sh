#!/bin/bash
# SPDX-License-Identifier: MIT
# Reload and logs (issue #5 points 4 and 5): SIGHUP re-reads config and
# templates, a broken set is refused and the old one kept; SIGTERM stops
# cleanly; no password, token or mail body ever reaches the log.
. "$(dirname "$0")/lib.sh"
it_init "$0"
start_dovecot
start_smtp
mkdir "$T/tpl"
cp "$SRCDIR"/templates/* "$T/tpl/"
printf 'tok-%s\n' "$RANDOM$RANDOM" >"$T/pager.token"
write_config "templates_dir = \"$T/tpl\";" 'poll_interval = "1s";' \
	"oncall = { webhook = \"http://127.0.0.1:9/hook\"; webhook_token_file = \"$T/pager.token\"; };"
secret_body="body-secret-$RANDOM$RANDOM"

n=0
mail() {	# mail: deliver one more mail; leaves its number in $n
	n=$((n + 1))
	printf 'From: ann@acme.example\nTo: support@vendor.example\nSubject: question %s\nMessage-ID: <r%s@acme.example>\n\n%s\n' \
		"$n" "$n" "$secret_body" >"$T/m$n.eml"
	deliver "$T/m$n.eml"
}
answered() { wait_until 10 sink_has "$1"; }
body_of() { sink_body "$(sink_find "^Subject: \\[Ticket#$1\\]" | head -n 1)"; }

start_supportd
mail
answered 1 && ok "the running daemon answers" || not_ok "the running daemon answers" "$(tail "$T/supportd.log")"
assert_match "$(body_of 1)" "Your request is now ticket" "with the shipped ack"

# Break a template: the reload is refused and the old set keeps working.
# (ack or ack-after-hours answers, depending on when the test runs.)
printf 'Subject: {{ticket.tag}}\n\nHello {{no.such.thing}}\n' >"$T/tpl/ack"
kill -HUP "$SUPPORTD_PID"
wait_until 5 grep -q 'reload refused' "$T/supportd.log" &&
	ok "a broken template: reload refused" ||
	not_ok "a broken template: reload refused" "$(tail "$T/supportd.log")"
assert_file_contains "$T/supportd.log" "tpl/ack:3: unknown placeholder" "the log names the file and line"
mail
answered 2 && ok "mail is still answered" || not_ok "mail is still answered"
assert_match "$(body_of 2)" "Your request is now ticket" "with the old template"

# Fix it with new text: the reload takes it.
for t in ack ack-after-hours; do
	printf 'Subject: {{ticket.tag}} Re: {{ticket.subject}}\n\nNEW TEXT for {{ticket.tag}}\n' >"$T/tpl/$t"
done
kill -HUP "$SUPPORTD_PID"
wait_until 5 grep -q 'daemon: reloaded' "$T/supportd.log" &&
	ok "a good set: reloaded" || not_ok "a good set: reloaded" "$(tail "$T/supportd.log")"
mail
answered 3 && ok "mail after the reload is answered" || not_ok "mail after the reload is answered"
assert_match "$(body_of 3)" "NEW TEXT for \[Ticket#3\]" "with the new template"

# A broken config is refused the same way.
cp "$CONF" "$T/good.conf"
printf 'max_message_size = "12Q";\n' >>"$CONF"
kill -HUP "$SUPPORTD_PID"
refusals_at_least() { test "$(grep -c 'reload refused' "$T/supportd.log")" -ge "$1"; }
wait_until 5 refusals_at_least 2 &&
	ok "a broken config: reload refused" || not_ok "a broken config: reload refused"
assert_file_contains "$T/supportd.log" "supportd.conf:[0-9]+: max_message_size" "naming file:line"
mail
answered 4 && ok "and the daemon goes on" || not_ok "and the daemon goes on"
cp "$T/good.conf" "$CONF"

kill -TERM "$SUPPORTD_PID"
wait "$SUPPORTD_PID"
assert_eq "$?" 0 "SIGTERM: exit 0"

# Secrets: the IMAP password, the webhook token and mail bodies.
logs=$(cat "$T/supportd.log" "$T"/*.out 2>/dev/null)
assert_eq "$(grep -c -e "$IMAP_PASS" <<<"$(grep -v 'password_file' <<<"$logs")")" 0 \
	"the IMAP password is not in the log"
assert_eq "$(grep -c -e "$(cat "$T/pager.token")" <<<"$logs")" 0 "the webhook token is not in the log"
assert_eq "$(grep -c -e "$secret_body" <<<"$logs")" 0 "no mail body is in the log"
assert_match "$(grep -m1 'outcome=new-ticket' "$T/supportd.log")" \
	'^supportd: level=info intake: mailbox=support uid=[0-9]+ outcome=new-ticket ticket=[0-9]+ size=[0-9]+$' \
	"log lines are key=value"
it_done
