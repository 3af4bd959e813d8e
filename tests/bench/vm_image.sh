#!/usr/bin/env bash
# vm_image.sh (bench): the product image (build/keel.img) booted once with
# scripts/run-vm, and in that one boot:
#   - control round trip (Version) to the agent over vsock vs the same frame
#     bytes through a raw vsock echo, both through the same keel-vsock
#     (vm_rpc_rtt_ratio_vs_raw_vsock);
#   - 64 MiB host -> guest into one sink three ways: keelctl forward (host TCP
#     -> keelctl -> vsock -> agent -> guest TCP), the raw vsock stream, and
#     QEMU's hostfwd (slirp) to the same guest TCP port
#     (vm_forward_ratio_vs_raw_vsock, vm_forward_ratio_vs_hostfwd);
#   - footprint: keel-init stripped size, image size, guest memory used at
#     dockerd ready (Health), agent VmRSS idle and with 100 open forwards.
# The guest side of the raw figures is tests/progs/vsock-guest.c (static)
# in privileged host-network containers (--userns=host: dockerd remaps
# user namespaces, and privileged needs the host one). Such a container has no
# seccomp filter, so it may open AF_VSOCK sockets (vsock has no network
# namespaces: the container's listener is the VM's). Every path ends in the
# same sink process (port 5002: read to EOF, answer "<sha256> <bytes>").
# Figures only: asserts that each was measured. docs/performance.md.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
bound_s=${KEEL_BOOT_BOUND_S:-300}
export KEEL_FORCE_USER_VSOCK=1   # keel-vsock even where /dev/vhost-vsock works: it is what is measured
. "$TOP/tests/vm/lib-image.sh"

VH=$B/tests/bin/vsock-host VG=$B/tests/bin/vsock-guest VB=$B/tests/bin/keel-vmbench
img_require "$VH" "$VG" "$VB"
BYTES=$((64 << 20)) RUNS=${VM_BENCH_RUNS:-3} RTTS=${VM_BENCH_RTTS:-2000}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "" }'; }
HF=$(free_port) KF=$(free_port) KE=$(free_port)
hyb=$state/vsock.sock

# --- footprint outside the VM
strip -o "$TMP/keel-init.stripped" "$B/keel-init" && record_metric keel_init_stripped_bytes "$(stat -c %s "$TMP/keel-init.stripped")"
record_metric image_bytes "$(stat -c %s "$B/keel.img")"

boot bench --data "$TMP/data.img" --data-size 2G --no-share --memory 1024 \
	--hostfwd "tcp:127.0.0.1:$HF-:5002" || exit 1
h=$(health_json) || { fail "vm bench: health"; exit 1; }
used=$(jget "$h" 'd["mem_total_kib"] - d["mem_available_kib"]' 2>/dev/null)
[ -n "$used" ] && record_metric vm_guest_mem_used_at_dockerd_ready_kib "$used"

start_docker_proxy || { fail "vm bench: docker proxy"; exit 1; }
root=$TMP/img
mkdir -p "$root/bin" "$root/tmp" && cp /bin/busybox "$VG" "$root/bin/" || exit 1
for a in sh cat awk grep pidof sleep; do ln -sf busybox "$root/bin/$a"; done
tar -C "$root" -cf "$TMP/img.tar" . && docker import "$TMP/img.tar" keelbench >/dev/null ||
	{ fail "vm bench: docker import"; exit 1; }
agent_rss() {
	docker run --rm --privileged --userns=host --pid=host keelbench sh -c \
		'awk "/^VmRSS/ {print \$2}" /proc/$(pidof keel-agent)/status'
}
idle_rss=$(agent_rss)
[ -n "$idle_rss" ] && record_metric vm_agent_rss_idle_kib "$idle_rss"
# vsock-guest serve forks its servers and returns: the container's main
# process must outlive it.
for fam in vsock tcp; do
	docker run -d --privileged --userns=host --net=host --name "srv-$fam" keelbench \
		sh -c "/bin/vsock-guest serve $fam && exec sleep 100000" >/dev/null ||
		{ fail "vm bench: $fam server container"; exit 1; }
done
if ! wait_for 30 "$VH" connect "unix:$hyb" 5001; then
	fail "vm bench: vsock echo in the container not up: $("$VH" connect "unix:$hyb" 5001 2>&1)"
	docker ps -a; docker logs srv-vsock; exit 1
fi
wait_for 30 "$VH" rtt tcp:127.0.0.1 "$HF" 0 2>/dev/null || true

# --- control round trip vs raw vsock echo: alternate, median of each
rpc=() raw=()
for i in 1 2 3; do
	rpc+=("$("$VB" rpc "$hyb" 1022 "$RTTS")") raw+=("$("$VB" echo "$hyb" 5001 "$RTTS")")
done
rpc_us=$(printf '%s\n' "${rpc[@]}" | median) raw_us=$(printf '%s\n' "${raw[@]}" | median)
echo "rpc us: ${rpc[*]}; raw vsock echo us: ${raw[*]}"
if [ -n "$rpc_us" ] && [ -n "$raw_us" ]; then
	record_metric vm_rpc_rtt_us "$rpc_us"
	record_metric vm_raw_vsock_echo_rtt_us "$raw_us"
	record_metric vm_rpc_rtt_ratio_vs_raw_vsock "$(ratio "$rpc_us" "$raw_us")"
	pass "vm bench: control round trip $rpc_us us vs raw vsock echo $raw_us us"
else
	fail "vm bench: round trips not measured"
fi

# --- throughput into the sink: keelctl forward, raw vsock, hostfwd
# "$KEELCTL" itself, not lib-image's keelctl function: $! must be the
# keelctl process (a function in the background is a subshell, and killing
# it would leave keelctl running).
"$KEELCTL" --hybrid "$hyb" forward "127.0.0.1:$KF:5002" >"$TMP/fwd.log" 2>&1 &
fpid=$!
on_exit "kill $fpid 2>/dev/null"
"$KEELCTL" --hybrid "$hyb" forward "127.0.0.1:$KE:5001" >"$TMP/fwd-echo.log" 2>&1 &
epid=$!
on_exit "kill $epid 2>/dev/null"
wait_for 15 "$VH" rtt tcp:127.0.0.1 "$KE" 1 || { fail "vm bench: keelctl forward not up: $(cat "$TMP/fwd-echo.log")"; exit 1; }
want=$("$VG" gen $BYTES 0 | sha256sum | cut -d' ' -f1)
# mbps ADDR PORT: MB/s (10^6 bytes/s) of one transfer, checked by the sink
mbps() {
	local out
	out=$("$VH" send "$1" "$2" $BYTES 0) || return 1
	[ "$(echo "$out" | awk '{print $1" "$2}')" = "$want $BYTES" ] || { echo "bad answer: $out" >&2; return 1; }
	echo "$out" | awk -v b=$BYTES '{printf "%.1f\n", b / $3}'
}
fw=() vs=() hf=()
for (( i = 0; i < RUNS; i++ )); do
	fw+=("$(mbps tcp:127.0.0.1 "$KF")") vs+=("$(mbps "unix:$hyb" 5002)") hf+=("$(mbps tcp:127.0.0.1 "$HF")")
done
echo "MB/s forward: ${fw[*]}; raw vsock: ${vs[*]}; hostfwd: ${hf[*]}"
fw_m=$(printf '%s\n' "${fw[@]}" | grep . | median) vs_m=$(printf '%s\n' "${vs[@]}" | grep . | median)
hf_m=$(printf '%s\n' "${hf[@]}" | grep . | median)
if [ ${#fw[@]} -eq "$RUNS" ] && [ -n "$fw_m" ] && [ -n "$vs_m" ] && [ -n "$hf_m" ]; then
	record_metric vm_forward_mbps "$fw_m"
	record_metric vm_raw_vsock_h2g_mbps "$vs_m"
	record_metric vm_hostfwd_h2g_mbps "$hf_m"
	record_metric vm_forward_ratio_vs_raw_vsock "$(ratio "$fw_m" "$vs_m")"
	record_metric vm_forward_ratio_vs_hostfwd "$(ratio "$fw_m" "$hf_m")"
	pass "vm bench: 64 MiB into the sink: keelctl forward $fw_m, raw vsock $vs_m, hostfwd $hf_m MB/s"
else
	fail "vm bench: throughput not measured (forward ${fw[*]}, vsock ${vs[*]}, hostfwd ${hf[*]})"
fi

# --- agent RSS with 100 forwards open (each echoed once, then held)
python3 - "$KE" 100 "$TMP/held" <<'EOF' &
import socket, sys, time, os
port, n, flag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"ping")
    got = b""
    while len(got) < 4:
        d = s.recv(4 - len(got))
        if not d:
            sys.exit("closed")
        got += d
    socks.append(s)
open(flag, "w").write(str(len(socks)))
time.sleep(300)
EOF
hpid=$!
on_exit "kill $hpid 2>/dev/null"
if wait_for 120 test -s "$TMP/held"; then
	rss100=$(agent_rss)
	[ -n "$rss100" ] && record_metric vm_agent_rss_100_forwards_kib "$rss100"
	pass "vm bench: agent VmRSS idle ${idle_rss:-?} KiB, with 100 forwards ${rss100:-?} KiB"
else
	fail "vm bench: 100 forwards not opened"
fi
kill "$hpid" 2>/dev/null
pass "vm bench figures recorded ($(cat "$TMP/accel" 2>/dev/null))"
