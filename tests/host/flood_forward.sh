#!/usr/bin/env bash
# flood_forward.sh: 5,000 connection attempts at the agent's forward port
# against a slow target (accepts, never reads). The agent runs with
# --max-forward $CAP; the first CAP forwards are held and stuffed with data
# (the most memory a forward can pin), the rest must be closed at once.
# Checks: the cap holds (exactly CAP held, every other attempt closed
# without a response, promptly), Health answers throughout, the agent's
# VmRSS stays within baseline + CAP x the per-forward budget, and its fd
# count returns to baseline once the clients are gone.
#
# Per-forward budget (docs/performance.md, "Forward flood"): the agent's
# user-space memory per forward is the relay copy buffer of the unix/vsock ->
# target direction, RELAY_COPY_BUF = 256 KiB (proto/relay.h; mmapped because
# the agent sets M_MMAP_THRESHOLD to 128 KiB, so it is returned on close),
# plus struct fwd_conn and the request frame buffer (FWD_REQ_MAX 1 KiB):
# 260 KiB. The target -> client direction splices through a pipe (kernel
# memory, not RSS).
set -uo pipefail
. "$(dirname "$0")/lib-agent.sh"

CAP=${FLOOD_CAP:-100}
ATTEMPTS=${FLOOD_ATTEMPTS:-5000}
BUDGET_KIB=260
SLACK_KIB=2048      # allocator and stdio noise on top of the budget
DRIVER=$B/tests/bin/flood_fwd
[ -x "$DRIVER" ] || { fail "flood: $DRIVER missing (make)"; exit 1; }

start_agent --max-forward "$CAP"
"${KC[@]}" --json health >/dev/null || { fail "flood: first health"; exit 1; }
base_fd=$(fd_count)
base_rss=$(rss_kib)

# Health every 200 ms for the whole flood; each call's ms into health.log.
: >"$TMP/health.log"
(
	while [ ! -e "$TMP/stop-health" ]; do
		t0=$(date +%s%3N)
		if "${KC[@]}" --json health >/dev/null 2>&1; then
			echo "ok $(( $(date +%s%3N) - t0 ))"
		else
			echo "fail $(( $(date +%s%3N) - t0 ))"
		fi
		sleep 0.2
	done >>"$TMP/health.log"
) &
hpid=$!
on_exit "touch $TMP/stop-health; kill $hpid 2>/dev/null"

t0=$(date +%s%3N)
in_guest "$DRIVER" "$FWD" "$ATTEMPTS" "$CAP" "$TMP/gate" >"$TMP/flood.out" 2>"$TMP/flood.err" &
dpid=$!
on_exit "touch $TMP/gate; kill $dpid 2>/dev/null"
if ! wait_for 240 grep -q '^holding' "$TMP/flood.out"; then
	fail "flood: driver did not finish its attempts: $(tr '\n' '|' <"$TMP/flood.out") $(tr '\n' '|' <"$TMP/flood.err")"
	exit 1
fi
flood_ms=$(( $(date +%s%3N) - t0 ))
hold_rss=$(rss_kib)
hold_fd=$(fd_count)
touch "$TMP/stop-health"
wait "$hpid" 2>/dev/null
cat "$TMP/flood.out"
val() { awk -v k="$1" '$1 == k {print $2}' "$TMP/flood.out"; }
held=$(val held); refused=$(val refused); answered=$(val answered); late=$(val late)
excess=$(( ATTEMPTS - CAP ))
read -r _ p50 p99 pmax < <(grep '^close_ms' "$TMP/flood.out")

check "flood: exactly the cap ($CAP) of forwards held against the slow target (got $held)" test "$held" = "$CAP"
check "flood: data stuffed into the held forwards ($(val stuffed) bytes)" test "$(val stuffed)" -gt $(( CAP * 256 * 1024 ))
check "flood: all $excess connections past the cap closed by the agent (refused $refused)" test "$refused" = "$excess"
check "flood: no connection past the cap got a ForwardResponse ($answered)" test "$answered" = 0
check "flood: refusals prompt: p50 ${p50} ms, p99 ${p99} ms, max ${pmax} ms; $late over 1 s" test "$late" = 0
hok=$(grep -c '^ok' "$TMP/health.log"); hbad=$(grep -c '^fail' "$TMP/health.log")
hmax=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$TMP/health.log")
check "flood: Health answered during the flood ($hok calls, $hbad failed, slowest ${hmax} ms)" \
	test "$hok" -ge 3 -a "$hbad" = 0 -a "$hmax" -lt 2000
limit=$(( base_rss + CAP * BUDGET_KIB + SLACK_KIB ))
check "flood: agent VmRSS ${hold_rss} KiB <= baseline ${base_rss} + $CAP x ${BUDGET_KIB} + ${SLACK_KIB} = ${limit} KiB" \
	test "$hold_rss" -le "$limit"
check "flood: agent pid unchanged" kill -0 "$AGENT_PID"

# Clients go away: every fd of the held forwards must be released.
touch "$TMP/gate"
wait "$dpid"
if wait_for 10 sh -c "[ \$(ls /proc/$AGENT_PID/fd | wc -l) -le $base_fd ]"; then
	pass "flood: agent fds back to baseline $base_fd after the clients left (were $hold_fd while holding)"
else
	fail "flood: agent fds $(fd_count) after the clients left, baseline $base_fd (were $hold_fd while holding)"
fi
after_rss=$(rss_kib)
echo "rss KiB: baseline $base_rss, holding $hold_rss, after $after_rss; fds: baseline $base_fd, holding $hold_fd; flood ${flood_ms} ms"
# The agent still forwards after the flood.
if in_guest "$B/tests/bin/agent_fwd" many "$FWD" 10 >"$TMP/after.out" 2>&1 && grep -q '^PASS' "$TMP/after.out"; then
	pass "flood: forwards work after the flood"
else
	fail "flood: forwards after the flood: $(tr '\n' '|' <"$TMP/after.out")"
fi
