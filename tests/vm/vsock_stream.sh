#!/usr/bin/env bash
# keel-vsock end to end: one small guest (build/bzImage + the vsock test
# initramfs) behind keel-vsock; echo both ways, 64 MiB each way with sha256,
# 100 concurrent connections, abrupt closes on either side, and a refused
# connection. The guest's servers are in tests/progs/vsock-guest.c.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-vm.sh"

VH=$B/tests/bin/vsock-host
MiB64=$((64 << 20))
VM_KERNEL=$B/bzImage VM_INITRD=$B/vm/vsock-initrd.gz VM_VSOCK=1
VM_MEM=512

vm_start vsock || { fail "vsock: VM start"; exit 1; }
if ! out=$(vm_wait_console 'KEEL-GUEST-READY' 180); then
	fail "vsock: guest boot: $out"; exit 1
fi
pass "vsock: guest booted ($VM_ACCEL) with vhost-user-vsock-pci"
H=unix:$VM_UDS
sleep 0.5
nfd0=$(ls /proc/"$VM_KV_PID"/fd | wc -l)	# listeners, epoll, rings' eventfds...

# guest -> host servers (unix sockets named <uds>_<port>)
$VH serve-echo "${VM_UDS}_6001" & on_exit "kill $!"
$VH serve-sink "${VM_UDS}_6002" & on_exit "kill $!"
$VH serve-source "${VM_UDS}_6003" $MiB64 44 & on_exit "kill $!"
wait_for 5 test -S "${VM_UDS}_6003"

# The guest's vsock listener may come up a moment after READY.
wait_for 30 "$VH" connect "$H" 5001

check "vsock: echo host->guest" bash -c "out=\$('$VH' echo '$H' 5001 100000 1) || exit 1; echo \$out"
check "vsock: echo guest->host" "$VH" dial "$H" echo 6001 100000 1

# sha_check NAME SEED OUTPUT FIELD: fields FIELD and FIELD+1 of OUTPUT must
# be the sha256 and length of the 64 MiB test stream with SEED
sha_check() {
	local name=$1 seed=$2 got=$3 f=$4 expect sha n
	expect=$("$B/tests/bin/vsock-guest" gen $MiB64 "$seed" | sha256sum | cut -d' ' -f1)
	read -r sha n <<<"$(echo "$got" | cut -d' ' -f"$f-$((f + 1))")"
	if [ "$sha" = "$expect" ] && [ "$n" = $MiB64 ]; then
		pass "$name, sha256 matches"
	else
		fail "$name: got '$got', want $expect $MiB64"
	fi
}
sha_check "vsock: 64 MiB host->guest" 42 "$("$VH" send "$H" 5002 $MiB64 42)" 1
sha_check "vsock: 64 MiB guest->host (host connected)" 43 "$("$VH" recv "$H" 5003 $MiB64 43)" 1
# the guest connects: "OK <sha> <bytes> <us>"
sha_check "vsock: 64 MiB guest->host (guest connected)" 45 "$("$VH" dial "$H" send 6002 $MiB64 45)" 2
sha_check "vsock: 64 MiB host->guest (guest connected)" 44 "$("$VH" dial "$H" recv 6003)" 2

check "vsock: 100 concurrent connections host->guest" "$VH" echo "$H" 5001 65536 100
check "vsock: 100 concurrent connections guest->host" "$VH" dial "$H" echo 6001 65536 100

# Abrupt closes mid-stream, each followed by a fresh connection.
check "vsock: host closes mid-stream (guest still sending)" "$VH" abort "$H" 5003 1048576
check "vsock: new connection after host abort" "$VH" echo "$H" 5001 100000 1
check "vsock: guest closes mid-stream (host still sending)" "$VH" dial "$H" abort 6003 1048576
check "vsock: new connection after guest abort" "$VH" dial "$H" echo 6001 100000 1
# Back-pressure: a host program that writes to the guest's echo port and
# never reads stalls (guest credit, then our credit run out) instead of
# growing buffers; everyone else keeps being served, and killing it is one
# more abrupt host close.
"$VH" send "$H" 5001 $MiB64 1 >/dev/null 2>&1 & stalled=$!
sleep 3
if kill -0 $stalled 2>/dev/null; then
	pass "vsock: a host writer whose echo is never read is held back"
else
	fail "vsock: the never-reading writer finished 64 MiB: no back-pressure"
fi
rss=$(awk '/VmRSS/ {print $2}' /proc/"$VM_KV_PID"/status)
[ "$rss" -lt 65536 ] && pass "vsock: keel-vsock memory bounded under a stall (${rss} KiB RSS)" ||
	fail "vsock: keel-vsock RSS ${rss} KiB under a stall"
check "vsock: other connections unaffected by a stalled one" "$VH" echo "$H" 5001 100000 4
kill $stalled; wait $stalled 2>/dev/null
check "vsock: new connection after killing the stalled writer" "$VH" echo "$H" 5001 100000 1

# Refusals, with a clear answer on the host side.
out=$("$VH" connect "$H" 7777); rc=$?
if [ $rc -eq 3 ] && [ "$out" = "ERR connection refused" ]; then
	pass "vsock: host connect to a guest port with no listener: '$out'"
else
	fail "vsock: refused connect: rc=$rc out='$out'"
fi
out=$(printf 'HELLO\n' | timeout 10 socat - "UNIX-CONNECT:$VM_UDS")
[[ $out == "ERR bad request"* ]] && pass "vsock: malformed request answered: '$out'" ||
	fail "vsock: malformed request: '$out'"
check "vsock: guest connect to a host port nobody serves is reset" "$VH" dial "$H" refused 6999

# Nothing leaked: keel-vsock holds only its fixed fds once all is closed.
sleep 1
nfd=$(ls /proc/"$VM_KV_PID"/fd | wc -l)
[ "$nfd" -le "$nfd0" ] && pass "vsock: no fd leak in keel-vsock ($nfd fds, $nfd0 at start)" ||
	fail "vsock: keel-vsock holds $nfd fds: $(ls -l /proc/"$VM_KV_PID"/fd | tail -n +2 | awk '{print $NF}' | sort | uniq -c | tr '\n' ' ')"

grep -qiE 'error|malformed' "$VM_KV_LOG" && fail "vsock: keel-vsock logged errors: $(grep -iE 'error|malformed' "$VM_KV_LOG" | head -3)" ||
	pass "vsock: keel-vsock logged no error"

vm_stop
[ "${VM_KV_RC:-1}" = 0 ] && pass "vsock: keel-vsock exits 0 when QEMU goes away" ||
	fail "vsock: keel-vsock exit status ${VM_KV_RC:-?}: $(tail -3 "$VM_KV_LOG")"
