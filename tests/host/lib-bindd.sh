# tests/host/lib-bindd.sh: sourced by the keel-bindd host tests (not
# executable). Each test runs in its own network namespace (so ports 1-1023
# are free and net.ipv4.ip_unprivileged_port_start is the default 1024 there),
# with a temporary group and unprivileged numeric uids that have no passwd
# entry (setpriv needs none, and nothing has to be added to /etc/passwd).
#   start_bindd [ARGS...]   keel-bindd as root on $SOCK, --group $GRP; sets BINDD_PID
#   as_member CMD...        uid $UID_M, primary gid $GID_OTHER, supplementary $GRP
#   as_outsider CMD...      uid $UID_O, gid $GID_OTHER, no supplementary group
#   probe ARGS...           build/tests/bin/bindd-probe
# shellcheck shell=bash
if [ -z "${BINDD_NETNS:-}" ]; then
	BINDD_NETNS=1 exec unshare --net -- "$0" "$@"
fi
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
BINDD=$B/keel-bindd
PROBE=$B/tests/bin/bindd-probe
name=$(basename "$0" .sh)
[ "$(id -u)" = 0 ] || { fail "$name: needs root (runs keel-bindd and switches users)"; exit 1; }
[ -x "$BINDD" ] && [ -x "$PROBE" ] || { fail "$name: build first (make)"; exit 1; }
ip link set lo up

# Unprivileged identities: numeric, far from real accounts, per test run.
UID_M=$((310000 + $$ % 40000)); UID_O=$((UID_M + 1)); UID_D=$((UID_M + 2))
GID_OTHER=$((UID_M + 3))
GRP=kbt$$
for _ in 1 2 3 4 5 6 7 8 9 10; do	# another test may hold the group file lock
	groupadd "$GRP" 2>/dev/null && break
	sleep 0.2
done
getent group "$GRP" >/dev/null || { fail "$name: groupadd $GRP failed"; exit 1; }
on_exit "groupdel $GRP 2>/dev/null || { sleep 0.5; groupdel $GRP; }"
GID=$(getent group "$GRP" | cut -d: -f3)

chmod 755 "$TMP"	# unprivileged peers must reach the socket inside
SOCK=$TMP/bindd.sock
LOG=$TMP/bindd.log

as_member() { setpriv --reuid "$UID_M" --regid "$GID_OTHER" --groups "$GID" -- "$@"; }
as_outsider() { setpriv --reuid "$UID_O" --regid "$GID_OTHER" --clear-groups -- "$@"; }
probe() { "$PROBE" "$@"; }

# start_bindd [ARGS...]: keel-bindd as root; sets BINDD_PID.
start_bindd() {
	"$BINDD" --socket "$SOCK" --group "$GRP" "$@" 2>>"$LOG" &
	BINDD_PID=$!
	on_exit "kill $BINDD_PID 2>/dev/null; wait $BINDD_PID 2>/dev/null"
	wait_for 5 test -S "$SOCK" || { fail "$name: keel-bindd did not start: $(cat "$LOG")"; exit 1; }
}
stop_bindd() { kill "$BINDD_PID" 2>/dev/null; wait "$BINDD_PID"; }

# port_free TRANSPORT PORT: nothing in this namespace holds it (ss).
port_free() { [ -z "$(ss -Hln "--$1" "sport = :$2")" ]; }

# serve_probe OUT WHO TRANSPORT ADDR PORT: bindd-probe bind in the
# background as WHO (as_member, as_outsider or env); waits for its first
# line in OUT; sets PROBE_PID.
serve_probe() {
	local out=$1 who=$2; shift 2
	"$who" "$PROBE" bind "$SOCK" "$@" >"$out" 2>&1 &
	PROBE_PID=$!
	on_exit "kill $PROBE_PID 2>/dev/null"
	wait_for 5 test -s "$out"
}
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
