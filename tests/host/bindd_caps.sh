#!/usr/bin/env bash
# tests/host/bindd_caps.sh: the recommended deployment. keel-bindd runs as an
# unprivileged uid whose only capability is CAP_NET_BIND_SERVICE (ambient,
# bounding set reduced to it, as systemd's AmbientCapabilities= does), and
# still hands an unprivileged member TCP port 80 and UDP port 53. Without
# the capability the same daemon refuses with the bind's EACCES and keeps
# serving; a daemon uid outside --group cannot give the socket file that
# group and does not start.
. "$(dirname "$0")/lib-bindd.sh"
RUN=$TMP/run
mkdir -p "$RUN" && chown "$UID_D" "$RUN"
SOCK=$RUN/bindd.sock
CAPS=(--inh-caps +net_bind_service --ambient-caps +net_bind_service --bounding-set -all,+net_bind_service)
# as_daemon [SETPRIV-OPTS...] -- ARGS...: keel-bindd as uid $UID_D, in $GRP.
as_daemon() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
	setpriv --reuid "$UID_D" --regid "$GID_OTHER" --groups "$GID" "${opts[@]}" -- \
		"$BINDD" --socket "$SOCK" --group "$GRP" "$@" 2>>"$LOG" &
	BINDD_PID=$!
	on_exit "kill $BINDD_PID 2>/dev/null"
	wait_for 5 test -S "$SOCK" || { fail "bindd_caps: daemon did not start: $(cat "$LOG")"; exit 1; }
}

as_daemon "${CAPS[@]}" --
st=$(awk '/^Uid:/ { u = $3 } /^CapEff:/ { c = $2 } END { print u, c }' "/proc/$BINDD_PID/status")
[ "$st" = "$UID_D 0000000000000400" ] && pass "bindd_caps: daemon runs as uid $UID_D with only CAP_NET_BIND_SERVICE" ||
	fail "bindd_caps: daemon uid/CapEff '$st'"
own=$(stat -c '%u %G %a' "$SOCK")
[ "$own" = "$UID_D $GRP 660" ] && pass "bindd_caps: socket file $own" || fail "bindd_caps: socket file '$own'"

port_free tcp 80 || fail "bindd_caps: tcp 80 not free"
serve_probe "$TMP/tcp.out" as_member tcp 127.0.0.1 80
reply=$(echo caps-tcp | timeout 5 socat -t 2 - TCP:127.0.0.1:80)
[ "$(head -1 "$TMP/tcp.out")" = "BOUND 80" ] && [ "$reply" = caps-tcp ] && wait "$PROBE_PID" &&
	pass "bindd_caps: member got TCP 127.0.0.1:80 and served a client" ||
	fail "bindd_caps: tcp 80: '$(cat "$TMP/tcp.out")', echo '$reply'"
serve_probe "$TMP/udp.out" as_member udp 127.0.0.1 53
reply=$(echo caps-udp | timeout 5 socat -t 2 - UDP:127.0.0.1:53)
[ "$(head -1 "$TMP/udp.out")" = "BOUND 53" ] && [ "$reply" = caps-udp ] && wait "$PROBE_PID" &&
	pass "bindd_caps: member got UDP 127.0.0.1:53 and answered a datagram" ||
	fail "bindd_caps: udp 53: '$(cat "$TMP/udp.out")', echo '$reply'"
kill "$BINDD_PID"; wait "$BINDD_PID"; rc=$?
[ $rc -eq 0 ] && [ ! -e "$SOCK" ] && pass "bindd_caps: SIGTERM: exit 0, socket removed by the unprivileged daemon" ||
	fail "bindd_caps: SIGTERM rc=$rc"

# Without the capability: refused by the kernel's bind, daemon keeps serving.
as_daemon --
out=$(as_member "$PROBE" bind "$SOCK" tcp 127.0.0.1 80)
[[ $out == "ERR EACCES keel-bindd: Permission denied" ]] && kill -0 "$BINDD_PID" &&
	pass "bindd_caps: without CAP_NET_BIND_SERVICE the bind is refused (EACCES), daemon still up" ||
	fail "bindd_caps: without the capability: '$out'"
out=$(as_member "$PROBE" bind "$SOCK" tcp 127.0.0.1 80)
[[ $out == "ERR EACCES"* ]] && pass "bindd_caps: and it answers the next request" || fail "bindd_caps: next request '$out'"
kill "$BINDD_PID"; wait "$BINDD_PID"

# A daemon uid that is not in --group cannot chgrp the socket file: no start.
setpriv --reuid "$UID_D" --regid "$GID_OTHER" --clear-groups "${CAPS[@]}" -- \
	"$BINDD" --socket "$SOCK" --group "$GRP" 2>"$TMP/nogroup.log"
rc=$?
[ $rc -ne 0 ] && [ ! -e "$SOCK" ] && grep -q 'Operation not permitted' "$TMP/nogroup.log" &&
	pass "bindd_caps: daemon outside --group refuses to start: $(cut -d' ' -f3- "$TMP/nogroup.log")" ||
	fail "bindd_caps: daemon outside the group: rc=$rc $(cat "$TMP/nogroup.log")"
