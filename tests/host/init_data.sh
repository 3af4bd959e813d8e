#!/usr/bin/env bash
# The data disk on a loop device: blank (zero, no signature for libblkid) ->
# mkfs.ext4 and mount; next boot -> e2fsck and the files are still there;
# foreign content, a btrfs superblock behind 64 KiB of zeros, an ext4 whose
# first blocks were zeroed -> error state naming why, the disk untouched,
# services that need /var/lib failed, the others running; keel.data.new (the
# host just created the disk) -> formatted without the probe, but never over
# content; no probe helper -> not formatted; a missing device -> error after
# a bounded wait, while the services that do not need /var/lib already run
# (the data step is init's child process).
. "$(dirname "$0")/lib-init.sh"
init_require init_data
command -v losetup >/dev/null && [ -x /sbin/mkfs.ext4 ] && [ -x /sbin/e2fsck ] ||
	{ fail "init_data: needs losetup and e2fsprogs"; exit 0; }
[ -x "$B/keel-blkid" ] || { fail "init_data: build build/keel-blkid first (make)"; exit 0; }
DATA=$TMP/data
# keel-init's arguments for these boots: the data dir and the probe helper
DARGS=(--data-dir "$DATA" --blkid "$B/keel-blkid")
new_loop() {   # new_loop FILE [SIZE]
	truncate -s "${2:-64M}" "$1"
	LOOP=$(losetup -f --show "$1") || { fail "init_data: losetup failed"; exit 0; }
	on_exit "losetup -d $LOOP"
}
services() {
	cat > "$TMP/services" <<EOS
service plain
exec $SVC --name plain --events $EV

service needsdata
exec $SVC --name needsdata --events $EV --report $DATA/persisted
needs-data
EOS
}
data_done() { grep -q '^data ' "$RUN/status" && ! grep -q '^data pending' "$RUN/status"; }
boot_and_stop() {
	init_start "${DARGS[@]}"
	{ wait_for "$1" state_is plain ready && wait_for "$1" data_done; } ||
		{ fail "init_data: boot did not finish: $(cat "$RUN/status" 2>&1)"; cat "$LOG"; }
	sleep 0.3
	kill -TERM "$INIT_PID"
	init_wait_exit 15
}
services

# 1. blank disk: libblkid finds nothing on it: formatted, mounted, used
new_loop "$TMP/blank.img"
echo "keel.data=$LOOP" > "$TMP/cmdline"
boot_and_stop 15
grep -q "^data disk $LOOP\$" "$TMP/run/status" && pass "init_data: blank disk mounted" || fail "init_data: $(grep ^data "$RUN/status")"
grep -q "data: disk $LOOP (formatted, no signature found)" "$LOG" && pass "init_data: blank disk formatted after the probe" ||
	fail "init_data: not formatted: $(grep 'data:' "$LOG")"
blkid -p -o value -s LABEL "$LOOP" | grep -qx keel-data && pass "init_data: ext4 labelled keel-data" || fail "init_data: no keel-data label"
debugfs -R 'ls /' "$LOOP" 2>/dev/null | grep -q persisted && pass "init_data: service wrote to the data dir on the disk" ||
	fail "init_data: file not on the disk"
[ "$INIT_RC" = 130 ] && grep -q "unmounted $DATA\$" "$LOG" && pass "init_data: clean shutdown, disk unmounted" ||
	fail "init_data: rc $INIT_RC, $(grep -i unmount "$LOG")"

# 2. second boot: checked, not formatted, files kept
rm -f "$EV"
boot_and_stop 15
grep -q "data: disk $LOOP (checked)" "$LOG" && pass "init_data: second boot runs e2fsck, no mkfs" || fail "init_data: $(grep 'data:' "$LOG")"
debugfs -R 'ls /' "$LOOP" 2>/dev/null | grep -q persisted && pass "init_data: data survives reboot" || fail "init_data: data lost"

# refused LABEL REASON-REGEX: boot on $LOOP (cmdline already written), the
# disk is refused with a reason matching REGEX (status file: spaces are '_')
# and is byte-identical afterwards.
refused() {
	local label=$1 re=$2 before
	before=$(sha256sum < "$LOOP")
	rm -f "$EV"
	init_start "${DARGS[@]}"
	wait_for 10 state_is plain ready && wait_for 5 state_is needsdata failed &&
		pass "init_data: $label: needs-data service failed, other service ready" ||
		fail "init_data: $label: $(cat "$RUN/status")"
	grep -q '^data error' "$RUN/status" && grep -Eq "^data_error $re" "$RUN/status" &&
		pass "init_data: $label: published as error: $(sed -n 's/^data_error //p' "$RUN/status")" ||
		fail "init_data: $label: $(grep ^data "$RUN/status")"
	init_kill; INIT_PID=
	grep -q 'formatted' "$LOG" && fail "init_data: $label: init says it formatted"
	[ "$(sha256sum < "$LOOP")" = "$before" ] && pass "init_data: $label: disk untouched" ||
		fail "init_data: $label: disk modified!"
}

# 3. foreign content: never formatted
new_loop "$TMP/foreign.img"
printf 'user data, not a file system' | dd of="$LOOP" conv=notrunc status=none
echo "keel.data=$LOOP" > "$TMP/cmdline"
refused "foreign disk" "${LOOP}_holds_something_that_is_not_ext4;_not_formatting_it"
grep -q '^service_error needsdata needs_/var/lib' "$RUN/status" && pass "init_data: reason published" || fail "init_data: no reason"

# 4. a btrfs volume: its superblock is at 64 KiB, behind zeros
new_loop "$TMP/btrfs.img" 256M
if command -v mkfs.btrfs >/dev/null; then
	mkfs.btrfs -q -f "$LOOP" >/dev/null 2>&1 || fail "init_data: mkfs.btrfs failed"
else     # the magic alone, where btrfs has it (0x10040)
	printf '_BHRfS_M' | dd of="$LOOP" bs=1 seek=$((0x10040)) conv=notrunc status=none
fi
[ -z "$(head -c 65536 "$LOOP" | tr -d '\0')" ] && pass "init_data: btrfs disk: first 64 KiB are zero" ||
	fail "init_data: btrfs image has data in its first 64 KiB"
echo "keel.data=$LOOP" > "$TMP/cmdline"
refused "btrfs disk" "${LOOP}_holds_btrfs_\(filesystem\);_not_formatting_it"

# 5. an ext4 whose first 64 KiB were zeroed: its backup superblocks remain
for bs in 1024 4096; do
	new_loop "$TMP/ext4-$bs.img" 256M
	mkfs.ext4 -q -F -b "$bs" "$LOOP" >/dev/null 2>&1 || fail "init_data: mkfs.ext4 -b $bs failed"
	dd if=/dev/zero of="$LOOP" bs=64k count=1 conv=notrunc,fsync status=none
	backup=$([ "$bs" = 1024 ] && echo 8193 || echo 32768)
	echo "keel.data=$LOOP" > "$TMP/cmdline"
	refused "ext4 ($bs-byte blocks) with its first 64 KiB zeroed" \
		"${LOOP}:_ext4_without_its_primary_superblock;_not_formatting_it_\(e2fsck_-b_$backup"
done
# ... and keel.data.new does not override it
echo "keel.data=$LOOP keel.data.new" > "$TMP/cmdline"
refused "keel.data.new on a zeroed ext4" "${LOOP}:_ext4_without_its_primary_superblock"

# 6. keel.data.new: a disk the host just created is formatted without a probe
new_loop "$TMP/new.img"
echo "keel.data=$LOOP keel.data.new" > "$TMP/cmdline"
DARGS=(--data-dir "$DATA" --blkid /nonexistent/keel-blkid)   # proves no probe ran
boot_and_stop 15
grep -q "data: disk $LOOP (formatted, new from the host)" "$LOG" && grep -q "^data disk $LOOP\$" "$RUN/status" &&
	pass "init_data: keel.data.new: formatted and mounted without the probe" ||
	fail "init_data: keel.data.new: $(grep 'data' "$LOG" | head -n 3)"
# ... but not over content
new_loop "$TMP/new-foreign.img"
printf 'user data' | dd of="$LOOP" conv=notrunc status=none
echo "keel.data=$LOOP keel.data.new" > "$TMP/cmdline"
refused "keel.data.new on foreign content" "${LOOP}_holds_something_that_is_not_ext4"

# 7. no probe helper, no keel.data.new: a zero disk is not formatted
new_loop "$TMP/noprobe.img"
echo "keel.data=$LOOP" > "$TMP/cmdline"
refused "zero disk without the probe" "${LOOP}:_no_probe_\(cannot_run_/nonexistent/keel-blkid"
DARGS=(--data-dir "$DATA" --blkid "$B/keel-blkid")

# 8. missing device: bounded wait, then error
echo "keel.data=/dev/keel-no-such-disk" > "$TMP/cmdline"
t0=$(date +%s%N)
init_start "${DARGS[@]}"
wait_for 10 state_is plain ready || fail "init_data: missing disk: boot stuck"
grep -q '^data pending' "$RUN/status" &&
	pass "init_data: a service without needs-data is ready while the data step still waits for the disk" ||
	fail "init_data: plain ready only after the data step: $(grep ^data "$RUN/status")"
wait_for 10 data_done || fail "init_data: missing disk: data step never ended"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -q '^data_error data_disk_/dev/keel-no-such-disk:_No_such_file' "$RUN/status" && [ "$ms" -lt 6000 ] &&
	pass "init_data: missing disk reported after a bounded wait ($ms ms)" || fail "init_data: missing disk: $ms ms, $(grep ^data "$RUN/status")"
