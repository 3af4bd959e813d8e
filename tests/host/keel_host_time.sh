#!/usr/bin/env bash
# keel_host_time.sh: keel-host's time keeper against the agent on AF_UNIX
# (lib-agent.sh; --time-threshold so that no SyncTime steps this host's
# clock) and a fake QEMU monitor at STATE/qmp-host.sock (the --qemu process
# itself): a sync when the agent first answers (boot), and one within 1 s of
# a QMP RESUME event that follows a STOP (docs/host-daemon.md).
. "$(dirname "$0")/lib-agent.sh"
start_agent --time-threshold 86400000
KH=$B/keel-host
st=$TMP/st; mkdir -m 700 "$st"
cat > "$TMP/qmp.py" <<'PY'
import json, os, signal, socket, sys, time
st = sys.argv[1]
open(st + "/fake.pid", "w").write("%d\n" % os.getpid())
l = socket.socket(socket.AF_UNIX); l.bind(st + "/qmp-host.sock"); l.listen(1)
c, _ = l.accept()
c.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
c.recv(4096)                                   # qmp_capabilities
c.sendall(b'{"return": {}}\r\n')
def pause_resume(*a):
    c.sendall(b'{"timestamp": {}, "event": "STOP"}\r\n')
    time.sleep(1)
    t = time.monotonic()   # before the send: keel-host may sync before we write
    c.sendall(b'{"timestamp": {}, "event": "RESUME"}\r\n')
    open(st + "/resumed", "w").write("%.3f\n" % t)
signal.signal(signal.SIGUSR1, pause_resume)
while True:
    time.sleep(100)
PY
"$KH" --state "$st" --uds "$CTL" --sync-interval 3600 --qemu 3 python3 "$TMP/qmp.py" "$st" >>"$TMP/kh.log" 2>&1 &
KHP=$!
on_exit "kill $KHP 2>/dev/null; wait $KHP 2>/dev/null"
check "a sync when the agent first answers (boot)" wait_for 10 grep -q "time sync (boot)" "$TMP/kh.log"
check "keel-host is on its monitor" wait_for 10 test -S "$st/qmp-host.sock"
sleep 2   # its connection and negotiation
kill -USR1 "$(cat "$st/fake.pid")"
check "QMP STOP then RESUME: a sync for the resume" wait_for 5 grep -q "time sync (vm-resume)" "$TMP/kh.log"
r=$(cat "$st/resumed" 2>/dev/null)
s=$(grep "time sync (vm-resume)" "$TMP/kh.log" | head -n1 | sed -E 's/^\[ *([0-9.]+)\].*/\1/')
lag=$(awk -v a="$r" -v b="$s" 'BEGIN { printf "%d", (b - a) * 1000 }')
check "... within 1 s of the RESUME (${lag} ms; RESUME at ${r:-?}, sync logged at ${s:-?})" \
	bash -c '[ -n "$1" ] && [ -n "$2" ] && [ "$3" -ge 0 ] && [ "$3" -le 1000 ]' _ "$r" "$s" "$lag"
check "status.json: the last sync's reason is vm-resume" \
	jget --test @"$st/status.json" 'd["time"]["reason"] == "vm-resume"'
