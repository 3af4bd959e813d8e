#!/usr/bin/env bash
# keel-host's own cost, on the host (the agent on AF_UNIX in its own network
# namespace stands in for the VM; a sleep for QEMU). Records:
#   keel_host_cpu_ms_per_gib   user+system CPU of keel-host per GiB sent
#                              through its docker socket (forward-unix code)
#   keel_host_rss_idle_kib     its RSS with the docker socket, publish and the
#                              time keeper running, nothing connected
#   keel_host_rss_100_fwd_kib  its RSS with 100 connections open through the
#                              docker socket (100 relay threads and streams)
. "$(dirname "$0")/../host/lib-agent.sh"
start_agent --time-threshold 86400000   # the time keeper's SyncTime never steps this host
KH=$B/keel-host
GUEST=$TMP/guest.sock
nsenter --net="/proc/$AGENT_PID/ns/net" socat UNIX-LISTEN:"$GUEST",fork,backlog=256 OPEN:/dev/null >/dev/null 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_for 5 test -S "$GUEST" || { fail "guest sink did not start"; exit 1; }
st=$TMP/st; mkdir -m 700 "$st"
"$KH" --state "$st" --uds "$CTL" --docker-sock "$st/docker.sock" --docker-guest "$GUEST" \
	--qemu 2 sleep 3600 >>"$TMP/kh.log" 2>&1 &
KHP=$!
on_exit "kill $KHP 2>/dev/null; wait $KHP 2>/dev/null"
wait_for 5 test -S "$st/docker.sock" || { fail "keel-host did not serve its socket: $(cat "$TMP/kh.log")"; exit 1; }
sleep 2
rss() { awk '/^VmRSS/ {print $2}' "/proc/$KHP/status"; }
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$KHP/stat"; }
record_metric keel_host_rss_idle_kib "$(rss)"

c0=$(cpu_ms); t0=$(date +%s%3N)
head -c 1G /dev/zero | socat -u - UNIX-CONNECT:"$st/docker.sock"
c1=$(cpu_ms); t1=$(date +%s%3N)
echo "1 GiB through keel-host's docker socket in $((t1 - t0)) ms, keel-host CPU $((c1 - c0)) ms"
check "1 GiB went through (it took $((t1 - t0)) ms)" test $((t1 - t0)) -gt 0
record_metric keel_host_cpu_ms_per_gib $((c1 - c0))

python3 - "$st/docker.sock" "$KHP" <<'PY' > "$TMP/rss100"
import os, socket, sys, time
conns = []
for i in range(100):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"x"); conns.append(s)
time.sleep(2)
threads = len(os.listdir("/proc/%s/task" % sys.argv[2]))
rss = [l.split()[1] for l in open("/proc/%s/status" % sys.argv[2]) if l.startswith("VmRSS")][0]
print(rss, threads)
PY
read -r rss100 threads < "$TMP/rss100"
echo "100 open forwards: RSS ${rss100} KiB, ${threads} threads"
check "100 forwards held at once (${threads} threads)" test "${threads:-0}" -ge 100
record_metric keel_host_rss_100_fwd_kib "$rss100"
