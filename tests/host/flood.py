#!/usr/bin/env python3
"""Hold N TCP connections to HOST:PORT from source address SRC, doing
nothing on them, for SECONDS; reopen each one the node closes (at most
RATE a second, in all). Prints how many it opened and how many the node
closed.

  flood.py SRC HOST:PORT N SECONDS [RATE]
"""
import selectors
import socket
import sys
import time


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    src, target, n, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        float(sys.argv[4])
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 50.0
    host, port = target.rsplit(":", 1)
    sel = selectors.DefaultSelector()
    opened = closed = 0
    end = time.time() + secs
    next_open = time.time()
    live = 0
    while time.time() < end:
        while live < n and time.time() >= next_open:
            s = socket.socket()
            s.bind((src, 0))
            s.setblocking(False)
            s.connect_ex((host, int(port)))
            sel.register(s, selectors.EVENT_READ)
            live += 1
            opened += 1
            next_open += 1.0 / rate if opened > n else 0
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                live -= 1
                closed += 1
                next_open = max(next_open, time.time())
    print("opened %d, the node closed %d" % (opened, closed))


if __name__ == "__main__":
    main()
