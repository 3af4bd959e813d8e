#!/usr/bin/env bash
# A service killed with SIGKILL is restarted within 1 s; a service that always
# exits is marked failed after its restart limit and init keeps running.
. "$(dirname "$0")/lib-init.sh"
init_require init_restart
cat > "$TMP/services" <<EOS
service victim
exec $SVC --name victim --events $EV
restart 100 5000 5 60000

service quitter
exec $SVC --name quitter --events $EV --exit 1
restart 50 400 3 30000
EOS
init_start
wait_for 5 has_event start victim || { fail "init_restart: victim did not start"; exit 0; }
pid=$(svc_host_pid victim)
t0=$(date +%s%N)
kill -KILL "$pid"
if wait_for 3 has_event start victim 2; then
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$ms" -lt 1000 ] && pass "init_restart: SIGKILLed service back in $ms ms" ||
		fail "init_restart: restart took $ms ms"
else
	fail "init_restart: not restarted"
fi
wait_for 2 grep -q '^service victim ready [0-9]* 1 signal:9$' "$RUN/status" &&
	pass "init_restart: status shows 1 restart after signal 9" || fail "init_restart: status: $(status_of victim)"

wait_for 10 state_is quitter failed && pass "init_restart: always-exiting service marked failed" ||
	fail "init_restart: quitter is $(status_of quitter)"
starts=$(grep -c '^start quitter ' "$EV")
[ "$starts" -eq 4 ] && pass "init_restart: quitter ran 1 + 3 restarts" || fail "init_restart: quitter started $starts times"
grep -q '^service_error quitter 3_restarts' "$RUN/status" && pass "init_restart: failure reason published" ||
	fail "init_restart: no service_error line"
# Init is still in charge: it restarts the other service once more.
pid=$(svc_host_pid victim)
kill -KILL "$pid"
wait_for 3 has_event start victim 3 && pass "init_restart: init keeps supervising after a failure" ||
	fail "init_restart: victim not restarted after quitter failed"
kill -0 "$INIT_PID" && pass "init_restart: init alive" || fail "init_restart: init died"
