#!/usr/bin/env python3
"""tests/progs/dns_tool.py: the DNS client and the fixture upstream of
tests/host/agent_dns.sh and tests/bench/agent_dns.sh (not a test itself).

  upstream ADDR            a nameserver on ADDR:53 (UDP and TCP): example.test and
                           names starting with "flood" A 10.9.8.7, big.test 40 A
                           records (truncated over UDP, whole over TCP), names
                           starting with "drop" unanswered, "spoofa"/"spoofb" held
                           until both are there and then answered after forged
                           replies (see spoof), others NXDOMAIN. Prints one line
                           "q NAME SOURCEPORT" per UDP query it gets.
  query SERVER NAME [TYPE] one query; prints rcode=, an=, aa=, addrs=, ms=
  junk SERVER              empty, 5 bytes, a label running off the end (FORMERR
                           expected), then 1000 random datagrams
  flood SERVER N [K]       N queries for unanswered names at once, from K source
                           addresses 127.0.1.1..K (default: one, --from's); prints
                           how many SERVFAIL came back within 2 s
  burst SERVER N           N answered queries (flood<i>.test) as fast as the flood;
                           prints answered= (within 2 s of the last) and sent_s=
  spoof SERVER             spoofa.test and spoofb.test at once; the fixture sends
                           each forged answers (6.6.6.6) first: the right id with
                           another question, the right id and question to the
                           other query's port, and from a port other than 53; then
                           the real one (10.9.8.7). Prints a=ADDRS b=ADDRS, the
                           first answer each client got.
  latency SERVER NAME N    median and p99 ms of N sequential A queries
Options before the command: --from ADDR binds the client sockets to ADDR (the
agent's limits are per source address).
"""
import random
import socket
import statistics
import struct
import threading
import sys
import time

TYPES = {"A": 1, "AAAA": 28, "TXT": 16}
SOURCE = ""          # --from


def client():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if SOURCE:
        s.bind((SOURCE, 0))
    return s


def wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qid, name, qtype=1):
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire(name) + struct.pack(">HH", qtype, 1)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n >= 0xC0:
            return off + 2
        off += 1 + n


def parse(msg):
    qid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    addrs = []
    for _ in range(an):
        off = skip_name(msg, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(msg[off:off + 4]))
        off += rdlen
    return qid, flags, an, addrs


def ask(sock, server, name, qtype=1, timeout=2.0):
    qid = random.randrange(65536)
    sock.settimeout(timeout)
    t0 = time.perf_counter()
    sock.sendto(query(qid, name, qtype), (server, 53))
    while True:
        msg, _ = sock.recvfrom(65535)
        rid, flags, an, addrs = parse(msg)
        if rid == qid:
            return flags, an, addrs, (time.perf_counter() - t0) * 1000


BIG_N = 40   # big.test: 40 A records, too many for a 512-byte UDP answer


def qname_of(msg):
    end = skip_name(msg, 12) + 4
    qname = msg[12:end - 4]
    labels, off = [], 0
    while qname[off]:
        labels.append(qname[off + 1:off + 1 + qname[off]].decode(errors="replace"))
        off += 1 + qname[off]
    return ".".join(labels).lower(), end


def a_reply(msg, addr, question=None):
    """A reply to query msg with one A record addr; question: another
    query's question section in place of msg's own."""
    end = skip_name(msg, 12) + 4
    q = question if question is not None else msg[12:end]
    hdr = struct.pack(">HHHHHH", struct.unpack(">H", msg[:2])[0], 0x8180, 1, 1, 0, 0)
    return hdr + q + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + socket.inet_aton(addr)


def answer(msg, tcp):
    """The fixture's reply to one query, or None to stay silent."""
    if len(msg) < 12:
        return None
    qid, flags = struct.unpack(">HH", msg[:4])
    name, end = qname_of(msg)
    qtype = struct.unpack(">H", msg[end - 4:end - 2])[0]
    if name.startswith("drop") or name.startswith("spoof"):
        return None
    rd, tc = flags & 0x0100, 0
    if name == "example.test" or name.startswith("flood"):
        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + socket.inet_aton("10.9.8.7")
        an = 1 if qtype == 1 else 0
        rcode = 0
    elif name == "big.test" and qtype == 1:
        ans = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) +
                       socket.inet_aton("10.7.0.%d" % i) for i in range(1, BIG_N + 1))
        an, rcode = BIG_N, 0
        if not tcp:              # as a real server: truncated, TC set
            ans, an, tc = b"", 0, 0x0200
    else:
        ans, an, rcode = b"", 0, 3
    hdr = struct.pack(">HHHHHH", qid, 0x8080 | rd | tc | rcode, 1, an, 0, 0)
    return hdr + msg[12:end] + (ans if an else b"")


def serve_tcp(conn):
    with conn:
        buf = b""
        while True:
            while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                more = conn.recv(65535)
                if not more:
                    return
                buf += more
            n = struct.unpack(">H", buf[:2])[0]
            reply = answer(buf[2:2 + n], True)
            buf = buf[2 + n:]
            if reply:
                conn.sendall(struct.pack(">H", len(reply)) + reply)


def cmd_upstream(addr):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, 53))
    t.listen(16)

    def accept_loop():
        while True:
            c, _ = t.accept()
            threading.Thread(target=serve_tcp, args=(c,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # a source port other than 53
    other.bind((addr, 0))
    held = {}
    while True:
        msg, peer = s.recvfrom(65535)
        try:
            name = qname_of(msg)[0]
        except (IndexError, struct.error):
            name = "?"
        print("q %s %d" % (name, peer[1]), flush=True)
        if name in ("spoofa.test", "spoofb.test"):
            held[name] = (msg, peer)
            if len(held) == 2:
                forge(s, other, held)
                held = {}
            continue
        reply = answer(msg, False)
        if reply:
            s.sendto(reply, peer)


def forge(s, other, held):
    """Forged answers for both held queries, then the real ones."""
    (ma, pa), (mb, pb) = held["spoofa.test"], held["spoofb.test"]
    evil = query(0, "evil.test")[12:]
    for (m, p), (_, wrong) in (((ma, pa), (mb, pb)), ((mb, pb), (ma, pa))):
        s.sendto(a_reply(m, "6.6.6.6", evil), p)        # right id, another question
        s.sendto(a_reply(m, "6.6.6.6"), wrong)          # right id and question, wrong port
        other.sendto(a_reply(m, "6.6.6.6"), p)          # from a port other than 53
    time.sleep(0.2)
    s.sendto(a_reply(ma, "10.9.8.7"), pa)
    s.sendto(a_reply(mb, "10.9.8.7"), pb)


def cmd_query(server, name, qtype="A"):
    s = client()
    try:
        flags, an, addrs, ms = ask(s, server, name, TYPES[qtype])
    except socket.timeout:
        print("timeout")
        return 1
    print("rcode=%d an=%d aa=%d addrs=%s ms=%.1f" % (flags & 0xF, an, (flags >> 10) & 1, ",".join(addrs), ms))
    return 0


def cmd_junk(server):
    s = client()
    s.settimeout(2)
    s.sendto(b"", (server, 53))
    s.sendto(b"\x12\x34\x01\x00\x00", (server, 53))
    # A label of 60 bytes with 3 left: FORMERR, echoing the id.
    s.sendto(struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\x3cabc", (server, 53))
    formerr = False
    try:
        while True:
            msg, _ = s.recvfrom(65535)
            if msg[:2] == b"\x42\x42" and (msg[3] & 0xF) == 1 and msg[2] & 0x80:
                formerr = True
                break
    except socket.timeout:
        pass
    rnd = random.Random(8)
    for i in range(1000):
        n = rnd.randrange(0, 600)
        data = bytearray(rnd.getrandbits(8) for _ in range(n))
        if n >= 12 and i % 2:
            data[2] &= 0x07          # half of them look like queries
            data[4:12] = b"\0\1\0\0\0\0\0\0"
        s.sendto(bytes(data), (server, 53))
    print("formerr=%d" % formerr)
    return 0


def send_paced(socks, server, n, name):
    """n queries for name % i round-robin over socks, paced so that the
    agent's socket buffer is not what drops them."""
    t0 = time.time()
    for i in range(int(n)):
        socks[i % len(socks)].sendto(query(i & 0xFFFF, name % i), (server, 53))
        if i % 64 == 63:
            time.sleep(0.005)        # let the agent keep up with our burst
    return time.time() - t0


def count_replies(socks, pred, wait=2.0):
    got, deadline = 0, time.time() + wait
    for sk in socks:
        sk.setblocking(False)
    while time.time() < deadline:
        busy = False
        for sk in socks:
            try:
                msg, _ = sk.recvfrom(65535)
            except BlockingIOError:
                continue
            busy = True
            got += pred(msg)
        if not busy:
            time.sleep(0.01)
    return got


def cmd_flood(server, n, k=0):
    global SOURCE
    socks = []
    for j in range(int(k) or 1):
        if int(k):
            SOURCE = "127.0.1.%d" % (j + 1)
        sk = client()
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        socks.append(sk)
    send_paced(socks, server, n, "drop%d.test")
    print("servfail=%d" % count_replies(socks, lambda m: (m[3] & 0xF) == 2))
    return 0


def cmd_burst(server, n):
    s = client()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sent_s = send_paced([s], server, n, "flood%d.test")
    got = count_replies([s], lambda m: (m[3] & 0xF) == 0 and m[7] == 1)
    print("answered=%d sent_s=%.3f" % (got, sent_s))
    return 0


def cmd_spoof(server):
    socks = {name: client() for name in ("spoofa.test", "spoofb.test")}
    for name, sk in socks.items():
        sk.settimeout(3)
        sk.sendto(query(random.randrange(65536), name), (server, 53))
    out = []
    for name, sk in socks.items():
        try:
            out.append("%s=%s" % (name[5], ",".join(parse(sk.recvfrom(65535)[0])[3])))
        except socket.timeout:
            out.append("%s=timeout" % name[5])
    print(" ".join(out))
    return 0


def cmd_latency(server, name, n):
    s = client()
    ms = sorted(ask(s, server, name)[3] for _ in range(int(n)))
    print("median=%.3f p99=%.3f" % (statistics.median(ms), ms[int(len(ms) * 0.99) - 1]))
    return 0


if __name__ == "__main__":
    cmds = {"upstream": cmd_upstream, "query": cmd_query, "junk": cmd_junk,
            "flood": cmd_flood, "burst": cmd_burst, "spoof": cmd_spoof,
            "latency": cmd_latency}
    args = sys.argv[1:]
    if args[:1] == ["--from"]:
        SOURCE, args = args[1], args[2:]
    sys.exit(cmds[args[0]](*args[1:]))
