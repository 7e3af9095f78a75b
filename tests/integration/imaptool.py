#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Small IMAP client for supportd's integration tests (stdlib imaplib only).

Connection from the environment: IMAP_HOST (127.0.0.1), IMAP_PORT,
IMAP_USER, IMAP_PASS; IMAP_SSL=1 uses IMAPS with IMAP_CAFILE.

    imaptool.py append FILE [DATE] [FOLDER]  APPEND; DATE is ISO 8601
                                             ("2026-03-03T03:00:00+05:30",
                                             no offset means UTC) or an
                                             epoch number; prints the UID
    imaptool.py append-many DIR [FOLDER]     APPEND every regular file of DIR
                                             in name order over one session
                                             (INTERNALDATE now); prints how
                                             many
    imaptool.py append-users DIR             APPEND each file DIR/USER.eml to
                                             USER's INBOX (one login each);
                                             prints how many
    imaptool.py count [FOLDER]               number of messages
    imaptool.py seen-count [FOLDER]          number of messages with \\Seen
    imaptool.py flags N [FOLDER]             flags of message N (sequence
                                             number; "uid:N" for a UID)
    imaptool.py internaldate N [FOLDER]      INTERNALDATE of N, ISO 8601
    imaptool.py fetch N [FOLDER]             the raw message to stdout
    imaptool.py store N ITEM [FOLDER]        STORE, e.g. store 1 '+FLAGS (\\Seen)'
    imaptool.py uids [FOLDER]                UIDs, one a line
    imaptool.py uidvalidity [FOLDER]         UIDVALIDITY
    imaptool.py folders                      folder names, one a line
    imaptool.py create FOLDER | delete FOLDER

Exit status 0, or 1 with a message on stderr.
"""

import datetime
import imaplib
import os
import re
import sys


def connect(user=None):
    host = os.environ.get("IMAP_HOST", "127.0.0.1")
    port = int(os.environ["IMAP_PORT"])
    if os.environ.get("IMAP_SSL") == "1":
        import ssl
        ctx = ssl.create_default_context(cafile=os.environ.get("IMAP_CAFILE"))
        m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=10)
    else:
        m = imaplib.IMAP4(host, port, timeout=10)
    m.login(user or os.environ.get("IMAP_USER", "support"),
            os.environ.get("IMAP_PASS", "test"))
    return m


def quote(folder):
    return '"%s"' % folder.replace("\\", "\\\\").replace('"', '\\"')


def select(m, folder, readonly=True):
    typ, data = m.select(quote(folder), readonly=readonly)
    if typ != "OK":
        raise SystemExit("imaptool: cannot select %s: %s" % (folder, data))
    return int(data[0])


def parse_date(s):
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return datetime.datetime.fromtimestamp(float(s), datetime.timezone.utc)
    d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d


def msg_ref(n):
    """('UID' or None, number) from "N" or "uid:N"."""
    if n.lower().startswith("uid:"):
        return True, n[4:]
    return False, n


def fetch(m, n, what):
    by_uid, num = msg_ref(n)
    if by_uid:
        typ, data = m.uid("FETCH", num, what)
    else:
        typ, data = m.fetch(num, what)
    if typ != "OK" or not data or data[0] is None:
        raise SystemExit("imaptool: no message %s" % n)
    return data


def internaldate(data):
    """The INTERNALDATE of a FETCH answer, as an aware datetime."""
    raw = re.search(rb'INTERNALDATE "([^"]+)"', data[0]).group(1)
    # strptime's %b is English in the C locale Python starts in.
    return datetime.datetime.strptime(raw.decode().strip(),
                                      "%d-%b-%Y %H:%M:%S %z")


def check_date(m, folder, uid, date):
    """Dovecot stores the time of the APPEND instead of a DATE in the
    future of its clock: a test that asked for one would silently run on
    the real date (t-escalation did, until the date passed)."""
    select(m, folder)
    typ, data = m.uid("FETCH", uid, "(INTERNALDATE)")
    got = internaldate(data) if typ == "OK" and data and data[0] else None
    if got is None or int(got.timestamp()) != int(date.timestamp()):
        raise SystemExit("imaptool: the server stored INTERNALDATE %s, not "
                         "%s: a date after the real clock is not kept, so "
                         "a test must deliver only past dates"
                         % (got.isoformat() if got else "(none)",
                            date.isoformat()))


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "append-users":
        names = sorted(n for n in os.listdir(args[0]) if n.endswith(".eml"))
        for name in names:
            with open(os.path.join(args[0], name), "rb") as f:
                body = f.read()
            u = connect(name[:-len(".eml")])
            typ, data = u.append("INBOX", None, None, body)
            u.logout()
            if typ != "OK":
                raise SystemExit("imaptool: APPEND of %s failed: %s"
                                 % (name, data))
        print(len(names))
        return
    m = connect()
    try:
        if cmd == "append":
            path = args[0]
            date = parse_date(args[1]) if len(args) > 1 and args[1] else None
            folder = args[2] if len(args) > 2 else "INBOX"
            with open(path, "rb") as f:
                body = f.read()
            # imaplib turns bare LF (and CR) into CRLF, as IMAP wants.
            typ, data = m.append(quote(folder), None,
                                 imaplib.Time2Internaldate(date) if date
                                 else None, body)
            if typ != "OK":
                raise SystemExit("imaptool: APPEND failed: %s" % data)
            code = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            if date:
                if not code:
                    raise SystemExit("imaptool: no APPENDUID: cannot check "
                                     "the INTERNALDATE the server kept")
                check_date(m, folder, code.group(1).decode(), date)
            print(code.group(1).decode() if code else "")
        elif cmd == "append-many":
            # One session for the lot: ~1 ms a mail instead of a process
            # and a login each (deliver), for tests that need hundreds.
            folder = args[1] if len(args) > 1 else "INBOX"
            names = sorted(n for n in os.listdir(args[0])
                           if os.path.isfile(os.path.join(args[0], n)))
            for name in names:
                with open(os.path.join(args[0], name), "rb") as f:
                    body = f.read()
                typ, data = m.append(quote(folder), None, None, body)
                if typ != "OK":
                    raise SystemExit("imaptool: APPEND of %s failed: %s"
                                     % (name, data))
            print(len(names))
        elif cmd == "count":
            print(select(m, args[0] if args else "INBOX"))
        elif cmd == "seen-count":
            select(m, args[0] if args else "INBOX")
            typ, data = m.search(None, "SEEN")
            print(len(data[0].split()))
        elif cmd == "flags":
            select(m, args[1] if len(args) > 1 else "INBOX")
            data = fetch(m, args[0], "(FLAGS)")
            flags = imaplib.ParseFlags(data[0])
            print(" ".join(f.decode() for f in flags))
        elif cmd == "internaldate":
            select(m, args[1] if len(args) > 1 else "INBOX")
            print(internaldate(fetch(m, args[0], "(INTERNALDATE)")).isoformat())
        elif cmd == "fetch":
            select(m, args[1] if len(args) > 1 else "INBOX")
            data = fetch(m, args[0], "(BODY.PEEK[])")
            sys.stdout.buffer.write(data[0][1])
        elif cmd == "store":
            select(m, args[2] if len(args) > 2 else "INBOX", readonly=False)
            by_uid, num = msg_ref(args[0])
            item, flags = args[1].split(None, 1)
            if by_uid:
                typ, data = m.uid("STORE", num, item, flags)
            else:
                typ, data = m.store(num, item, flags)
            if typ != "OK":
                raise SystemExit("imaptool: STORE failed: %s" % data)
        elif cmd == "uids":
            select(m, args[0] if args else "INBOX")
            typ, data = m.uid("SEARCH", None, "ALL")
            for u in data[0].split():
                print(u.decode())
        elif cmd == "uidvalidity":
            folder = args[0] if args else "INBOX"
            typ, data = m.status(quote(folder), "(UIDVALIDITY)")
            print(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1).decode())
        elif cmd == "folders":
            typ, data = m.list()
            for line in data:
                name = re.match(rb'\(.*?\) (?:NIL|"(?:[^"\\]|\\.)*") (.*)$',
                                line).group(1).decode()
                if name.startswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                print(name)
        elif cmd in ("create", "delete"):
            typ, data = getattr(m, cmd)(quote(args[0]))
            if typ != "OK":
                raise SystemExit("imaptool: %s failed: %s" % (cmd, data))
        else:
            raise SystemExit("imaptool: unknown command %s" % cmd)
    finally:
        try:
            m.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (imaplib.IMAP4.error, OSError, IndexError, ValueError) as e:
        sys.stderr.write("imaptool: %s: %s\n" % (type(e).__name__, e))
        sys.exit(1)
