#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What systemd would hear: an sd_notify(3) socket listener.

    sdnotify.py SOCKET LOG

Binds the datagram socket SOCKET (give it to the daemon as
$NOTIFY_SOCKET) and appends each message to LOG as one line, its own
lines joined by " | ".  Stops on SIGTERM.
"""

import os
import signal
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(log, "a", buffering=1) as out:
    while True:
        msg = s.recv(65536).decode("utf-8", "replace")
        out.write(" | ".join(msg.strip("\n").split("\n")) + "\n")
