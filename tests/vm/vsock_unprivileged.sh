#!/usr/bin/env bash
# keel-vsock as an ordinary user: run as nobody (setpriv, no capabilities),
# with its sockets in a directory nobody owns; QEMU (root here) attaches, and
# vsock works both ways. Also: keel-vsock exits cleanly with QEMU.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-vm.sh"

VH=$B/tests/bin/vsock-host
VM_KERNEL=$B/bzImage VM_INITRD=$B/vm/vsock-initrd.gz VM_VSOCK=1 VM_VSOCK_USER=nobody
VM_CID=7	# a non-default CID, which the guest learns through GET_CONFIG

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

# (CID 7: keel-vsock resets any packet whose src_cid is not the CID it gave
# the guest through GET_CONFIG, so the echoes above also checked that)
vm_stop
[ "${VM_KV_RC:-1}" = 0 ] && pass "vsock-nobody: keel-vsock exits 0 when QEMU goes away" ||
	fail "vsock-nobody: keel-vsock exit status ${VM_KV_RC:-?}: $(tail -3 "$VM_KV_LOG")"
[ ! -e "$VM_UDS" ] && pass "vsock-nobody: keel-vsock removed its sockets" ||
	fail "vsock-nobody: $VM_UDS left behind"
