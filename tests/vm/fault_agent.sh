#!/usr/bin/env bash
# fault_agent.sh: faults and hostile input around the agent, in one boot of
# the product image (512 MiB, no data disk, one real share and one share tag
# that no device carries). Checks (docs/faults.md):
#   - a share tag without a device is reported in Health; the boot goes on
#   - from inside the VM (privileged root container, default container) no
#     vsock connect reaches the agent; no vsock loopback; no guest CID 2; a
#     default container cannot even make an AF_VSOCK socket (seccomp, EPERM)
#   - no init/agent fd in dockerd, containerd or a container; dockerd's
#     signal mask and dispositions are clean
#   - kill -9 of the agent: init restarts it, a watching keelctl publish
#     --auto serves the container's port again within 5 s
#   - a container eats memory until the OOM killer acts: init and the agent
#     live on (oom_score_adj -1000/-999), Health answers within 5 s
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
. "$TOP/tests/faults/lib-fault.sh"

img_require "$PROBE"
t_file=$(date +%s%3N)
as_user sh -c "mkdir -p '$TMP/share' && echo x > '$TMP/share/x'"
boot boot --no-data --memory 512 --share "$TMP/share:real" \
	--append "keel.share=ghost:/mnt/host/ghost:virtiofs" || exit 1
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
check "docker import of the fault image (busybox + fault_probe)" fault_image
check "privileged tool container (pid, user, net namespaces of the VM)" start_tool

# --- a share tag no device carries ---------------------------------------------
h=$(health_json)
ghost=$(jget "$h" '"".join(m["error"] for m in h["mounts"] if m["path"] == "/mnt/host/ghost")')
check "dangling share: Health lists /mnt/host/ghost with an error ($ghost)" test -n "$ghost"
check "dangling share: Health status $(jget "$h" 'h["status"]') names it ($(jget "$h" '"; ".join(h["reasons"])'))" \
	bash -c '[ "$1" != ok ] && [[ "$2" == *ghost* ]]' _ "$(jget "$h" 'h["status"]')" "$(jget "$h" '" ".join(h["reasons"])')"
check "dangling share: the other share is mounted" \
	test "$(jget "$h" '[m.get("error", "") for m in h["mounts"] if m["path"] == "'"$TMP/share"'"]')" = "['']"
check "dangling share: the boot went on (dockerd ready)" test "$(jget "$h" 'h["docker_ready"]')" = True
check "dangling share: the real share is readable in the VM, at its host path" test "$(tool "cat /host$TMP/share/x")" = x

# --- no vsock path from the guest to the agent ----------------------------------
agent0=$(vm_pid keel-agent)
tool 'for c in 1 3 2; do fault_probe vsock $c 1024; done; fault_probe vsock 2 1025
	fault_probe vsock-bind 2 1024; fault_probe local-cid
	[ -e /proc/net/vsock ] && echo procnet present || echo procnet absent' > "$TMP/vs-priv" 2>&1
docker run --rm "$FIMG" /bin/sh -c 'fault_probe vsock-socket; for c in 1 3 2; do fault_probe vsock $c 1024; done
	fault_probe vsock-bind 2 1024' > "$TMP/vs-default" 2>&1
sed 's/^/  privileged: /' "$TMP/vs-priv"; sed 's/^/  default: /' "$TMP/vs-default"
has() { grep -qx "$2" "$TMP/vs-$1"; }
check "guest CID is 3 (host-assigned)" has priv "local-cid 3"
# no vsock_loopback transport: CID 1 is sent out to the host, which drops it
check "privileged root: connect CID 1 (loopback) fails (no loopback transport)" has priv "vsock 1 1024 err ETIMEDOUT"
check "privileged root: connect own CID 3 fails (ENODEV: no local transport)" has priv "vsock 3 1024 err ENODEV"
check "privileged root: connect CID 2:1024 goes to the host, refused" has priv "vsock 2 1024 err ECONNRESET"
check "privileged root: connect CID 2:1025 goes to the host, refused" has priv "vsock 2 1025 err ECONNRESET"
check "privileged root: cannot bind CID 2 (cannot pose as the host)" has priv "vsock-bind 2 1024 err EADDRNOTAVAIL"
check "no /proc/net/vsock" has priv "procnet absent"
# Docker 26's default seccomp profile refuses socket(AF_VSOCK) (moby PR
# 44562); the 32-bit socketcall(2) way around it does not exist, since the
# kernel has no IA32 emulation (tests/host/kernel_config.sh)
check "default container: socket(AF_VSOCK) fails with EPERM (seccomp)" has default "vsock-socket err EPERM"
check "default container: connect CID 1 fails" grep -qE '^vsock 1 1024 err ' "$TMP/vs-default"
check "default container: connect CID 3 fails" grep -qE '^vsock 3 1024 err ' "$TMP/vs-default"
check "default container: connect CID 2:1024 fails" grep -qE '^vsock 2 1024 err ' "$TMP/vs-default"
check "default container: cannot bind CID 2" grep -qE '^vsock-bind 2 1024 err ' "$TMP/vs-default"
check "the agent still serves the host (keelctl version)" keelctl version
check "the agent was not restarted by the probes" test "$(vm_pid keel-agent)" = "$agent0"

# --- fd and signal hygiene --------------------------------------------------------
docker run -d --name ctr "$FIMG" /bin/sleep 100000 >/dev/null
ctr=$(docker inspect --format '{{.State.Pid}}' ctr)
dockerd=$(vm_pid dockerd) containerd=$(vm_pid containerd)
tool "fault_probe fds 1 $agent0 $dockerd $containerd $ctr" > "$TMP/fds" 2>&1
check "fd listing of init, agent, dockerd, containerd, a container ($(grep -c '^fd ' "$TMP/fds") fds)" \
	test "$(grep -c "^fd $dockerd " "$TMP/fds")" -gt 3
check "no init/agent fd (pipe, socket, /run/keel file, signalfd, timerfd, epoll) in dockerd, containerd or a container" \
	python3 "$TOP/tests/faults/fd_leaks.py" "$TMP/fds" "1,$agent0" "$dockerd:3,$containerd:3,$ctr"
check "dockerd's stdin is /dev/null" grep -qE "^fd $dockerd 0 [0-9:]+ /dev/null$" "$TMP/fds"
check "the check sees init's own objects (its signalfd)" grep -qE "^fd 1 [0-9]+ [0-9:]+ anon_inode:\[signalfd\]$" "$TMP/fds"
# A Go program's threads block signals for moments of their own (around
# clone): the mask it runs with is the AND over its threads, which an
# inherited mask would leave non-zero. The fresh process is exec'd straight
# by runc (no shell, which would ignore SIGQUIT).
mask() {
	local m=-1 v
	for v in $(tool "cat /proc/$1/task/*/status" | awk -v k="$2:" '$1 == k {print $2}'); do
		m=$(( m & 0x$v ))
	done
	printf '%016x' "$m"
}
blk_init=$(mask 1 SigBlk) blk_d=$(mask "$dockerd" SigBlk) ign_d=$(mask "$dockerd" SigIgn)
blk_ctr=$(mask "$ctr" SigBlk) ign_ctr=$(mask "$ctr" SigIgn)
fresh=$(docker exec tool /bin/grep -E '^Sig(Blk|Ign):' /proc/self/status | awk '{printf "%s/", $2}')
echo "  SigBlk init $blk_init dockerd $blk_d container $blk_ctr; SigIgn dockerd $ign_d container $ign_ctr; fresh Blk/Ign $fresh"
check "init blocks its signals (SigBlk $blk_init): the mask a leak would show" test "$blk_init" != 0000000000000000
check "a fresh process: SigBlk 0, SigIgn 0 ($fresh)" test "$fresh" = 0000000000000000/0000000000000000/
check "dockerd: SigBlk 0 over all its threads ($blk_d)" test "$blk_d" = 0000000000000000
# Docker 26's dockerd ignores SIGPIPE itself at start (bit 12; 20.10 did
# not): anything else ignored would have come from init.
check "dockerd: SigIgn nothing but its own SIGPIPE ($ign_d)" \
	bash -c '[ "$1" = 0000000000000000 ] || [ "$1" = 0000000000001000 ]' _ "$ign_d"
check "container process: SigBlk 0, SigIgn 0 ($blk_ctr, $ign_ctr)" \
	test "$blk_ctr/$ign_ctr" = 0000000000000000/0000000000000000
docker rm -f ctr >/dev/null

# --- kill -9 the agent under a watching keelctl publish --auto --------------------
port=$(( 30000 + $$ % 20000 ))
fetch() { python3 -c 'import sys,urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/hello" % sys.argv[1], timeout=2).read().decode().strip())' "$port" 2>/dev/null; }
docker run -d --name web -p "$port:8080" "$FIMG" /bin/httpd -f -p 8080 -h /bin >/dev/null
# the binary itself, not the keelctl function: then $! is what to kill
"${AS_USER[@]}" "$KEELCTL" --hybrid "$state/vsock.sock" publish --auto > "$TMP/publish.log" 2>&1 &
pub=$!
on_exit "kill $pub 2>/dev/null"
check "publish --auto: the container's port $port answers on the host" wait_for 20 fetch
# the CLI may see EOF: its request goes through the agent it kills. The
# clock starts when it returns (the kill has run by then), not before: under
# TCG on a loaded host the exec itself took seconds.
docker exec -d tool /bin/kill -9 "$agent0" >/dev/null 2>&1
t0=$(date +%s%3N)
check "keelctl publish notices the agent went away" wait_for 10 grep -q 'agent went away' "$TMP/publish.log"
if wait_for 10 fetch; then
	back_ms=$(( $(date +%s%3N) - t0 ))
	check "forward works again ${back_ms} ms after kill -9 (bound 5000 ms)" test "$back_ms" -le 5000
	record_metric vm_fault_agent_kill_to_forward_ms "$back_ms"
else
	fail "forward did not come back within 10 s of kill -9: $(tr '\n' '|' < "$TMP/publish.log")"
fi
check "keelctl publish is still running" kill -0 "$pub"
agent1=$(vm_pid keel-agent)
check "init restarted the agent (pid $agent0 -> $agent1)" bash -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$agent1" "$agent0"
h=$(health_json)
check "Health: agent restarts 1, last exit signal:9" \
	test "$(jget "$h" '[(s["restarts"], s.get("last_exit", "")) for s in h["services"] if s["name"] == "agent"]')" = "[(1, 'signal:9')]"
kill "$pub" 2>/dev/null; wait "$pub" 2>/dev/null

# --- a container eats memory until the OOM killer acts ---------------------------
adj=$(tool "cat /proc/1/oom_score_adj /proc/$agent1/oom_score_adj" | tr '\n' ' ')
check "oom_score_adj: init -1000, agent -999 ($adj)" test "$adj" = "-1000 -999 "
check "console: init could set its oom_score_adj (no 'cannot set oom_score_adj')" \
	bash -c '! grep -a "cannot set oom_score_adj" "$1"' _ "$state/console.log"
dockerd0=$(vm_pid dockerd)
t0=$(date +%s%3N)
# Containers live under init's /containers cgroup with a memory ceiling, so
# the memory cgroup kills the hog before the VM runs short (without it the
# kernel thrashed for 26-337 s under TCG before the global OOM killer acted).
timeout "${FAULT_OOM_BOUND_S:-900}" env DOCKER_HOST="unix://$TMP/docker.sock" \
	"$DOCKER" run --name hog "$FIMG" /bin/fault_probe hog 64 > "$TMP/hog.log" 2>&1
rc=$? t1=$(date +%s%3N)
[ "$rc" = 124 ] && fail "no OOM kill within ${FAULT_OOM_BOUND_S:-900} s"
echo "  hog: exit $rc after $(( t1 - t0 )) ms, $(tail -n1 "$TMP/hog.log")"
record_metric vm_fault_oom_hog_run_ms $(( t1 - t0 ))
if h=$(health_within 5); then
	pass "Health answered $(( $(date +%s%3N) - t1 )) ms after the OOM kill (bound 5 s)"
else
	fail "Health did not answer within 5 s of the OOM kill"
fi
check "the hog was killed by SIGKILL (exit $rc)" test "$rc" = 137
tool 'dmesg | grep "Killed process"' > "$TMP/oom" 2>&1
check "the kernel OOM killer killed the hog: $(head -n1 "$TMP/oom" | cut -c1-80)" grep -q '(fault_probe)' "$TMP/oom"
check "it was the containers' memory cgroup that ran out, not the VM" grep -q 'Memory cgroup out of memory' "$TMP/oom"
check "the OOM killer killed nothing else" test "$(grep -c 'Killed process' "$TMP/oom")" = "$(grep -c '(fault_probe)' "$TMP/oom")"
check "agent survived (same pid $agent1)" test "$(vm_pid keel-agent)" = "$agent1"
check "init is PID 1 still (the VM runs)" test "$(tool 'cat /proc/1/comm')" = init
check "dockerd survived (same pid $dockerd0)" test "$(vm_pid dockerd)" = "$dockerd0"
dready() { [ "$(jget "$(health_json)" 'h["docker_ready"]')" = True ]; }
check "dockerd answers /_ping again after the OOM (Health, within 60 s)" wait_for 60 dready

stop_docker_proxy
check "run-vm stop" run_vm stop --state-dir "$state"
echo "fault_agent.sh: $(( ($(date +%s%3N) - t_file) / 1000 )) s"
