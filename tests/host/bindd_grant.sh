#!/usr/bin/env bash
# tests/host/bindd_grant.sh: keel-bindd hands bound low ports to allowed
# unprivileged peers (supplementary group, primary gid, root) and to nobody
# else: an unprivileged member gets TCP 127.0.0.1:80 and serves a real
# connection on it, gets UDP and IPv6 sockets; outsiders, ports 0 and >= 1024,
# non-loopback addresses (without --allow-any-address) and taken ports are
# refused with a reason and no socket; SIGTERM removes the socket file; a
# stale socket file is replaced, a live one is not.
. "$(dirname "$0")/lib-bindd.sh"

# The premise: in this namespace an unprivileged uid cannot bind port 80.
check "bindd_grant: unprivileged start is 1024 here" \
	test "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = 1024
out=$(as_member "$PROBE" direct tcp 127.0.0.1 80)
[ "$out" = "ERR EACCES" ] && pass "bindd_grant: member cannot bind 80 by itself" ||
	fail "bindd_grant: direct bind of 80 as uid $UID_M gave '$out'"

start_bindd
mode=$(stat -c '%a %G' "$SOCK")
[ "$mode" = "660 $GRP" ] && pass "bindd_grant: socket file is 0660, group $GRP" ||
	fail "bindd_grant: socket file mode/group '$mode'"

# serve_and_talk LABEL WHO TRANSPORT ADDR PORT SOCAT-ADDR: the peer gets the
# port from keel-bindd, then a client exchanges bytes with it.
serve_and_talk() {
	local label=$1 who=$2 t=$3 addr=$4 port=$5 target=$6 out=$TMP/$1.out reply
	if ! port_free "$t" "$port"; then fail "bindd_grant: $label: $t port $port not free"; return; fi
	serve_probe "$out" "$who" "$t" "$addr" "$port"
	if [ "$(head -1 "$out")" != "BOUND $port" ]; then
		fail "bindd_grant: $label: $(cat "$out")"; kill "$PROBE_PID" 2>/dev/null; return
	fi
	reply=$(echo "hello $label" | timeout 5 socat -t 2 - "$target")
	if [ "$reply" = "hello $label" ] && wait "$PROBE_PID"; then
		pass "bindd_grant: $label: bound by keel-bindd, served a client"
	else
		fail "bindd_grant: $label: echo got '$reply'"
	fi
}
serve_and_talk member-tcp80 as_member tcp 127.0.0.1 80 TCP:127.0.0.1:80
grep -q "grant pid=[0-9]* uid=$UID_M gid=$GID_OTHER tcp 127.0.0.1:80\$" "$LOG" &&
	pass "bindd_grant: grant logged with pid, uid, transport, address" ||
	fail "bindd_grant: no grant line: $(cat "$LOG")"
serve_and_talk member-udp53 as_member udp 127.0.0.1 53 UDP:127.0.0.1:53
serve_and_talk member-tcp6-443 as_member tcp ::1 443 'TCP6:[::1]:443'
serve_and_talk member-udp6-123 as_member udp ::1 123 'UDP6:[::1]:123'
# Allowed through the primary gid alone, and root without any group.
gid_only() { setpriv --reuid "$UID_O" --regid "$GID" --clear-groups -- "$@"; }
serve_and_talk primary-gid gid_only tcp 127.0.0.1 81 TCP:127.0.0.1:81
serve_and_talk root env tcp 127.0.0.2 82 TCP:127.0.0.2:82

# expect_refused LABEL ERRNO WHO TRANSPORT ADDR PORT: refused with that errno
# name, a reason, and no socket.
expect_refused() {
	local label=$1 want=$2 who=$3 out
	shift 3
	out=$("$who" "$PROBE" bind "$SOCK" "$@")
	case $out in
	"ERR $want "?*) pass "bindd_grant: $label refused: ${out#ERR }";;
	*) fail "bindd_grant: $label: expected ERR $want, got '$out'";;
	esac
}
# An outsider is stopped by the socket file's mode...
expect_refused outsider EACCES as_outsider tcp 127.0.0.1 80
# ...and by keel-bindd itself when the file is opened to everyone.
chmod 666 "$SOCK"
expect_refused outsider-world-writable-socket EACCES as_outsider tcp 127.0.0.1 80
grep -q "refuse pid=[0-9]* uid=$UID_O .*EACCES uid $UID_O is neither root nor in group $GRP" "$LOG" &&
	pass "bindd_grant: refusal logged with the reason" || fail "bindd_grant: no refusal line: $(cat "$LOG")"
out=$(printf 'BIND tcp 127.0.0.1 80\n' | as_outsider "$PROBE" raw "$SOCK")
[ "$out" = "ERR EACCES uid $UID_O is neither root nor in group $GRP"$'\n'"fds=0" ] &&
	pass "bindd_grant: outsider's reply carries no fd" || fail "bindd_grant: outsider raw reply '$out'"
chmod 660 "$SOCK"

expect_refused port-1024 EPERM as_member tcp 127.0.0.1 1024
expect_refused port-65535 EPERM as_member udp 127.0.0.1 65535
expect_refused port-0 EPERM as_member tcp 127.0.0.1 0
expect_refused any-address EPERM as_member tcp 0.0.0.0 80
expect_refused any-address-v6 EPERM as_member tcp :: 80
# A port that is taken: the bind's own error comes back.
serve_probe "$TMP/held.out" as_member tcp 127.0.0.1 84
expect_refused port-in-use EADDRINUSE as_member tcp 127.0.0.1 84
kill "$PROBE_PID" 2>/dev/null

# A second daemon on the same path leaves the running one alone.
"$BINDD" --socket "$SOCK" --group "$GRP" 2>"$TMP/second.log"
rc=$?
if [ $rc -ne 0 ] && test -S "$SOCK" && kill -0 "$BINDD_PID" && grep -q 'Address already in use' "$TMP/second.log"; then
	pass "bindd_grant: a second instance refuses to take a live socket"
else
	fail "bindd_grant: second instance rc=$rc: $(cat "$TMP/second.log")"
fi

stop_bindd; rc=$?
[ $rc -eq 0 ] && [ ! -e "$SOCK" ] && pass "bindd_grant: SIGTERM: exit 0, socket file removed" ||
	fail "bindd_grant: SIGTERM: rc=$rc, socket $(ls -l "$SOCK" 2>&1)"

# --allow-any-address; and a stale socket file (left by SIGKILL) is replaced.
start_bindd --allow-any-address
kill -9 "$BINDD_PID"; wait "$BINDD_PID" 2>/dev/null
start_bindd --allow-any-address
serve_and_talk any-address as_member tcp 0.0.0.0 85 TCP:127.0.0.1:85
stop_bindd
