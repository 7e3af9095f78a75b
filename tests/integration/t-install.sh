#!/bin/bash
# SPDX-License-Identifier: MIT
# Installing for real (issue #5 point 6): make install with DESTDIR puts
# the programs, templates, example config, systemd unit and man pages in
# place; the man pages render without warnings; the installed programs
# run and the installed templates pass their own check.
. "$(dirname "$0")/lib.sh"
it_init "$0"
command -v make >/dev/null || fail "make is not installed"
out=$(make -s -C "$BUILDDIR" install DESTDIR="$T/root" 2>&1)
assert_eq "$?" 0 "make install DESTDIR=..." || note "$out"
R=$T/root
# Where configure put things (the default prefix is /usr/local).
sbin=$(find "$R" -path '*/sbin/supportd' | head -n 1)
bin=$(find "$R" -path '*/bin/supportctl' | head -n 1)
tdir=$(find "$R" -type d -path '*/etc/supportd/templates' | head -n 1)
doc=$(dirname "$(find "$R" -name supportd.conf.example | head -n 1)")
man=$(dirname "$(dirname "$(find "$R" -name supportd.8 | head -n 1)")")
[ -x "$sbin" ] && ok "installed ${sbin#"$R"}" || not_ok "supportd installed in an sbin"
[ -x "$bin" ] && ok "installed ${bin#"$R"}" || not_ok "supportctl installed in a bin"
for t in ack ack-c1 ack-c1-after-hours ack-after-hours ack-duplicate \
	ack-followup oncall-page escalation c1-update-reminder closed \
	notify-new notify-reply notify-assigned notify-reopened sla-warning \
	sla-breach; do
	[ -s "$tdir/$t" ] || not_ok "template $t installed"
done
ok "the sixteen templates are installed in ${tdir#"$R"}"
for f in "$doc/supportd.conf.example" "$doc/supportd.service" "$man/man8/supportd.8" \
	"$man/man1/supportctl.1" "$man/man5/supportd.conf.5"; do
	[ -s "$f" ] && ok "installed ${f#"$R"}" || not_ok "installed ${f#"$R"}"
done
unit=$doc/supportd.service
conf=${tdir%/templates}/supportd.conf
assert_file_contains "$unit" "^ExecStart=${sbin#"$R"} -c ${conf#"$R"} --foreground\$" \
	"the unit runs the installed daemon on the installed config"
for k in 'Type=notify' 'WatchdogSec=10min' 'User=supportd' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
	'ReadWritePaths=/var/lib/supportd' 'Restart=on-failure' 'ExecReload=/bin/kill -HUP \$MAINPID'; do
	assert_file_contains "$unit" "^$k\$" "unit: $k"
done
if command -v groff >/dev/null; then
	for m in "$man"/man*/*; do
		w=$(groff -man -ww -z "$m" 2>&1)
		assert_eq "$w" "" "$(basename "$m") renders without warnings"
	done
else
	note "groff not installed: rendering not checked"
fi
# Every setting of the example config is in supportd.conf(5).
for k in $(grep -oE '^\s*#?\s*[a-z_0-9]+ =' "$SRCDIR/conf/supportd.conf.example" |
	tr -d ' #=' | sort -u); do
	grep -q "\\b$k\\b" "$man/man5/supportd.conf.5" ||
		not_ok "supportd.conf(5) documents $k"
done
ok "supportd.conf(5) names every setting of the example config"
assert_match "$("$sbin" --version)" '^supportd [0-9]' "the installed daemon runs"
mkdir -p "$T/etc"
printf 'templates_dir = "%s";\nmailboxes = ({ name = "s"; address = "s@x.example";
  imap = { host = "127.0.0.1"; tls = "none"; user = "u"; password = "p"; }; });
smtp = { url = "smtp://127.0.0.1:25"; tls = "none"; };\n' "$tdir" >"$T/etc/c.conf"
chmod 600 "$T/etc/c.conf"
assert_cmd "the installed templates pass templates check" \
	"$bin" -c "$T/etc/c.conf" templates check
it_done
