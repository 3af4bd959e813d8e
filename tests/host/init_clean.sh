#!/usr/bin/env bash
# Children get a clean signal mask, default dispositions, a clean environment
# and no leaked fds, even when init itself inherited ignored signals and an
# open fd without CLOEXEC.
. "$(dirname "$0")/lib-init.sh"
init_require init_clean
cat > "$TMP/services" <<EOS
service plain
exec $SVC --name plain --events $EV --report $TMP/plain

service notified
exec $SVC --name notified --events $EV --report $TMP/notified --ready-after 0
ready notify
env KEEL_TEST=1
EOS
export KEEL_LEAK=1
exec 7</dev/null
trap '' HUP USR2          # inherited as SIG_IGN by unshare and keel-init
init_start
trap - HUP USR2
exec 7<&-
wait_for 5 state_is notified ready || { fail "init_clean: services not ready"; cat "$LOG"; exit 0; }
igninit=$(awk '/^SigIgn:/ { print $2 }' "/proc/$INIT_PID/status")
echo "keel-init SigIgn $igninit, fd 7: $(ls -l /proc/$INIT_PID/fd/7 2>&1 | sed 's/.*-> //')"
for s in plain notified; do
	check "init_clean: $s SigBlk empty" grep -q '^SigBlk:[[:space:]]*0000000000000000$' "$TMP/$s"
	check "init_clean: $s SigIgn empty" grep -q '^SigIgn:[[:space:]]*0000000000000000$' "$TMP/$s"
	check "init_clean: $s env has no KEEL_LEAK" bash -c "! grep -q KEEL_LEAK $TMP/$s"
done
check "init_clean: plain has fds 0 1 2 only" grep -qx 'fds: 0 1 2' "$TMP/plain"
check "init_clean: notified has fds 0 1 2 3" grep -qx 'fds: 0 1 2 3' "$TMP/notified"
check "init_clean: KEEL_READY_FD=3 set" grep -qx 'env: KEEL_READY_FD=3' "$TMP/notified"
check "init_clean: table env passed" grep -qx 'env: KEEL_TEST=1' "$TMP/notified"
