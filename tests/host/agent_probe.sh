#!/usr/bin/env bash
# A hung dockerd (accepts, never answers) must not stall the agent: Health
# waits for its ping at most ~500 ms while other clients are answered at once.
# And the idle deadline closes silent control connections but not watchers.
. "$(dirname "$0")/lib-agent.sh"
python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
c=[]
while True: c.append(s.accept()[0])' "$TMP/docker.sock" &
on_exit "kill $! 2>/dev/null"
wait_for 3 test -S "$TMP/docker.sock"
start_agent
check "health vs a hung dockerd: others answered first, health within 2 s" python3 -c '
import socket,struct,sys,time
def conn():
    s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); return s
def reply(s):
    n=struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]; return s.recv(n, socket.MSG_WAITALL)
a=conn(); b=conn()
t0=time.time()
a.send(struct.pack(">I",4)+bytes([0x08,1,0x5a,0]))           # Health id 1
time.sleep(0.05)
b.send(struct.pack(">I",6)+bytes([0x08,2,0x52,2,0x08,1]))    # Version id 2
rb=reply(b); tb=time.time()-t0
ra=reply(a); ta=time.time()-t0
assert tb < ta, (tb, ta)
assert 0.3 < ta < 2.0, ta
print("version %.3f s, health %.3f s" % (tb, ta))
' "$CTL"
out=$("${KC[@]}" --json health)
check "health: hung dockerd reported not ready" test "$(jget - 'd["docker_ready"]' <<<"$out")" = False

# Idle deadline: a silent control connection is closed; a watcher is not.
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
start_agent --idle-timeout 400
check "idle control connection closed after --idle-timeout, watcher kept" python3 -c '
import socket,struct,sys,time
def conn():
    s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); return s
idle=conn(); w=conn()
w.send(struct.pack(">I",4)+bytes([0x08,1,0x6a,0]))            # WatchPorts id 1
n=struct.unpack(">I", w.recv(4, socket.MSG_WAITALL))[0]; w.recv(n, socket.MSG_WAITALL)
t0=time.time(); idle.settimeout(5)
assert idle.recv(1) == b""; el=time.time()-t0
assert 0.35 < el < 3, el
w.setblocking(False)
try:
    assert w.recv(1) != b"", "watcher closed"
except BlockingIOError:
    pass
print("idle closed after %.2f s" % el)
' "$CTL"
