#!/usr/bin/env bash
# plumbing_bind.sh: containers reach services on the host's loopback by the
# names host.keel.internal and host.docker.internal (docs/plumbing.md). One
# boot: an HTTP server and a UDP echo on the host's 127.0.0.1, each carried
# into the VM by `keelctl bind`; clients in containers on the default bridge,
# on a user-defined network and in the VM's own network namespace reach them
# by name; `--add-host ...:host-gateway` maps to the same address; binds are
# listed and removed, a guest port already taken (a published container) is
# refused with its owner named, and a bind ends with its keelctl. A container
# hoarding 2,000 connections to the DNS server and a bind gets its share of
# the guest budget while the host's docker socket keeps working.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
img_require "$B/tests/bin/udp-ask" "$B/tests/bin/tcp-hold"
BB=keel-test/busybox-bind:1
HOST_ADDR=192.168.65.254

# --- services on the host's loopback only -------------------------------------
nonce=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$TMP/www" && echo "host says $nonce" > "$TMP/www/index.html"
http_port=$(free_port)
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$TMP/www" >/dev/null 2>&1 &
on_exit "kill $! 2>/dev/null"
udp_port=$(free_port)
python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    d,a=s.recvfrom(65535); s.sendto(b"host:"+d, a)' "$udp_port" &
on_exit "kill $! 2>/dev/null"
wait_for 5 sh -c "ss -ltnH 'sport = :$http_port' | grep -q ." || { fail "host HTTP server did not start"; exit 1; }

# run-vm --bind starts a keelctl bind with the VM (guest port 8001).
boot bind --no-data --no-share --bind "8001:127.0.0.1:$http_port" || exit 1
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
check "docker import of the busybox test image (with udp-ask)" import_busybox "$BB" "$B/tests/bin/udp-ask" "$B/tests/bin/tcp-hold"

# --- the binds: keelctl runs on the host, the agent listens in the VM -----------
# start_bind NAME ARGS...: a long-running `keelctl bind`; its pid in BIND_PID_NAME
start_bind() {
	local name=$1; shift
	"${AS_USER[@]}" "$KEELCTL" --hybrid "$state/vsock.sock" bind "$@" > "$TMP/bind-$name.log" 2>&1 &
	eval "BIND_PID_$name=$!"
	on_exit "kill $! 2>/dev/null"
	wait_for 20 grep -q '^bound' "$TMP/bind-$name.log"
}
start_bind tcp 8000 "127.0.0.1:$http_port"; rc=$?
check "keelctl bind 8000 127.0.0.1:$http_port ($(head -n1 "$TMP/bind-tcp.log"))" test $rc = 0
start_bind udp --udp 5300 "127.0.0.1:$udp_port"; rc=$?
check "keelctl bind --udp 5300 127.0.0.1:$udp_port ($(head -n1 "$TMP/bind-udp.log"))" test $rc = 0
check "the tcp bind listens on the host address $HOST_ADDR:8000" grep -q "$HOST_ADDR:8000" "$TMP/bind-tcp.log"

# wget_in NETWORK NAME [PORT]: the page a container on NETWORK gets from NAME:PORT (8000)
# (busybox nc: this busybox-static's wget crashes in the test image). The
# VM's own namespace needs --userns=host: dockerd refuses host networking
# in a remapped user namespace.
wget_in() {
	local ns=()
	[ "$1" = host ] && ns=(--userns=host)
	docker run --rm "${ns[@]}" --network "$1" "$BB" sh -c \
		"printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 10 $2 ${3:-8000} | tail -n1" 2>&1
}
for name in host.keel.internal host.docker.internal; do
	out=$(wget_in bridge "$name")
	check "a container on the default bridge reaches the host's 127.0.0.1:$http_port as $name ($out)" \
		test "$out" = "host says $nonce"
done
docker network create keel-bind-net >/dev/null 2>&1
out=$(wget_in keel-bind-net host.keel.internal)
check "a container on a user-defined network (docker's embedded DNS) reaches it by name ($out)" \
	test "$out" = "host says $nonce"
out=$(wget_in host host.docker.internal)
check "the VM's own network namespace reaches it by name ($out)" test "$out" = "host says $nonce"
out=$(wget_in bridge host.keel.internal 8001)
check "run-vm --bind 8001:127.0.0.1:$http_port: a container reaches it as host.keel.internal:8001 ($out)" \
	test "$out" = "host says $nonce"
out=$(docker run --rm "$BB" nslookup host.keel.internal 2>&1)
check "nslookup host.keel.internal in a container answers $HOST_ADDR" \
	sh -c "echo '$out' | grep -A3 'Name:.*host.keel.internal' | grep -q 'Address.*$HOST_ADDR'"
out=$(docker run --rm --add-host gw.test:host-gateway "$BB" cat /etc/hosts 2>&1)
check "--add-host NAME:host-gateway maps to the same address" \
	sh -c "echo '$out' | grep -qE '^$HOST_ADDR[[:space:]]+gw.test'"

out=$(docker run --rm "$BB" /bin/udp-ask host.keel.internal 5300 "ping-$nonce" 2>&1)
check "UDP: a container's datagram to host.keel.internal:5300 is answered by the host's echo ($out)" \
	test "$out" = "host:ping-$nonce"
# 20 more peers, each resolving the name again with musl's resolver (which
# asks every nameserver in resolv.conf at once: it must list only the agent's).
out=$(docker run --rm "$BB" sh -c 'for i in $(seq 1 20); do /bin/udp-ask host.docker.internal 5300 n$i || exit 1; done' 2>&1)
want=$(for i in $(seq 1 20); do echo "host:n$i"; done)
check "UDP: 20 more peers each resolve the name and get their own reply ($(echo "$out" | grep -vc '^host:n') wrong)" \
	test "$out" = "$want"

# --- one budget per origin (docs/agent.md, "Budgets") ---------------------------
# A container opens 500 connections to the agent's DNS server over TCP and
# 1,500 to the tcp bind, interleaved, dials again what was closed (twice, a
# second apart) and holds them. (QEMU's resolver ends idle DNS-over-TCP
# connections, so a hoarder keeps bind ones: with 1,000 of each, b5a44bb
# left some of its shared 1,024 slots free.) The agent keeps the container
# to its share of the guest budget (256 per source address), and the host's
# streams, this docker socket first, have a budget of their own.
DNS_ADDR=192.168.65.7
docker run -d --name hog --ulimit nofile=4096:4096 "$BB" \
	/bin/tcp-hold 600 "$DNS_ADDR:53:500" "$HOST_ADDR:8000:1500" >/dev/null 2>&1
hog_reported() { docker logs hog 2>&1 | grep -q '^open='; }
wait_for 120 hog_reported
out=$(docker logs hog 2>&1 | grep '^open=')
n=$(sed -n 's/^open=\([0-9]*\).*/\1/p' <<<"$out")
check "a container opening 2000 connections to the DNS server (TCP) and a bind holds at most 256 (${out:-no report})" \
	test "${n:-0}" -ge 1 -a "${n:-0}" -le 256
ps_ok=0
for i in 1 2 3; do docker ps --format '{{.Names}}' 2>&1 | grep -qx hog && ps_ok=$((ps_ok + 1)); done
check "while it holds them, docker ps through the host socket works ($ps_ok of 3)" test "$ps_ok" = 3
out=$(docker run --rm "$BB" echo started 2>&1)
check "... and a new container starts ($out)" test "$out" = started
out=$(wget_in bridge host.keel.internal)
check "... and another container still reaches the bind ($out)" test "$out" = "host says $nonce"
docker rm -f hog >/dev/null 2>&1

# --- list, refuse, remove -------------------------------------------------------
keelctl binds > "$TMP/binds" 2>&1
check "keelctl binds lists the tcp and the udp bind with their targets" \
	sh -c "grep -q 'tcp.*$HOST_ADDR:8000.*127.0.0.1:$http_port' '$TMP/binds' && grep -q 'udp.*$HOST_ADDR:5300.*127.0.0.1:$udp_port' '$TMP/binds'"

docker run -d --name published -p 9000:80 "$BB" httpd -f -p 80 >/dev/null 2>&1
wait_for 20 sh -c "'$KEELCTL' --hybrid '$state/vsock.sock' --json ports | grep -q '\"port\": *9000'"
as_user timeout 20 "$KEELCTL" --hybrid "$state/vsock.sock" bind 9000 127.0.0.1:1 > "$TMP/bind-taken.log" 2>&1; rc=$?
check "a guest port held by a published container is refused (exit $rc: $(head -n1 "$TMP/bind-taken.log"))" \
	sh -c "test $rc = 1 && grep -qi 'in use' '$TMP/bind-taken.log' && grep -q 'docker-proxy' '$TMP/bind-taken.log'"
docker rm -f published >/dev/null 2>&1

keelctl unbind :8000 > "$TMP/unbind.log" 2>&1; rc=$?
check "keelctl unbind :8000 (exit $rc: $(head -n1 "$TMP/unbind.log"))" test $rc = 0
wait_for 10 sh -c "! kill -0 $BIND_PID_tcp 2>/dev/null"
check "the keelctl bind that made it was told and ended ($(tail -n1 "$TMP/bind-tcp.log"))" \
	sh -c "! kill -0 $BIND_PID_tcp 2>/dev/null && tail -n1 '$TMP/bind-tcp.log' | grep -q '^unbound tcp'"
t0=$(date +%s%3N)
out=$(wget_in bridge host.keel.internal)
t1=$(date +%s%3N)
reached=no; grep -q 'host says' <<<"$out" && reached=yes
check "after unbind the name no longer reaches the host service (refused in $((t1 - t0)) ms incl. docker run)" \
	test "$reached" = no
keelctl unbind :8000 > "$TMP/unbind2.log" 2>&1; rc=$?
check "unbind of a bind that is gone exits 1 with a reason ($(head -n1 "$TMP/unbind2.log"))" \
	sh -c "test $rc = 1 && test -s '$TMP/unbind2.log'"

kill "$BIND_PID_udp" 2>/dev/null; wait "$BIND_PID_udp" 2>/dev/null
wait_for 10 sh -c "! '$KEELCTL' --hybrid '$state/vsock.sock' binds | grep -q ':5300'"
check "a bind ends with its keelctl (binds no longer lists udp :5300)" \
	sh -c "! '$KEELCTL' --hybrid '$state/vsock.sock' binds | grep -q ':5300'"
docker network rm keel-bind-net >/dev/null 2>&1

helper=$(cat "$state/keel-host.pid" 2>/dev/null)   # serves the --bind rules
stop_docker_proxy
stop_vm
check "run-vm stop ends keel-host and its --bind rules (pid ${helper:-?})" \
	sh -c "test -n '$helper' && ! kill -0 '$helper' 2>/dev/null"
