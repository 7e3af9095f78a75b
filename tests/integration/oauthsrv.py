#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A local OAuth2 provider for supportd's tests (SPEC §15.5).

POST /token takes the grants supportd uses: client_credentials,
refresh_token, urn:ietf:params:oauth:grant-type:jwt-bearer (an RS256
assertion checked with `openssl dgst` against --jwt-pubkey) and
urn:ietf:params:oauth:grant-type:device_code.  POST /device is the
device authorization endpoint (RFC 8628).  Access tokens are JWTs signed
HS256 with the key in --key-file, which Dovecot's oauth2 passdb and
smtpsink.py check: {"email": USER, "exp": ...}.

--client ID:SECRET:USER (repeatable) says whose mailbox a client's
tokens open.  Refresh tokens live in STATE/refresh.json; every answer is
appended to STATE/requests.log as "GRANT CLIENT OUTCOME", every token
given out to STATE/issued.log.

STATE/mode is read again at every request; each line is one of:
    fail CODE          answer CODE with a JSON error (503: server_error)
    invalid_grant [ID] refuse every grant (of client ID) for good (400)
    slow SECONDS       wait that long before answering
    expires_in N       tokens live N seconds (default 3600)
    rotate             each refresh issues a new refresh token and
                       revokes the one used
    device_pending N   a device code is pending N polls, then slow_down
                       once, then signed in (default 2)
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Provider:
    def __init__(self, args):
        self.args = args
        self.key = open(args.key_file, "rb").read().strip()
        self.clients = {}
        for c in args.client or []:
            cid, secret, user = c.split(":", 2)
            self.clients[cid] = (secret, user)
        self.lock = threading.Lock()
        self.devices = {}
        self.seq = 0

    def mode(self):
        m = {}
        try:
            with open(os.path.join(self.args.state, "mode")) as f:
                for line in f:
                    w = line.split()
                    if w and not w[0].startswith("#"):
                        m[w[0]] = w[1] if len(w) > 1 else ""
        except FileNotFoundError:
            pass
        return m

    def log(self, grant, client, outcome):
        with open(os.path.join(self.args.state, "requests.log"), "a") as f:
            f.write("%s %s %s\n" % (grant, client or "-", outcome))

    def refresh_db(self, update=None):
        path = os.path.join(self.args.state, "refresh.json")
        try:
            db = json.load(open(path))
        except FileNotFoundError:
            db = {}
        if update is not None:
            update(db)
            with open(path + ".tmp", "w") as f:
                json.dump(db, f)
            os.rename(path + ".tmp", path)
        return db

    def access_token(self, user, life):
        self.seq += 1
        now = int(time.time())
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        p = b64url(json.dumps({"email": user, "sub": user, "iat": now,
                               "exp": now + life,
                               "jti": "t%d" % self.seq}).encode())
        s = b64url(hmac.new(self.key, (h + "." + p).encode(),
                            hashlib.sha256).digest())
        return self.issued(h + "." + p + "." + s)

    def issued(self, tok):
        # Every token given out, for the tests' look for leaks.
        with open(os.path.join(self.args.state, "issued.log"), "a") as f:
            f.write(tok + "\n")
        return tok

    def new_refresh(self, user, cid):
        self.seq += 1
        tok = self.issued("rt-%d-%s" % (self.seq, b64url(os.urandom(12))))
        self.refresh_db(lambda db: db.__setitem__(tok, [user, cid]))
        return tok

    def verify_assertion(self, jwt):
        """The user (sub) of a valid RS256 assertion, or None."""
        try:
            h, p, s = jwt.split(".")
            head = json.loads(unb64url(h))
            claims = json.loads(unb64url(p))
        except (ValueError, TypeError):
            return None
        if head.get("alg") != "RS256" or not self.args.jwt_pubkey:
            return None
        with tempfile.NamedTemporaryFile() as sig:
            sig.write(unb64url(s))
            sig.flush()
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify",
                                self.args.jwt_pubkey, "-signature",
                                sig.name], input=(h + "." + p).encode(),
                               capture_output=True)
        now = time.time()
        if r.returncode != 0 or claims.get("aud") != self.args.token_url \
                or not claims.get("iss") or claims.get("exp", 0) < now:
            return None
        return claims.get("sub")

    def token(self, form, mode):
        """(status, answer) for a POST /token."""
        grant = form.get("grant_type", "")
        cid = form.get("client_id")
        life = int(mode.get("expires_in", "3600"))
        if "fail" in mode:
            code = int(mode["fail"])
            return code, {"error": "server_error" if code >= 500 else
                          "invalid_request"}, "fail%d" % code
        if "invalid_grant" in mode and mode["invalid_grant"] in ("", cid):
            return 400, {"error": "invalid_grant",
                         "error_description": "AADSTS70000: revoked"}, \
                "invalid_grant"
        answer = {"token_type": "Bearer", "expires_in": life}
        if grant == "client_credentials":
            c = self.clients.get(cid)
            if c is None or c[0] != form.get("client_secret"):
                return 401, {"error": "invalid_client"}, "invalid_client"
            answer["access_token"] = self.access_token(c[1], life)
            return 200, answer, "ok"
        if grant == "refresh_token":
            rt = form.get("refresh_token")
            db = self.refresh_db()
            if rt not in db or db[rt][1] != cid:
                return 400, {"error": "invalid_grant",
                             "error_description": "unknown refresh token"}, \
                    "bad_refresh"
            user = db[rt][0]
            answer["access_token"] = self.access_token(user, life)
            if "rotate" in mode:
                answer["refresh_token"] = self.new_refresh(user, cid)
                self.refresh_db(lambda d: d.pop(rt, None))
                return 200, answer, "rotated"
            return 200, answer, "ok"
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            user = self.verify_assertion(form.get("assertion", ""))
            if user is None:
                return 400, {"error": "invalid_grant",
                             "error_description": "bad assertion"}, \
                    "bad_assertion"
            answer["access_token"] = self.access_token(user, life)
            return 200, answer, "ok"
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            dc = form.get("device_code")
            d = self.devices.get(dc)
            if d is None or d["cid"] != cid:
                return 400, {"error": "invalid_grant"}, "bad_device"
            d["polls"] += 1
            pending = int(mode.get("device_pending", "2"))
            if d["polls"] <= pending:
                return 400, {"error": "authorization_pending"}, "pending"
            if d["polls"] == pending + 1:
                return 400, {"error": "slow_down"}, "slow_down"
            del self.devices[dc]
            user = self.clients.get(cid, (None, "support"))[1]
            answer["access_token"] = self.access_token(user, life)
            answer["refresh_token"] = self.new_refresh(user, cid)
            return 200, answer, "signed_in"
        return 400, {"error": "unsupported_grant_type"}, "unsupported"

    def device(self, form):
        self.seq += 1
        dc = "dc-%d-%s" % (self.seq, b64url(os.urandom(9)))
        self.devices[dc] = {"cid": form.get("client_id"), "polls": 0}
        return 200, {"device_code": dc, "user_code": "WDJB-MJHT",
                     "verification_uri": "https://login.example/device",
                     "expires_in": 120, "interval": 1}, "device"


def handler_for(provider):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stdout.write("oauthsrv: " + (fmt % a) + "\n")
            sys.stdout.flush()

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
            mode = provider.mode()
            if "slow" in mode:
                time.sleep(float(mode["slow"]))
            with provider.lock:
                if self.path == "/token":
                    status, answer, outcome = provider.token(form, mode)
                elif self.path == "/device":
                    status, answer, outcome = provider.device(form)
                else:
                    status, answer, outcome = 404, {"error": "nope"}, "404"
                provider.log(form.get("grant_type", self.path.strip("/")),
                             form.get("client_id"), outcome)
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--key-file", required=True, help="HS256 key (raw)")
    p.add_argument("--state", required=True, help="directory")
    p.add_argument("--client", action="append", help="ID:SECRET:USER")
    p.add_argument("--jwt-pubkey", help="PEM public key of assertions")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    port = server.server_address[1]
    scheme = "http"
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    args.token_url = "%s://127.0.0.1:%d/token" % (scheme, port)
    server.RequestHandlerClass = handler_for(Provider(args))
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
