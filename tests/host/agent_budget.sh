#!/usr/bin/env bash
# tests/host/agent_budget.sh: the agent's stream budgets (docs/agent.md,
# "Budgets"), in its own network and mount namespace (the VM's stand-in).
#  1. A guest peer holding 2,000 connections to the DNS server's TCP port and
#     a bind port gets its share (256); four peers spend the guest budget
#     (1024); a fifth gets none; the host's forwards (the docker socket's
#     path, forward-unix) work all along.
#  2. Guest-opened relays idle out (--guest-idle-timeout), the host's do not.
#  3. Out of fds (RLIMIT_NOFILE lowered with prlimit), the listeners pause:
#     the agent's CPU time and log stay bounded, and it recovers.
. "$(dirname "$0")/lib-agent.sh"
TOOL=$TOP/tests/progs/conn_tool.py
DNSTOOL=$TOP/tests/progs/dns_tool.py
HOSTADDR=192.168.65.254
DNS=192.168.65.7
GPORT=15432
GUPORT=15353
[ "$(id -u)" = 0 ] || { fail "agent_budget: needs root (namespaces)"; exit 0; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

# Host side: a TCP and a UDP echo on the host's loopback, for the binds.
PORT=$(free_port)
python3 "$TOOL" serve tcp "$PORT" &
on_exit "kill $! 2>/dev/null"
UPORT=$(free_port)
python3 "$TOOL" serve udp "$UPORT" &
on_exit "kill $! 2>/dev/null"
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)"

# setup [AGENT ARGS...]: the agent, the guest's "dockerd" (a unix echo in
# its namespaces), forward-unix serving it on the host, the upstream DNS
# fixture, a TCP and a UDP bind. teardown ends them (and the holders).
SETUP_PIDS=() HOLDERS=()
bg() { "$@" & SETUP_PIDS+=($!); on_exit "kill $! 2>/dev/null"; }
setup() {
	start_agent --host-uds "$CTL" "$@"
	in_guest ip addr add "$HOSTADDR/32" dev lo 2>/dev/null
	in_guest ip addr add "$DNS/32" dev lo 2>/dev/null
	rm -f "$TMP/docker.sock" "$TMP/host-docker.sock"
	# (one process, threads: socat's fork children would outlive a teardown)
	bg nsenter --net="/proc/$AGENT_PID/ns/net" python3 "$TOOL" serve unix "$TMP/docker.sock"
	bg nsenter --net="/proc/$AGENT_PID/ns/net" python3 "$DNSTOOL" upstream 127.0.0.1 >/dev/null 2>>"$TMP/upstream.log"
	wait_for 5 test -S "$TMP/docker.sock"
	wait_for 5 sh -c "nsenter --net=/proc/$AGENT_PID/ns/net ss -Hltn | grep -q '127.0.0.1:53 '"
	"${KC[@]}" netconfig --interface lo --dns 127.0.0.1 >/dev/null
	bg "${KC[@]}" forward-unix "$TMP/host-docker.sock:$TMP/docker.sock" >/dev/null 2>>"$TMP/fu.err"
	bg "${KC[@]}" bind "$GPORT" "127.0.0.1:$PORT" >"$TMP/bind.out" 2>>"$TMP/bind.err"
	bg "${KC[@]}" bind --udp --host-port 50001 "$GUPORT" "127.0.0.1:$UPORT" >"$TMP/ubind.out" 2>>"$TMP/bind.err"
	wait_for 5 test -S "$TMP/host-docker.sock"
	wait_for 5 grep -q '^bound' "$TMP/bind.out"
	wait_for 5 grep -q '^bound' "$TMP/ubind.out"
}
teardown() {
	kill "${HOLDERS[@]}" "${SETUP_PIDS[@]}" "$AGENT_PID" 2>/dev/null
	wait "${HOLDERS[@]}" "${SETUP_PIDS[@]}" "$AGENT_PID" 2>/dev/null
	HOLDERS=() SETUP_PIDS=()
}
# docker_ps: N round trips at once through the host's docker socket path.
docker_ps() {
	local n=$1 i ok=0 pids=()
	for i in $(seq 1 "$n"); do
		(echo "GET /containers/json $i" | timeout 10 socat -t5 - UNIX-CONNECT:"$TMP/host-docker.sock" > "$TMP/ps.$i" 2>&1) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 1 "$n"); do grep -qx "GET /containers/json $i" "$TMP/ps.$i" && ok=$((ok + 1)); done
	echo "$ok of $n"
	[ "$ok" = "$n" ]
}
# hold NAME SRC TARGETS...: a guest client holding connections (conn_tool.py
# hold) in the background; its report in $TMP/NAME.out, its pid in HOLDERS
# (so not in a $(...) subshell).
hold() {
	local name=$1; shift
	nsenter --net="/proc/$AGENT_PID/ns/net" python3 "$TOOL" hold "$@" >"$TMP/$name.out" 2>&1 &
	HOLDERS+=($!)
	on_exit "kill $! 2>/dev/null"
	wait_for 60 grep -q '^open=' "$TMP/$name.out"
}
tcp_conns() { in_guest ss -Htn state established "( dport = :$GPORT or dport = :53 )" | wc -l; }

# --- 1. budgets -------------------------------------------------------------
setup
check "budget: docker socket path works before the flood ($(docker_ps 5))" docker_ps 5
# A holder prints its open count once settled, then again whenever the
# agent closes some (tests/progs/conn_tool.py): first_line / last_line.
first_line() { head -n 1 "$TMP/$1.out"; }
last_line() { tail -n 1 "$TMP/$1.out"; }
hold a 127.0.3.1 "$DNS:53:1000" "$HOSTADDR:$GPORT:1000"
out=$(first_line a)
n=$(field open <<<"$out")
check "budget: a guest peer opening 2000 connections (DNS over TCP, bind) keeps its share of 256 ($out)" \
	test "${n:-0}" = 256
check "budget: ... split over both listeners ($out)" \
	sh -c "test $(field "$DNS:53" <<<"$out") -gt 0 -a $(field "$HOSTADDR:$GPORT" <<<"$out") -gt 0"
check "budget: with that peer holding, host forwards work: 50 round trips at once ($(docker_ps 50))" docker_ps 50
out=$(in_guest python3 "$TOOL" ping "$HOSTADDR" "$GPORT")
check "budget: another guest peer still reaches the bind ($out)" test "$out" = ok
hold b 127.0.3.2 "$HOSTADDR:$GPORT:300"
hold c 127.0.3.3 "$HOSTADDR:$GPORT:300"
hold d 127.0.3.4 "$HOSTADDR:$GPORT:300"
outs="$(first_line b) / $(first_line c) / $(first_line d)"
check "budget: three more peers get 256 each, the guest budget of 1024 is spent ($outs)" \
	test "$(for h in b c d; do first_line $h; done | field open | tr '\n' ' ')" = "256 256 256 "
hold e 127.0.3.9 "$HOSTADDR:$GPORT:20"
# What e keeps is what the others no longer hold (a's DNS-over-TCP
# connections may have ended meanwhile): the guest total never stays above
# the budget. A loaded agent closes e's refused connections late (they wait
# in the kernel's backlog until it accepts them), so the holders' last lines
# are read until the total settles (each line at most 2 s old).
total() {
	held=$(( $(for h in a b c d; do last_line $h; done | field open | paste -sd+) ))
	got=$(last_line e | field open)
	[ "$(( ${got:-99} + held ))" -le 1024 ]
}
wait_for 20 total; total
check "budget: a fifth peer gets only what the others freed, the guest total stays within 1024 (e=$got, others=$held)" \
	test "$(( ${got:-99} + ${held:-9999} ))" -le 1024
out=$(in_guest python3 "$DNSTOOL" --from 127.0.3.10 query "$DNS" host.keel.internal)
check "budget: DNS over UDP still answers ($out)" test "$(field addrs <<<"$out")" = "$HOSTADDR"
check "budget: and the host's forwards still work: 50 round trips at once ($(docker_ps 50))" docker_ps 50
out=$(cat /proc/$AGENT_PID/limits | awk '/Max open files/ {print $4"/"$5}')
check "budget: RLIMIT_NOFILE set for the budgets (soft/hard $out, at least 13376)" \
	test "${out%/*}" -ge 13376
check "budget: agent keeps its pid" kill -0 "$AGENT_PID"
teardown

# --- 2. idle timeouts -------------------------------------------------------
setup --guest-idle-timeout 1000
out=$(in_guest python3 "$TOOL" idle "$HOSTADDR" "$GPORT" 5)
t=$(field closed_after <<<"$out")
check "idle: a silent guest bind connection is closed after --guest-idle-timeout 1000 ms ($out)" \
	awk -v t="${t:-99}" 'BEGIN { exit !(t >= 0.9 && t <= 2.5) }'
out=$(in_guest python3 "$TOOL" idle "$DNS" 53 5)
t=$(field closed_after <<<"$out")
check "idle: a silent DNS-over-TCP connection too ($out)" \
	awk -v t="${t:-99}" 'BEGIN { exit !(t >= 0.9 && t <= 2.5) }'
out=$(in_guest python3 "$TOOL" idle "$HOSTADDR" "$GPORT" 3 0.3)
check "idle: a guest connection with traffic every 300 ms stays open for 3 s ($out)" test "$out" = open
# A host forward stream (docker logs -f, attach) carries nothing for 3 s.
coproc socat - UNIX-CONNECT:"$TMP/host-docker.sock"    # COPROC_PID is socat's
echo first >&"${COPROC[1]}"; read -r -t 5 l1 <&"${COPROC[0]}"
sleep 3
echo second >&"${COPROC[1]}"; read -r -t 5 l2 <&"${COPROC[0]}"
check "idle: a host forward silent for 3 s is kept ($l1, $l2)" test "$l1/$l2" = first/second
kill "$COPROC_PID" 2>/dev/null
# UDP: a flow silent past the timeout ends; the next datagram makes a new one.
udp_conns() { "${KC[@]}" --json binds | jget - '[b["connections"] for b in d["binds"] if b["transport"] == "udp"][0]'; }
in_guest python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
for pause in (0, 2.5):
    time.sleep(pause); s.sendto(b"x", (sys.argv[1], int(sys.argv[2]))); s.recvfrom(10)' "$HOSTADDR" "$GUPORT"
check "idle: a UDP flow silent for 2.5 s ended, its peer's next datagram made a new one ($(udp_conns) flows)" \
	test "$(udp_conns)" = 2
teardown

# --- 3. out of fds ----------------------------------------------------------
setup
lines_before=$(grep -c 'accept' "$TMP/agent.log")
nfd=$(fd_count)
soft=$(awk '/Max open files/ {print $4}' "/proc/$AGENT_PID/limits")
# The soft limit only: raising it back needs no privilege.
prlimit --pid "$AGENT_PID" --nofile=$((nfd + 6)):
nsenter --net="/proc/$AGENT_PID/ns/net" python3 "$TOOL" holdunix "$FWD" 100 >"$TMP/hu.out" 2>&1 &
HOLDERS+=($!)
on_exit "kill $! 2>/dev/null"
hold g 127.0.3.20 "$HOSTADDR:$GPORT:50"
sleep 0.5
c0=$(python3 "$TOOL" cpu "$AGENT_PID")
sleep 3
c1=$(python3 "$TOOL" cpu "$AGENT_PID")
lines=$(( $(grep -c 'accept' "$TMP/agent.log") - lines_before ))
check "emfile: 3 s out of fds with 150 connections waiting cost $((c1 - c0)) ticks of CPU (under 30 of 300)" \
	test $((c1 - c0)) -lt 30
check "emfile: and $lines log lines about accept (at most 2)" test "$lines" -ge 1 -a "$lines" -le 2
check "emfile: the log says it pauses" grep -q "Too many open files; pausing it 100 ms" "$TMP/agent.log"
prlimit --pid "$AGENT_PID" --nofile="$soft":
kill "${HOLDERS[@]}" 2>/dev/null; HOLDERS=()
wait_for 10 docker_ps 5
check "emfile: with fds back, host forwards work again ($(docker_ps 5))" docker_ps 5
out=$(in_guest python3 "$TOOL" ping "$HOSTADDR" "$GPORT")
check "emfile: and the bind takes guest connections again ($out)" test "$out" = ok
check "emfile: agent keeps its pid" kill -0 "$AGENT_PID"
teardown
