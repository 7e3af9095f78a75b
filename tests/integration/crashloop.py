#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Kill `supportd --once` with SIGKILL at chosen moments (t-crash.sh).

    crashloop.py [--log FILE] DB SINKDIR TOTAL TRIGGER... -- SUPPORTD ARGS...

For each TRIGGER, SUPPORTD ARGS... is started (e.g. supportd -c CONF
--once) and killed with SIGKILL when the trigger fires:

    delay:S      S seconds after the start
    in:K[+S]     once the messages table holds K incoming mails (+S s)
    smtp:K[+S]   once the SMTP sink stored K messages (+S s)
    sent:K[+S]   once the outbox has K rows marked sent (+S s)

A trigger whose count was already reached fires at the first look, right
after the start.  A run that ends by itself before its trigger fires is
not a kill.  DB is polled read-only (WAL: it never blocks the daemon);
SINKDIR is smtpsink.py's directory, TOTAL the number of mails delivered.

One line per round, then a summary line the test reads:

    crash: kills=N interrupted=N startup=N intake=N flush=N window=N

kills: SIGKILLs sent; interrupted: kills while work was left (mail not
taken in or responses not sent); intake / flush: of those, in which phase
(intake when mail was left, flush when only responses were); startup:
kills that came before the run had committed anything (also counted in
their phase: connecting, logging in, opening or creating the database,
or in the middle of the first mail or response); window: kills
between the SMTP server's acceptance of a response and the outbox
recording it as sent, each of which may (and should) send that response
once more.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time


def parse_trigger(t):
    kind, _, arg = t.partition(":")
    count, _, extra = arg.partition("+")
    if kind == "delay":
        return kind, 0, float(count)
    if kind not in ("in", "smtp", "sent"):
        raise SystemExit("crashloop: bad trigger %r" % t)
    return kind, int(count), float(extra or 0)


class State:
    def __init__(self, db, sinkdir):
        self.db, self.sinkdir, self.conn = db, sinkdir, None

    def _query(self, sql):
        if self.conn is None:
            if not os.path.exists(self.db):
                return 0
            self.conn = sqlite3.connect("file:%s?mode=ro" % self.db,
                                        uri=True, timeout=0.2,
                                        isolation_level=None)
        try:
            return self.conn.execute(sql).fetchone()[0] or 0
        except sqlite3.Error:
            # Not created yet (empty file, schema not committed), or busy.
            return None

    def msgs_in(self):
        return self._query("SELECT count(*) FROM messages WHERE direction='in'")

    def outbox(self):
        """(rows, sent rows)"""
        return (self._query("SELECT count(*) FROM outbox"),
                self._query("SELECT count(*) FROM outbox WHERE status='sent'"))

    def schema(self):
        """PRAGMA user_version, or -1 while there is no database."""
        if not os.path.exists(self.db):
            return -1
        v = self._query("PRAGMA user_version")
        return -1 if v is None else v

    def sink(self):
        try:
            return sum(1 for n in os.listdir(self.sinkdir)
                       if n.endswith(".eml"))
        except FileNotFoundError:
            return 0

    def snapshot(self):
        rows, sent = self.outbox()
        return {"in": self.msgs_in() or 0, "rows": rows or 0,
                "sent": sent or 0, "sink": self.sink(),
                "schema": self.schema()}

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def main(argv):
    logf = None
    if argv[:1] == ["--log"]:
        logf, argv = argv[1], argv[2:]
    sep = argv.index("--")
    db, sinkdir, total = argv[0], argv[1], int(argv[2])
    triggers = [parse_trigger(t) for t in argv[3:sep]]
    cmd = argv[sep + 1:]
    st = State(db, sinkdir)
    stats = dict(kills=0, interrupted=0, startup=0, intake=0, flush=0,
                 window=0)
    out = open(logf, "ab") if logf else subprocess.DEVNULL
    for n, (kind, count, extra) in enumerate(triggers, 1):
        before = st.snapshot()
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=out)
        fired_at = None
        while p.poll() is None:
            now = time.monotonic()
            if fired_at is None:
                if kind == "delay":
                    hit = True
                elif kind == "in":
                    hit = (st.msgs_in() or 0) >= count
                elif kind == "smtp":
                    hit = st.sink() >= count
                else:
                    hit = (st.outbox()[1] or 0) >= count
                if hit:
                    fired_at = now
            if fired_at is not None and now >= fired_at + extra:
                break
            time.sleep(0.0003)
        # The state at the kill: read before SIGKILL, so it is what the
        # daemon had done (a commit racing the signal is counted after).
        at = st.snapshot()
        killed = p.poll() is None
        if killed:
            os.kill(p.pid, signal.SIGKILL)
        ms = (time.monotonic() - start) * 1000
        rc = p.wait()
        # The sink may still be storing what the daemon sent last.
        time.sleep(0.05)
        st.close()
        after = st.snapshot()
        what = "exited by itself rc=%d" % rc
        if killed:
            stats["kills"] += 1
            phase = "intake" if at["in"] < total else \
                "flush" if at["sent"] < at["rows"] else "done"
            if phase != "done":
                stats["interrupted"] += 1
                stats[phase] += 1
            if at["in"] == before["in"] and at["sent"] == before["sent"]:
                stats["startup"] += 1
                phase += ",startup"
            # Accepted by the sink but not recorded: sent again later.
            gap_before = before["sink"] - before["sent"]
            gap_after = after["sink"] - after["sent"]
            win = gap_after > gap_before
            stats["window"] += int(win)
            what = "SIGKILL after %.1f ms, phase %s%s" % (ms, phase,
                ", in the accepted-not-recorded window" if win else "")
        if before["schema"] != after["schema"]:
            what += "; schema %d->%d" % (before["schema"], after["schema"])
        print("# round %d %s%s%s: %s; in %d->%d/%d, sent %d->%d/%d, sink %d"
              % (n, kind, (":%d" % count) if kind != "delay" else
                 (":%g" % extra), ("+%g" % extra) if extra and
                 kind != "delay" else "", what, before["in"], after["in"],
                 total, before["sent"], after["sent"], after["rows"],
                 after["sink"]))
        sys.stdout.flush()
    print("crash: " + " ".join("%s=%d" % (k, v) for k, v in stats.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
