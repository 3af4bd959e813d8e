#!/usr/bin/env bash
# vm_boot.sh (bench): boot the product image with scripts/run-vm and record
# the boot timeline (ms since kernel start, from keel-init's console lines),
# QEMU start -> dockerd answering /_ping, and the orderly shutdown. A fresh
# data disk each run, so the first-boot mkfs is included ("vm_bench_data_ms").
# Then a second boot on the same (formatted) disk: the usual case.
# keel's share of the boot: (init start -> agent ready) / (kernel start ->
# init start), the time keel adds between the kernel handing over and the
# agent answering against the kernel's own boot time; "init" is CLOCK_MONOTONIC
# at keel-init's start, i.e. the kernel's boot time (boot_keel_share_of_kernel
# from the second boot, ..._first_boot with mkfs). run-vm runs as the
# ordinary test user, as a desktop user runs it (tests/lib-user.sh).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-user.sh"
user_setup
rv() { as_user "$USER_TOP/scripts/run-vm" "$@"; }

state=$TMP/state
on_exit 'rv stop --state-dir "$state" >/dev/null 2>&1'
for f in "$B/keel.img" "$B/bzImage" "$B/keelctl" "$B/keel-vsock"; do
	[ -f "$f" ] || { fail "prerequisite: $f missing (make image)"; exit 1; }
done

t0=$(date +%s%3N)
if ! rv start --state-dir "$state" --data "$TMP/data.img" --data-size 2G \
	--no-share --memory 1024 --timeout 300 >"$TMP/start.log" 2>&1; then
	fail "run-vm start: $(tail -n 10 "$TMP/start.log" | tr '\n' '|')"; exit 1
fi
record_metric vm_bench_qemu_to_dockerd_ready_ms $(( $(date +%s%3N) - t0 ))
tl() { grep -aoE "timeline: $1 [0-9]+" "$state/console.log" | head -n1 | awk '{print $3}'; }
for m in init data ready:agent ready:containerd ready:dockerd; do
	v=$(tl "$m")
	[ -n "$v" ] && record_metric "vm_bench_${m/ready:/ready_}_ms" "$v"
done
ping=$(grep -oE '^ *[0-9]+  dockerd answers /_ping' "$TMP/start.log" | awk '{print $1}')
[ -n "$ping" ] && record_metric vm_bench_kernel_to_docker_ping_ms "$ping"
# share SUFFIX: boot_keel_share_of_kernel$SUFFIX from this boot's console
share() {
	local init agent
	init=$(tl init) agent=$(tl ready:agent)
	if [ -n "$init" ] && [ -n "$agent" ] && [ "$init" -gt 0 ]; then
		record_metric "boot_keel_share_of_kernel$1" "$(awk -v i="$init" -v a="$agent" 'BEGIN {printf "%.3f", (a - i) / i}')"
	else
		fail "vm boot: no init/agent timeline on the console"
	fi
}
share _first_boot
t1=$(date +%s%3N)
check "orderly shutdown" rv stop --state-dir "$state"
record_metric vm_bench_shutdown_ms $(( $(date +%s%3N) - t1 ))

# Second boot, same data disk (already formatted).
mv "$state/console.log" "$TMP/console-first.log" 2>/dev/null
t0=$(date +%s%3N)
if ! rv start --state-dir "$state" --data "$TMP/data.img" \
	--no-share --memory 1024 --timeout 300 >"$TMP/start2.log" 2>&1; then
	fail "run-vm start (second boot): $(tail -n 10 "$TMP/start2.log" | tr '\n' '|')"; exit 1
fi
record_metric vm_bench_qemu_to_dockerd_ready_warm_ms $(( $(date +%s%3N) - t0 ))
for m in init data exec:agent ready:agent ready:dockerd; do
	v=$(tl "$m")
	[ -n "$v" ] && record_metric "vm_bench_${m//:/_}_warm_ms" "$v"
done
share ""
grep -ao 'timeline: summary.*' "$state/console.log" | head -n1   # where init's share went
rv stop --state-dir "$state" >/dev/null 2>&1
pass "vm boot figures recorded ($("$TOP/scripts/qemu-accel" "$B/bzImage"))"
