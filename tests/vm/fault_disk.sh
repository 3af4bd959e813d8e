#!/usr/bin/env bash
# fault_disk.sh: a missing, a corrupt and a foreign data disk. Three boots of
# the product image that do not wait for dockerd (it must not start):
#   1. keel.data names a device that does not exist (/dev/vdz)
#   2. an ext4 data disk whose superblock was overwritten with garbage: not
#      blank, so init must neither format nor mount it; the disk is
#      byte-identical after the boot
#   3. a btrfs volume (first 64 KiB zero, superblock at 64 KiB) that the host
#      did not just create: the image's keel-blkid names it, init does not
#      format it, the disk is byte-identical after the boot
# Each: Health answers, data_state "error" with the reason, status not ok,
# dockerd and containerd not started, nothing mounted on /var/lib.
# (A share tag without a device is in fault_agent.sh.)
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
. "$TOP/tests/vm/lib-fault.sh"

img_require
t_file=$(date +%s%3N)

# broken_boot LABEL RUN-VM-ARGS...: boot without waiting for dockerd; leave
# the Health JSON in $h once the agent answers.
broken_boot() {
	local label=$1 t0; shift
	t0=$(date +%s%3N)
	if ! run_vm start --state-dir "$state" --no-wait --no-share --memory 512 "$@" \
		>"$TMP/start-$label.log" 2>&1; then
		fail "$label: run-vm start: $(tail -n 5 "$TMP/start-$label.log" | tr '\n' '|')"
		return 1
	fi
	if ! h=$(health_within "$bound_s"); then
		fail "$label: no Health within $bound_s s"; tail -n 30 "$state/console.log"; return 1
	fi
	pass "$label: the agent answers Health $(( $(date +%s%3N) - t0 )) ms after QEMU start"
	# the data step runs beside the agent (init/data_step.c): wait for its
	# outcome (a missing device is waited for 3 s first)
	local until=$(( $(date +%s) + 60 ))
	while [ "$(jget "$h" 'd["data_state"]')" = pending ] && [ "$(date +%s)" -lt "$until" ]; do
		sleep 0.5; h=$(health_json)
	done
	sleep 1; h=$(health_json)   # and the services' reaction to it
}

# data_checks LABEL REASON-REGEX
data_checks() {
	local label=$1 re=$2 st reasons
	st=$(jget "$h" 'd["status"]') reasons=$(jget "$h" '"; ".join(d["reasons"])')
	echo "  $label: status $st; reasons: $reasons"
	check "$label: Health data_state error" test "$(jget "$h" 'd["data_state"]')" = error
	check "$label: Health status is not ok ($st)" bash -c '[ "$1" = failed ] || [ "$1" = degraded ]' _ "$st"
	check "$label: a reason names the data disk ($reasons)" bash -c '[[ "$1" =~ $2 ]]' _ "$reasons" "$re"
	check "$label: dockerd not ready, not running" \
		test "$(jget "$h" '(d["docker_ready"], [s["pid"] for s in d["services"] if s["name"] == "dockerd"])')" = "(False, [0])"
	check "$label: containerd not running" \
		test "$(jget "$h" '[s["pid"] for s in d["services"] if s["name"] == "containerd"]')" = "[0]"
	check "$label: nothing mounted on /var/lib" \
		test "$(jget "$h" '[m["fstype"] for m in d["mounts"] if m["path"] == "/var/lib" and not m["error"]]')" = "[]"
	check "$label: the agent still serves (ports)" keelctl ports
}

# --- 1: keel.data names a missing device ---------------------------------------
if broken_boot missing --no-data --append keel.data=/dev/vdz; then
	data_checks missing '/dev/vdz'
	check "missing: console says why" grep -aq '/dev/vdz' "$state/console.log"
fi
check "missing: run-vm stop" run_vm stop --state-dir "$state"

# --- 2: an ext4 disk with a garbage superblock ------------------------------------
disk=$TMP/corrupt.img
truncate -s 256M "$disk" && mkfs.ext4 -q -F "$disk" >/dev/null 2>&1
# 1 KiB of garbage over the primary superblock (offset 1024), magic included
dd if=/dev/urandom of="$disk" bs=1024 seek=1 count=1 conv=notrunc status=none
printf '\x00\x00' | dd of="$disk" bs=1 seek=1080 conv=notrunc status=none
chown "$TEST_UID:$TEST_GID" "$disk"   # QEMU runs as the test user
sum0=$(sha256sum < "$disk")
check "corrupt: the disk is not blank and has no ext4 magic" \
	bash -c '[ "$(od -An -tx1 -j1080 -N2 "$1" | tr -d " ")" = 0000 ] && [ "$(od -An -tx1 -j1024 -N16 "$1" | tr -d " 0\n")" != "" ]' _ "$disk"
if broken_boot corrupt --data "$disk"; then
	data_checks corrupt '/dev/vdb'
	check "corrupt: init did not format it (no mkfs on the console)" bash -c '! grep -aqi "formatted\|mkfs" "$1"' _ "$state/console.log"
fi
check "corrupt: run-vm stop" run_vm stop --state-dir "$state"
check "corrupt: the disk is byte-identical after the boot (never formatted or written)" \
	test "$(sha256sum < "$disk")" = "$sum0"

# --- 3: a btrfs volume --------------------------------------------------------------
disk=$TMP/btrfs.img
truncate -s 256M "$disk"
if command -v mkfs.btrfs >/dev/null; then mkfs.btrfs -q -f "$disk" >/dev/null 2>&1
else printf '_BHRfS_M' | dd of="$disk" bs=1 seek=$((0x10040)) conv=notrunc status=none; fi
chown "$TEST_UID:$TEST_GID" "$disk"
sum0=$(sha256sum < "$disk")
if broken_boot btrfs --data "$disk"; then
	data_checks btrfs '/dev/vdb_holds_btrfs'   # the status file's fields have '_' for spaces
	check "btrfs: init did not format it (no mkfs on the console)" bash -c '! grep -aqi "formatted\|mkfs" "$1"' _ "$state/console.log"
fi
check "btrfs: run-vm stop" run_vm stop --state-dir "$state"
check "btrfs: the disk is byte-identical after the boot" test "$(sha256sum < "$disk")" = "$sum0"
echo "fault_disk.sh: $(( ($(date +%s%3N) - t_file) / 1000 )) s"
