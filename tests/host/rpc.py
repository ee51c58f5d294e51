#!/usr/bin/env python3
"""A raw RPC client for the host tier: what the blanket CLI will not send.

Speaks docs/specs/rpc.md over TLS 1.3 with the identity a cluster file
names, sends one request built from typed fields, and prints each reply
frame on a line: "ok REQUEST" or "error CODE: MESSAGE".

  rpc.py [--timeout S] CLUSTER-FILE NODE TYPE [FIELD...]
  rpc.py [--timeout S] --unix SOCKET TYPE [FIELD...]   (no TLS: local root)
  rpc.py --idle CLUSTER-FILE NODE   (version handshake, then silence: prints
                                     "connected", then how long until the
                                     node hangs up)
  FIELD: s:TEXT (string), f:PATH (string, a file's text), u32:N, u64:N,
         x:HEX (bytes)

Exit status 0 when the node answered, 1 when the connection failed or
ended before an answer (or within S seconds, default 30).
"""
import socket
import ssl
import struct
import sys
import time

TYPES = {"node-info": 1, "guest-list": 2, "guest-info": 3,
         "guest-create": 4, "guest-destroy": 5, "ok": 13, "error": 14,
         "guest-migrate": 15, "migrate-receive": 17, "migrate-status": 19,
         "migrate-settled": 20, "migrate-resolve": 21, "name-hold": 22}
NAMES = {v: k for k, v in TYPES.items()}


def field(spec):
    kind, _, value = spec.partition(":")
    if kind == "s" or kind == "f":
        data = value.encode() if kind == "s" else open(value, "rb").read()
        return struct.pack(">I", len(data)) + data
    if kind == "u32":
        return struct.pack(">I", int(value))
    if kind == "u64":
        return struct.pack(">Q", int(value))
    if kind == "x":
        data = bytes.fromhex(value)
        return struct.pack(">I", len(data)) + data
    sys.exit("rpc.py: bad field %r" % spec)


def frame(ftype, body):
    pad = -len(body) % 8
    return struct.pack(">II", ftype, len(body)) + body + b"\0" * pad


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def cluster(path, node):
    conf, addr = {}, None
    for line in open(path):
        words = line.split()
        if len(words) >= 2 and words[0] in ("ca", "cert", "key"):
            conf[words[0]] = words[1]
        if len(words) >= 3 and words[0] == "node" and words[1] == node:
            addr = words[2]
    if not addr:
        sys.exit("rpc.py: no node %s in %s" % (node, path))
    host, port = addr.rsplit(":", 1)
    return conf, host, int(port)


def connect(args, timeout):
    """The connection args name, after the version handshake."""
    if args[0] == "--unix":
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(timeout)
        conn.connect(args[1])
    else:
        conf, host, port = cluster(args[0], args[1])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_verify_locations(conf["ca"])
        ctx.load_cert_chain(conf["cert"], conf["key"])
        ctx.check_hostname = False
        raw = socket.create_connection((host, port), timeout=timeout)
        conn = ctx.wrap_socket(raw)
    conn.sendall(b"BLANKRPC" + struct.pack(">II", 2, 2))
    magic, version, _ = struct.unpack(">8sII", read_exact(conn, 16))
    if magic != b"BLANKRPC" or version != 2:
        print("refused header")
    return conn


def idle(args):
    start = time.time()
    try:
        conn = connect(args, 600)
        print("connected", flush=True)
        while conn.recv(1):
            pass
    except (EOFError, OSError, ssl.SSLError):
        pass
    print("closed after %.0f s" % (time.time() - start))
    return 0


def main():
    args, timeout = sys.argv[1:], 30.0
    if args[:1] == ["--timeout"]:
        timeout, args = float(args[1]), args[2:]
    if args[:1] == ["--idle"]:
        return idle(args[1:])
    n = 2  # the type follows --unix SOCKET, or CLUSTER-FILE NODE
    if len(args) < n + 1 or args[n] not in TYPES:
        sys.exit(__doc__)
    body = struct.pack(">I", 1) + b"".join(field(f) for f in args[n + 1:])
    start = time.time()
    try:
        conn = connect(args, timeout)
        conn.sendall(frame(TYPES[args[n]], body))
        ftype, length = struct.unpack(">II", read_exact(conn, 8))
        reply = read_exact(conn, length + (-length % 8))
        conn.close()
    except (EOFError, OSError, ssl.SSLError) as e:
        print("connection ended: %s" % (e or "EOF"))
        return 1
    took = "(%.0f ms)" % ((time.time() - start) * 1000)
    if ftype == TYPES["error"]:
        code, n = struct.unpack(">II", reply[4:12])
        print("error %d: %s %s" % (code, reply[12:12 + n].decode(
            errors="replace"), took))
    else:
        request = struct.unpack(">I", reply[4:8])[0]
        print("%s %s %s" % (NAMES.get(ftype, ftype),
                            NAMES.get(request, request), took))
    return 0


if __name__ == "__main__":
    sys.exit(main())
