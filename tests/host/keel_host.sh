#!/usr/bin/env bash
# keel_host.sh: keel-host's supervision and run-vm's config file, with no VM
# (docs/host-daemon.md). As an ordinary user (tests/lib-user.sh). A dummy
# "QEMU" (conn_tool-free python: it connects to the console socket, writes,
# and sleeps) and dummy helpers (a unix listener each) stand in for the real
# processes; the daemon cannot tell.
#   - helpers start in order, each once its socket exists; pid files, status.json
#   - kill -9 of a helper: restarted with backoff, counted in status.json
#   - a helper marked --reboot-on-death: its death restarts "QEMU" and every helper
#   - the console log is bounded (console.log + console.log.1)
#   - the docker socket is served (mode 0600) and removed at exit
#   - kill -9 of "QEMU": the daemon says so, stops every helper and exits 1
#   - kill -9 of the daemon: nothing it started keeps running
#   - a helper whose socket never appears: start fails, nothing left
#   - run-vm start with a bad config key or value: refused, file:line and key
#     named, before anything runs
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-user.sh"
user_setup
KH=$USER_TOP/build/keel-host
[ -x "$KH" ] || { fail "prerequisite: $KH missing (make)"; exit 1; }

cat > "$TMP/helper.py" <<'PY'
import signal, socket, sys, time
# SIGUSR1: exit 0, as a vhost-user backend does when QEMU closes its socket
signal.signal(signal.SIGUSR1, lambda *a: sys.exit(0))
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen()
time.sleep(100000)
PY
cat > "$TMP/qemu.py" <<'PY'
import os, socket, sys, time
# like QEMU: a pid file, the console as a socket client
open(sys.argv[1] + "/qemu.pid", "w").write("%d\n" % os.getpid())
c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1] + "/console.sock")
c.sendall(b"timeline: kernel 1\n" + b"x" * 99 + b"\n")
for i in range(int(sys.argv[2])):
    c.sendall(b"y" * 1023 + b"\n")
time.sleep(100000)
PY
chmod a+r "$TMP"/*.py

st=$TMP/st
as_user mkdir -m 0700 "$st"
kh_pid=
start_kh() {   # start_kh [EXTRA ARGS...]: keel-host with two helpers and the dummy QEMU
	rm -f "$st/qemu.pid"
	"${AS_USER[@]}" "$KH" --state "$st" --hybrid "$st/vsock.sock" --docker-sock "$st/docker.sock" \
		--console-max 16384 --info accel=none "$@" \
		--helper h1 "$st/h1.sock" - 3 python3 "$TMP/helper.py" "$st/h1.sock" \
		--helper h2 "$st/h2.sock" - 3 python3 "$TMP/helper.py" "$st/h2.sock" \
		${reboot_on:+--reboot-on-death "$reboot_on"} \
		--qemu 4 python3 "$TMP/qemu.py" "$st" 40 >>"$TMP/kh.log" 2>&1 &
	kh_pid=$!
	wait_for 10 test -s "$st/qemu.pid"
}
on_exit '[ -n "$kh_pid" ] && kill -9 $kh_pid 2>/dev/null'
js() { jget @"$st/status.json" "$1" 2>/dev/null; }
helper_pid() { js "[h['pid'] for h in d['helpers'] if h['name']=='$1'][0]"; }
alive() { kill -0 "$1" 2>/dev/null; }

start_kh
check "helpers and QEMU started" test -s "$st/qemu.pid"
h1=$(cat "$st/h1.pid" 2>/dev/null) h2=$(cat "$st/h2.pid" 2>/dev/null) q=$(cat "$st/qemu.pid" 2>/dev/null)
order=$(grep -oE '(h1: running|h2: running|qemu: started)' "$TMP/kh.log" | tr '\n' ',')
check "order: h1, then h2 (each after its socket), then QEMU ($order)" test "$order" = "h1: running,h2: running,qemu: started,"
check "status.json: both helpers running, VM running" \
	test "$(js '[h["state"] for h in d["helpers"]] + [d["vm"]["state"]]')" = "['running', 'running', 'running']"
check "keelctl status shows them (as the user)" \
	bash -c 'out=$("$@"); grep -q "h1 .*running" <<< "$out" && grep -q "^vm .*running (accel none" <<< "$out"' \
	_ "${AS_USER[@]}" "$USER_TOP/build/keelctl" status --state-dir "$st"
check "the docker socket is served, mode 0600, as the user" \
	wait_for 5 bash -c 'test "$(stat -c "%F %a %U" "$1")" = "socket 600 $2"' _ "$st/docker.sock" "$TEST_USER"

# restart with backoff
kill -9 "$h1"
check "kill -9 of h1: restarted with a new pid" \
	wait_for 5 bash -c 'p=$(cat "$1/h1.pid" 2>/dev/null); [ -n "$p" ] && [ "$p" != "$2" ] && kill -0 "$p"' _ "$st" "$h1"
check "status.json counts the restart and says why (killed by signal 9)" \
	test "$(js '[(h["restarts"], h["last_exit"], h["state"]) for h in d["helpers"] if h["name"]=="h1"][0]')" = "(1, 'killed by signal 9', 'running')"
h1b=$(cat "$st/h1.pid"); kill -9 "$h1b"
sleep 0.6
check "a second death waits longer (backoff 1 s: not yet restarted after 0.6 s)" \
	bash -c '[ "$(cat "$1/h1.pid" 2>/dev/null)" = "" ]' _ "$st"
check "... and is restarted after it" \
	wait_for 5 bash -c 'p=$(cat "$1/h1.pid" 2>/dev/null); [ -n "$p" ] && [ "$p" != "$2" ]' _ "$st" "$h1b"
check "h2 and QEMU were left alone" bash -c 'kill -0 "$1" && kill -0 "$2"' _ "$h2" "$q"

# the console: 40 KiB written, bound 16 KiB
check "the console log is bounded: console.log and console.log.1, each at most 16 KiB + one write" \
	wait_for 5 bash -c 'test -s "$1/console.log.1" && test $(stat -c %s "$1/console.log") -le 33000 && test $(stat -c %s "$1/console.log.1") -le 33000' _ "$st"

# kill -9 of QEMU
h1=$(cat "$st/h1.pid")
kill -9 "$q"
check "kill -9 of QEMU: keel-host exits" wait_for 10 bash -c '! kill -0 "$1"' _ "$kh_pid"
wait "$kh_pid"; rc=$?
check "... with status 1" test "$rc" = 1
check "... and says so in its log" grep -q "qemu: killed by signal 9" "$TMP/kh.log"
check "... and in status.json" test "$(js 'd["vm"]["state"] + "/" + d["vm"]["exit"]')" = "stopped/killed by signal 9"
check "no helper of that VM is left running (h1 $h1, h2 $h2)" bash -c '! kill -0 "$1" 2>/dev/null && ! kill -0 "$2" 2>/dev/null' _ "$h1" "$h2"
check "the docker socket is gone" test ! -e "$st/docker.sock"
check "keelctl status: not running (exit 3)" bash -c '"$@" >/dev/null; test $? = 3' _ "${AS_USER[@]}" "$USER_TOP/build/keelctl" status --state-dir "$st"

# kill -9 of the daemon
start_kh
h1=$(cat "$st/h1.pid") h2=$(cat "$st/h2.pid") q=$(cat "$st/qemu.pid")
kill -9 "$kh_pid"; wait "$kh_pid" 2>/dev/null
check "kill -9 of keel-host: QEMU and every helper end (death signal; pids $h1 $h2 $q)" \
	wait_for 5 bash -c '[ -n "$1" ] && [ -n "$2" ] && [ -n "$3" ] && ! kill -0 "$1" 2>/dev/null && ! kill -0 "$2" 2>/dev/null && ! kill -0 "$3" 2>/dev/null' _ "$h1" "$h2" "$q"

# a vital helper: its death restarts the VM
reboot_on=h1 start_kh
h1=$(cat "$st/h1.pid") h2=$(cat "$st/h2.pid") q=$(cat "$st/qemu.pid")
kill -USR1 "$h1"
sleep 1
check "--reboot-on-death h1: h1 exiting 0 (QEMU closed its socket) restarts nothing" \
	bash -c 'kill -0 "$1" && kill -0 "$2" && [ "$3" = stopped ]' _ "$q" "$h2" "$(js '[h["state"] for h in d["helpers"] if h["name"]=="h1"][0]')"
kill -TERM "$kh_pid"; wait_for 20 bash -c '! kill -0 "$1"' _ "$kh_pid"
reboot_on=h1 start_kh
h1=$(cat "$st/h1.pid") h2=$(cat "$st/h2.pid") q=$(cat "$st/qemu.pid")
kill -9 "$h1"
check "--reboot-on-death h1: kill -9 of h1 stops QEMU ($q) and h2 ($h2)" \
	wait_for 10 bash -c '! kill -0 "$1" 2>/dev/null && ! kill -0 "$2" 2>/dev/null' _ "$q" "$h2"
check "... then starts h1, h2 and QEMU again" \
	wait_for 10 bash -c 'for n in h1 h2 qemu; do p=$(cat "$1/$n.pid" 2>/dev/null); [ -n "$p" ] && kill -0 "$p" || exit 1; done
		[ "$(cat "$1/qemu.pid")" != "$2" ]' _ "$st" "$q"
check "status.json: VM running after 1 reboot" test "$(js 'd["vm"]["state"] + "/" + str(d["vm"]["reboots"])')" = "running/1"
kill -TERM "$kh_pid"
check "SIGTERM (no agent, no QMP): QEMU is quit, keel-host exits" wait_for 20 bash -c '! kill -0 "$1"' _ "$kh_pid"
reboot_on=

# a helper that never makes its socket
"${AS_USER[@]}" "$KH" --state "$st" --hybrid "$st/vsock.sock" \
	--helper dud "$st/never.sock" - 2 sleep 300 --qemu 2 sleep 300 >"$TMP/kh2.log" 2>&1 &
p=$!
wait_for 5 test -s "$st/dud.pid"; dud=$(cat "$st/dud.pid" 2>/dev/null)
check "a helper without its socket after 10 s: keel-host fails" wait_for 15 bash -c '! kill -0 "$1"' _ "$p"
check "... naming it" grep -q "dud: no socket at $st/never.sock" "$TMP/kh2.log"
check "... and stops it (pid ${dud:-?}), never starting QEMU" \
	bash -c '[ -n "$1" ] && ! kill -0 "$1" 2>/dev/null && ! grep -q "qemu: started" "$2"' _ "$dud" "$TMP/kh2.log"

# the config file
RV=$USER_TOP/scripts/run-vm
cfg=$TMP/keel.conf
printf '# mine\ncpus = 2\nmemroy = 4096\n' > "$cfg"; chmod a+r "$cfg"
out=$(as_user "$RV" start --state-dir "$TMP/cst" --config "$cfg" 2>&1); rc=$?
check "a config with an unknown key: start refuses, naming file, line and key ($out)" \
	bash -c '[ "$1" != 0 ] && [[ "$2" == *"$3:3: unknown key '"'"'memroy'"'"'"* ]]' _ "$rc" "$out" "$cfg"
check "... before anything runs (no state dir made)" test ! -e "$TMP/cst"
printf 'cpus = many\n' > "$cfg"
out=$(as_user "$RV" start --state-dir "$TMP/cst" --config "$cfg" 2>&1); rc=$?
check "a bad value: refused with the key named ($out)" \
	bash -c '[ "$1" != 0 ] && [[ "$2" == *":1: key '"'"'cpus'"'"': '"'"'many'"'"'"* ]]' _ "$rc" "$out"
printf 'publish = maybe\n' > "$cfg"
out=$(as_user "$RV" start --state-dir "$TMP/cst" --config "$cfg" 2>&1); rc=$?
check "publish = maybe: refused ($out)" bash -c '[ "$1" != 0 ] && [[ "$2" == *"key '"'"'publish'"'"'"* ]]' _ "$rc" "$out"
out=$(as_user "$RV" start --state-dir "$TMP/cst" --config "$TMP/none.conf" 2>&1); rc=$?
check "a --config that does not exist: refused ($out)" bash -c '[ "$1" != 0 ] && [[ "$2" == *"no such file"* ]]' _ "$rc" "$out"
# a good file: its values reach keel-host, and flags override them
printf 'cpus = 3\nmemory = 1536\npublish = off\ntime-sync-interval = 7\n' > "$cfg"
as_user "$RV" start --state-dir "$TMP/cst" --config "$cfg" --memory 1024 --no-share --no-data \
	--kernel "$TMP/none" >/dev/null 2>&1
check "a good config passes the parse (start goes on to the missing kernel)" test -d "$TMP/cst"
