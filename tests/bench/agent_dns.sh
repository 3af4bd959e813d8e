#!/usr/bin/env bash
# The agent's DNS server, on the host (agent in its own network namespace,
# tests/host/lib-agent.sh). Records the median and p99 of 1000 sequential
# A queries, in microseconds, from a Python client in that namespace:
#   dns_local_median_us / dns_local_p99_us       host.keel.internal (answered by the agent)
#   dns_forward_median_us / dns_forward_p99_us   example.test (agent -> fixture upstream -> agent)
#   dns_direct_median_us                         example.test asked of the fixture directly
# forward - direct is what forwarding through the agent adds. The agent runs
# with --dns-rate 0: 1000 back-to-back queries from one source are far over
# its default 500 per second, and this measures the path, not the limit.
. "$(dirname "$0")/../host/lib-agent.sh"
TOOL=$TOP/tests/progs/dns_tool.py
DNS=192.168.65.7
start_agent --dns-rate 0
nsenter --net="/proc/$AGENT_PID/ns/net" python3 "$TOOL" upstream 127.0.0.1 >/dev/null 2>>"$TMP/upstream.log" &
UPID=$!
on_exit "kill $UPID 2>/dev/null; wait $UPID 2>/dev/null"
wait_for 5 sh -c "nsenter --net=/proc/$AGENT_PID/ns/net ss -Hlun | grep -q '127.0.0.1:53 '"
"${KC[@]}" netconfig --interface lo --dns 127.0.0.1 >/dev/null || { fail "agent_dns bench: netconfig"; exit 0; }
# lat SERVER NAME -> "median p99" in microseconds
lat() {
	in_guest python3 "$TOOL" latency "$1" "$2" 1000 |
		sed -n 's/median=\([0-9.]*\) p99=\([0-9.]*\)/\1 \2/p' |
		awk '{printf "%d %d\n", $1 * 1000, $2 * 1000}'
}
in_guest python3 "$TOOL" latency "$DNS" example.test 100 >/dev/null    # warm up
read -r lm lp < <(lat "$DNS" host.keel.internal)
read -r fm fp < <(lat "$DNS" example.test)
read -r dm _ < <(lat 127.0.0.1 example.test)
if [ -n "$lm" ] && [ -n "$fm" ] && [ -n "$dm" ]; then
	pass "agent_dns bench: local ${lm} us, forwarded ${fm} us, direct ${dm} us (medians of 1000)"
	record_metric dns_local_median_us "$lm"
	record_metric dns_local_p99_us "$lp"
	record_metric dns_forward_median_us "$fm"
	record_metric dns_forward_p99_us "$fp"
	record_metric dns_direct_median_us "$dm"
else
	fail "agent_dns bench: no figures"
fi
