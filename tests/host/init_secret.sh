#!/usr/bin/env bash
# The host's secret from fw_cfg to the agent (docs/threat-model.md): keel-init
# reads BY_NAME/opt/keel/secret/raw under --fw-cfg DIR (the real one is
# /sys/firmware/qemu_fw_cfg) once, keeps it in a sealed memfd and hands it as
# fd 4 (KEEL_SECRET_FD=4) to services marked `secret` -- here the real agent
# on unix sockets -- and to no other service. keelctl with the same bytes is
# let in, without them refused; after kill -9 the restarted agent gets it
# again. Without the fw_cfg entry init boots on and says so. (The agent runs
# in the host's network namespace here: --host-address= --dns-address= keep
# it off the host's lo.)
. "$(dirname "$0")/lib-init.sh"
init_require init_secret
FW=$TMP/fw_cfg
mkdir -p "$FW/by_name/opt/keel/secret"
head -c 32 /dev/urandom > "$FW/by_name/opt/keel/secret/raw"
cp "$FW/by_name/opt/keel/secret/raw" "$TMP/secret"
CTL=$TMP/ctl.sock
cat > "$TMP/services" <<EOS
service agent
exec $B/keel-agent --no-vsock --control-uds $CTL --forward-uds $CTL-forward --run-dir $RUN --host-address= --dns-address=
ready notify
secret
service other
exec $SVC --name other --events $EV --report $TMP/other.report
EOS
mkdir -p "$RUN"
init_start --fw-cfg "$FW"
KC=("$B/keelctl" --uds "$CTL" --timeout 5000)
check "the agent (a 'secret' service) is ready" wait_for 10 state_is agent ready
check "keelctl with the fw_cfg bytes is let in" "${KC[@]}" --secret "$TMP/secret" version
out=$("${KC[@]}" version 2>&1); rc=$?
check "keelctl without them is refused (rc $rc: $out)" bash -c '[ "$1" = 1 ] && [[ "$2" == *"not authenticated"* ]]' _ "$rc" "$out"
check "another service gets no fd 4 and no KEEL_SECRET_FD" bash -c \
	'wait_for() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
	 wait_for "$1" && ! grep -q KEEL_SECRET_FD "$1" && ! grep -qE "(^|[ ,])4([ ,:]|$)" <(grep -i "^fds" "$1")' _ "$TMP/other.report"
apid=$(pgrep -P "$INIT_PID" -x keel-agent)   # the host's pid (the status file has the namespace's)
check "init keeps one sealed memfd; the agent (pid $apid) closed its copy" bash -c \
	'[ -n "$2" ] && [ "$(ls -l /proc/$1/fd | grep -c keel-secret)" = 1 ] && [ -d /proc/$2/fd ] && [ "$(ls -l /proc/$2/fd | grep -c keel-secret)" = 0 ]' _ "$INIT_PID" "$apid"
[ -n "$apid" ] && kill -KILL "$apid"
restarted() { local p; p=$(pgrep -P "$INIT_PID" -x keel-agent) && [ -n "$p" ] && [ "$p" != "$apid" ] && state_is agent ready; }
check "after kill -9 the agent is restarted" wait_for 10 restarted
wait_for 5 test -S "$CTL"
check "... and gets the secret again" wait_for 5 "${KC[@]}" --secret "$TMP/secret" version
init_kill

rm -rf "$FW"
init_start --fw-cfg "$FW"
check "no fw_cfg entry: the boot goes on, the agent is ready" wait_for 10 state_is agent ready
check "... init says the agent refuses host streams" grep -q "no fw_cfg opt/keel/secret" "$LOG"
check "... and on its unix sockets (mode 0600) it asks for none" "${KC[@]}" version
init_kill
