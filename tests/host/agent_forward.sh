#!/usr/bin/env bash
# The forward port: 64 MiB each way at once with sha256 and half-close, a
# target killed mid-stream, 500 concurrent forwards, UDP framing, a unix
# target, refusals; the agent keeps its pid and gives its fds back.
. "$(dirname "$0")/lib-agent.sh"
start_agent
FWDT=$B/tests/bin/agent_fwd
fds0=$(fd_count)
g() { in_guest "$FWDT" "$@"; }

g bulk "$FWD" 64
g die "$FWD"
g many "$FWD" 500
g udp "$FWD"
g unix "$FWD"
g refused "$FWD"
# Host side too: keelctl forward on the host loopback to a guest server.
PORT=$((20000 + RANDOM % 20000)); HPORT=$((PORT + 1))
echo "hello through keelctl" > "$TMP/index.html"
(cd "$TMP" && exec nsenter --net="/proc/$AGENT_PID/ns/net" python3 -m http.server $PORT --bind 127.0.0.1) >/dev/null 2>&1 &
on_exit "kill $! 2>/dev/null"
"${KC[@]}" forward 127.0.0.1:$HPORT:$PORT > "$TMP/fwd.out" &
on_exit "kill $! 2>/dev/null"
wait_for 5 sh -c "nsenter --net=/proc/$AGENT_PID/ns/net ss -ltn | grep -q :$PORT"
wait_for 5 grep -q forwarding "$TMP/fwd.out"
check "keelctl forward: host port reaches the guest server" \
	sh -c "curl -s http://127.0.0.1:$HPORT/index.html | grep -q 'hello through keelctl'"

check "agent alive after the forward tests" kill -0 "$AGENT_PID"
wait_for 3 test "$(fd_count)" -le "$fds0"
check "agent fds back to baseline ($fds0 -> $(fd_count))" test "$(fd_count)" -le "$fds0"
