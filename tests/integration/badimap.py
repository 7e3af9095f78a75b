#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""badimap.py PORT MODE LOG - an IMAP server that misbehaves on cue.

Dovecot cannot be made to break a session at a chosen moment, so this
scripted server plays just enough IMAP for supportd's intake (CAPABILITY,
LOGIN, SELECT, UID SEARCH, UID FETCH, LOGOUT) over one mailbox holding
one mail, and breaks it the way MODE says:

  bye           greets with "* BYE" and closes
  smtp          greets like an SMTP server (IMAP pointed at port 25)
  garbage       greets with binary noise and no line end, then closes
  select-close  closes the connection instead of answering SELECT
  fetch-close   sends part of the mail's literal, then closes
  huge-literal  announces a 4 GB literal, sends a little, then closes
  bad-fetch     answers FETCH with a response that does not parse
  no-login      answers LOGIN with NO
  silent        accepts the connection and never says a word (it reads
                and drops whatever comes)
  slow-select   not a fault: answers SELECT only once LOG.hold is gone
                (at most 30 s), then serves the mail as a good server
  late-exists   not a fault: a good server with IDLE whose second mail
                arrives while the first is marked \Seen, announced by
                "* 2 EXISTS" in the answer to that UID STORE; IDLE then
                announces nothing (as Dovecot: the session already knows)
  idle-exists   the same, but the second mail arrives as the first IDLE
                begins: "+ idling" and "* 2 EXISTS" in one write
  chatty-exists one mail, and "* 1 EXISTS" (no news) in the answer to
                every UID SEARCH and UID STORE
  idle-no       one mail; offers IDLE but answers the command with NO
  group-close   40 mails; the first session to log in has its second
                body FETCH answered with part of a literal, then closed;
                later sessions are served well.  \Seen is kept across
                connections and each UID STORE logs "seen=N", how many
                are marked

Each connection is logged to LOG (one line per command) so the test can
see how often supportd came back.
"""
import os
import re
import socket
import sys
import threading
import time

MAIL = (b"From: ann@acme.example\r\nTo: support@vendor.example\r\n"
        b"Subject: printer on fire\r\nMessage-ID: <bad-1@acme.example>\r\n"
        b"Date: Mon, 16 Nov 2026 09:00:00 +0000\r\n\r\nhelp\r\n")


def uids_of(spec, n):
    """The UIDs among 1..n that the IMAP sequence set spec names."""
    out = set()
    for part in spec.split(","):
        a, _, b = part.partition(":")
        lo = n if a == "*" else int(a)
        hi = lo if not b else (n if b == "*" else int(b))
        out.update(u for u in range(min(lo, hi), max(lo, hi) + 1)
                   if 1 <= u <= n)
    return sorted(out)


def mail_of(uid, mode=""):
    """Mail uid; group-close's have their own Message-IDs."""
    return MAIL.replace(b"<bad-1@", b"<%s-%d@" % (
        b"pipe" if mode == "group-close" else b"bad", uid))


SHARED = {"seen": set(), "logins": 0}


def serve(conn, mode, log):
    f = conn.makefile("rb")
    n = 40 if mode == "group-close" else 1   # mails, UIDs 1..n
    seen = SHARED["seen"] if mode == "group-close" else set()
    first_conn = False      # the first session that logs in
    body_fetches = 0
    idle = mode in ("late-exists", "idle-exists", "chatty-exists",
                    "idle-no")
    caps = b"IMAP4rev1 UIDPLUS" + (b" IDLE" if idle else b"")

    def send(b):
        conn.sendall(b)

    def note(s):
        with open(log, "a") as lf:
            lf.write(s + "\n")

    note("connect")
    if mode == "silent":
        while f.read(1):
            pass
        return
    if mode == "bye":
        send(b"* BYE not today\r\n")
        return
    if mode == "smtp":
        send(b"220 mx.example ESMTP Postfix\r\n")
        f.readline()
        send(b"502 5.5.2 Error: command not recognized\r\n")
        return
    if mode == "garbage":
        send(b"\x00\xff\xfe*\x01 OK\x00" * 8)
        return
    send(b"* OK [CAPABILITY %s] badimap ready\r\n" % caps)
    while True:
        line = f.readline()
        if not line:
            return
        words = line.decode("latin-1").rstrip("\r\n").split(" ")
        tag, cmd = words[0], " ".join(words[1:3]).upper()
        note(line.decode("latin-1").rstrip("\r\n").split(" ")[1].upper()
             if len(words) > 1 else "?")
        if cmd.startswith("CAPABILITY"):
            send(b"* CAPABILITY %s\r\n" % caps)
            send(tag.encode() + b" OK done\r\n")
        elif cmd.startswith("LOGIN"):
            SHARED["logins"] += 1
            first_conn = SHARED["logins"] == 1
            if mode == "no-login":
                send(tag.encode() + b" NO [AUTHENTICATIONFAILED] no\r\n")
            else:
                send(tag.encode() + b" OK [CAPABILITY %s] in\r\n" % caps)
        elif cmd.startswith("SELECT") or cmd.startswith("EXAMINE"):
            if mode == "select-close":
                return
            if mode == "slow-select":
                end = time.time() + 30
                while os.path.exists(log + ".hold") and time.time() < end:
                    time.sleep(0.05)
            send(b"* %d EXISTS\r\n* 0 RECENT\r\n"
                 b"* OK [UIDVALIDITY 7] UIDs valid\r\n"
                 b"* OK [UIDNEXT %d] next\r\n"
                 b"* FLAGS (\\Seen \\Deleted)\r\n" % (n, n + 1))
            send(tag.encode() + b" OK [READ-WRITE] selected\r\n")
        elif cmd.startswith("UID SEARCH"):
            m = re.search(r"UID ([0-9*:,]+)", " ".join(words[3:]))
            found = uids_of(m.group(1), n) if m else list(range(1, n + 1))
            if "UNSEEN" in line.decode("latin-1").upper():
                found = [u for u in found if u not in seen]
            send(b"* SEARCH" + b"".join(b" %d" % u for u in found) +
                 b"\r\n" + (b"* %d EXISTS\r\n" % n
                             if mode == "chatty-exists" else b"") +
                 tag.encode() + b" OK searched\r\n")
        elif cmd.startswith("UID STORE"):
            seen.update(uids_of(words[3], n))
            if mode == "group-close":
                note("seen=%d" % len(seen))
            if mode == "late-exists" and n == 1:
                n = 2
                send(b"* 2 EXISTS\r\n")
            if mode == "chatty-exists":
                send(b"* %d EXISTS\r\n" % n)
            send(tag.encode() + b" OK stored\r\n")
        elif cmd.startswith("IDLE"):
            if mode == "idle-no":
                send(tag.encode() + b" NO not now\r\n")
                continue
            if mode == "idle-exists" and n == 1:
                n = 2
                send(b"+ idling\r\n* 2 EXISTS\r\n")
            else:
                send(b"+ idling\r\n")
            if not f.readline():    # DONE
                return
            send(tag.encode() + b" OK idled\r\n")
        elif cmd.startswith("UID FETCH"):
            body_fetches += 1
            # supportd asks for the metadata with the first bytes of
            # each body ("BODY.PEEK[]<0.N>"), as Dovecot answers it.
            part = re.search(rb"BODY\.PEEK\[\]<0\.(\d+)>", line, re.I)
            sec = b"BODY[]<0>" if part else b"BODY[]"

            def head(u, size):
                meta = (b'RFC822.SIZE %d INTERNALDATE "16-Nov-2026 '
                        b'09:00:00 +0000" ' % len(mail_of(u, mode))
                        if b"RFC822.SIZE" in line.upper() else b"")
                return b"* %d FETCH (UID %d %s%s {%d}\r\n" % (
                    u, u, meta, sec, size)
            if mode == "group-close" and first_conn and body_fetches == 2:
                u = uids_of(words[3], n)[0]
                send(head(u, len(mail_of(u, mode))) + mail_of(u, mode)[:40])
                return
            if mode == "fetch-close":
                send(head(1, len(MAIL)) + MAIL[:40])
                return
            if mode == "huge-literal":
                send(head(1, 4294967295) + MAIL)
                return
            if mode == "bad-fetch":
                send(b"* 1 FETCH (UID 1 %s ((((\r\n" % sec)
                send(tag.encode() + b" OK fetched\r\n")
                continue
            for u in uids_of(words[3], n):
                body = mail_of(u, mode)
                if part:
                    body = body[:int(part.group(1))]
                send(head(u, len(body)) + body + b")\r\n")
            send(tag.encode() + b" OK fetched\r\n")
        elif cmd.startswith("LOGOUT"):
            send(b"* BYE bye\r\n" + tag.encode() + b" OK out\r\n")
            return
        else:
            send(tag.encode() + b" OK whatever\r\n")


def main():
    port, mode, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        conn, _ = s.accept()

        def run(c=conn):
            try:
                serve(c, mode, log)
            except OSError:
                pass
            finally:
                c.close()
        threading.Thread(target=run, daemon=True).start()


if __name__ == "__main__":
    main()
