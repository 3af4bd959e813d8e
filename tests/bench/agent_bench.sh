#!/usr/bin/env bash
# keel-agent benchmarks on the host (agent on AF_UNIX in its own network
# namespace), all measured in this one run. Records:
#   rpc_rtt_ratio_vs_unix_echo   median Version round trip / median raw
#                                unix-socket echo of the same bytes (aim <= 1.3)
#   forward_ratio_vs_loopback    one-way MB/s client -> agent forward -> TCP
#                                sink, over raw TCP loopback (aim >= 0.9)
#   forward_ratio_vs_socat       the same over socat relaying unix -> TCP (aim >= 2)
#   agent_rss_idle_kib, agent_rss_per_forward_kib (100 idle forwards held)
#   watchports_p50_ms_N / watchports_p99_ms_N for N = 10 and 5000 listeners
# Throughputs are the median of 5 interleaved runs of 256 MiB each.
. "$(dirname "$0")/../host/lib-agent.sh"
start_agent
F=$B/tests/bin/agent_fwd
BE=$B/tests/bin/agent_bench
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

"${KC[@]}" health >/dev/null
sleep 0.5
record_metric agent_rss_idle_kib "$(rss_kib)"

rpc=$("$BE" rpc "$CTL" 20000); echo_=$("$BE" echo 20000)
echo "control round trip: agent ${rpc} us, raw unix echo ${echo_} us (medians of 20000)"
record_metric rpc_rtt_us "$rpc"
record_metric unix_echo_rtt_us "$echo_"
record_metric rpc_rtt_ratio_vs_unix_echo "$(ratio "$rpc" "$echo_")"

: > "$TMP/raw"; : > "$TMP/agent"; : > "$TMP/socat"
for i in 1 2 3 4 5; do
	in_guest "$F" sink 256 >> "$TMP/raw"
	in_guest "$F" sink 256 "$FWD" >> "$TMP/agent"
	in_guest "$F" sink 256 socat >> "$TMP/socat"
done
raw=$(median < "$TMP/raw"); agent=$(median < "$TMP/agent"); socat=$(median < "$TMP/socat")
echo "one-way MB/s (median of 5): raw loopback $raw, agent forward $agent, socat $socat"
echo "  runs: raw $(tr '\n' ' ' < "$TMP/raw")| agent $(tr '\n' ' ' < "$TMP/agent")| socat $(tr '\n' ' ' < "$TMP/socat")"
record_metric forward_mbps "$agent"
record_metric loopback_mbps "$raw"
record_metric socat_mbps "$socat"
record_metric forward_ratio_vs_loopback "$(ratio "$agent" "$raw")"
record_metric forward_ratio_vs_socat "$(ratio "$agent" "$socat")"

rss0=$(rss_kib)
in_guest "$F" hold "$FWD" 100 4 > "$TMP/hold" &
HOLD=$!
wait_for 10 grep -q "held 100" "$TMP/hold"
sleep 0.5
rss1=$(rss_kib)
wait $HOLD
record_metric agent_rss_per_forward_kib "$(awk -v a="$rss0" -v b="$rss1" 'BEGIN {printf "%.1f", (b - a) / 100}')"

for n in 10 5000; do
	read -r p50 p99 < <(in_guest "$BE" watch "$CTL" "$n" 100)
	echo "WatchPorts with $n listeners: p50 $p50 ms, p99 $p99 ms (100 samples)"
	record_metric "watchports_p50_ms_$n" "$p50"
	record_metric "watchports_p99_ms_$n" "$p99"
done
pass "agent benchmarks recorded"
