#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Recording SMTP sink for supportd's integration tests and demo.

Listens on 127.0.0.1 and stores every accepted message in DIR as
NNNN.eml (the DATA content exactly as received, dot-unstuffed, CRLF kept)
next to NNNN.env, which holds the envelope:

    MAIL FROM:<sender>          (MAIL FROM:<> for the null sender)
    RCPT TO:<rcpt>              (one line per accepted recipient)
    X-Sink-Info: helo=... peer=... mail_options=... tls=... port=...

tls= is "none" for a plaintext session, else the TLS version and how it
began: "TLSv1.3/starttls" or "TLSv1.3/implicit".

The .env file is written before the .eml, and both are renamed into place,
so a test that sees NNNN.eml can read both files completely.

Faults for tests of retries: --mode (repeatable) or the --mode-file (read
again at every command, so a test can change it while the sink runs) holds
lines "STAGE CODE TEXT", STAGE being mail, rcpt, rcpt:ADDRESS or data, for
example "data 452 4.3.1 Insufficient system storage" or
"rcpt:bad@acme.example 550 5.1.1 No such user".  A 421 reply also closes
the connection, as real servers do.  "hold PATH" makes MAIL wait while
PATH exists (a test then acts while a transaction is in flight).  Blank
lines and # comments are ignored.

TLS (--tls-cert FILE --tls-key FILE): --starttls offers STARTTLS,
--require-starttls also refuses MAIL before it (530), --implicit-tls
speaks TLS from the first byte (SMTPS).

Runs with Debian's /usr/bin/python3 (python3-aiosmtpd).  SIGTERM and
SIGINT stop it cleanly with exit status 0.
"""

import argparse
import asyncio
import os
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP


def log(msg):
    sys.stdout.write("%s smtpsink: %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stdout.flush()


def angle(addr):
    # aiosmtpd reports the null reverse-path as "<>".
    if addr in (None, "", "<>"):
        return "<>"
    return "<%s>" % addr


def tls_info(server, session):
    """"TLSv1.3/starttls", "TLSv1.3/implicit" or "none"."""
    transport = server.transport
    sslobj = transport.get_extra_info("ssl_object") if transport else None
    if sslobj is None:
        return "none"
    # aiosmtpd sets session.ssl only when STARTTLS upgraded the session.
    return "%s/%s" % (sslobj.version(),
                      "starttls" if session.ssl is not None else "implicit")


class Recorder:
    def __init__(self, outdir, modes, mode_file):
        self.outdir = outdir
        self.modes = modes
        self.mode_file = mode_file
        self.seq = 0
        os.makedirs(outdir, exist_ok=True)
        # Continue numbering after a restart on the same directory.
        for name in os.listdir(outdir):
            if name.endswith(".eml") and name[:-4].isdigit():
                self.seq = max(self.seq, int(name[:-4]))

    def _holds(self):
        return [line.split(None, 1)[1].strip() for line in self._lines()
                if line.strip().lower().startswith("hold ")]

    def _lines(self):
        lines = list(self.modes)
        if self.mode_file:
            try:
                with open(self.mode_file, encoding="utf-8") as f:
                    lines.extend(f.read().splitlines())
            except FileNotFoundError:
                pass
        return lines

    def _rules(self):
        rules = []
        for line in self._lines():
            line = line.strip()
            if not line or line.startswith("#") or \
                    line.lower().startswith("hold "):
                continue
            parts = line.split(None, 1)
            if len(parts) != 2 or not parts[1][:3].isdigit():
                log("ignoring bad mode line %r" % line)
                continue
            rules.append((parts[0].lower(), parts[1]))
        return rules

    def _fault(self, server, stage, address=None):
        for key, reply in self._rules():
            if key == stage or (address is not None and
                                key == "%s:%s" % (stage, address.lower())):
                if reply.startswith("421"):
                    # Let aiosmtpd push the reply, then hang up.
                    asyncio.get_running_loop().call_later(
                        0.05, server.transport.close)
                return reply
        return None

    async def handle_MAIL(self, server, session, envelope, address, options):
        for hold in self._holds():
            if os.path.exists(hold):
                log("MAIL FROM:%s held while %s exists" % (angle(address), hold))
            while os.path.exists(hold):
                await asyncio.sleep(0.05)
        fault = self._fault(server, "mail")
        log("MAIL FROM:%s %s-> %s" % (angle(address), " ".join(options) + " "
                                       if options else "", fault or "250"))
        if fault:
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        fault = self._fault(server, "rcpt", address)
        log("RCPT TO:%s -> %s" % (angle(address), fault or "250"))
        if fault:
            return fault
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = self._fault(server, "data")
        if fault:
            log("DATA (%d bytes) -> %s" % (len(envelope.original_content),
                                           fault))
            return fault
        self.seq += 1
        base = os.path.join(self.outdir, "%04d" % self.seq)
        env = ["MAIL FROM:%s" % angle(envelope.mail_from)]
        env += ["RCPT TO:%s" % angle(r) for r in envelope.rcpt_tos]
        env.append("X-Sink-Info: helo=%s peer=%s mail_options=%s tls=%s "
                   "port=%s" % (
            session.host_name, session.peer[0] if session.peer else "-",
            ",".join(envelope.mail_options) or "-", tls_info(server, session),
            session.peer[1] if session.peer else "-"))
        self._write(base + ".env", ("\n".join(env) + "\n").encode())
        self._write(base + ".eml", envelope.original_content)
        log("DATA (%d bytes) -> stored %04d" % (len(envelope.original_content),
                                                self.seq))
        return "250 OK stored as %04d" % self.seq

    @staticmethod
    def _write(path, data):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)


async def main(args):
    handler = Recorder(args.dir, args.mode or [], args.mode_file)
    loop = asyncio.get_running_loop()
    ctx = None
    if args.starttls or args.require_starttls or args.implicit_tls:
        if not (args.tls_cert and args.tls_key):
            raise SystemExit("smtpsink: TLS needs --tls-cert and --tls-key")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
    starttls = ctx if (args.starttls or args.require_starttls) else None
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", enable_SMTPUTF8=True,
                     decode_data=False, timeout=60, tls_context=starttls,
                     data_size_limit=64 << 20,
                     require_starttls=args.require_starttls),
        host=args.host, port=args.port, reuse_address=True,
        ssl=ctx if args.implicit_tls else None)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    log("listening on %s:%d%s, storing in %s" % (
        args.host, port, " (implicit TLS)" if args.implicit_tls else
        " (STARTTLS required)" if args.require_starttls else
        " (STARTTLS offered)" if starttls else "", args.dir))

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log("stopping")
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="recording SMTP sink for tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0,
                   help="TCP port; 0 picks a free one (see --port-file)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--mode", action="append",
                   help='fault rule "STAGE CODE TEXT" (repeatable)')
    p.add_argument("--mode-file", help="file of fault rules, re-read often")
    p.add_argument("--tls-cert", help="server certificate (PEM) for TLS")
    p.add_argument("--tls-key", help="its private key (PEM)")
    p.add_argument("--starttls", action="store_true",
                   help="offer STARTTLS")
    p.add_argument("--require-starttls", action="store_true",
                   help="offer STARTTLS and refuse mail without it")
    p.add_argument("--implicit-tls", action="store_true",
                   help="TLS from the first byte (SMTPS)")
    p.add_argument("dir", help="directory for NNNN.eml / NNNN.env")
    try:
        asyncio.run(main(p.parse_args()))
    except OSError as e:
        log("error: %s" % e)
        sys.exit(1)
