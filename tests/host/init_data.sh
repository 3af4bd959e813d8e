#!/usr/bin/env bash
# The data disk on a loop device: blank -> mkfs.ext4 and mount; next boot ->
# e2fsck and the files are still there; foreign content -> error state, the
# disk untouched, services that need /var/lib failed, the others running;
# a missing device -> error after a bounded wait, while the services that do
# not need /var/lib already run (the data step is init's child process).
. "$(dirname "$0")/init_lib.sh"
init_require init_data
command -v losetup >/dev/null && [ -x /sbin/mkfs.ext4 ] && [ -x /sbin/e2fsck ] ||
	{ fail "init_data: needs losetup and e2fsprogs"; exit 0; }
DATA=$TMP/data
new_loop() {
	truncate -s 64M "$1"
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
	init_start --data-dir "$DATA"
	{ wait_for "$1" state_is plain ready && wait_for "$1" data_done; } ||
		{ fail "init_data: boot did not finish: $(cat "$RUN/status" 2>&1)"; cat "$LOG"; }
	sleep 0.3
	kill -TERM "$INIT_PID"
	init_wait_exit 15
}
services

# 1. blank disk: formatted, mounted, used
new_loop "$TMP/blank.img"
echo "keel.data=$LOOP" > "$TMP/cmdline"
boot_and_stop 15
grep -q "^data disk $LOOP\$" "$TMP/run/status" && pass "init_data: blank disk mounted" || fail "init_data: $(grep ^data "$RUN/status")"
grep -q "data: disk $LOOP (formatted)" "$LOG" && pass "init_data: blank disk formatted" || fail "init_data: not formatted"
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

# 3. foreign content: never formatted
new_loop "$TMP/foreign.img"
printf 'user data, not a file system' | dd of="$LOOP" conv=notrunc status=none
sha_before=$(head -c 1M "$LOOP" | sha256sum)
echo "keel.data=$LOOP" > "$TMP/cmdline"
rm -f "$EV"
init_start --data-dir "$DATA"
wait_for 10 state_is plain ready && wait_for 5 state_is needsdata failed &&
	pass "init_data: foreign disk: needs-data service failed, other service ready" ||
	fail "init_data: foreign disk: $(cat "$RUN/status")"
grep -q '^data error' "$RUN/status" && grep -q '^data_error .*not_ext4;_not_formatting' "$RUN/status" &&
	pass "init_data: foreign disk published as error" || fail "init_data: $(grep ^data "$RUN/status")"
grep -q '^service_error needsdata needs_/var/lib' "$RUN/status" && pass "init_data: reason published" || fail "init_data: no reason"
init_kill; INIT_PID=
[ "$(head -c 1M "$LOOP" | sha256sum)" = "$sha_before" ] && pass "init_data: foreign disk untouched" || fail "init_data: foreign disk modified!"

# 4. missing device: bounded wait, then error
echo "keel.data=/dev/keel-no-such-disk" > "$TMP/cmdline"
t0=$(date +%s%N)
init_start --data-dir "$DATA"
wait_for 10 state_is plain ready || fail "init_data: missing disk: boot stuck"
grep -q '^data pending' "$RUN/status" &&
	pass "init_data: a service without needs-data is ready while the data step still waits for the disk" ||
	fail "init_data: plain ready only after the data step: $(grep ^data "$RUN/status")"
wait_for 10 data_done || fail "init_data: missing disk: data step never ended"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -q '^data_error data_disk_/dev/keel-no-such-disk:_No_such_file' "$RUN/status" && [ "$ms" -lt 6000 ] &&
	pass "init_data: missing disk reported after a bounded wait ($ms ms)" || fail "init_data: missing disk: $ms ms, $(grep ^data "$RUN/status")"
