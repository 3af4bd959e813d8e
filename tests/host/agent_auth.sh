#!/usr/bin/env bash
# The trust boundary on the host side (docs/threat-model.md): every host
# stream to the agent opens with an Auth frame carrying the per-boot secret,
# bind streams carry the bind's random token, and the first frame of any
# stream has a total deadline. The agent runs on unix sockets made reachable
# by anyone (0666), so only the secret stands between another user and it.
. "$(dirname "$0")/lib-agent.sh"
TOOL=$TOP/tests/progs/conn_tool.py
head -c 32 /dev/urandom > "$TMP/secret"; chmod 600 "$TMP/secret"
head -c 32 /dev/urandom > "$TMP/wrong"
SECRET_HEX=$(od -An -tx1 -v "$TMP/secret" | tr -d ' \n')
start_agent --secret-file "$TMP/secret" --read-timeout 1000 --host-uds "$CTL"
chmod 755 "$TMP"; chmod 666 "$CTL" "$FWD"
KS=("${KC[@]}" --secret "$TMP/secret")

# --- control ----------------------------------------------------------------
check "control: the right secret works" sh -c '"$@" version | grep -q "^keel-agent"' _ "${KS[@]}"
out=$("${KC[@]}" version 2>&1); rc=$?
check "control: no secret is refused (exit 1, EACCES)" \
	sh -c '[ "$1" = 1 ] && printf "%s" "$2" | grep -q "not authenticated"' _ "$rc" "$out"
out=$("${KC[@]}" --secret "$TMP/wrong" version 2>&1); rc=$?
check "control: a wrong secret is refused" \
	sh -c '[ "$1" = 1 ] && printf "%s" "$2" | grep -q "not authenticated"' _ "$rc" "$out"
# Raw frames: the refusal is AgentMessage{response{id 0, error{13, "not
# authenticated"}}} and the close; the request itself is not answered.
out=$(python3 "$TOOL" frames "$CTL" "1=v7,11=x" 2>&1)
check "control: a Request as the first frame gets EACCES and the close" \
	test "$out" = "1=x1215080d12116e6f742061757468656e74696361746564"$'\n'closed
out=$(python3 "$TOOL" frames "$CTL" "1=x$SECRET_HEX" "1=v7,10=x" 2>&1)
check "control: Auth then a Request pipelined: one reply, the Version's (id 7)" \
	sh -c '[ "$(printf "%s\n" "$1" | wc -l)" = 2 ] && printf "%s\n" "$1" | head -1 | grep -q "^1=x0807"' _ "$out"
# Another local user who cannot read the secret file.
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "${KC[@]}" --secret "$TMP/secret" version 2>&1); rc=$?
check "control: another user cannot read the secret (exit 2)" sh -c '[ "$1" = 2 ] && printf "%s" "$2" | grep -q "Permission denied"' _ "$rc" "$out"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "${KC[@]}" version 2>&1); rc=$?
check "control: another user without the secret is refused" sh -c '[ "$1" = 1 ] && printf "%s" "$2" | grep -q "not authenticated"' _ "$rc" "$out"

# --- forward ----------------------------------------------------------------
guest_listen 7000
wait_for 5 in_guest python3 -c 'import socket; socket.create_connection(("127.0.0.1", 7000), 1)'
# ForwardRequest{transport TCP, port 7000}; ForwardResponse ok is 1=v1, code 2=v13.
out=$(python3 "$TOOL" frames "$FWD" "1=x$SECRET_HEX" "1=v1,3=v7000")
check "forward: the right secret works (ForwardResponse{ok})" sh -c '[ "$(printf "%s\n" "$1" | head -1)" = "1=v1" ]' _ "$out"
out=$(python3 "$TOOL" frames "$FWD" "1=v1,3=v7000")
check "forward: no Auth frame is refused (EACCES) and closed" \
	sh -c 'printf "%s\n" "$1" | head -1 | grep -q "^2=v13," && printf "%s" "$1" | tail -1 | grep -qx closed' _ "$out"
out=$(python3 "$TOOL" frames "$FWD" "1=x$(od -An -tx1 -v "$TMP/wrong" | tr -d ' \n')" "1=v1,3=v7000")
check "forward: a wrong secret is refused (EACCES) and closed" \
	sh -c 'printf "%s\n" "$1" | head -1 | grep -q "^2=v13," && printf "%s" "$1" | tail -1 | grep -qx closed' _ "$out"
python3 "$TOOL" serve unix "$TMP/host-echo.sock" & on_exit "kill $! 2>/dev/null"
wait_for 5 test -S "$TMP/host-echo.sock"
in_guest python3 "$TOOL" serve unix "$TMP/guest-echo.sock" & on_exit "kill $! 2>/dev/null"
wait_for 5 test -S "$TMP/guest-echo.sock"
"${KS[@]}" forward-unix "$TMP/fu.sock:$TMP/guest-echo.sock" > "$TMP/fu.log" 2>&1 & FU=$!
on_exit "kill $FU 2>/dev/null"
wait_for 5 test -S "$TMP/fu.sock"
check "forward-unix with the secret: bytes go through" sh -c \
	'python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b\"ping\"); assert s.recv(4)==b\"ping\"" "$1"' _ "$TMP/fu.sock"
"${KC[@]}" forward-unix "$TMP/fu2.sock:$TMP/guest-echo.sock" > "$TMP/fu2.log" 2>&1 & FU2=$!
on_exit "kill $FU2 2>/dev/null"
wait_for 5 test -S "$TMP/fu2.sock"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5); s.sendall(b"ping"); print(repr(s.recv(4)))' "$TMP/fu2.sock" > "$TMP/fu2.out" 2>&1
check "forward-unix without the secret: the stream is refused" sh -c \
	'! grep -q ping "$1" && grep -q "not authenticated" "$2"' _ "$TMP/fu2.out" "$TMP/fu2.log"

# --- first-frame deadline (--read-timeout 1000) -------------------------------
# Sweeps run every 250 ms: closed between 1.0 and 1.25 s, plus scheduling.
in_range() { awk -v v="${1#closed_after=}" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
out=$(python3 "$TOOL" idle unix "$CTL" 6)
check "control: a silent peer is closed within the first-frame deadline ($out)" in_range "$out" 0.9 2.5
out=$(python3 "$TOOL" idle unix "$CTL" 6 0.3 00000040)
check "control: a peer trickling its first frame is closed at the deadline ($out)" in_range "$out" 0.9 2.5
out=$(python3 "$TOOL" idle unix "$FWD" 6 0.3 00000040)
check "forward: a peer trickling its first frame is closed at the deadline ($out)" in_range "$out" 0.9 2.5
out=$(python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
b = bytes.fromhex(sys.argv[2])
s.sendall(len(b).to_bytes(4, "big") + b)
s.settimeout(2.5)
try:
    print("closed" if not s.recv(1) else "data")
except socket.timeout:
    print("open")' "$CTL" "0a20$SECRET_HEX")
check "control: once authenticated, a silent connection stays (idle timeout, not the deadline)" test "$out" = open

# --- bind streams: the token ---------------------------------------------------
python3 "$TOOL" serve tcp 7100 & on_exit "kill $! 2>/dev/null"
wait_for 5 python3 -c 'import socket; socket.create_connection(("127.0.0.1", 7100), 1)'
in_guest ip addr add 192.168.65.254/32 dev lo 2>/dev/null
"${KS[@]}" --json bind --host-port 50100 7101 127.0.0.1:7100 > "$TMP/bind.out" 2> "$TMP/bind.err" & BP=$!
on_exit "kill $BP 2>/dev/null"
wait_for 10 grep -q '"bound"' "$TMP/bind.out"
BID=$(grep '"bound"' "$TMP/bind.out" | head -1 | jget - 'd["bind"]["id"]')
wait_for 5 test -S "$CTL"_50100
out=$(in_guest python3 "$TOOL" ping 192.168.65.254 7101 2>&1)
check "bind: a guest connection with the agent's token goes through ($out)" test "$out" = ok
out=$(python3 "$TOOL" frames "$CTL"_50100 "1=v$BID,2=v1,3=sforged,4=x$(od -An -tx1 -v -N32 "$TMP/wrong" | tr -d ' \n')")
check "bind: a forged BindConnect (right id, wrong token) is closed" test "$out" = closed
out=$(python3 "$TOOL" frames "$CTL"_50100 "1=v$BID,2=v1,3=sforged")
check "bind: a forged BindConnect without a token is closed" test "$out" = closed
check "bind: keelctl says why" grep -q "stream refused: wrong token" "$TMP/bind.err"
out=$(python3 "$TOOL" idle unix "$CTL"_50100 9 1 00000040)
check "bind: a stream trickling its BindConnect is closed at 5 s, total ($out)" in_range "$out" 4.5 6.5
check "bind: still works after the forgeries" sh -c 'test "$(nsenter --net=/proc/$1/ns/net python3 "$2" ping 192.168.65.254 7101)" = ok' _ "$AGENT_PID" "$TOOL"
