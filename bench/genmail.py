#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""genmail.py - write N benchmark mails straight into a Maildir.

    genmail.py MAILDIR N [--ticket-base K] [--uid U --gid G] [--seed S]

Every mail is written to MAILDIR/tmp and renamed into MAILDIR/new (the
Maildir protocol); the file names carry increasing time stamps, so
Dovecot gives the mails UIDs in generation order, and each file's mtime
(the INTERNALDATE Dovecot reports) is one second after the previous one,
ending now.  The mix, in a fixed pattern of ten:

  70%  new mails from varied senders (a tenth from the premium
       organization acme.example, some with C1-C4 markers in the subject);
  20%  replies by the original sender to an earlier new mail: half carry
       "[Ticket#k]" in the subject (k = ticket-base + the index of that
       new mail among the new mails, which is its ticket id when supportd
       takes the mails in order into a database whose last ticket id is
       ticket-base), half only In-Reply-To/References;
  10%  robots: out-of-office auto-replies (Auto-Submitted: auto-replied)
       and delivery-status bounces from MAILER-DAEMON.

With --uid/--gid (root: Dovecot reads mail as `nobody`) every file is
chowned.  Prints the counts by kind.
"""
import argparse
import os
import random
import socket
import time

SUBJECTS = [
    "Export to CSV stops at 65,535 rows",
    "Cannot log in after password reset",
    "Invoice PDF shows the wrong VAT rate",
    "Question about the API rate limits",
    "Dashboard very slow since this morning",
    "How do I add a second administrator?",
    "Sync job fails with error E-2031",
    "Licence renewal: quote needed",
    "Webhook deliveries delayed by hours",
    "Report scheduler sends empty attachments",
    "SSO login loops back to the start page",
    "Mobile app crashes when opening a shipment",
]
MARKERS = ["", "", "", "", "", "C2 ", "C3 ", "C4 ", "[BUG] C2 ", "C3: "]
WORDS = ("the report export customer order shipment invoice login screen "
         "error since update yesterday morning we cannot please help urgent "
         "database page button mobile browser attached log file again "
         "tried restart cache users affected store payment gateway").split()
FIRST = ["Anna", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana",
         "Ivan", "Jun", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya",
         "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Viktor", "Wen", "Yara"]
HOST = "bench.vendor.example"


def body(rng, lines):
    out = []
    for _ in range(lines):
        out.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 13))))
    return "\n".join(out) + "\n"


def rfc2822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("maildir")
    ap.add_argument("n", type=int)
    ap.add_argument("--ticket-base", type=int, default=0)
    ap.add_argument("--uid", type=int, default=-1)
    ap.add_argument("--gid", type=int, default=-1)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--tag", default="b")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    for d in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(a.maildir, d), exist_ok=True)
        if a.uid >= 0:
            os.chown(os.path.join(a.maildir, d), a.uid, a.gid)
    if a.uid >= 0:
        os.chown(a.maildir, a.uid, a.gid)
    base = int(time.time()) - a.n - 5
    news = []           # (from_name, from_addr, message_id, subject)
    counts = {"new": 0, "reply-tag": 0, "reply-irt": 0, "auto-reply": 0,
              "bounce": 0}
    pid = os.getpid()
    for i in range(a.n):
        t = base + i
        kind = i % 10
        mid = "<%s.%d.%d@%s>" % (a.tag, i, a.seed, HOST)
        hdr = []
        if kind < 7:
            j = rng.randrange(1000000)
            name = "%s %d" % (rng.choice(FIRST), j)
            if j % 10 == 0:
                addr = "user%d@acme.example" % j
            else:
                addr = "user%d@customer%d.example" % (j, j % 500)
            subj = rng.choice(MARKERS) + rng.choice(SUBJECTS)
            if i % 100 == 3:
                subj = "System Down: " + rng.choice(SUBJECTS)
            news.append((name, addr, mid, subj))
            hdr += ["From: %s <%s>" % (name, addr), "Subject: " + subj]
            text = "Hello support,\n\n" + body(rng, rng.randint(6, 20)) + \
                "\nRegards,\n%s\n" % name
            counts["new"] += 1
        elif kind < 9:
            k = rng.randrange(len(news))
            name, addr, omid, osubj = news[k]
            hdr += ["From: %s <%s>" % (name, addr)]
            if kind == 7:
                hdr += ["Subject: Re: [Ticket#%d] %s" % (a.ticket_base + k + 1,
                                                         osubj)]
                counts["reply-tag"] += 1
            else:
                hdr += ["Subject: Re: " + osubj]
                counts["reply-irt"] += 1
            hdr += ["In-Reply-To: " + omid, "References: " + omid]
            text = "More details:\n\n" + body(rng, rng.randint(3, 10)) + \
                "\n> " + "\n> ".join(body(rng, 4).splitlines()) + "\n"
        else:
            k = rng.randrange(len(news))
            name, addr, omid, osubj = news[k]
            if i % 20 == 9:
                hdr += ["From: %s <%s>" % (name, addr),
                        "Subject: Automatic reply: " + osubj,
                        "Auto-Submitted: auto-replied",
                        "In-Reply-To: " + omid]
                text = "I am out of the office until Monday.\n"
                counts["auto-reply"] += 1
            else:
                hdr += ["From: Mail Delivery System <MAILER-DAEMON@%s>"
                        % addr.split("@")[1],
                        "Subject: Undelivered Mail Returned to Sender",
                        "Auto-Submitted: auto-replied"]
                text = ("This is the mail system at host mx.%s.\n\n"
                        "I'm sorry to have to inform you that your message "
                        "could not be delivered.\n\n<%s>: user unknown\n"
                        % (addr.split("@")[1], addr))
                counts["bounce"] += 1
        hdr += ["To: Vendor Support <support@vendor.example>",
                "Date: " + rfc2822(t), "Message-ID: " + mid,
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=UTF-8",
                "Content-Transfer-Encoding: 8bit"]
        data = ("Return-Path: <x@bench.example>\r\n" +
                "\r\n".join(hdr) + "\r\n\r\n" +
                text.replace("\n", "\r\n")).encode("utf-8")
        fn = "%d.M%dP%dQ%d.%s" % (t, i % 1000000, pid, i, socket.gethostname())
        tmp = os.path.join(a.maildir, "tmp", fn)
        with open(tmp, "wb") as f:
            f.write(data)
        if a.uid >= 0:
            os.chown(tmp, a.uid, a.gid)
        os.utime(tmp, (t, t))
        os.rename(tmp, os.path.join(a.maildir, "new", fn))
    print(" ".join("%s=%d" % kv for kv in counts.items()))


if __name__ == "__main__":
    main()
