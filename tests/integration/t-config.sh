#!/bin/bash
# SPDX-License-Identifier: MIT
# Configuration errors as an administrator meets them (issue #2 point 3,
# point 7): check-config, supportd -n, and --once against a dead server.
. "$(dirname "$0")/lib.sh"
it_init "$0"

# A config pointing at ports where nothing listens.
IMAP_PORT=$(free_port)
SMTP_PORT=$(free_port)
write_config

assert_exit 0 "check-config accepts a good config" supportctl check-config
out=$(supportctl check-config 2>&1)
assert_match "$out" "configuration OK" "and says so"
assert_exit 0 "supportd -n accepts it too" "$SUPPORTD_BIN" -c "$CONF" -n

cp "$CONF" "$T/good.conf"
# Each broken line is appended; the error must name this file and line.
check_bad() {	# check_bad LINE ERE MSG
	cp "$T/good.conf" "$T/bad.conf"
	printf '%s\n' "$1" >>"$T/bad.conf"
	local line out
	line=$(wc -l <"$T/bad.conf")
	out=$("$SUPPORTCTL_BIN" -c "$T/bad.conf" check-config 2>&1)
	local rc=$?
	assert_eq "$rc" 78 "check-config exits 78 on: $3"
	assert_match "$out" "^$T/bad.conf:$line: $2" "error names file:line for: $3"
}
check_bad 'poll_interval = "5x";' 'poll_interval: ' "a bad duration"
check_bad 'max_message_size = "12Q";' 'max_message_size: ' "a bad size"
check_bad 'autoreply_limit = "five";' 'autoreply_limit: ' "a wrong type"
check_bad 'no_such_setting = 1;' 'no_such_setting: unknown setting' "an unknown setting"
check_bad 'calendar = { timezone = "Mars/Olympus"; };' 'calendar.timezone: ' "an unknown time zone"
check_bad 'default_priority = "C9";' 'default_priority: ' "an unknown priority"
check_bad 'poll_interval = ;' 'syntax error' "a syntax error"
# check_edit SED ERE MSG: good.conf edited by SED (one line) fails
# check-config with 78 and an error at that line; the edited copy stays
# in $T/edit.conf and its output in $out.
check_edit() {
	cp "$T/good.conf" "$T/edit.conf"
	sed -i "$1" "$T/edit.conf"
	local line
	line=$(diff "$T/good.conf" "$T/edit.conf" | sed -n '1s/^\([0-9]*\)c.*/\1/p')
	out=$("$SUPPORTCTL_BIN" -c "$T/edit.conf" check-config 2>&1)
	assert_eq "$?" 78 "check-config exits 78 on $3"
	assert_match "$out" "^$T/edit.conf:$line: $2" "naming file:line for $3"
}
# Moving the mail into the folder it is read from (issue #19 point 7).
check_edit 's|^\( *\)name = "support";|\1name = "support"; processed = "move:inbox";|' \
	'mailboxes.\[0\].processed: "move:inbox" is the folder' "processed = move:inbox for INBOX"
# A reply_address that cannot carry a ticket and a token (issue #20).
check_edit 's|^\( *\)name = "support";|\1name = "support"; reply_address = "notes-{token}@vendor.example";|' \
	'mailboxes.\[0\].reply_address: needs "\{ticket\}" then "\{token\}"' "a reply_address without {ticket}"
check_edit 's|^\( *\)name = "support";|\1name = "support"; reply_address = "notes+{ticket}{token}@vendor.example";|' \
	'mailboxes.\[0\].reply_address: needs' "a reply_address with nothing between {ticket} and {token}"

out=$("$SUPPORTCTL_BIN" -c "$T/nonexistent.conf" check-config 2>&1)
assert_match "$out" "nonexistent.conf" "a missing config file is named"

# A template error is a config error too, naming the template file:line.
mkdir "$T/tpl"
cp "$SRCDIR"/templates/* "$T/tpl/"
printf 'Subject: x\n\nHello {{ticket.nosuch}}\n' >"$T/tpl/ack"
cp "$T/good.conf" "$T/tpl.conf"
sed -i "s|^templates_dir = .*|templates_dir = \"$T/tpl\";|" "$T/tpl.conf"
out=$("$SUPPORTCTL_BIN" -c "$T/tpl.conf" check-config 2>&1)
assert_eq "$?" 78 "check-config exits 78 on a broken template"
assert_match "$out" "$T/tpl/ack:3: unknown placeholder \"ticket.nosuch\"" "template error names file:line"
assert_exit 78 "supportd refuses to start with a broken template" "$SUPPORTD_BIN" -c "$T/tpl.conf" --once

# A password_file that is not there is a config error at load, not a
# failure at the first login (issue #19 point 9); one that others can
# read is a warning, as an inline password in such a file is.
check_edit "s|password_file = \"[^\"]*\"|password_file = \"$T/missing.pass\"|" \
	"mailboxes.\\[0\\].imap.password_file: cannot read $T/missing.pass: No such file" \
	"a missing password_file"
out=$("$SUPPORTD_BIN" -c "$T/edit.conf" -n 2>&1)
assert_eq "$?" 78 "supportd -n exits 78 on it too"
assert_match "$out" "missing.pass" "and names the file"
check_edit "s|password_file = \"[^\"]*\"|password_file = \"$T\"|" \
	"mailboxes.\\[0\\].imap.password_file: cannot read $T: not a regular file" \
	"a password_file that is a directory"
chmod 0644 "$T/imap.pass"
out=$(supportctl check-config 2>&1)
assert_eq "$?" 0 "a password file others can read still loads"
assert_match "$out" "warning: .*password_file: $T/imap.pass can be read by others" "with a warning"
chmod 0600 "$T/imap.pass"

# Nothing listens on the IMAP port: a clear error and a non-zero exit.
supportd --once >"$T/once.out" 2>&1
rc=$?
assert_eq "$rc" 75 "supportd --once exits 75 (EX_TEMPFAIL) when IMAP is down"
assert_file_contains "$T/once.out" "mailbox=support host=127.0.0.1 port=$IMAP_PORT: connect: connection refused" \
	"the log says which mailbox could not connect"
assert_exit 64 "supportd without -c is a usage error" "$SUPPORTD_BIN" --once
assert_exit 64 "supportctl with an unknown command is a usage error" supportctl frobnicate
it_done
