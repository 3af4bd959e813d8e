#!/usr/bin/env bash
# SIGTERM to init stops the services in reverse order, each within its grace
# (SIGKILL after it), and init ends the namespace through reboot(2).
# SIGUSR1 does the same with a reboot.
. "$(dirname "$0")/lib-init.sh"
init_require init_shutdown
cat > "$TMP/services" <<EOS
service a
exec $SVC --name a --events $EV
grace 1000

service b
exec $SVC --name b --events $EV --term-delay 200
after a
grace 2000

service c
exec $SVC --name c --events $EV --ignore-term
after b
grace 600
EOS
init_start
wait_for 5 state_is c ready || { fail "init_shutdown: services not up"; exit 0; }
# A stray process outside the table must be killed too.
t0=$(date +%s%N)
kill -TERM "$INIT_PID"
init_wait_exit 15
total=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$INIT_RC" = 130 ] && pass "init_shutdown: namespace ended by reboot(POWER_OFF) (rc 130) after $total ms" ||
	fail "init_shutdown: unshare rc $INIT_RC"
tc=$(event_ms term c) tb=$(event_ms term b) eb=$(event_ms exit b) ta=$(event_ms term a) ea=$(event_ms exit a)
echo "term c $tc, term b $tb, exit b $eb, term a $ta, exit a $ea"
if [ -n "$tc" ] && [ -n "$tb" ] && [ -n "$ta" ] && [ "$tc" -le "$tb" ] && [ "$eb" -le "$ta" ]; then
	pass "init_shutdown: stopped in reverse order c, b, a"
else
	fail "init_shutdown: order wrong or incomplete"
fi
# c ignores SIGTERM: SIGKILL after its 600 ms grace, not before, not much later.
gap=$((tb - tc))
[ "$gap" -ge 590 ] && [ "$gap" -lt 1600 ] && pass "init_shutdown: c killed after its 600 ms grace ($gap ms)" ||
	fail "init_shutdown: c lasted $gap ms after SIGTERM"
grep -q 'service c stopped (signal:9)' "$LOG" && pass "init_shutdown: c got SIGKILL" || fail "init_shutdown: c not killed"
[ "$((eb - tb))" -lt 2000 ] && grep -q 'service b stopped (exit:0)' "$LOG" &&
	pass "init_shutdown: b exited on SIGTERM within its grace" || fail "init_shutdown: b did not exit cleanly"
grep -q 'powering off' "$LOG" && pass "init_shutdown: power-off path taken" || fail "init_shutdown: no power-off line"

# Reboot: SIGUSR1 ends the namespace with reboot(RESTART) (SIGHUP, rc 129).
rm -f "$EV"
init_start
wait_for 5 state_is c ready || { fail "init_shutdown: services not up (2)"; exit 0; }
kill -USR1 "$INIT_PID"
init_wait_exit 15
[ "$INIT_RC" = 129 ] && pass "init_shutdown: SIGUSR1 ends with reboot(RESTART) (rc 129)" ||
	fail "init_shutdown: SIGUSR1: unshare rc $INIT_RC"
grep -q 'rebooting' "$LOG" && has_event exit a && pass "init_shutdown: reboot stopped services first" ||
	fail "init_shutdown: reboot path incomplete"
