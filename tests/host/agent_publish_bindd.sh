#!/usr/bin/env bash
# keelctl publish --auto as an unprivileged user: a guest listener on port
# 80 (and a UDP socket on 53) becomes reachable on the host's 127.0.0.1:80
# (53) through keel-bindd (started here as root with an allowed group); a
# user outside the group, or a keelctl that finds no keel-bindd, reports the
# port skipped and why. Runs in a private network namespace (lib-bindd.sh);
# the agent, as in lib-agent.sh, in one of its own.
. "$(dirname "$0")/lib-bindd.sh"
AGENT=$B/keel-agent
KEELCTL=$B/keelctl
CTL=$TMP/control.sock
FWD=$TMP/control.sock-forward
mkdir -p "$TMP/run" "$TMP/share"
unshare --mount --net --propagation private -- \
	sh -c 'ip link set lo up && exec "$@"' sh "$AGENT" --no-vsock \
	--control-uds "$CTL" --forward-uds "$FWD" --run-dir "$TMP/run" --var-lib "$TMP" \
	--docker-sock "$TMP/docker.sock" \
	--containerd-sock "$TMP/containerd.sock" 2>>"$TMP/agent.log" &
AGENT_PID=$!
on_exit "kill $AGENT_PID 2>/dev/null; wait $AGENT_PID 2>/dev/null"
wait_for 5 test -S "$FWD" || { fail "agent did not start: $(cat "$TMP/agent.log")"; exit 1; }
chmod 666 "$CTL" "$FWD"
in_guest() { nsenter --net="/proc/$AGENT_PID/ns/net" "$@"; }

echo "port 80 through keel-bindd" > "$TMP/index.html"
(cd "$TMP" && exec nsenter --net="/proc/$AGENT_PID/ns/net" python3 -m http.server 80 --bind 127.0.0.1) >/dev/null 2>&1 &
on_exit "kill $! 2>/dev/null"
nsenter --net="/proc/$AGENT_PID/ns/net" python3 -c 'import socket
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 53))
while True:
    d,a=s.recvfrom(65535); s.sendto(b"echo:"+d, a)' &
on_exit "kill $! 2>/dev/null"
wait_for 5 sh -c "nsenter --net=/proc/$AGENT_PID/ns/net ss -ltnH 'sport = :80' | grep -q ." ||
	{ fail "guest server on port 80 did not start"; exit 1; }

start_bindd
# publish_as WHO OUT [ARGS]: keelctl publish --auto as WHO (member or
# outsider, the identities of lib-bindd.sh); PUB is keelctl's own pid.
publish_as() {
	local who=$1 out=$2 ids; shift 2
	case $who in
	as_member) ids=(--reuid "$UID_M" --regid "$GID_OTHER" --groups "$GID");;
	*) ids=(--reuid "$UID_O" --regid "$GID_OTHER" --clear-groups);;
	esac
	setpriv "${ids[@]}" -- "$KEELCTL" --uds "$CTL" --json publish --auto "$@" > "$out" 2>&1 &
	PUB=$!
	on_exit "kill $PUB 2>/dev/null"
}

publish_as as_member "$TMP/member.out" --bindd "$SOCK"
check "member: guest TCP port 80 published through keel-bindd" \
	wait_for 10 grep -q '"published","port":80,"transport":"tcp","reason":"bound by keel-bindd"' "$TMP/member.out"
check "member: host 127.0.0.1:80 reaches the guest server" \
	sh -c "curl -s --max-time 5 http://127.0.0.1:80/index.html | grep -q 'port 80 through keel-bindd'"
check "member: guest UDP port 53 published through keel-bindd" \
	wait_for 10 grep -q '"published","port":53,"transport":"udp","reason":"bound by keel-bindd"' "$TMP/member.out"
check "member: a datagram to host 127.0.0.1:53 gets the guest's reply" python3 -c 'import socket
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"ping", ("127.0.0.1", 53)); d,_=s.recvfrom(100); assert d == b"echo:ping", d'
check "keel-bindd logged the grant to the member" grep -q "grant pid=[0-9]* uid=$UID_M .*tcp 127.0.0.1:80" "$LOG"
kill "$PUB"; wait "$PUB" 2>/dev/null
check "member gone: host port 80 released" wait_for 5 port_free tcp 80

publish_as as_outsider "$TMP/outsider.out" --bindd "$SOCK"
check "outsider: port 80 skipped, keel-bindd refused (says why)" \
	wait_for 10 grep -q '"skipped","port":80,"transport":"tcp","reason":"host port below 1024 needs privilege (EACCES) and keel-bindd refused: ' "$TMP/outsider.out"
check "outsider: nothing listens on host port 80" port_free tcp 80
kill "$PUB"; wait "$PUB" 2>/dev/null

publish_as as_member "$TMP/nobindd.out" --bindd "$TMP/no-such.sock"
check "no keel-bindd: port 80 skipped, says keel-bindd is not running" \
	wait_for 10 grep -q "\"skipped\",\"port\":80,\"transport\":\"tcp\",\"reason\":\"host port below 1024 needs privilege (EACCES) and keel-bindd is not running (no socket at $TMP/no-such.sock)\"" "$TMP/nobindd.out"
kill "$PUB"; wait "$PUB" 2>/dev/null
check "keel-bindd still serving" kill -0 "$BINDD_PID"
