#!/usr/bin/env bash
# A service that waits for another's readiness does not start before it:
# notify readiness (a line on fd 3) and socket readiness (connect succeeds).
. "$(dirname "$0")/lib-init.sh"
init_require init_order
cat > "$TMP/services" <<EOS
service first
exec $SVC --name first --events $EV --ready-after 400
ready notify

service second
exec $SVC --name second --events $EV --listen $TMP/second.sock --listen-after 300
ready socket $TMP/second.sock
after first

service third
exec $SVC --name third --events $EV
after second
EOS
init_start
wait_for 10 state_is third ready || { fail "init_order: third never ready: $(cat "$RUN/status")"; exit 0; }
r1=$(event_ms ready first) s2=$(event_ms start second) r2=$(event_ms ready second) s3=$(event_ms start third)
echo "first ready $r1, second start $s2 ready $r2, third start $s3"
[ "$s2" -ge "$r1" ] && pass "init_order: second started after first's notify ($((s2 - r1)) ms)" ||
	fail "init_order: second started $((r1 - s2)) ms before first was ready"
[ "$s3" -ge "$r2" ] && pass "init_order: third started after second's socket ($((s3 - r2)) ms)" ||
	fail "init_order: third started $((r2 - s3)) ms before second listened"
[ "$((s3 - r2))" -lt 1000 ] && pass "init_order: socket readiness seen within 1 s" || fail "init_order: socket seen after $((s3 - r2)) ms"
grep -q '^exec:first [0-9]*$' "$RUN/timeline" && pass "init_order: timeline file written" || fail "init_order: no timeline file"
t_init=$(awk '$1 == "init" { print $2 }' "$RUN/timeline")
t_exec=$(awk '$1 == "exec:first" { print $2 }' "$RUN/timeline")
echo "init start to first service exec: $((t_exec - t_init)) ms"
grep -q 'timeline: summary init=' "$LOG" && pass "init_order: timeline summary on the console" || fail "init_order: no summary line"
