#!/usr/bin/env python3
"""guest-unix-proxy.py HYBRID LISTEN [GUEST_PATH]: test helper.

Serves the unix socket LISTEN on the host; each connection becomes one
keel-agent forward stream (port 1025, through keel-vsock's hybrid socket
HYBRID) to the guest unix socket GUEST_PATH (default /run/docker.sock), so the
host's docker CLI reaches the VM's dockerd with DOCKER_HOST=unix://LISTEN.

Speaks the wire contract of proto/keel.proto by hand (one ForwardRequest
frame, one ForwardResponse frame, then raw bytes), because keelctl forwards
TCP ports only. Test-only: nothing in the image depends on it.
"""
import os
import socket
import struct
import sys
import threading

FORWARD_PORT = 1025
TRANSPORT_UNIX = 3


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def forward_request(path):
    p = path.encode()
    # field 1 (transport, varint), field 4 (path, length-delimited)
    return b"\x08" + varint(TRANSPORT_UNIX) + b"\x22" + varint(len(p)) + p


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("agent closed the forward stream")
        buf += chunk
    return buf


def response_ok(msg):
    # ForwardResponse: field 1 ok (varint); anything else is detail
    i = 0
    while i < len(msg):
        key = msg[i]
        i += 1
        field, wt = key >> 3, key & 7
        if wt == 0:
            v = 0
            shift = 0
            while True:
                b = msg[i]
                i += 1
                v |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            if field == 1:
                return v == 1
        elif wt == 2:
            ln = msg[i]
            i += 1 + ln
        else:
            return False
    return False


def open_stream(hybrid, guest_path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(hybrid)
    s.sendall(b"CONNECT %d\n" % FORWARD_PORT)
    line = b""
    while not line.endswith(b"\n"):
        line += recv_exact(s, 1)
    if not line.startswith(b"OK"):
        raise ConnectionError("keel-vsock: " + line.decode().strip())
    req = forward_request(guest_path)
    s.sendall(struct.pack(">I", len(req)) + req)
    (ln,) = struct.unpack(">I", recv_exact(s, 4))
    if ln > 65536 or not response_ok(recv_exact(s, ln)):
        raise ConnectionError("agent refused the forward")
    return s


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(conn, hybrid, guest_path):
    try:
        up = open_stream(hybrid, guest_path)
    except (OSError, ConnectionError) as e:
        sys.stderr.write("guest-unix-proxy: %s\n" % e)
        conn.close()
        return
    t = threading.Thread(target=pump, args=(up, conn), daemon=True)
    t.start()
    pump(conn, up)
    t.join()
    up.close()
    conn.close()


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    hybrid, listen = sys.argv[1], sys.argv[2]
    guest_path = sys.argv[3] if len(sys.argv) == 4 else "/run/docker.sock"
    try:
        os.unlink(listen)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen)
    srv.listen(64)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, hybrid, guest_path), daemon=True).start()


if __name__ == "__main__":
    main()
