#!/usr/bin/env bash
# keelctl publish --auto: a guest listener appears -> the same port is bound
# on the host loopback and carries connections; it disappears -> unbound;
# the agent restarts -> publish reconnects and resyncs from the snapshot;
# a port below 1024 for an unprivileged user is skipped with the reason.
. "$(dirname "$0")/lib-agent.sh"
start_agent
PORT=$((20000 + RANDOM % 20000))
echo "published page" > "$TMP/index.html"
guest_http() {
	(cd "$TMP" && exec nsenter --net="/proc/$AGENT_PID/ns/net" python3 -m http.server "$1" --bind 127.0.0.1) >/dev/null 2>&1 &
	HPID=$!
	on_exit "kill $HPID 2>/dev/null"
}
host_listening() { ss -ltnH "sport = :$1" | grep -q .; }

"${KC[@]}" --json publish --auto > "$TMP/pub.out" 2>"$TMP/pub.err" &
PUB=$!
on_exit "kill $PUB 2>/dev/null"
guest_http $PORT; H1=$HPID
t0=$(date +%s%N)
check "publish: guest listener bound on the host" wait_for 5 grep -q "\"published\",\"port\":$PORT,\"transport\":\"tcp\"" "$TMP/pub.out"
echo "publish latency: $(( ($(date +%s%N) - t0) / 1000000 )) ms (includes python start-up)"
check "publish: a host connection reaches the guest server" \
	sh -c "curl -s http://127.0.0.1:$PORT/index.html | grep -q 'published page'"
kill $H1
check "publish: gone in the guest -> unpublished" wait_for 5 grep -q "\"unpublished\",\"port\":$PORT,\"transport\":\"tcp\"" "$TMP/pub.out"
check "publish: host port released" wait_for 2 sh -c "! ss -ltnH 'sport = :$PORT' | grep -q ."

# UDP: a guest socket bound on a port is published; datagrams round-trip.
UPORT=$((PORT + 3))
nsenter --net="/proc/$AGENT_PID/ns/net" python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    d,a=s.recvfrom(65535); s.sendto(b"echo:"+d, a)' $UPORT &
on_exit "kill $! 2>/dev/null"
check "publish: guest UDP socket published" wait_for 5 grep -q "\"published\",\"port\":$UPORT,\"transport\":\"udp\"" "$TMP/pub.out"
check "publish: a host datagram gets the guest's reply" python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"ping", ("127.0.0.1", int(sys.argv[1]))); d,_=s.recvfrom(100); assert d == b"echo:ping", d
s.sendto(b"x" * 1200, ("127.0.0.1", int(sys.argv[1]))); d,_=s.recvfrom(2000); assert d == b"echo:" + b"x" * 1200' $UPORT

# The agent goes away and comes back (a new namespace: none of the old
# ports); publish must reconnect and publish what the new agent has.
guest_http $((PORT + 2)); H2=$HPID
wait_for 5 grep -q "\"published\",\"port\":$((PORT + 2)),\"transport\":\"tcp\"" "$TMP/pub.out"
kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
kill $H2 2>/dev/null
start_agent
guest_http $((PORT + 1))
check "publish: reconnects after an agent restart and publishes its ports" \
	wait_for 10 grep -q "\"published\",\"port\":$((PORT + 1)),\"transport\":\"tcp\"" "$TMP/pub.out"
check "publish: resync drops ports the new agent does not have" \
	wait_for 5 grep -q "\"unpublished\",\"port\":$((PORT + 2)),\"transport\":\"tcp\"" "$TMP/pub.out"
check "publish: works after the restart" \
	sh -c "curl -s http://127.0.0.1:$((PORT + 1))/index.html | grep -q 'published page'"

# Unprivileged publisher and a guest port below 1024.
if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 80 ]; then
	chmod 755 "$TMP"; chmod 666 "$CTL" "$FWD"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$KEELCTL" --uds "$CTL" --json publish --auto > "$TMP/pub2.out" 2>&1 &
	on_exit "kill $! 2>/dev/null"
	guest_http 80
	check "publish: unprivileged, guest port 80 skipped with EACCES" \
		wait_for 5 grep -q '"skipped","port":80,"transport":"tcp","reason":"host port below 1024 needs privilege' "$TMP/pub2.out"
fi
