#!/usr/bin/env bash
# keel-init's own arguments. The kernel hands init, as argv, every parameter
# it does not know that has no '=' (`single`, `foo`): as PID 1, keel-init logs
# each such word once and boots on (its exit would panic the kernel). A
# known option without its value or with a path too long is logged and
# skipped the same way. Not PID 1 (run by hand), an unknown option is a usage
# error, and keel-init refuses to run anyway.
. "$(dirname "$0")/lib-init.sh"
init_require init_argv
cat > "$TMP/services" <<EOS
service plain
exec $SVC --name plain --events $EV
EOS
long=/$(printf 'd%.0s' $(seq 300))
init_start single foo --bogus $'\e[2Jx' --data-dir "$long" --services
wait_for 5 state_is plain ready && pass "init_argv: PID 1 with unknown arguments boots on, service ready" ||
	{ fail "init_argv: PID 1: $(cat "$RUN/status" 2>&1)"; cat "$LOG"; }
for w in single foo --bogus; do
	c=$(grep -c "ignoring argument '$w': unknown option" "$LOG")
	[ "$c" -eq 1 ] && pass "init_argv: '$w' logged once" || fail "init_argv: '$w' logged $c times"
done
grep -q "ignoring argument '?\[2Jx': unknown option" "$LOG" && pass "init_argv: a control character is not echoed to the console" ||
	fail "init_argv: $(grep -a 'ignoring argument' "$LOG" | tr '\n' '|')"
grep -q "ignoring argument '/ddd.*\.\.\.': path too long" "$LOG" && grep -q "^data ephemeral" "$RUN/status" &&
	pass "init_argv: a path too long is logged, cut, and the default used" || fail "init_argv: $(grep -a 'too long' "$LOG")"
grep -q "ignoring argument '--services': missing argument" "$LOG" && pass "init_argv: an option without its value is logged" ||
	fail "init_argv: no warning for a trailing --services"
kill -TERM "$INIT_PID"
init_wait_exit 10
[ "$INIT_RC" = 130 ] && pass "init_argv: orderly power off afterwards (rc 130)" || fail "init_argv: rc $INIT_RC"

# not PID 1: a usage error, exit 2, naming the word
out=$("$INIT" foo 2>&1); rc=$?
[ $rc = 2 ] && [[ "$out" == *"unknown option 'foo'"* ]] && pass "init_argv: not PID 1: unknown option refused (exit 2)" ||
	fail "init_argv: not PID 1: rc $rc: $out"
out=$("$INIT" --test 2>&1); rc=$?
[ $rc = 2 ] && [[ "$out" == *"must run as PID 1"* ]] && pass "init_argv: not PID 1: refuses to run (exit 2)" ||
	fail "init_argv: not PID 1 --test: rc $rc: $out"
