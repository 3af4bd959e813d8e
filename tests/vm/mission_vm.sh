#!/usr/bin/env bash
# mission_vm.sh: what the VM exists for, in the booted product image with a
# real dockerd, nothing mocked (docs/mission.md lists what each check proves).
# Two boots on one small data disk:
#   boot 1: user namespaces, the default share (the user's home at the same
#           path; tests/vm/shares.sh has the ownership rules), TCP and
#           UDP ports published on the host by `keelctl publish --auto` (an
#           ordinary user's publisher) with the latency measured, port 80
#           skipped without keel-bindd and bound through it, the clock after a
#           30 s pause (keel-host resyncs on RESUME) and time-sync, health across a dockerd kill and a full
#           /var/lib, then `keelctl shutdown` (order on the console, QEMU exits
#           by itself, e2fsck clean);
#   boot 2: the container and image created in boot 1 are still there.
# Test images: a busybox-static tree imported over the docker API (no registry).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"

data=$TMP/data.img
img_require "$B/tests/bin/udp-echo" "$B/keel-bindd"
# 1 GiB: small enough that filling /var/lib below the agent's 512 MiB free
# threshold is one fallocate. No --share: run-vm shares the user's home.
boot_args=(--data "$data" --data-size 1G --memory 1024)
BB=keel-test/busybox:1
# the publisher runs as the user who runs the VM (tests/lib-user.sh)
as_user mkdir -p "$TEST_HOME/keel-mission" && echo "from home" > "$TEST_HOME/keel-mission/hello"
on_exit 'rm -rf "$TEST_HOME/keel-mission"'

# --- boot 1 --------------------------------------------------------------------
boot boot1 "${boot_args[@]}" || exit 1
record_metric mission_boot1_ms "$boot_ms"
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
check "docker import of the busybox test image (with udp-echo)" import_busybox "$BB" "$B/tests/bin/udp-echo"

# The publisher: started once, as the user who runs the VM, before any
# container; nothing else is asked of it. It is pointed at a keel-bindd that
# is not there (whatever runs on the host); a second one, later, at a real one.
"${AS_USER[@]}" "$KEELCTL" --hybrid "$state/vsock.sock" --json publish --auto --bindd "$TMP/no-bindd.sock" \
	>"$TMP/publish.log" 2>&1 &
pub_pid=$!
on_exit 'kill $pub_pid 2>/dev/null; wait $pub_pid 2>/dev/null'

# pub_event EVENT PORT TRANSPORT [REASON-PREFIX]: the publisher logged it
# (in $PUB_LOG, default the first publisher's log)
pub_event() {
	python3 - "${PUB_LOG:-$TMP/publish.log}" "$@" <<'EOF'
import json, sys
log, ev, port, tr = sys.argv[1:5]
why = sys.argv[5] if len(sys.argv) > 5 else None
for line in open(log):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if (e.get("event") == ev and e.get("port") == int(port) and e.get("transport", "tcp") == tr
            and (why is None or e.get("reason", "").startswith(why))):
        sys.exit(0)
sys.exit(1)
EOF
}

# run_priv CMD: a container with the VM's root: no remap, VM pid namespace,
# all capabilities (the view of the VM itself).
run_priv() { docker run --rm --privileged --userns=host --pid=host --net=host "$@"; }

# --- user namespaces -----------------------------------------------------------
info=$(docker info --format '{{json .SecurityOptions}} {{.DockerRootDir}}' 2>&1)
check "userns: docker info shows the remap and root dir 100000.100000 ($info)" \
	bash -c '[[ "$1" == *name=userns*" /var/lib/docker/100000.100000" ]]' _ "$info"
map=$(docker run --rm "$BB" cat /proc/self/uid_map | xargs)
check "userns: a container's own uid_map is 0 100000 65536 (got '$map')" test "$map" = "0 100000 65536"
docker run -d --name sleeper "$BB" sleep 600 >/dev/null
spid=$(docker inspect -f '{{.State.Pid}}' sleeper)
vm_map=$(run_priv "$BB" sh -c "cat /proc/$spid/uid_map; grep ^Uid: /proc/$spid/status" | xargs)
check "userns: seen from the VM, the container process has uid_map 0 100000 65536 and runs as uid 100000 (got '$vm_map')" \
	bash -c '[[ "$1" == "0 100000 65536 Uid: 100000 100000 100000 100000" ]]' _ "$vm_map"
docker rm -f sleeper >/dev/null
docker run --rm -v keelvol:/v "$BB" sh -c 'echo made > /v/made'
vol_owner=$(run_priv -v /var/lib/docker/100000.100000/volumes/keelvol/_data:/v "$BB" stat -c '%u %g' /v/made)
check "userns: a file a container creates on a volume is owned by 100000:100000 in the VM (got '$vol_owner')" \
	test "$vol_owner" = "100000 100000"
hmap=$(docker run --rm --userns=host "$BB" cat /proc/self/uid_map | xargs)
check "userns: --userns=host is allowed and gives the identity map, as the README states (got '$hmap')" \
	test "$hmap" = "0 0 4294967295"

# --- the default share: the user's home, at the same path --------------------
check "shares: without --share, the user's home is shared at the same path ($TEST_HOME)" \
	test "$(docker run --rm -v "$TEST_HOME/keel-mission":/src "$BB" cat /src/hello)" = "from home"
docker run --rm -v "$TEST_HOME/keel-mission":/src "$BB" sh -c 'echo c > /src/by-container'
check "shares: what a container writes there is the user's on the host" \
	test "$(stat -c %U "$TEST_HOME/keel-mission/by-container" 2>&1)" = "$TEST_USER"

# --- ports ---------------------------------------------------------------------
web() { # web NAME PUBLISH: busybox httpd serving the image's /www ("keel-test")
	docker run -d --name "$1" -p "$2" "$BB" httpd -f -p 80 -h /www >/dev/null
}
# http_wait PORT BODY SINCE_NS: poll http://127.0.0.1:PORT/ every 10 ms up
# to 20 s; print the ms from SINCE_NS to the first answer carrying BODY, and
# the ms one more request takes (how much of the first is the HTTP round trip).
http_wait() {
	python3 - "$@" <<'EOF'
import socket, sys, time
port, body, since = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])
end = time.time() + 20
while time.time() < end:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            got = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                got += d
            if body in got:
                first = (time.time_ns() - since) // 1000000
                t = time.time_ns()   # one more request: the steady round trip
                with socket.create_connection(("127.0.0.1", port), timeout=2) as s2:
                    s2.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    while s2.recv(4096):
                        pass
                print(first, (time.time_ns() - t) // 1000000)
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.01)
sys.exit(1)
EOF
}
web web8080 8080:80
t_run=$(date +%s%N)
if read -r lat rtt < <(http_wait 8080 keel-test "$t_run") && [ -n "$lat" ]; then
	record_metric publish_latency_ms "$lat"
	record_metric publish_http_roundtrip_ms "$rtt"
	check "ports: -p 8080:80 answers on host 127.0.0.1:8080 within 1 s of docker run -d returning (${lat} ms)" \
		test "$lat" -le 1000
else
	fail "ports: -p 8080:80 not reachable on the host within 20 s: $(tr '\n' '|' < "$TMP/publish.log")"
fi
web web8081 127.0.0.1:8081:80
t_run=$(date +%s%N)
if read -r lat rtt < <(http_wait 8081 keel-test "$t_run") && [ -n "$lat" ]; then
	record_metric publish_latency_loopback_ms "$lat"
	check "ports: -p 127.0.0.1:8081:80 answers on host 127.0.0.1:8081 within 1 s (${lat} ms)" test "$lat" -le 1000
else
	fail "ports: -p 127.0.0.1:8081:80 not reachable on the host: $(tr '\n' '|' < "$TMP/publish.log")"
fi
docker stop -t 1 web8080 >/dev/null
check "ports: stopping the container releases host port 8080" \
	wait_for 10 bash -c '! (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null'
check "ports: the publisher reported 8080 unpublished" pub_event unpublished 8080 tcp
docker rm -f web8080 web8081 >/dev/null
# below 1024: keel-bindd (as root here; docs/bindd.md runs it with only
# CAP_NET_BIND_SERVICE) serving the publisher's group, and a second publisher
# that uses it
"$B/keel-bindd" --socket "$TMP/bindd.sock" --group "$TEST_GID" >"$TMP/bindd.log" 2>&1 &
bindd_pid=$!
on_exit 'kill $bindd_pid 2>/dev/null; wait $bindd_pid 2>/dev/null'
wait_for 5 test -S "$TMP/bindd.sock"
"${AS_USER[@]}" "$KEELCTL" --hybrid "$state/vsock.sock" --json publish --auto --bindd "$TMP/bindd.sock" \
	>"$TMP/publish-bindd.log" 2>&1 &
pub2_pid=$!
on_exit 'kill $pub2_pid 2>/dev/null; wait $pub2_pid 2>/dev/null'
pub2_event() { PUB_LOG=$TMP/publish-bindd.log pub_event "$@"; }
web web80 80:80
check "ports: without keel-bindd, guest port 80 is skipped and the publisher says why" \
	wait_for 10 pub_event skipped 80 tcp "host port below 1024 needs privilege (EACCES) and keel-bindd is not running"
check "ports: with keel-bindd, guest port 80 is published through it" \
	wait_for 10 pub2_event published 80 tcp "bound by keel-bindd"
if read -r lat rtt < <(http_wait 80 keel-test "$(date +%s%N)") && [ -n "$lat" ]; then
	pass "ports: -p 80:80 answers on host 127.0.0.1:80 through keel-bindd"
else fail "ports: host port 80 does not answer: $(tr '\n' '|' < "$TMP/publish-bindd.log")"; fi
check "ports: keel-bindd logged the grant" grep -q "grant .*tcp 127.0.0.1:80" "$TMP/bindd.log"
docker rm -f web80 >/dev/null
check "ports: removing the container releases host port 80" \
	wait_for 10 bash -c '! (exec 3<>/dev/tcp/127.0.0.1/80) 2>/dev/null'
kill "$pub2_pid" "$bindd_pid" 2>/dev/null

# UDP: -p 5353:53/udp of an echo server; poll with a datagram every 20 ms
udp_wait() { # udp_wait PORT SINCE_NS: ms from SINCE_NS to the first echo
	python3 - "$@" <<'EOF'
import socket, sys, time
port, since = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.02)
end = time.time() + 20
while time.time() < end:
    try:
        s.sendto(b"ping-udp", ("127.0.0.1", port))
        d, _ = s.recvfrom(100)
        if d == b"echo:ping-udp":
            print((time.time_ns() - since) // 1000000)
            sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
EOF
}
docker run -d --name udp5353 -p 5353:53/udp "$BB" udp-echo 53 >/dev/null
t_run=$(date +%s%N)
if lat=$(udp_wait 5353 "$t_run"); then
	record_metric publish_latency_udp_ms "$lat"
	check "ports: -p 5353:53/udp echoes on host 127.0.0.1:5353 within 1 s of docker run -d returning (${lat} ms)" \
		test "$lat" -le 1000
else
	fail "ports: -p 5353:53/udp not reachable on the host within 20 s: $(tr '\n' '|' < "$TMP/publish.log")"
fi
docker rm -f udp5353 >/dev/null
udp_free() { python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", 5353))'; }
check "ports: removing the container releases host UDP port 5353" wait_for 10 udp_free

# --- time: a 30 s pause, then keelctl time-sync --------------------------------
# guest_offset_ms: guest clock minus host clock (midpoint of the RPC); prints
# "offset rpc_ms".
guest_offset_ms() {
	local a b h
	a=$(date +%s%N); h=$(health_json); b=$(date +%s%N)
	echo $(( ( $(jget "$h" 'd["clock_unix_ns"]') - (a + b) / 2 ) / 1000000 )) $(( (b - a) / 1000000 ))
}
run_vm qmp --state-dir "$state" stop >/dev/null
sleep 30
run_vm qmp --state-dir "$state" cont >/dev/null
# keel-host syncs the guest clock when QEMU reports RESUME (docs/host-daemon.md):
# no command needed; its log says so
synced_by_host() {
	read -r off_before rpc_before < <(guest_offset_ms)
	[ "${off_before#-}" -le $(( 1000 + rpc_before / 2 )) ]
}
check "time: after a 30 s pause keel-host synced the guest clock by itself (QMP RESUME)" wait_for 10 synced_by_host
read -r off_before rpc_before < <(guest_offset_ms)
echo "guest clock after the pause: ${off_before} ms off (rpc ${rpc_before} ms); keel-host: $(grep 'time sync (vm-resume)' "$state/keel-host.log" | tail -n 1)"
check "time: keelctl time-sync" keelctl time-sync
read -r off_after rpc_after < <(guest_offset_ms)
record_metric time_offset_after_sync_ms "${off_after#-}"
# the guest clock is read somewhere inside the RPC: allow half its duration
check "time: after time-sync the guest clock is within 1 s of the host (${off_after} ms, rpc ${rpc_after} ms)" \
	test "${off_after#-}" -le $(( 1000 + rpc_after / 2 ))

# --- health: /var/lib full, then dockerd killed --------------------------------
# poll_status WANT SECS: poll health until status is WANT; prints ms waited
poll_status() {
	local t0 h; t0=$(date +%s%3N)
	while :; do
		h=$(health_json 2>/dev/null) && [ "$(jget "$h" 'd["status"]' 2>/dev/null)" = "$1" ] && break
		[ $(( $(date +%s%3N) - t0 )) -lt $(( $2 * 1000 )) ] || return 1
		sleep 0.1
	done
	echo "$h" > "$TMP/health-$1"
	echo $(( $(date +%s%3N) - t0 ))
}
h=$(health_json)
check "health: ok before the faults" test "$(jget "$h" 'd["status"]')" = ok
free=$(jget "$h" 'd["var_lib_free_bytes"]')
fill=$(( free - (300 << 20) ))
check "health: fill /var/lib to 300 MiB free" run_priv -v /var/lib:/vl "$BB" fallocate -l "$fill" /vl/keel-fill
if poll_status degraded 10 >/dev/null; then
	reasons=$(jget "$(cat "$TMP/health-degraded")" '"; ".join(d["reasons"])')
	check "health: degraded because /var/lib is low on space ($reasons)" \
		bash -c '[[ "$1" == *"/var/lib is low on space"* ]]' _ "$reasons"
else fail "health: not degraded with /var/lib full: $(health_json)"; fi
run_priv -v /var/lib:/vl "$BB" rm /vl/keel-fill
check "health: ok again once the space is freed" poll_status ok 10

docker run -d --rm --privileged --userns=host --pid=host "$BB" sh -c 'sleep 1; kill -9 $(pidof dockerd)' >/dev/null
t0=$(date +%s%3N)
if poll_status degraded 20 >/dev/null; then
	reasons=$(jget "$(cat "$TMP/health-degraded")" '"; ".join(d["reasons"])')
	check "health: degraded after kill -9 dockerd, naming dockerd ($reasons)" \
		bash -c '[[ "$1" == *dockerd* ]]' _ "$reasons"
	if poll_status ok 120 >/dev/null; then
		back=$(( $(date +%s%3N) - t0 ))
		record_metric dockerd_kill_to_health_ok_ms "$back"
		pass "health: init restarted dockerd and health is ok again (${back} ms after the kill)"
		r=$(jget "$(cat "$TMP/health-ok")" '[s["restarts"] for s in d["services"] if s["name"] == "dockerd"]')
		check "health: dockerd's restart count is 1 ($r)" test "$r" = "[1]"
	else fail "health: not ok within 120 s of the dockerd kill: $(health_json)"; fi
else fail "health: never degraded after kill -9 dockerd: $(health_json)"; fi
check "console: init logged dockerd's exit and restart" \
	bash -c 'grep -aq "service dockerd exited" "$1" && grep -aq "service dockerd: restart 1" "$1"' _ "$state/console.log"

# --- shutdown ------------------------------------------------------------------
check "a container to keep across the reboot" docker create --name keep "$BB" echo persisted
stop_docker_proxy
qpid=$(cat "$state/qemu.pid")
t0=$(date +%s%3N)
check "shutdown: keelctl shutdown" keelctl shutdown
if wait_for 60 bash -c '! kill -0 "$1" 2>/dev/null' _ "$qpid"; then
	record_metric mission_shutdown_ms $(( $(date +%s%3N) - t0 ))
	pass "shutdown: QEMU exited by itself ($(( $(date +%s%3N) - t0 )) ms)"
else fail "shutdown: QEMU still running 60 s after keelctl shutdown"; fi
l_stop=$(console_line 'service dockerd stopped') l_ctd=$(console_line 'service containerd stopped')
l_umount=$(console_line 'unmounted /var/lib') l_off=$(console_line 'powering off')
echo "console lines: dockerd stopped $l_stop, containerd stopped $l_ctd, unmounted /var/lib $l_umount, powering off $l_off"
check "shutdown: console shows dockerd stopped, then containerd, then /var/lib unmounted, then power off" \
	test -n "$l_stop" -a -n "$l_ctd" -a -n "$l_umount" -a -n "$l_off" -a \
	"${l_stop:-0}" -lt "${l_ctd:-0}" -a "${l_ctd:-0}" -lt "${l_umount:-0}" -a "${l_umount:-0}" -lt "${l_off:-0}"
check "shutdown: every unmount succeeded (no 'warning: unmount' on the console)" \
	bash -c '! grep -a "keel-init: warning: unmount" "$1"' _ "$state/console.log"
grep -a "keel-init: unmounted [0-9]* mounts below" "$state/console.log"
[ -n "$l_umount" ] || { echo "--- console, shutdown part:"; grep -a 'keel-init' "$state/console.log" | tail -n 15; }
run_vm stop --state-dir "$state" >/dev/null 2>&1
check "shutdown: the data disk is clean (e2fsck -fn)" e2fsck -fn "$data"

# --- boot 2: what boot 1 made is there -----------------------------------------
boot boot2 "${boot_args[@]}" || exit 1
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
check "persistence: the imported image is there" docker image inspect "$BB"
check "persistence: the created container is there and runs" \
	test "$(docker start -a keep 2>&1)" = persisted
check "persistence: the volume's file is there" \
	test "$(docker run --rm -v keelvol:/v "$BB" cat /v/made 2>&1)" = made
stop_docker_proxy
check "boot2: run-vm stop" run_vm stop --state-dir "$state"
