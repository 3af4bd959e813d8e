# tests/host/lib-agent.sh: sourced by the agent host tests (not executable).
# start_agent [ARGS...]: keel-agent on unix sockets in its own mount and
# network namespace (a stand-in for the VM: its ports, mounts and links are
# its own). Sets AGENT_PID, CTL, FWD, KC (keelctl command line), RUN, SHARE.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
AGENT=$B/keel-agent
KEELCTL=$B/keelctl
CTL=$TMP/control.sock
FWD=$TMP/control.sock-forward
RUN=$TMP/run
SHARE=$TMP/share
mkdir -p "$RUN" "$SHARE"
KC=("$KEELCTL" --uds "$CTL" --timeout 5000)

start_agent() {
	rm -f "$CTL" "$FWD"
	unshare --mount --net --propagation private -- \
		sh -c 'ip link set lo up && exec "$@"' sh "$AGENT" --no-vsock \
		--control-uds "$CTL" --forward-uds "$FWD" --run-dir "$RUN" --var-lib "$TMP" \
		--docker-sock "$TMP/docker.sock" \
		--containerd-sock "$TMP/containerd.sock" "$@" 2>>"$TMP/agent.log" &
	AGENT_PID=$!
	on_exit "kill $AGENT_PID 2>/dev/null; wait $AGENT_PID 2>/dev/null"
	wait_for 5 test -S "$FWD" || { fail "agent did not start: $(cat "$TMP/agent.log")"; exit 1; }
}
# in_guest CMD...: run CMD in the agent's network namespace (its pid stays).
in_guest() { nsenter --net="/proc/$AGENT_PID/ns/net" "$@"; }
# A TCP listener in the guest namespace on PORT (prints nothing); its pid in LPID.
guest_listen() {
	nsenter --net="/proc/$AGENT_PID/ns/net" python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); time.sleep(600)' "$1" &
	LPID=$!
	on_exit "kill $LPID 2>/dev/null"
}
fd_count() { ls "/proc/$AGENT_PID/fd" | wc -l; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status"; }
