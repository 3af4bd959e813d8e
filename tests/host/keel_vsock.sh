#!/usr/bin/env bash
# keel-vsock without a VM: the hybrid socket's answers when no guest is
# there, the vhost-user handshake replies (a minimal client in python3), and
# a clean exit on SIGTERM.
. "$(dirname "$0")/../lib.sh"

KV=$B/keel-vsock VH=$B/tests/bin/vsock-host
d=$TMP/kv
mkdir -p "$d"

: > "$d/not-a-socket"
"$KV" --socket "$d/not-a-socket" --uds "$d/vsock" 2>"$d/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'File exists' "$d/err" && [ -f "$d/not-a-socket" ] &&
	pass "keel-vsock: refuses to replace a file that is not a socket" ||
	fail "keel-vsock: over a regular file: rc=$rc $(cat "$d/err")"

"$KV" --socket "$d/vu.sock" --uds "$d/vsock" --guest-cid 9 --connect-timeout 300 2>"$d/log" &
kv=$!
on_exit "kill $kv 2>/dev/null"
wait_for 5 test -S "$d/vsock"

out=$("$VH" connect "unix:$d/vsock" 1024); rc=$?
[ $rc = 3 ] && [ "$out" = "ERR timed out (guest did not answer)" ] &&
	pass "keel-vsock: CONNECT with no guest: '$out'" || fail "keel-vsock: no guest: rc=$rc '$out'"
out=$(printf 'CONNECT 99999999999\n' | timeout 5 socat - "UNIX-CONNECT:$d/vsock")
[[ $out == "ERR bad request"* ]] && pass "keel-vsock: port out of range refused" ||
	fail "keel-vsock: port out of range: '$out'"

# a vhost-user front-end's first messages, as QEMU sends them
out=$(timeout 10 python3 - "$d/vu.sock" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
def call(req, payload=b"", flags=1):
    s.sendall(struct.pack("<III", req, flags, len(payload)) + payload)
    hdr = s.recv(12, socket.MSG_WAITALL)
    r, f, n = struct.unpack("<III", hdr)
    assert r == req and f & 4, (r, f)
    return s.recv(n, socket.MSG_WAITALL)
feat = struct.unpack("<Q", call(1))[0]
pf = struct.unpack("<Q", call(15))[0]
s.sendall(struct.pack("<IIIQ", 16, 1, 8, pf))          # SET_PROTOCOL_FEATURES
cfg = call(24, struct.pack("<III", 0, 8, 0) + bytes(8))  # GET_CONFIG
cid = struct.unpack("<Q", cfg[12:20])[0]
ack = struct.unpack("<Q", call(8, struct.pack("<II", 0, 100), flags=1 | 8))[0]  # bad num
print(hex(feat), hex(pf), cid, ack)
PY
)
[ "$out" = "0x140000000 0x208 9 1" ] &&
	pass "keel-vsock: vhost-user features, protocol features, GET_CONFIG cid, failure ack ($out)" ||
	fail "keel-vsock: vhost-user handshake: '$out' $(tail -3 "$d/log")"
# that client has gone: without --keep-listening keel-vsock is done
if wait_for 5 bash -c "! kill -0 $kv 2>/dev/null"; then
	wait $kv; rc=$?
	[ $rc = 0 ] && [ ! -e "$d/vsock" ] && [ ! -e "$d/vu.sock" ] &&
		pass "keel-vsock: exits 0 after its QEMU left, sockets removed" ||
		fail "keel-vsock: exit $rc, left: $(ls "$d")"
else
	fail "keel-vsock: still running after its vhost-user client left"
fi

"$KV" --socket "$d/vu.sock" --uds "$d/vsock" --keep-listening 2>"$d/log2" &
kv=$!
on_exit "kill $kv 2>/dev/null"
wait_for 5 test -S "$d/vsock"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()" "$d/vu.sock"
sleep 0.3
kill -0 $kv 2>/dev/null && pass "keel-vsock: --keep-listening outlives its client" ||
	fail "keel-vsock: --keep-listening exited"
kill -TERM $kv; wait $kv; rc=$?
[ $rc = 0 ] && [ ! -e "$d/vsock" ] && pass "keel-vsock: SIGTERM: exit 0, sockets removed" ||
	fail "keel-vsock: SIGTERM: exit $rc, left: $(ls "$d")"
