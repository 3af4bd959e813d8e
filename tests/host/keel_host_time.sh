#!/usr/bin/env bash
# keel_host_time.sh: keel-host's time keeper against the agent on AF_UNIX
# (lib-agent.sh; --time-threshold so that no SyncTime steps this host's
# clock) and a fake QEMU monitor at STATE/qmp-host.sock (the --qemu process
# itself): a sync when the agent first answers (boot), one within 1 s of a
# QMP RESUME event that follows a STOP, and one when the host resumed from a
# suspend, faked by an LD_PRELOAD library that moves CLOCK_BOOTTIME ahead
# (tests/progs/fake_suspend.c; docs/host-daemon.md). keel-host runs as root
# here: the agent's sockets are root's (lib-agent.sh); keel_host.sh runs it
# as the user.
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
# a host suspend: CLOCK_BOOTTIME moved ahead by the seconds in $TMP/suspended
# (tests/progs/fake_suspend.c, preloaded)
env LD_PRELOAD="$B/tests/lib/fake_suspend.so" KEEL_FAKE_SUSPEND_FILE="$TMP/suspended" \
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

# --- the host resumed from suspend ----------------------------------------------
check "no host-resume sync while BOOTTIME and MONOTONIC move together" \
	bash -c 'sleep 2; ! grep -q "time sync (host-resume)" "$1"' _ "$TMP/kh.log"
echo 30 > "$TMP/suspended"
t0=$(date +%s%3N)
if wait_for 5 grep -q "time sync (host-resume)" "$TMP/kh.log"; then
	pass "BOOTTIME 30 s ahead of MONOTONIC (a suspend): a sync for the host's resume ($(( $(date +%s%3N) - t0 )) ms)"
else fail "no host-resume sync within 5 s: $(tail -n 3 "$TMP/kh.log" | tr '\n' '|')"; fi
check "status.json: the last sync's reason is host-resume" \
	jget --test @"$st/status.json" 'd["time"]["reason"] == "host-resume"'
check "one suspend, one sync (the gap is taken as the new normal)" \
	bash -c 'sleep 3; [ "$(grep -c "time sync (host-resume)" "$1")" = 1 ]' _ "$TMP/kh.log"
