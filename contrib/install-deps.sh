#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs every Debian 12 package supportd needs to build, test and run
# the demo.  Idempotent; run as root on a fresh machine.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (apt-get needs it)" >&2
	exit 1
fi

# Build.  libetpan-dev pulls in libcurl4-gnutls-dev, so that is the curl
# flavour we use; asking for libcurl4-openssl-dev would conflict.
BUILD="build-essential autoconf automake libtool pkg-config
	libetpan-dev libgmime-3.0-dev libsqlite3-dev libcurl4-gnutls-dev
	libconfig-dev libglib2.0-dev libgnutls28-dev libmicrohttpd-dev
	libsystemd-dev"
# Tests and demo: a real IMAP server, a real SMTP server, the sqlite3 and
# curl command-line tools, the tz database, openssl for throwaway CAs,
# promtool (in prometheus) to check the metrics' exposition.
TEST="dovecot-imapd python3 python3-aiosmtpd sqlite3 curl tzdata openssl
	ca-certificates procps prometheus"
# Sanitizers, fuzzing, leak checks.
CHECK="clang libclang-rt-14-dev valgrind"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $BUILD $TEST $CHECK

# Debian starts the system-wide Dovecot and Prometheus on install; the
# tests run their own private Dovecot and need only promtool.
for svc in dovecot prometheus; do
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$svc" ]; then
		"/etc/init.d/$svc" stop >/dev/null 2>&1 || true
	fi
done
exit 0
