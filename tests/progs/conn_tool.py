#!/usr/bin/env python3
"""tests/progs/conn_tool.py: TCP and unix client helpers of the agent's
budget and idle tests (tests/host/agent_budget.sh; not a test itself).

  hold SRC ADDR:PORT:N...   from source address SRC (or "-": any), open N
                            connections to each ADDR:PORT (interleaved), wait
                            1 s and print "open=TOTAL ADDR:PORT=OPEN ..." (a
                            connection the far end closed, or that could not
                            be made, is not open); then keep them open,
                            sending one zero byte on each every 2 s (so no
                            idle timeout takes them), until killed
  holdunix PATH N           N connections to a unix socket, held until killed
                            (prints "held=N")
  idle ADDR PORT SECS [EVERY [FIRST]]
                            one connection, silent (or one byte every EVERY s)
                            for at most SECS: prints "closed_after=S" when the
                            far end closed it, else "open" (ADDR "unix": PORT
                            is a unix socket path; FIRST, hex, is sent first)
  frames PATH MSG...        on a unix socket, send each MSG as one keel frame
                            (a protobuf message written as FIELD=vINT,
                            FIELD=xHEX or FIELD=sTEXT, comma-separated; "-" is
                            the empty message), then print each frame the far
                            end sends, decoded the same way (length-delimited
                            fields as x), one per line, and "closed" at EOF
                            or "open" after 3 s of silence
  ping ADDR PORT            one connection, b"ping" sent, echoed back: "ok"
  cpu PID                   utime+stime of PID in clock ticks
  serve tcp PORT | udp PORT | unix PATH
                            an echo server (127.0.0.1; TCP and unix: a thread
                            per connection, closing when the client does)
"""
import resource
import select
import socket
import sys
import threading
import time


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, min(hard, 16384))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def readable(s, timeout=0):
    p = select.poll()      # not select(): fds above 1024
    p.register(s, select.POLLIN)
    return bool(p.poll(timeout * 1000))


def closed(s):
    """True when the far end closed (EOF, reset); data waiting is drained."""
    try:
        while readable(s):
            if not s.recv(65536):
                return True
    except OSError:
        return True
    return False


def cmd_hold(src, *specs):
    raise_nofile()
    targets = []
    for spec in specs:
        addr, port, n = spec.rsplit(":", 2)
        targets.append(((addr, int(port)), int(n)))
    socks = {t: [] for t, _ in targets}
    for i in range(max(n for _, n in targets)):
        for t, n in targets:
            if i >= n:
                continue
            s = socket.socket()
            if src != "-":
                s.bind((src, 0))
            s.settimeout(5)
            try:
                s.connect(t)
            except OSError:
                s.close()
                continue
            s.setblocking(False)
            socks[t].append(s)
    def report():
        print("open=%d %s" % (sum(len(v) for v in socks.values()),
                              " ".join("%s:%d=%d" % (t[0], t[1], len(v)) for t, v in socks.items())),
              flush=True)

    def prune():
        for t in socks:
            socks[t] = [s for s in socks[t] if not closed(s)]
        return [len(v) for v in socks.values()]

    time.sleep(1)
    prev = prune()
    report()
    # Held from now on (a byte every 2 s); a new line whenever the server
    # closes some (a loaded one closes what it refuses late), so the last
    # line is what is open now.
    while True:
        time.sleep(2)
        for v in socks.values():
            for s in v:
                try:
                    s.send(b"\0")
                except OSError:
                    pass
        cur = prune()
        if cur != prev:
            prev = cur
            report()


def cmd_holdunix(path, n):
    raise_nofile()
    socks = []
    for _ in range(int(n)):
        s = socket.socket(socket.AF_UNIX)
        s.setblocking(False)
        try:
            s.connect(path)
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            continue
        socks.append(s)
    print("held=%d" % len(socks), flush=True)
    while True:
        time.sleep(60)


def connect(addr, port):
    """ADDR PORT over TCP, or ("unix", PATH)."""
    if addr != "unix":
        return socket.create_connection((addr, int(port)), 5)
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(port)
    return s


def cmd_idle(addr, port, secs, every="0", first=""):
    s = connect(addr, port)
    s.sendall(bytes.fromhex(first))
    t0, every = time.time(), float(every)
    while time.time() - t0 < float(secs):
        if readable(s, every or 0.05):
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                print("closed_after=%.2f" % (time.time() - t0))
                return 0
        elif every:
            s.send(b"\0")
    print("open")
    return 0


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7f, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def pb_encode(spec):
    out = b""
    for f in ([] if spec == "-" else spec.split(",")):
        num, val = f.split("=", 1)
        if val[0] == "v":
            out += varint(int(num) << 3) + varint(int(val[1:]))
        else:
            data = bytes.fromhex(val[1:]) if val[0] == "x" else val[1:].encode()
            out += varint(int(num) << 3 | 2) + varint(len(data)) + data
    return out


def get_varint(b, i):
    n = shift = 0
    while True:
        n |= (b[i] & 0x7f) << shift
        shift += 7
        i += 1
        if not b[i - 1] & 0x80:
            return n, i


def pb_decode(b):
    i, out = 0, []
    while i < len(b):
        tag, i = get_varint(b, i)
        if tag & 7 == 0:
            v, i = get_varint(b, i)
            out.append("%d=v%d" % (tag >> 3, v))
        elif tag & 7 == 2:
            n, i = get_varint(b, i)
            out.append("%d=x%s" % (tag >> 3, b[i:i + n].hex()))
            i += n
        else:
            return ",".join(out + ["?"])
    return ",".join(out) or "-"


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            return None
        got += d
    return got


def cmd_frames(path, *msgs):
    s = connect("unix", path)
    for m in msgs:
        body = pb_encode(m)
        try:
            s.sendall(len(body).to_bytes(4, "big") + body)
        except OSError:
            break       # the far end refused and closed: read its answer
    s.settimeout(3)
    try:
        while True:
            hdr = recv_exact(s, 4)
            body = hdr and recv_exact(s, int.from_bytes(hdr, "big"))
            if body is None:
                print("closed")
                return 0
            print(pb_decode(body))
    except socket.timeout:
        print("open")
    except OSError:
        print("closed")
    return 0


def cmd_ping(addr, port):
    s = socket.create_connection((addr, int(port)), 5)
    s.settimeout(5)
    s.sendall(b"ping")
    got = b""
    while len(got) < 4:
        d = s.recv(4 - len(got))
        if not d:
            break
        got += d
    print("ok" if got == b"ping" else "got %r" % got)
    return 0


def echo_conn(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                return
            c.sendall(d)


def cmd_serve(kind, where):
    if kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", int(where)))
        while True:
            d, a = s.recvfrom(65536)
            s.sendto(d, a)
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX)
        s.bind(where)
    else:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(where)))
    s.listen(1024)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo_conn, args=(c,), daemon=True).start()


def cmd_cpu(pid):
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    print(int(fields[11]) + int(fields[12]))   # utime, stime (fields 14, 15)
    return 0


if __name__ == "__main__":
    cmds = {"hold": cmd_hold, "holdunix": cmd_holdunix, "idle": cmd_idle, "ping": cmd_ping,
            "frames": cmd_frames,
            "cpu": cmd_cpu, "serve": cmd_serve}
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]))
