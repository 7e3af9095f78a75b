#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""latency.py - delivery -> response latency with supportd on IDLE.

    latency.py HOST PORT USER PASS DUMPDIR N [GAP]

APPENDs N new-ticket mails to INBOX one at a time over one IMAP session,
taking the time just before each APPEND (after a pause of GAP seconds,
default 0, so a Dovecot with imap hibernation has hibernated the IDLE
sessions again), and waits (up to 10 s) for the
response to appear in DUMPDIR, where smtp-sink -d writes one file per
mail transaction; the response is the file naming the mail's Message-ID
(In-Reply-To).  A second session sits in IDLE and records when
Dovecot announces each mail (idle_only: Dovecot's own part; own: per
mail, the response's time minus that announcement, supportd's part).  The latency is the file's mtime (written when smtp-sink
took the mail) minus the time before the APPEND.  Prints
"got=K p50=.. p95=.. p99=.. max=.." in ms.
"""
import imaplib
import os
import re
import socket
import sys
import threading
import time


class IdleWatch(threading.Thread):
    """A second IMAP session in IDLE: the time each "* N EXISTS" arrives,
    to separate Dovecot's own notification delay from supportd's."""

    def __init__(self, host, port, user, pw):
        super().__init__(daemon=True)
        self.s = socket.create_connection((host, int(port)))
        self.f = self.s.makefile("rb")
        self.f.readline()
        self.cmd(b"a LOGIN %s %s" % (user.encode(), pw.encode()))
        self.cmd(b"b SELECT INBOX")
        self.s.sendall(b"c IDLE\r\n")
        while not self.f.readline().startswith(b"+"):
            pass
        self.exists = {}

    def cmd(self, line):
        tag = line.split()[0]
        self.s.sendall(line + b"\r\n")
        while True:
            r = self.f.readline()
            if not r or r.startswith(tag + b" "):
                return r

    def run(self):
        for line in self.f:
            m = re.match(rb"\* (\d+) EXISTS", line)
            if m:
                self.exists.setdefault(int(m.group(1)), time.time_ns())


def pct(v, p):
    v = sorted(v)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def main():
    host, port, user, pw, dump, n = sys.argv[1:7]
    n = int(n)
    gap = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
    im = imaplib.IMAP4(host, int(port))
    im.login(user, pw)
    watch = IdleWatch(host, port, user, pw)
    watch.start()
    typ, cnt = im.select("INBOX")
    base = int(cnt[0])
    dove = []
    own = []    # per mail: response accepted - Dovecot's EXISTS
    seen = set(os.listdir(dump))
    lat = []
    stamp = int(time.time())
    for i in range(n):
        mid = "lat-%d-%d@bench.example" % (stamp, i)
        msg = ("From: Latency Tester %d <lat%d@customer%d.example>\r\n"
               "To: support@vendor.example\r\n"
               "Subject: Latency probe %d: dashboard slow\r\n"
               "Message-ID: <%s>\r\n"
               "Date: %s\r\n"
               "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
               "Hello, the dashboard is slow again. Probe %d.\r\n"
               % (i, i, i % 50, i, mid,
                  time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
                  i)).encode()
        if gap > 0:
            time.sleep(gap)
        t0 = time.time_ns()
        typ, _ = im.append("INBOX", None, None, msg)
        if typ != "OK":
            sys.exit("APPEND failed")
        found = None
        deadline = time.monotonic() + 10
        while found is None and time.monotonic() < deadline:
            for f in os.listdir(dump):
                if f in seen:
                    continue
                p = os.path.join(dump, f)
                try:
                    with open(p, "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue
                if mid.encode() in data:
                    found = p
                    seen.add(f)
                    break
            if found is None:
                time.sleep(0.002)
        if found is None:
            print("mail %d: no response within 10 s" % i, file=sys.stderr)
            continue
        time.sleep(0.005)   # let smtp-sink finish the file
        done = os.stat(found).st_mtime_ns
        lat.append((done - t0) / 1e6)
        te = watch.exists.get(base + i + 1)
        if te is not None:
            dove.append((te - t0) / 1e6)
            own.append((done - te) / 1e6)
        # per mail, for a look at the slow ones (run.sh keeps it in
        # latency-HIB.err or latency-DEF.err; KEEP=1 keeps those)
        print("mail %d: %.1f ms%s" % (i, lat[-1], "" if te is None else
              ", Dovecot %.1f ms" % ((te - t0) / 1e6)), file=sys.stderr)
    im.logout()
    if not lat:
        sys.exit("no responses")
    out = "got=%d p50=%.1f p95=%.1f p99=%.1f max=%.1f" % (
        len(lat), pct(lat, 50), pct(lat, 95), pct(lat, 99), max(lat))
    if dove:
        out += " idle_only=%.1f/%.1f/%.1f" % (
            pct(dove, 50), pct(dove, 95), pct(dove, 99))
        out += " own=%.1f/%.1f/%.1f" % (
            pct(own, 50), pct(own, 95), pct(own, 99))
    print(out)


if __name__ == "__main__":
    main()
