#!/usr/bin/env bash
# Bad kernel parameters are reported (one line each) and ignored; an unknown
# service binary is reported and marked failed; neither stops the boot.
# keel.ip reaches the agent-like service as --net; a share that cannot be
# mounted on this host is published as an error.
. "$(dirname "$0")/lib-init.sh"
init_require init_cmdline
echo "root=/dev/vda ro quiet keel.bogus=1 keel.share=nocolon keel.hostname=-bad- keel.data=/etc/passwd keel.ip=garbage keel.debug=yes \"keel.share=t1:$TMP/mnt/t1:ro\" keel.ip=10.0.2.15/24,gw=10.0.2.2,dns=10.0.2.3" > "$TMP/cmdline"
cat > "$TMP/services" <<EOS
service ghost
exec /nonexistent/keel-ghost --flag

service agentlike
exec $SVC --name agentlike --events $EV --report $TMP/report --ready-after 0
ready notify
net
EOS
init_start
wait_for 5 state_is agentlike ready || { fail "init_cmdline: boot did not go on: $(cat "$RUN/status")"; cat "$LOG"; exit 0; }
n=$(grep -c 'ignoring kernel parameter' "$LOG")
[ "$n" -eq 6 ] && pass "init_cmdline: 6 bad parameters, 6 warnings" || { fail "init_cmdline: $n warnings, expected 6"; grep 'ignoring' "$LOG"; }
for p in keel.bogus=1 keel.share=nocolon keel.hostname=-bad- keel.data=/etc/passwd keel.ip=garbage keel.debug=yes; do
	c=$(grep -c "ignoring kernel parameter '$p'" "$LOG")
	[ "$c" -eq 1 ] || fail "init_cmdline: '$p' reported $c times"
done
grep -qE "ignoring kernel parameter '(root|ro|quiet)" "$LOG" && fail "init_cmdline: non-keel parameter reported" ||
	pass "init_cmdline: non-keel parameters ignored"
grep -q '^data ephemeral -$' "$RUN/status" && pass "init_cmdline: bad keel.data ignored: ephemeral" || fail "init_cmdline: data: $(grep ^data "$RUN/status")"
grep -q "argv: .* --net 10.0.2.15/24,gw=10.0.2.2,dns=10.0.2.3$" "$TMP/report" &&
	pass "init_cmdline: keel.ip passed as --net" || fail "init_cmdline: argv: $(grep argv "$TMP/report")"
wait_for 3 state_is ghost failed && pass "init_cmdline: unknown binary marked failed" || fail "init_cmdline: ghost is $(status_of ghost)"
grep -q 'service ghost failed: exec /nonexistent/keel-ghost: No such file or directory' "$LOG" &&
	pass "init_cmdline: unknown binary reported" || fail "init_cmdline: no report for ghost"
grep -q "^share t1 $TMP/mnt/t1 [a-z0-9]* error mount:" "$RUN/status" &&
	pass "init_cmdline: unmountable share published as error" || fail "init_cmdline: share: $(grep ^share "$RUN/status")"
kill -0 "$INIT_PID" && pass "init_cmdline: init running" || fail "init_cmdline: init died"
