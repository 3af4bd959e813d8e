#!/usr/bin/env bash
# Every control RPC through keelctl --json against a real agent on AF_UNIX,
# with the values checked: version, health (services from a status file, a
# share mounted in the agent's mount namespace), ports (a listener this test
# opened, with its pid), watch, time, power, mount/unmount, netconfig.
. "$(dirname "$0")/lib-agent.sh"

cat > "$RUN/status" <<'ST'
init 1 120
data disk /dev/vdb
service containerd ready 4242 0 -
service dockerd ready 4343 1 exit:1
ST
# A stand-in for init that records the power signals it gets.
bash -c "trap 'echo TERM >> $TMP/sig' TERM; trap 'echo USR1 >> $TMP/sig' USR1; while :; do sleep 0.05; done" &
INIT=$!
on_exit "kill -9 $INIT 2>/dev/null"
start_agent --init-pid "$INIT"

out=$("${KC[@]}" --json version)
check "version: compatible 1.x" test "$(jget - 'd["agent_major"], d["compatible"]' <<<"$out")" = "(1, True)"

# --- health: services from the status file, a share, space, clock ---------
mkdir -p "$SHARE/tag1"
# init publishes each share it mounted; a share may be at any path
echo "share tag1 $SHARE/tag1 virtiofs mounted" >> "$RUN/status"
nsenter --mount="/proc/$AGENT_PID/ns/mnt" mount -t tmpfs -o ro,nosuid tag1 "$SHARE/tag1"
out=$("${KC[@]}" --json health)
check "health: services from init's status" test \
	"$(jget - '[(s["name"], s["state"], s["pid"], s["last_exit"]) for s in d["services"]]' <<<"$out")" = \
	"[('containerd', 'ready', 4242, ''), ('dockerd', 'ready', 4343, 'exit:1')]"
check "health: share in the agent's mount namespace reported" test \
	"$(jget - '[(m["source"], m["fstype"], m["read_only"]) for m in d["mounts"] if m["role"] == "share" and m["path"] == args[0]]' "$SHARE/tag1" <<<"$out")" = "[('tag1', 'tmpfs', True)]"
check "health: degraded without dockerd, with reasons" test \
	"$(jget - 'd["status"], d["docker_ready"], any("dockerd" in r for r in d["reasons"])' <<<"$out")" = "('degraded', False, True)"
check "health: data state, memory, clock" jget --test "$out" 'd["data_state"] == "disk"
and d["mem_total_kib"] > 0 and 0 < d["mem_available_kib"] <= d["mem_total_kib"]
and d["var_lib_total_bytes"] >= d["var_lib_free_bytes"] > 0
and abs(d["clock_unix_ns"] / 1e9 - time.time()) < 5
and d["uptime_ms"] > 0 and d["agent"].startswith("keel-agent")'
echo "service dockerd failed 0 5 exit:1" >> "$RUN/status"
out=$("${KC[@]}" --json health)
check "health: a failed service makes it failed" test "$(jget - 'd["status"]' <<<"$out")" = failed
# dockerd answering /_ping (a fake HTTP server on the socket) is seen.
printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK' > "$TMP/pong"
socat UNIX-LISTEN:"$TMP/docker.sock",fork SYSTEM:"cat $TMP/pong" 2>/dev/null &
on_exit "kill $! 2>/dev/null"
wait_for 3 test -S "$TMP/docker.sock"
sleep 1.1  # the previous ping result is cached for 1 s
out=$("${KC[@]}" --json health)
check "health: dockerd /_ping seen" test "$(jget - 'd["docker_ready"]' <<<"$out")" = True

# --- unmount / mount -------------------------------------------------------
check "unmount: share" "${KC[@]}" --json unmount "$SHARE/tag1"
out=$("${KC[@]}" --json health)
check "unmount: share gone from health" test "$(jget - '[m for m in d["mounts"] if m["role"] == "share"]' <<<"$out")" = "[]"
out=$("${KC[@]}" --json mount tag2 /etc/x); rc=$?
check "mount: at a system path (/etc/x) refused (exit 1, EINVAL)" test "$rc:$(jget - 'd["error"]["code"]' <<<"$out")" = "1:22"
out=$("${KC[@]}" --json mount tag2 "$SHARE/tag2"); rc=$?
check "mount: virtiofs without a device fails with its errno" test "$rc:$(jget - 'd["error"]["code"] != 22' <<<"$out")" = "1:True"
check "mount: the mount point was made (mountpoint_prepare)" test -d "$SHARE/tag2"

# --- ports -------------------------------------------------------------------
PORT=$((20000 + RANDOM % 20000))
guest_listen $PORT; L1=$LPID
wait_for 5 sh -c "\"\${0}\" --uds $CTL ports | grep -q ' $PORT '" "$KEELCTL"
out=$("${KC[@]}" --json ports)
check "ports: our listener with our pid" test \
	"$(jget - '[(p["transport"], p["address"], p["pid"]) for p in d["ports"] if p["port"] == int(args[0])]' $PORT <<<"$out")" = "[('tcp', '127.0.0.1', $L1)]"
"${KC[@]}" --json ports --watch > "$TMP/watch" &
WPID=$!
on_exit "kill $WPID 2>/dev/null"
wait_for 5 test -s "$TMP/watch"
guest_listen $((PORT + 1)); L2=$LPID
check "watch: added event with pid" wait_for 3 grep -q "\"added\".*\"port\":$((PORT + 1)),\"pid\":$L2" "$TMP/watch"
kill $L2
check "watch: removed event" wait_for 3 grep -q "\"removed\".*\"port\":$((PORT + 1))," "$TMP/watch"
kill $L1

# --- time ----------------------------------------------------------------------
out=$("${KC[@]}" --json time-sync --threshold-ms 3600000)
check "time-sync: drift near zero, not stepped" jget --test "$out" 'abs(d["drift_ns"]) < 2e9 and not d["stepped"]'
out=$("${KC[@]}" --json time-sync --offset-ms 5000 --threshold-ms 3600000)
check "time-sync: a host 5 s ahead gives drift -5 s" jget --test "$out" 'abs(d["drift_ns"] + 5e9) < 2e9 and not d["stepped"]'

# --- netconfig -----------------------------------------------------------------
in_guest ip link add dummy0 type veth peer name dummy0p
in_guest ip link set dummy0p up
out=$("${KC[@]}" --json netconfig 10.77.0.5/24 --interface dummy0 --gateway 10.77.0.1 --dns 10.77.0.53)
check "netconfig: ok" test "$out" = '{"ok":true}'
check "netconfig: address on the link" sh -c "nsenter --net=/proc/$AGENT_PID/ns/net ip -4 addr show dummy0 | grep -q 10.77.0.5/24"
check "netconfig: default route" sh -c "nsenter --net=/proc/$AGENT_PID/ns/net ip route show default | grep -q 'via 10.77.0.1'"
# resolv.conf names the agent's DNS server; the NetConfig DNS is its upstream
check "netconfig: resolv.conf ($(grep -v '^# written' "$RUN/resolv.conf" | tr '\n' ' '))" \
	sh -c "grep -qx 'nameserver 192.168.65.7' '$RUN/resolv.conf' && grep -qx '# upstream 10.77.0.53' '$RUN/resolv.conf'"
out=$("${KC[@]}" --json netconfig 10.77.0.5/24 --interface nosuch0); rc=$?
check "netconfig: unknown interface is an agent error" test "$rc" = 1

# --- errors and exit codes -----------------------------------------------------
"$KEELCTL" --uds "$TMP/nothing.sock" version >/dev/null 2>&1; rc=$?
check "exit 3 when the agent cannot be reached" test "$rc" = 3
"$KEELCTL" --uds "$CTL" bogus >/dev/null 2>&1; rc=$?
check "exit 2 on usage error" test "$rc" = 2
check "every command has --help" sh -c "for c in version health ports forward publish time-sync shutdown reboot mount unmount netconfig; do $KEELCTL \$c --help | grep -q usage || exit 1; done"

# --- power (last: answered before init is signalled) ---------------------------
check "shutdown: answered" "${KC[@]}" shutdown
check "shutdown: init got SIGTERM" wait_for 3 grep -qx TERM "$TMP/sig"
check "reboot: answered" "${KC[@]}" reboot
check "reboot: init got SIGUSR1" wait_for 3 grep -qx USR1 "$TMP/sig"
check "agent still alive" kill -0 "$AGENT_PID"
