#!/usr/bin/env bash
# vsock through keel-vsock beside TCP through QEMU's user networking
# (hostfwd), in the same VM: throughput both ways (64 MiB, median of 3) and
# one-byte round-trip latency. The guest runs vsock-guest's servers on vsock
# and on TCP with the same ports (5001 echo, 5002 sink, 5003 source).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/vm/lib-vm.sh"

VH=$B/tests/bin/vsock-host
BYTES=$((64 << 20)) RUNS=${VSOCK_BENCH_RUNS:-3} RTTS=${VSOCK_BENCH_RTTS:-2000}
P1=$(free_port) P2=$(free_port) P3=$(free_port)
VM_KERNEL=$B/bzImage VM_INITRD=$B/vm/vsock-initrd.gz VM_VSOCK=1
VM_HOSTFWD="tcp:127.0.0.1:$P1-:5001 tcp:127.0.0.1:$P2-:5002 tcp:127.0.0.1:$P3-:5003"

vm_start bench || { fail "vsock bench: VM start"; exit 1; }
vm_wait_console 'KEEL-GUEST-READY' 180 || { fail "vsock bench: guest boot"; exit 1; }
wait_for 30 "$VH" connect "unix:$VM_UDS" 5001 || { fail "vsock bench: guest vsock not up"; exit 1; }
wait_for 30 "$VH" rtt tcp:127.0.0.1 "$P1" 1 || { fail "vsock bench: hostfwd not up"; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# mbps ADDR PORT send|recv: median MB/s (10^6 bytes/s) over RUNS transfers
mbps() {
	local addr=$1 port=$2 dir=$3 i out us
	for (( i = 0; i < RUNS; i++ )); do
		if [ "$dir" = send ]; then
			out=$("$VH" send "$addr" "$port" $BYTES $i) || return 1
			us=$(echo "$out" | awk '{print $3}')
		else
			out=$("$VH" recv "$addr" "$port" $BYTES $i) || return 1
			us=$(echo "$out" | awk '{print $3}')
		fi
		[ "$(echo "$out" | awk '{print $2}')" = $BYTES ] || return 1
		echo $(( BYTES / us ))
	done | median
}

ok=1
v_h2g=$(mbps "unix:$VM_UDS" 5002 send) || ok=0
v_g2h=$(mbps "unix:$VM_UDS" 5003 recv) || ok=0
v_rtt=$("$VH" rtt "unix:$VM_UDS" 5001 "$RTTS") || ok=0
t_h2g=$(mbps tcp:127.0.0.1 "$P2" send) || ok=0
t_g2h=$(mbps tcp:127.0.0.1 "$P3" recv) || ok=0
t_rtt=$("$VH" rtt tcp:127.0.0.1 "$P1" "$RTTS") || ok=0
if [ $ok = 0 ]; then
	fail "vsock bench: a transfer failed"; exit 1
fi
record_metric vsock_h2g_mbps "$v_h2g"
record_metric vsock_g2h_mbps "$v_g2h"
record_metric vsock_rtt_us "$v_rtt"
record_metric hostfwd_h2g_mbps "$t_h2g"
record_metric hostfwd_g2h_mbps "$t_g2h"
record_metric hostfwd_rtt_us "$t_rtt"
record_metric vsock_ratio_vs_hostfwd "$(awk -v a="$v_h2g" -v b="$t_h2g" 'BEGIN {printf "%.2f", a / b}')"
record_metric vsock_g2h_ratio_vs_hostfwd "$(awk -v a="$v_g2h" -v b="$t_g2h" 'BEGIN {printf "%.2f", a / b}')"
record_metric vsock_rtt_ratio_vs_hostfwd "$(awk -v a="$v_rtt" -v b="$t_rtt" 'BEGIN {printf "%.2f", a / b}')"
# CPU time of keel-vsock against QEMU's over the whole run: who is the bottleneck
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
qpid=$(pgrep -P "$VM_PID" qemu-system || echo "$VM_PID")
kv=$(cpu_ticks "$VM_KV_PID") qm=$(cpu_ticks "$qpid")
record_metric vsock_backend_cpu_vs_qemu "$(awk -v a="$kv" -v b="$qm" 'BEGIN {printf "%.3f", a / (b ? b : 1)}')"
pass "vsock bench ($VM_ACCEL): vsock h2g $v_h2g g2h $v_g2h MB/s rtt $v_rtt us; hostfwd h2g $t_h2g g2h $t_g2h MB/s rtt $t_rtt us"
