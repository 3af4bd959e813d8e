#!/usr/bin/env bash
# keel-vsock as an ordinary user: run as nobody (setpriv, no capabilities),
# with its sockets in a directory nobody owns; QEMU (root here) attaches, and
# vsock works both ways. Also: a device reset (guest reboot) drops open
# connections and vsock works again after it; keel-vsock exits cleanly with
# QEMU.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-vm.sh"

VH=$B/tests/bin/vsock-host
VM_KERNEL=$B/bzImage VM_INITRD=$B/vm/vsock-initrd.gz VM_VSOCK=1 VM_VSOCK_USER=nobody
VM_CID=7 VM_REBOOT=1	# a non-default CID, which the guest learns through GET_CONFIG

vm_start unpriv || { fail "vsock-nobody: VM start"; exit 1; }
if ! out=$(vm_wait_console 'KEEL-GUEST-READY' 180); then
	fail "vsock-nobody: guest boot: $out"; exit 1
fi
H=unix:$VM_UDS

uid=$(awk '/^Uid:/ {print $3}' /proc/"$VM_KV_PID"/status)
capeff=$(awk '/^CapEff:/ {print $2}' /proc/"$VM_KV_PID"/status)
[ "$uid" = "$(id -u nobody)" ] && [ "$capeff" = 0000000000000000 ] &&
	pass "vsock-nobody: keel-vsock runs as nobody without capabilities" ||
	fail "vsock-nobody: keel-vsock uid=$uid CapEff=$capeff"
[ "$(stat -c %U "$VM_UDS")" = nobody ] && pass "vsock-nobody: hybrid socket owned by nobody" ||
	fail "vsock-nobody: $VM_UDS owned by $(stat -c %U "$VM_UDS")"

wait_for 30 "$VH" connect "$H" 5001
check "vsock-nobody: echo host->guest" "$VH" echo "$H" 5001 1000000 2

# the host-side server runs as nobody too: keel-vsock has no more right to
# connect to other users' sockets than its user has
setpriv --reuid=nobody --regid=nogroup --clear-groups "$VH" serve-echo "${VM_UDS}_6001" &
on_exit "kill $!"
wait_for 5 test -S "${VM_UDS}_6001"
check "vsock-nobody: echo guest->host" "$VH" dial "$H" echo 6001 1000000 2

# A reset while a host connection is open: the guest driver goes away
# (QEMU stops the rings), the host program sees its stream end instead of
# hanging, and the rebooted guest serves new connections.
exec {held}< <(timeout 120 "$VH" echo "$H" 5001 $((1 << 30)) 1 2>&1; echo "rc=$?")
sleep 1
lines=$(grep -c KEEL-GUEST-READY "$VM_CONSOLE")
vm_monitor system_reset
if out=$(timeout 60 cat <&$held) && [[ $out == *rc=1* ]]; then
	pass "vsock-nobody: an open connection ends when the device resets"
else
	fail "vsock-nobody: open connection across reset: $out"
fi
exec {held}<&-
wait_for 120 bash -c "[ \$(grep -c KEEL-GUEST-READY '$VM_CONSOLE') -gt $lines ]"
wait_for 30 "$VH" connect "$H" 5001
check "vsock-nobody: echo host->guest after a reset" "$VH" echo "$H" 5001 100000 1
check "vsock-nobody: echo guest->host after a reset" "$VH" dial "$H" echo 6001 100000 1

# (CID 7: keel-vsock resets any packet whose src_cid is not the CID it gave
# the guest through GET_CONFIG, so the echoes above also checked that)
vm_stop
[ "${VM_KV_RC:-1}" = 0 ] && pass "vsock-nobody: keel-vsock exits 0 when QEMU goes away" ||
	fail "vsock-nobody: keel-vsock exit status ${VM_KV_RC:-?}: $(tail -3 "$VM_KV_LOG")"
[ ! -e "$VM_UDS" ] && pass "vsock-nobody: keel-vsock removed its sockets" ||
	fail "vsock-nobody: $VM_UDS left behind"
