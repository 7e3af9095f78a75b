#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A recording HTTP server for webhook tests.

    httpsink.py PORT DIR

Every request is stored as DIR/NNNN.json: {"method", "path", "headers",
"body"}.  The status answered is read from DIR/status (default 200) on
each request, so a test can make the endpoint fail and heal.  Stops on
SIGTERM.  Listens on 127.0.0.1 only.
"""

import http.server
import json
import os
import signal
import sys
import threading

PORT, DIR = int(sys.argv[1]), sys.argv[2]
os.makedirs(DIR, exist_ok=True)
lock = threading.Lock()
count = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        try:
            with open(os.path.join(DIR, "status")) as f:
                status = int(f.read().strip() or 200)
        except (OSError, ValueError):
            status = 200
        with lock:
            count[0] += 1
            rec = {"method": "POST", "path": self.path, "status": status,
                   "headers": dict(self.headers.items()), "body": body}
            tmp = os.path.join(DIR, ".%04d.tmp" % count[0])
            with open(tmp, "w") as f:
                json.dump(rec, f)
            os.rename(tmp, os.path.join(DIR, "%04d.json" % count[0]))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(
    target=server.shutdown).start())
server.serve_forever()
