#!/usr/bin/env bash
# tests/host/ports_scan.sh: the port scanner against real sockets. A helper
# with a known pid opens TCP and UDP listeners on IPv4 and IPv6; each must be
# listed with that pid and command, a connected UDP socket must not be, the
# listing must be sorted, and the sockets must disappear once closed, both in
# one-shot scans and as "-" events of a running watch.
. "$(dirname "$0")/../lib.sh"
DUMP=$B/tests/bin/ports-dump
LISTEN=$B/tests/bin/ports-listen
[ -x "$DUMP" ] && [ -x "$LISTEN" ] || { fail "ports_scan: build the helpers first (make)"; exit 0; }

# start_listener NAME KIND...: run ports-listen with its stdin on a fifo we
# hold open; sets NAME_pid and writes its "KIND PORT" lines to $TMP/NAME.out.
start_listener() {
	local name=$1 fd; shift
	mkfifo "$TMP/$name.in"
	"$LISTEN" "$@" < "$TMP/$name.in" > "$TMP/$name.out" &
	printf -v "${name}_pid" %s $!
	exec {fd}> "$TMP/$name.in"
	printf -v "${name}_fd" %s "$fd"
	on_exit "kill $! 2>/dev/null"
	wait_for 5 grep -q READY "$TMP/$name.out"
}
stop_listener() {
	local fdvar=${1}_fd
	eval "exec ${!fdvar}>&-"
}
port_of() { awk -v k="$2" '$1 == k { print $2 }' "$TMP/$1.out"; }
# listed TRANSPORT ADDRESS PORT: the line of that socket in a fresh scan
listed() { "$DUMP" | awk -v t="$1" -v a="$2" -v p="$3" '$1 == t && $2 == a && $3 == p'; }
absent() { [ -z "$(listed "$@")" ]; }

start_listener L tcp4 tcp6 udp4 udp6 tcp6any udp4conn || { fail "ports_scan: helper not ready"; exit 1; }
"$DUMP" > "$TMP/scan1" || fail "ports_scan: ports-dump failed"

KINDS='tcp4 tcp 127.0.0.1 0
tcp6 tcp ::1 1
udp4 udp 127.0.0.1 0
udp6 udp ::1 1
tcp6any tcp :: 1'
while read -r kind t addr v6; do
	port=$(port_of L "$kind")
	line=$(awk -v t="$t" -v a="$addr" -v p="$port" '$1 == t && $2 == a && $3 == p' "$TMP/scan1")
	read -r _ _ _ pid comm _ _ v6only <<< "$line"
	if [ -z "$line" ]; then
		fail "ports_scan: $kind $addr:$port not listed"
	elif [ "$pid" != "$L_pid" ] || [ "$comm" != ports-listen ]; then
		fail "ports_scan: $kind $addr:$port owner '$pid $comm', expected '$L_pid ports-listen'"
	elif [ "$v6only" != "$v6" ]; then
		fail "ports_scan: $kind v6only=$v6only, expected $v6"
	else
		pass "ports_scan: $kind $addr:$port listed with pid $pid ($comm)"
	fi
done <<< "$KINDS"

conn=$(port_of L udp4conn)
if awk -v p="$conn" '$1 == "udp" && $3 == p { f = 1 } END { exit !f }' "$TMP/scan1"; then
	fail "ports_scan: connected UDP socket on port $conn listed"
else
	pass "ports_scan: connected UDP socket left out"
fi
check "ports_scan: output sorted by transport, port, address, inode" \
	env LC_ALL=C sort -c -t $'\t' -k1,1 -k3,3n -k2,2 -k6,6n "$TMP/scan1"
check "ports_scan: no duplicate sockets" \
	bash -c "[ -z \"\$(cut -f1-3,6 '$TMP/scan1' | sort | uniq -d)\" ]"

# A watch sees a new listener appear, then both sets disappear on close.
"$DUMP" --watch 20 > "$TMP/watch" 2>&1 &
watch_pid=$!
on_exit "kill $watch_pid 2>/dev/null"
wait_for 5 grep -q WATCHING "$TMP/watch" || fail "ports_scan: watch did not start"
start_listener W tcp4 udp6 || fail "ports_scan: second helper not ready"
wport=$(port_of W tcp4)
if wait_for 2 grep -qP "^\+ tcp\t127.0.0.1\t$wport\t$W_pid\tports-listen\t" "$TMP/watch"; then
	pass "ports_scan: watch reports the new listener with its owner"
else
	fail "ports_scan: watch missed tcp 127.0.0.1:$wport: $(tr '\n' '|' < "$TMP/watch")"
fi

stop_listener L
stop_listener W
wait "$L_pid" "$W_pid" 2>/dev/null
while read -r k t addr _; do
	port=$(port_of L "$k")
	if wait_for 2 absent "$t" "$addr" "$port"; then
		pass "ports_scan: $k $addr:$port gone after close"
	else
		fail "ports_scan: $k $addr:$port still listed after close"
	fi
done <<< "$KINDS"
if wait_for 2 grep -qP "^- tcp\t127.0.0.1\t$wport\t" "$TMP/watch"; then
	pass "ports_scan: watch reports the closed listener"
else
	fail "ports_scan: watch missed the removal of tcp 127.0.0.1:$wport"
fi
