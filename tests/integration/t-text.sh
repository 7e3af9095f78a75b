#!/bin/bash
# SPDX-License-Identifier: MIT
# The new text of a mail (issue #20 point 4, SPEC §13.4): show prints
# each message's text without the quoted history and signature, --json
# gives it beside the whole body, and a template's {{message.text}} is that text
# for a customer of a known organization, empty for a stranger.
. "$(dirname "$0")/lib.sh"
it_init "$0"
NOW=2026-11-16T11:00:00+05:30
start_dovecot
start_smtp
mkdir "$T/tpl"
cp "$SRCDIR"/templates/* "$T/tpl/"
printf 'Subject: {{ticket.tag}} Re: {{ticket.subject}}\n\nYou wrote:\n{{message.text}}\n-- \n{{mailbox.name}}\n' >"$T/tpl/ack"
write_config "templates_dir = \"$T/tpl\";"
assert_exit 0 "a template with {{message.text}} passes the check" supportctl templates check

mail() {	# mail NAME FROM BODY
	printf 'From: %s\nTo: support@vendor.example\nSubject: export %s\nMessage-ID: <%s@test>\n\n%s\n' \
		"$2" "$1" "$1" "$3" >"$T/$1.eml"
	deliver "$T/$1.eml" "$NOW"
	supportd --once --now "$NOW" >>"$T/run.log" 2>&1 || not_ok "supportd --once" "$(tail "$T/run.log")"
}
BODY='The export is slow again.

-- 
Ann, Acme Retail

On Fri, 13 Nov 2026 at 10:00, Vendor Support <support@vendor.example> wrote:
> Please try again.'
mail a 'ann@acme.example' "$BODY"
assert_eq "$(supportctl show 1 --json | json_py 'j["messages"][0]["text"]')" "The export is slow again." \
	"show --json: the text without the signature and the quoted history"
assert_match "$(supportctl show 1 --json | json_py 'j["messages"][0]["body"]')" "Please try again" \
	"...beside the whole body"
out=$(supportctl show 1)
assert_match "$out" $'\n\nThe export is slow again.\n\\[quoted history and signature left out' \
	"show: the new text, saying what was left out"
case $out in *"Please try again"*) not_ok "show: without the history" ;; *) ok "show: without the history" ;; esac
k=$(sink_find '^To:.*ann@acme\.example' | tail -n 1)
assert_match "$(sink_body "$k")" $'You wrote:\nThe export is slow again.\n\n-- ' "the customer's new text in the template"
assert_file_lacks "$(sink_file "$k")" 'Please try again' "without the history"

mail b 'eve@stranger.example' 'Buy now at https://spam.example'
k=$(sink_find '^To:.*eve@stranger\.example' | tail -n 1)
assert_match "$(sink_body "$k")" $'You wrote:\n\n-- ' "a stranger's text is not echoed"
assert_file_lacks "$(sink_file "$k")" 'spam\.example' "not a word of it"
it_done
