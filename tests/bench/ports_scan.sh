#!/usr/bin/env bash
# tests/bench/ports_scan.sh: steady-state cost of one port scan (four
# sock_diag dumps, sort, owner carry-over) with 10 and with 5,000 TCP
# listeners open by a helper. Records ports_scan_us_10 and
# ports_scan_us_5000 (median microseconds per scan over 300 scans).
. "$(dirname "$0")/../lib.sh"
DUMP=$B/tests/bin/ports-dump
LISTEN=$B/tests/bin/ports-listen
[ -x "$DUMP" ] && [ -x "$LISTEN" ] || { fail "ports_scan bench: build the helpers first (make)"; exit 0; }

for n in 10 5000; do
	mkfifo "$TMP/in$n"
	"$LISTEN" --count "$n" tcp4 < "$TMP/in$n" > "$TMP/out$n" 2>&1 &
	pid=$!
	exec {fd}> "$TMP/in$n"
	if ! wait_for 20 grep -q READY "$TMP/out$n"; then
		fail "ports_scan bench: $n listeners not ready: $(cat "$TMP/out$n")"
		kill "$pid" 2>/dev/null
		continue
	fi
	res=$("$DUMP" --bench 300)
	exec {fd}>&-
	wait "$pid"
	echo "$n listeners: $res"
	p50=$(awk '{ for (i = 1; i < NF; i++) if ($i == "p50_us") print $(i + 1) }' <<< "$res")
	entries=$(awk '{ print $2 }' <<< "$res")
	if [ -n "$p50" ] && [ "${entries:-0}" -ge "$n" ]; then
		record_metric "ports_scan_us_$n" "$p50"
		pass "ports_scan bench: $n listeners, $entries sockets, p50 ${p50} us per scan"
	else
		fail "ports_scan bench: $n listeners: bad result '$res'"
	fi
done
