#!/usr/bin/env bash
# keelctl bind: a guest listener (in the agent's network namespace, the VM's
# stand-in) whose connections reach a server on the HOST's loopback, each
# over a stream of its own (unix socket $CTL_<port>, as keel-vsock names
# guest-initiated connections). TCP echo with 20 parallel clients and
# half-close, UDP with two peers, listing and removal, a taken guest port,
# the bind's end with its keelctl, and a host target that is down.
# BIND_MEASURE=1 also prints the figures of docs/bind.md (no assertions).
. "$(dirname "$0")/lib-agent.sh"
start_agent --host-uds "$CTL"
HOSTADDR=192.168.65.254
# The host address lives on the guest's lo (the agent puts it there; added
# here too, so the test does not depend on when the agent has done so).
in_guest ip addr add "$HOSTADDR/32" dev lo 2>/dev/null
wait_for 5 sh -c "nsenter --net=/proc/$AGENT_PID/ns/net ip -o addr show dev lo | grep -q '$HOSTADDR/32'"


# Host-side servers (host network namespace).
cat > "$TMP/tcp_echo.py" <<'EOF'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128)
def serve(c):
    # Echo until the client's EOF, then end our side: half-close both ways.
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.shutdown(socket.SHUT_WR); c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
cat > "$TMP/udp_echo.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(65536)
    s.sendto(b"echo:" + d, a)
EOF
# Guest-side clients (run with in_guest).
cat > "$TMP/tcp_client.py" <<'EOF'
# ADDR PORT NCLIENTS SIZE: each client sends SIZE random bytes, shuts its
# write side, reads to EOF; prints how many got exactly their bytes back.
import hashlib, os, socket, sys, threading
addr, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok, errs = [], []
def one():
    try:
        run()
    except OSError as e:
        errs.append(str(e))
def run():
    data = os.urandom(size)
    c = socket.create_connection((addr, port), timeout=30)
    def send():
        c.sendall(data); c.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=send); t.start()
    got = bytearray()
    while True:
        d = c.recv(65536)
        if not d:
            break
        got += d
    t.join(); c.close()
    if len(got) != size: print("short", len(got), file=sys.stderr)
    if hashlib.sha256(got).digest() == hashlib.sha256(data).digest():
        ok.append(1)
ts = [threading.Thread(target=one) for _ in range(n)]
[t.start() for t in ts]; [t.join() for t in ts]
print(len(ok))
if errs:
    print("errors:", sorted(set(errs)), file=sys.stderr)
EOF
cat > "$TMP/udp_client.py" <<'EOF'
# ADDR PORT: two peers each send datagrams (1400 bytes among them) and must
# get their own echoes back.
import socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
peers = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for i, p in enumerate(peers):
    p.settimeout(5)
    for msg in [b"p%d-a" % i, b"p%d-" % i + b"x" * 1396, b"p%d-c" % i]:
        p.sendto(msg, (addr, port))
        d, _ = p.recvfrom(65536)
        assert d == b"echo:" + msg, (i, len(d), len(msg))
print("ok")
EOF

PORT=$(free_port)
python3 "$TMP/tcp_echo.py" "$PORT" & ECHO=$!
on_exit "kill $ECHO 2>/dev/null"
UPORT=$(free_port)
python3 "$TMP/udp_echo.py" "$UPORT" & UECHO=$!
on_exit "kill $UECHO 2>/dev/null"
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)"

# start_bind NAME ARGS...: keelctl bind in the background; pid in BPID.
start_bind() {
	local name=$1; shift
	"${KC[@]}" bind "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" &
	BPID=$!
	on_exit "kill $BPID 2>/dev/null"
}

# 1. TCP on the default guest address.
GPORT=15432
start_bind tcp "$GPORT" "127.0.0.1:$PORT"
TCP_PID=$BPID
check "bind: announces the bind" wait_for 5 grep -q "^bound tcp $HOSTADDR:$GPORT -> 127.0.0.1:$PORT (id [0-9]*)$" "$TMP/tcp.out"
TCP_SOCK=$CTL"_49152"
check "bind: stream listener $TCP_SOCK, mode 0600" test "$(stat -c %a "$TCP_SOCK" 2>&1)" = 600
check "bind tcp: a guest client's bytes come back from the host server" \
	sh -c "test \"\$(nsenter --net=/proc/$AGENT_PID/ns/net python3 $TMP/tcp_client.py $HOSTADDR $GPORT 1 1000)\" = 1"
check "bind tcp: 20 parallel guest clients each get their own 256 KiB back (half-close)" \
	sh -c "test \"\$(timeout 60 nsenter --net=/proc/$AGENT_PID/ns/net python3 $TMP/tcp_client.py $HOSTADDR $GPORT 20 262144)\" = 20"

# 2. UDP, an explicit guest address and host port.
GUPORT=15353
start_bind udp --udp --host-port 50001 "$HOSTADDR:$GUPORT" "127.0.0.1:$UPORT"
UDP_PID=$BPID
check "bind --udp: announces the bind" wait_for 5 grep -q "^bound udp $HOSTADDR:$GUPORT -> 127.0.0.1:$UPORT" "$TMP/udp.out"
check "bind --udp: listens on the asked host port" test -S "$CTL"_50001
check "bind udp: two guest peers each get their own replies (1400-byte datagram too)" \
	sh -c "timeout 30 nsenter --net=/proc/$AGENT_PID/ns/net python3 $TMP/udp_client.py $HOSTADDR $GUPORT | grep -qx ok"

# The agent's own sockets are not guest services: ports (and so publish
# --auto) leaves the bind listeners and the DNS server out, while a guest
# listener next to them is listed.
guest_listen 15499
wait_for 5 sh -c "${KC[*]} ports | grep -q ' 15499 '"
"${KC[@]}" ports > "$TMP/ports.txt" 2>&1
check "ports: lists a guest listener but not the agent's bind listeners or its DNS server" \
	sh -c "grep -q ' 15499 ' '$TMP/ports.txt' && ! grep -qE ' ($GPORT|$GUPORT|53) ' '$TMP/ports.txt'"

# 3. Listing and removal.
"${KC[@]}" binds > "$TMP/binds.txt" 2>&1
check "binds: header" grep -q "^ID *TRANSPORT *GUEST *HOST-PORT *TARGET *CONNECTIONS *FAILURES" "$TMP/binds.txt"
check "binds: the tcp bind (host port 49152, 21 connections)" \
	grep -Eq "^[0-9]+ +tcp +$HOSTADDR:$GPORT +49152 +127.0.0.1:$PORT +21 +0\$" "$TMP/binds.txt"
check "binds: the udp bind (host port 50001)" \
	grep -Eq "^[0-9]+ +udp +$HOSTADDR:$GUPORT +50001 +127.0.0.1:$UPORT +[0-9]+ +0\$" "$TMP/binds.txt"
"${KC[@]}" --json binds > "$TMP/binds.json" 2>&1
check "binds --json: one object, both binds with their fields" test \
	"$(jget @"$TMP/binds.json" 'sorted((b["transport"], b["address"], b["port"], b["host_port"], b["host_target"]) for b in d["binds"])')" = \
	"[('tcp', '$HOSTADDR', $GPORT, 49152, '127.0.0.1:$PORT'), ('udp', '$HOSTADDR', $GUPORT, 50001, '127.0.0.1:$UPORT')]"
UDP_ID=$(jget @"$TMP/binds.json" '[b["id"] for b in d["binds"] if b["transport"] == "udp"][0]')

G3=15433
start_bind tcp3 "$G3" "127.0.0.1:$PORT"
TCP3_PID=$BPID
wait_for 5 grep -q "^bound" "$TMP/tcp3.out"
socks_before=$(ls "$CTL"_* 2>/dev/null | wc -l)
check "unbind :PORT: prints what was removed" \
	sh -c "${KC[*]} unbind :$G3 | grep -q '^unbound tcp $HOSTADDR:$G3 -> 127.0.0.1:$PORT'"
wait_for 5 sh -c "! kill -0 $TCP3_PID 2>/dev/null"
wait "$TCP3_PID"; rc=$?
check "unbind: the keelctl bind that made it is told, says so and exits 0 (rc $rc: $(tail -n1 "$TMP/tcp3.out"))" \
	sh -c "test $rc = 0 && tail -n1 '$TMP/tcp3.out' | grep -q '^unbound tcp $HOSTADDR:$G3 -> 127.0.0.1:$PORT'"
socks_after=$(ls "$CTL"_* 2>/dev/null | wc -l)
check "unbind: that keelctl removed its stream socket ($socks_before stream sockets before, $socks_after after)" \
	test "$socks_after" = $(( socks_before - 1 ))
check "unbind: a guest connect to the port is then refused" \
	sh -c "nsenter --net=/proc/$AGENT_PID/ns/net python3 -c 'import socket
try: socket.create_connection((\"$HOSTADDR\", $G3), 3)
except ConnectionRefusedError: print(\"refused\")' | grep -qx refused"
check "unbind: the other binds stay" sh -c "${KC[*]} binds | grep -c \"$HOSTADDR:1543[2-3]\\|$HOSTADDR:$GUPORT\" | grep -qx 2"
check "unbind of a bind that does not exist: exit 1 and says so" \
	sh -c "out=\$(${KC[*]} unbind 99999 2>&1); rc=\$?; echo \"\$out\"; test \$rc = 1 && echo \"\$out\" | grep -qi 'no bind\\|not found\\|no such'"
check "unbind --json ID (the udp bind): the removed bind as JSON" \
	sh -c "${KC[*]} --json unbind $UDP_ID | $TOP/tests/progs/jget.py --test - '[b[\"id\"] for b in d[\"removed\"]] == [$UDP_ID]'"
kill "$UDP_PID"

# 4. A guest port somebody holds.
G4=15434
guest_listen "$G4"
wait_for 5 sh -c "${KC[*]} ports | grep -q ' $G4 '"
check "bind to a taken guest port: exit 1, says the address is in use" \
	sh -c "out=\$(timeout 10 ${KC[*]} bind 127.0.0.1:$G4 127.0.0.1:$PORT 2>&1); rc=\$?; echo \"\$out\"; test \$rc = 1 && echo \"\$out\" | grep -q 'bind tcp 127.0.0.1:$G4: Address already in use'"

# 5. The bind ends with its keelctl.
kill "$TCP_PID"; wait "$TCP_PID" 2>/dev/null
check "killed keelctl bind: its bind is gone from the list" \
	wait_for 5 sh -c "! ${KC[*]} binds | grep -q '$HOSTADDR:$GPORT '"
check "killed keelctl bind: the guest port is free again" \
	nsenter --net="/proc/$AGENT_PID/ns/net" python3 -c "import socket; socket.socket().bind(('$HOSTADDR', $GPORT))"
check "killed keelctl bind: its stream socket is removed" test ! -e "$TCP_SOCK"

# 6. The host target is down: the guest client's connection ends at once,
# keelctl says why and keeps serving.
DEAD=$(free_port)
G6=15436
start_bind dead "$G6" "127.0.0.1:$DEAD"
wait_for 5 grep -q "^bound" "$TMP/dead.out"
check "target down: the guest connection ends promptly (no hang)" \
	timeout 10 nsenter --net="/proc/$AGENT_PID/ns/net" python3 -c "import socket
c = socket.create_connection(('$HOSTADDR', $G6), 5); c.settimeout(8)
try: c.sendall(b'x'); assert c.recv(10) == b''
except ConnectionResetError: pass"
check "target down: keelctl logs one line why" \
	wait_for 5 grep -q "cannot reach 127.0.0.1:$DEAD: Connection refused" "$TMP/dead.err"
python3 "$TMP/tcp_echo.py" "$DEAD" & ECHO2=$!
on_exit "kill $ECHO2 2>/dev/null"
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $DEAD), 1)"
check "target up again: the same bind carries a new connection" \
	sh -c "test \"\$(nsenter --net=/proc/$AGENT_PID/ns/net python3 $TMP/tcp_client.py $HOSTADDR $G6 1 4096)\" = 1"
check "agent keeps its pid" kill -0 "$AGENT_PID"

# 7. The agent restarts (a VM reboot): keelctl bind makes its bind again.
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
check "agent gone: keelctl bind says so" wait_for 5 grep -q "^disconnected: connection to the agent lost" "$TMP/dead.out"
# --wait: started while no agent answers, it waits instead of exiting 3.
G7=15437
start_bind waiter --wait "$G7" "127.0.0.1:$DEAD"
check "bind --wait with no agent: waits (still running, says why)" \
	sh -c "wait_for() { $(declare -f wait_for | tail -n +2); }; wait_for 5 grep -q '^waiting for the agent' '$TMP/waiter.out' && kill -0 $BPID"
start_agent --host-uds "$CTL"
in_guest ip addr add "$HOSTADDR/32" dev lo 2>/dev/null
check "agent back: the bind is made again" wait_for 10 grep -q "^rebound tcp $HOSTADDR:$G6 -> 127.0.0.1:$DEAD" "$TMP/dead.out"
check "bind --wait: bound once the agent answers" wait_for 10 grep -q "^bound tcp $HOSTADDR:$G7 " "$TMP/waiter.out"
check "agent back: a guest connection reaches the host again" \
	sh -c "test \"\$(nsenter --net=/proc/$AGENT_PID/ns/net python3 $TMP/tcp_client.py $HOSTADDR $G6 1 4096)\" = 1"

# Figures for docs/bind.md: BIND_MEASURE=1 tests/host/agent_bind.sh
[ -n "${BIND_MEASURE:-}" ] || exit 0
cat > "$TMP/setup.py" <<'EOF2'
# ADDR PORT N: median and p90 of connect + 1-byte echo, in ms.
import socket, statistics, sys, time
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = []
for _ in range(n):
    t0 = time.perf_counter()
    c = socket.create_connection((addr, port), 10)
    c.sendall(b"x"); assert c.recv(1) == b"x"
    t.append((time.perf_counter() - t0) * 1000)
    c.close()
t.sort()
print("median %.2f ms, p90 %.2f ms" % (statistics.median(t), t[int(n * 0.9)]))
EOF2
cat > "$TMP/thr.py" <<'EOF2'
# ADDR PORT BYTES: send BYTES through the echo and read them back; MiB/s
# of the whole (each byte goes both ways), timed from connect to EOF.
import socket, sys, threading, time
addr, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
buf = b"k" * (1 << 20)
t0 = time.perf_counter()
c = socket.create_connection((addr, port), 10)
def send():
    for _ in range(size // len(buf)):
        c.sendall(buf)
    c.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send); t.start()
got = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    got += len(d)
t.join()
dt = time.perf_counter() - t0
assert got == size, got
print("%.0f ms (%.0f MiB/s each way)" % (dt * 1000, size / dt / (1 << 20)))
EOF2
MIB=$((64 << 20))
start_bind mbind "$GPORT" "127.0.0.1:$PORT"
wait_for 5 grep -q "^bound" "$TMP/mbind.out"
GE=15500
nsenter --net="/proc/$AGENT_PID/ns/net" python3 "$TMP/tcp_echo.py" "$GE" & GECHO=$!
on_exit "kill $GECHO 2>/dev/null"
HP=$(free_port)
"${KC[@]}" forward "127.0.0.1:$HP:$GE" > "$TMP/fwd.out" 2>&1 & FWDP=$!
on_exit "kill $FWDP 2>/dev/null"
wait_for 5 grep -q forwarding "$TMP/fwd.out"
for round in 1 2 3; do
	echo "round $round: 64 MiB guest->host->guest through bind:    $(nsenter --net="/proc/$AGENT_PID/ns/net" python3 "$TMP/thr.py" "$HOSTADDR" "$GPORT" "$MIB")"
	echo "round $round: 64 MiB host->guest->host through forward: $(python3 "$TMP/thr.py" 127.0.0.1 "$HP" "$MIB")"
	echo "round $round: 64 MiB to the host echo directly:          $(python3 "$TMP/thr.py" 127.0.0.1 "$PORT" "$MIB")"
done
echo "setup bind:    $(nsenter --net="/proc/$AGENT_PID/ns/net" python3 "$TMP/setup.py" "$HOSTADDR" "$GPORT" 100)"
echo "setup forward: $(python3 "$TMP/setup.py" 127.0.0.1 "$HP" 100)"
echo "setup direct:  $(python3 "$TMP/setup.py" 127.0.0.1 "$PORT" 100)"
