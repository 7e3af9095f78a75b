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

OAuth2 (--oauth-key FILE): every session must AUTH with XOAUTH2 or
OAUTHBEARER (--oauth-mechs narrows the offer) and a token of
oauthsrv.py's, valid and for the user it logs in as; X-Sink-Info then
ends with auth=MECH:USER.

TLS (--tls-cert FILE --tls-key FILE): --starttls offers STARTTLS,
--require-starttls also refuses MAIL before it (530), --implicit-tls
speaks TLS from the first byte (SMTPS).

Runs with Debian's /usr/bin/python3 (python3-aiosmtpd).  SIGTERM and
SIGINT stop it cleanly with exit status 0.
"""

import argparse
import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import os
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import MISSING, SMTP, AuthResult


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
        if getattr(self, "users", None) is not None:
            env[-1] += " auth=%s" % self.users.get(id(server), "-")
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


def bearer_user(token, key):
    """The user of a valid HS256 token from oauthsrv.py, or None."""
    try:
        h, p, sig = token.split(".")
        want = base64.urlsafe_b64encode(hmac.new(
            key, (h + "." + p).encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(want.rstrip(b"="), sig.encode()):
            return None
        claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    except (ValueError, TypeError):
        return None
    return claims.get("email") if claims.get("exp", 0) > time.time() else None


class OAuthRecorder(Recorder):
    """Takes AUTH XOAUTH2 and OAUTHBEARER (RFC 7628) with oauthsrv.py's
    tokens and nothing else; a session that did not log in cannot send."""

    def __init__(self, key, *a):
        super().__init__(*a)
        self.key = key
        self.users = {}

    async def _bearer(self, server, args, mech):
        if len(args) > 1:
            blob = args[1].encode()
            try:
                blob = base64.b64decode(blob, validate=True)
            except binascii.Error:
                return AuthResult(success=False, handled=False)
        else:
            blob = await server.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        fields = blob.decode("utf-8", "replace").split("\x01")
        user = token = None
        for f in fields:
            if f.startswith("user="):
                user = f[5:]
            elif f.startswith("n,a="):             # OAUTHBEARER's gs2 header
                user = f[4:].split(",", 1)[0]
            elif f.lower().startswith("auth=bearer "):
                token = f[12:]
        who = bearer_user(token or "", self.key)
        ok = who is not None and who == user
        log("AUTH %s user=%s -> %s" % (mech, user, "235" if ok else "535"))
        if ok:
            self.users[id(server)] = "%s:%s" % (mech, user)
        # handled=False: aiosmtpd answers 535 itself.
        return AuthResult(success=ok, handled=ok)

    async def auth_XOAUTH2(self, server, args):
        return await self._bearer(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server, args):
        return await self._bearer(server, args, "OAUTHBEARER")


async def main(args):
    if args.oauth_key:
        key = open(args.oauth_key, "rb").read().strip()
        handler = OAuthRecorder(key, args.dir, args.mode or [],
                                args.mode_file)
    else:
        handler = Recorder(args.dir, args.mode or [], args.mode_file)
    mechs = (args.oauth_mechs or "XOAUTH2 OAUTHBEARER").split()
    exclude = [m for m in ("PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER")
               if m not in mechs] if args.oauth_key else []
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
                     require_starttls=args.require_starttls,
                     auth_required=bool(args.oauth_key),
                     auth_require_tls=not args.oauth_key,
                     auth_exclude_mechanism=exclude),
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
    p.add_argument("--oauth-key", help="require AUTH with a bearer token "
                   "signed HS256 with the key in this file (oauthsrv.py)")
    p.add_argument("--oauth-mechs", help='offered, e.g. "XOAUTH2" '
                   '(default both XOAUTH2 and OAUTHBEARER)')
    p.add_argument("dir", help="directory for NNNN.eml / NNNN.env")
    try:
        asyncio.run(main(p.parse_args()))
    except OSError as e:
        log("error: %s" % e)
        sys.exit(1)
