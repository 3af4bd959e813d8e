#!/usr/bin/env bash
# host_daemon.sh: keel-host, the VM's host daemon (issue 15,
# docs/host-daemon.md), as an ordinary user with no command but run-vm
# start/stop and docker. Two boots:
#   A (config file: time-sync-interval = 20; a share): keelctl status shows
#     the VM, keel-vsock and the file server, the share, the boot time sync;
#     `docker run -d -p 8080:80` through STATE/docker.sock answers on
#     127.0.0.1:8080 within 1 s, a UDP -p 5353:53/udp echoes, both are
#     released after docker rm -f; the guest clock stepped back 30 s from a
#     privileged container, then qmp stop/cont: within 100 ms 2 s after the
#     resume; the same step without a pause: corrected within the interval;
#     kill -9 of keel-vsock: a new keel-vsock gets QEMU's session from
#     keel-host's relay, docker ps through the host socket works again within
#     5 s, same QEMU, and a read of the share works; kill -9 of the file
#     server: restarted, counted, the share reads again within 5 s (the
#     relay's FUSE session for the new virtiofsd), writes land as the user;
#     kill -9 of keel-host: QEMU, keel-vsock and the file server end.
#   B: kill -9 of QEMU: keel-host says so and exits, no helper left running.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
img_require "$B/tests/bin/udp-echo" "$B/keel-host"
BB=keel-bb
sock=$state/docker.sock
docker() { DOCKER_HOST=unix://$sock "$DOCKER" "$@"; }
js() { jget @"$state/status.json" "$1" 2>/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }
# drift_ms: guest minus host, measured by a SyncTime whose threshold no
# drift here reaches (so it never steps)
drift_ms() { keelctl --json time-sync --threshold-ms 3600000 | jget - 'round(d["drift_ns"] / 1e6)'; }
drift_small() { local d; d=$(drift_ms) && [ "${d#-}" -le 100 ]; }
# from inside the VM: busybox date in a privileged container (CAP_SYS_TIME)
step_back_30() { docker run --rm --privileged --userns=host "$BB" date -u -s "@$(( $(date +%s) - 30 ))" >/dev/null; }
synced() { [ "$(js 'd["time"]["syncs"] >= 1')" = True ]; }
no_ports() { [ "$(js 'len(d["ports"])')" = 0 ]; }

as_user mkdir -p "$TMP/share" && echo share-data | as_user tee "$TMP/share/file" >/dev/null
cfg=$TMP/keel.conf
printf '# host_daemon.sh\ntime-sync-interval = 20\nshare = %s\npublish = on\n' "$TMP/share" > "$cfg"
chmod a+r "$cfg"
boot_publish=1 boot A --no-data --config "$cfg" || exit 1
kh=$(cat "$state/keel-host.pid" 2>/dev/null)

# --- status ---------------------------------------------------------------------

check "keelctl status --json: VM running under $(cat "$TMP/accel" 2>/dev/null), daemon alive" \
	test "$(js 'd["vm"]["state"] + " " + d["vm"]["info"]["accel"] + " " + d["daemon"]["state"]')" = "running $(cat "$TMP/accel") running"
check "status: keel-vsock and fs-0 running, no restarts" \
	test "$(js '[(h["name"], h["state"], h["restarts"]) for h in d["helpers"]]')" = "[('keel-vsock', 'running', 0), ('fs-0', 'running', 0)]"
check "status: the share with its file server" \
	bash -c '[[ "$1" == *"$2"*virtiofsd* ]]' _ "$(js 'd["shares"]')" "$TMP/share"
check "status: publish on (from the config file), the docker socket" \
	test "$(js 'd["publish"] + " " + d["docker_sock"]')" = "on $sock"
check "status: the guest clock was synced at boot ($(js 'd.get("time")'))" wait_for 10 synced
check "run-vm status shows keel-host's report" \
	bash -c 'out=$("$@" 2>&1); grep -q "^helpers .*keel-vsock" <<< "$out" && grep -q "^time .*syncs" <<< "$out"' \
	_ "${AS_USER[@]}" "$USER_TOP/scripts/run-vm" status --state-dir "$state"
check "the console log has the boot timeline (through keel-host's console socket)" grep -aq "timeline: " "$state/console.log"

check "docker import of the busybox test image through STATE/docker.sock" import_busybox "$BB" "$B/tests/bin/udp-echo"

# --- ports without a command -------------------------------------------------------
# first_answer tcp|udp PORT SINCE_NS: ms from SINCE_NS to the first answer on
# 127.0.0.1:PORT (HTTP carrying keel-test, or a UDP echo), polling for 20 s
first_answer() {
	python3 - "$@" <<'PY'
import socket, sys, time
kind, port, since = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
end = time.time() + 20
while time.time() < end:
    try:
        if kind == "tcp":
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                got = b""
                while (d := s.recv(4096)):
                    got += d
                ok = b"keel-test" in got
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.02)
                s.sendto(b"ping", ("127.0.0.1", port))
                ok = s.recvfrom(100)[0] == b"echo:ping"
        if ok:
            print((time.time_ns() - since) // 1000000)
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.01)
sys.exit(1)
PY
}
docker run -d --name web -p 8080:80 "$BB" httpd -f -p 80 -h /www >/dev/null
t_run=$(date +%s%N)
if lat=$(first_answer tcp 8080 "$t_run"); then
	record_metric host_daemon_publish_tcp_ms "$lat"
	check "docker run -d -p 8080:80: 127.0.0.1:8080 answers within 1 s, no command run (${lat} ms)" test "$lat" -le 1000
else fail "127.0.0.1:8080 did not answer within 20 s: $(tail -n 5 "$state/keel-host.log" | tr '\n' '|')"; fi
docker run -d --name echo -p 5353:53/udp "$BB" udp-echo 53 >/dev/null
t_run=$(date +%s%N)
if lat=$(first_answer udp 5353 "$t_run"); then
	record_metric host_daemon_publish_udp_ms "$lat"
	check "docker run -d -p 5353:53/udp: 127.0.0.1:5353 echoes within 1 s (${lat} ms)" test "$lat" -le 1000
else fail "127.0.0.1:5353 did not echo within 20 s"; fi
check "status lists tcp 8080 and udp 5353 as published" \
	bash -c '[[ "$1" == *"tcp 8080 published"* && "$1" == *"udp 5353 published"* ]]' _ \
	"$(js '" ".join("%s %d %s" % (p["transport"], p["port"], p["state"]) for p in d["ports"])')"
docker rm -f web echo >/dev/null
tcp_free() { python3 -c 'import socket; s=socket.socket(); s.connect(("127.0.0.1", 8080))' 2>/dev/null && return 1 || return 0; }
udp_free() { python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", 5353))'; }
check "docker rm -f: 127.0.0.1:8080 stops answering" wait_for 5 tcp_free
check "docker rm -f: udp 5353 is released on the host" wait_for 5 udp_free
check "status no longer lists them" wait_for 5 no_ports

# --- time without a command ---------------------------------------------------------
check "the guest clock steps back 30 s from a privileged container" step_back_30
d0=$(drift_ms)
run_vm qmp --state-dir "$state" stop >/dev/null; sleep 1; run_vm qmp --state-dir "$state" cont >/dev/null
sleep 2
d1=$(drift_ms)
echo "drift: ${d0} ms after the step, ${d1} ms 2 s after qmp cont"
check "QMP RESUME: keel-host synced (its log says vm-resume)" grep -q "time sync (vm-resume)" "$state/keel-host.log"
check "2 s after the resume the guest is within 100 ms of the host (was ${d0} ms, now ${d1} ms)" \
	bash -c '[ "$1" -le -25000 ] && [ "${2#-}" -le 100 ]' _ "${d0:-0}" "${d1:-99999}"
check "the same step with no pause" step_back_30
t0=$(date +%s%3N)
if wait_for 25 drift_small; then
	fix=$(( $(date +%s%3N) - t0 ))
	record_metric host_daemon_periodic_sync_ms "$fix"
	pass "without a pause the periodic sync corrected it within the interval of 20 s (${fix} ms)"
else fail "not corrected within 25 s (interval 20 s): drift $(drift_ms) ms"; fi
check "status: the last step's drift and reason" \
	bash -c '[[ "$1" == periodic:-* || "$1" == vm-resume:-* ]]' _ "$(js 'd["time"]["last_step_reason"] + ":" + str(d["time"]["last_step_drift_ns"])')"

# --- keel-vsock dies: restarted in place --------------------------------------------------
# QEMU talks vhost-user to keel-host's relay, which hands the restarted
# keel-vsock QEMU's session: the same QEMU, no reboot, within 5 s
q=$(cat "$state/qemu.pid") kv=$(cat "$state/keel-vsock.pid")
t0=$(date +%s%3N)
kill -9 "$kv"
if wait_for 5 docker ps; then
	back=$(( $(date +%s%3N) - t0 ))
	record_metric host_daemon_vsock_recovery_ms "$back"
	pass "kill -9 of keel-vsock: docker ps through the host socket works again ${back} ms after the kill"
else fail "docker ps did not work again within 5 s: $(tail -n 5 "$state/keel-host.log" | tr '\n' '|')"; fi
check "... with the same QEMU ($q) and a new keel-vsock" \
	bash -c 'kill -0 "$1" && p=$(cat "$3/keel-vsock.pid") && [ "$p" != "$2" ] && kill -0 "$p"' _ "$q" "$kv" "$state"
check "status: keel-vsock restarted once, no VM reboot, still the same keel-host" \
	test "$(js '[h["restarts"] for h in d["helpers"] if h["name"]=="keel-vsock"][0], d["vm"].get("reboots", 0), d["daemon"]["pid"]')" = "(1, 0, $kh)"
check "keel-host handed it the session (its log)" grep -q "keel-vsock: its vhost-user session replayed" "$state/keel-host.log"
check "the image imported before is still there (dockerd was not restarted)" \
	docker image inspect -f ok "$BB"
check "a read of the share works" \
	bash -c 'out=$("$@" 2>&1); [ "$out" = share-data ]' _ env DOCKER_HOST="unix://$sock" "$DOCKER" run --rm -v "$TMP/share:$TMP/share" "$BB" cat "$TMP/share/file"
check "a second kill -9 of keel-vsock: docker ps works again within 5 s" \
	bash -c 'kill -9 "$(cat "$1/keel-vsock.pid")" && sleep 0.2 && for i in $(seq 48); do DOCKER_HOST=unix://$2 "$3" ps >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1' _ "$state" "$sock" "$DOCKER"

# --- a file server dies: restarted in place -------------------------------------------
# keel-host's relay gives the new virtiofsd QEMU's session and a FUSE
# session of its own (fuse_prime.c): the share reads again within 5 s
fs=$(cat "$state/fs-0.pid")
share_reads() { [ "$(timeout 10 env DOCKER_HOST="unix://$sock" "$DOCKER" run --rm -v "$TMP/share:$TMP/share" "$BB" cat "$TMP/share/file" 2>&1)" = share-data ]; }
# a container that holds the share across the restart; its reads are timed
check "a container with the share mounted runs" docker run -d --name sharer -v "$TMP/share:$TMP/share" "$BB" sleep 3600
sharer_reads() { [ "$(timeout 10 env DOCKER_HOST="unix://$sock" "$DOCKER" exec sharer cat "$TMP/share/file" 2>&1)" = share-data ]; }
check "... and reads it (once its process runs)" wait_for 10 sharer_reads
t0=$(date +%s%3N)
kill -9 "$fs"
check "kill -9 of the file server ($fs): keel-host restarts it" \
	wait_for 5 bash -c 'p=$(cat "$1/fs-0.pid" 2>/dev/null); [ -n "$p" ] && [ "$p" != "$2" ] && kill -0 "$p"' _ "$state" "$fs"
if wait_for 5 sharer_reads && back=$(( $(date +%s%3N) - t0 )) && [ "$back" -le 5000 ]; then
	record_metric host_daemon_share_recovery_ms "$back"
	pass "the running container reads the share again ${back} ms after the kill (same QEMU: $(cat "$state/qemu.pid"))"
else fail "the share did not read within 5 s of the kill (${back:-?} ms): $(tail -n 5 "$state/keel-host.log" | tr '\n' '|')"; fi
check "a new container reads it too" share_reads
check "the container is removed" docker rm -f sharer
check "keel-host started a FUSE session for it and handed it QEMU's (its log)" \
	bash -c 'grep -q "fs-0: FUSE_INIT answered" "$1" && grep -q "fs-0: its vhost-user session replayed" "$1"' _ "$state/keel-host.log"
# (a restarted virtiofsd has once exited 0 again and been restarted a second
# time, within the 5 s; the log then says why)
fs_restarts=$(js '[h["restarts"] for h in d["helpers"] if h["name"]=="fs-0"][0]')
check "status counts the restart (restarts ${fs_restarts:-?}; the log: $(grep 'fs-0: ' "$state/keel-host.log" | tail -n 6 | tr '\n' '|'))" \
	bash -c '[ "${1:-0}" -ge 1 ] && grep -q "fs-0: killed by signal 9; restart 1" "$2"' _ "$fs_restarts" "$state/keel-host.log"
check "docker ps through the host socket works (the VM was not restarted)" docker ps
check "a container writes through the share again; the host sees it as the user" \
	bash -c 'docker() { DOCKER_HOST=unix://$1 "$2" "${@:3}"; }; docker "$1" "$2" run --rm -v "$3:$3" "$4" sh -c "echo again > $3/new" && [ "$(cat "$3/new")" = again ] && [ "$(stat -c %u "$3/new")" = "$5" ]' \
	_ "$sock" "$DOCKER" "$TMP/share" "$BB" "$TEST_UID"
check "VM root lists the share's directory (a name cached before the restart)" \
	bash -c 'docker() { DOCKER_HOST=unix://$1 "$2" "${@:3}"; }; docker "$1" "$2" run --rm --privileged --pid=host --userns=host "$4" nsenter -t 1 -m ls "$3" | grep -qx file' \
	_ "$sock" "$DOCKER" "$TMP/share" "$BB"

# --- kill -9 of keel-host -----------------------------------------------------------------
q=$(cat "$state/qemu.pid") kv=$(cat "$state/keel-vsock.pid") fs=$(cat "$state/fs-0.pid")
kill -9 "$kh"
check "kill -9 of keel-host: QEMU ($q), keel-vsock ($kv) and the file server ($fs) end within 5 s" \
	wait_for 5 bash -c '! kill -0 "$1" 2>/dev/null && ! kill -0 "$2" 2>/dev/null && ! kill -0 "$3" 2>/dev/null' _ "$q" "$kv" "$fs"
check "run-vm status: not running" bash -c '! "$@" >/dev/null 2>&1' _ "${AS_USER[@]}" "$USER_TOP/scripts/run-vm" status --state-dir "$state"

# --- B: kill -9 of QEMU ---------------------------------------------------------------------
boot B --no-data --no-share || exit 1
kh=$(cat "$state/keel-host.pid") q=$(cat "$state/qemu.pid") kv=$(cat "$state/keel-vsock.pid")
kill -9 "$q"
check "kill -9 of QEMU: keel-host exits" wait_for 10 bash -c '! kill -0 "$1"' _ "$kh"
check "... after saying so (log and status)" \
	bash -c 'grep -q "qemu: killed by signal 9" "$1/keel-host.log" && grep -q "killed by signal 9" "$1/status.json"' _ "$state"
check "... and no helper of that VM is left (keel-vsock $kv)" bash -c '! kill -0 "$1" 2>/dev/null' _ "$kv"
check "... nor its docker socket" test ! -e "$sock"
