#!/usr/bin/env bash
# tests/host/bindd_malformed.sh: every malformed request (garbage, overlong,
# NUL and control bytes, missing or extra fields, bad transport, address or
# port, a line cut short by EOF, half a line then silence, a trickle, more
# silent peers than connection slots) gets an ERR reply without an fd, is
# logged, and keel-bindd keeps serving: a valid request afterwards succeeds
# from the same pid, and its fd count is back to the baseline.
. "$(dirname "$0")/lib-bindd.sh"
start_bindd
base=$(fd_count "$BINDD_PID")
raw() { as_member "$PROBE" raw "$SOCK" "$@"; }

# expect LABEL ERRNO: stdin is the raw request.
expect() {
	local out
	out=$(raw)
	case $out in
	"ERR $2 "?*$'\n'"fds=0") pass "bindd_malformed: $1: ${out%%$'\n'*}";;
	*) fail "bindd_malformed: $1: expected ERR $2 and no fd, got '${out//$'\n'/|}'";;
	esac
}
# Each bad request adds a line to $TMP/bad (pipelines run case_ in a subshell).
case_() { echo "$1" >>"$TMP/bad"; expect "$@"; }
bad() { for l in "$@"; do echo "$l" >>"$TMP/bad"; done; }
printf 'hello world\n'			| case_ garbage EINVAL
printf '\x01\xff\x80\x7f\x1b[0m\n'	| case_ binary-garbage EINVAL
printf 'BIND tcp 127.0.0.1 %0120d\n' 8	| case_ overlong EMSGSIZE
head -c 5000 /dev/zero | tr '\0' A	| case_ overlong-no-newline EMSGSIZE
printf 'BIND tcp\0127.0.0.1 80\n'	| case_ nul-byte EINVAL
printf 'BIND tcp 127.0.0.1 80\r\n'	| case_ crlf EINVAL
printf '\n'				| case_ empty-line EINVAL
printf 'BIND tcp 127.0.0.1\n'		| case_ missing-port EINVAL
printf 'BIND tcp\n'			| case_ missing-fields EINVAL
printf 'BIND tcp 127.0.0.1 80 x\n'	| case_ extra-field EINVAL
printf 'BIND  tcp 127.0.0.1 80\n'	| case_ double-space EINVAL
printf ' BIND tcp 127.0.0.1 80\n'	| case_ leading-space EINVAL
printf 'bind tcp 127.0.0.1 80\n'	| case_ lowercase-command EINVAL
printf 'BIND sctp 127.0.0.1 80\n'	| case_ bad-transport EINVAL
printf 'BIND tcp 127.0.0.256 80\n'	| case_ bad-ipv4 EINVAL
printf 'BIND tcp 127.1 80\n'		| case_ short-ipv4 EINVAL
printf 'BIND tcp localhost 80\n'	| case_ hostname EINVAL
printf 'BIND tcp ::ffff:127.0.0.1 80\n'	| case_ v4-mapped EINVAL
printf 'BIND tcp fe80::1%%lo 80\n'	| case_ scope-id EINVAL
printf 'BIND tcp [::1] 80\n'		| case_ bracketed-v6 EINVAL
printf 'BIND tcp 127.0.0.1 080\n'	| case_ leading-zero-port EINVAL
printf 'BIND tcp 127.0.0.1 +80\n'	| case_ signed-port EINVAL
printf 'BIND tcp 127.0.0.1 99999\n'	| case_ port-overflow EINVAL
printf 'BIND tcp 127.0.0.1 80x\n'	| case_ port-suffix EINVAL
printf 'BIND tcp 127.0.0.1 80\nBIND tcp 127.0.0.1 81\n' | case_ two-lines EINVAL
# A line cut short by EOF (write side shut down).
bad half-eof
out=$(printf 'BIND tcp 127.0.0.1' | raw shut)
[[ $out == "ERR EINVAL "*$'\n'"fds=0" ]] && pass "bindd_malformed: half a line then EOF: ${out%%$'\n'*}" ||
	fail "bindd_malformed: half a line then EOF: '$out'"

# Half a line then silence, nothing at all, and a trickle of one byte every
# 0.4 s: each is cut off at the 2 s deadline (well before the trickle ends).
t0=$(date +%s%N)
printf 'BIND tcp 127.0.0.1 ' | raw >"$TMP/half.out" &
raw </dev/null >"$TMP/silent.out" &
(for c in B I N D ' ' t c p ' ' 1 2 7; do printf %s "$c"; sleep 0.4; done) |
	as_member socat -t 6 - "UNIX-CONNECT:$SOCK" >"$TMP/trickle.out" 2>"$TMP/trickle.err" &
trickle=$!
wait_for 8 grep -q fds= "$TMP/half.out" && wait_for 8 grep -q fds= "$TMP/silent.out"
wait "$trickle"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
bad half silent trickle
for f in half silent; do
	grep -q '^ERR ETIMEDOUT ' "$TMP/$f.out" && grep -qx 'fds=0' "$TMP/$f.out" &&
		pass "bindd_malformed: $f: cut off: $(head -1 "$TMP/$f.out")" ||
		fail "bindd_malformed: $f: '$(cat "$TMP/$f.out")'"
done
grep -q '^ERR ETIMEDOUT ' "$TMP/trickle.out" && pass "bindd_malformed: trickle cut off at the deadline" ||
	fail "bindd_malformed: trickle: '$(cat "$TMP/trickle.out")' $(cat "$TMP/trickle.err")"
# The trickle alone takes 4.8 s to send; all three answered near 2 s.
[ "$ms" -lt 7000 ] && pass "bindd_malformed: slow peers answered after ${ms} ms (deadline 2000)" ||
	fail "bindd_malformed: slow peers took ${ms} ms"

# More silent peers than the 32 connection slots: the valid request behind
# them waits in the backlog and is served once slots free up.
flood=()
for i in $(seq 40); do raw </dev/null >"$TMP/flood.$i" & flood+=($!); done
sleep 0.3
t0=$(date +%s%N)
out=$(printf 'BIND udp 127.0.0.1 99\n' | raw)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "${flood[@]}"
[ "$out" = $'OK\nfds=1' ] && pass "bindd_malformed: served behind 40 silent peers after ${ms} ms" ||
	fail "bindd_malformed: behind 40 silent peers: '$out'"
timeouts=$(cat "$TMP"/flood.* | grep -c '^ERR ETIMEDOUT')
[ "$timeouts" = 40 ] && pass "bindd_malformed: all 40 silent peers cut off" ||
	fail "bindd_malformed: $timeouts of 40 silent peers got ETIMEDOUT"
bad $(seq 40)

# Still the same daemon, serving, with no fd left behind.
serve_probe "$TMP/after.out" as_member tcp 127.0.0.1 80
if kill -0 "$BINDD_PID" && [ "$(grep -c ' listening on ' "$LOG")" = 1 ] &&
   [ "$(head -1 "$TMP/after.out")" = "BOUND 80" ]; then
	pass "bindd_malformed: valid request served afterwards by the same pid $BINDD_PID"
else
	fail "bindd_malformed: valid request afterwards: '$(cat "$TMP/after.out")', log: $(tail -3 "$LOG")"
fi
kill "$PROBE_PID" 2>/dev/null
wait_for 3 test "$(fd_count "$BINDD_PID")" = "$base" &&
	pass "bindd_malformed: fd count back to baseline ($base)" ||
	fail "bindd_malformed: fd count $(fd_count "$BINDD_PID"), baseline $base"
refusals=$(grep -c ' refuse pid=' "$LOG"); n_cases=$(wc -l <"$TMP/bad")
[ "$refusals" = "$n_cases" ] && pass "bindd_malformed: one refusal line per bad request ($refusals)" ||
	fail "bindd_malformed: $refusals refusal lines for $n_cases bad requests"
stop_bindd
