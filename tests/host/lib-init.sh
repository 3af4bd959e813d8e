# tests/host/lib-init.sh: sourced by tests/host/init_*.sh (not executable, so
# not a test itself). Runs keel-init as PID 1 of a new PID and mount
# namespace with a test service table.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

INIT=$B/keel-init
SVC=$B/tests/bin/init_svc
RUN=$TMP/run          # --run-dir
EV=$TMP/events        # init_svc --events
LOG=$TMP/init.log     # keel-init's console

init_require() {
	[ "$(id -u)" = 0 ] || { fail "$1: needs root (unshare --pid --mount)"; exit 0; }
	[ -x "$INIT" ] && [ -x "$SVC" ] || { fail "$1: build keel-init and tests first (make)"; exit 0; }
}

# init_start [EXTRA ARGS]: $TMP/cmdline and $TMP/services must exist. Sets
# INIT_UPID (the unshare process) and INIT_PID (keel-init's host pid).
init_start() {
	[ -f "$TMP/cmdline" ] || : > "$TMP/cmdline"
	rm -f "$RUN/status"      # no stale state from an earlier boot
	unshare --pid --fork --mount --mount-proc "$INIT" --cmdline "$TMP/cmdline" \
		--services "$TMP/services" --run-dir "$RUN" "$@" > "$LOG" 2>&1 &
	INIT_UPID=$!
	INIT_PID=
	wait_for 5 _init_find_pid || { fail "keel-init did not start"; cat "$LOG"; exit 1; }
	INIT_PID=$(cat "/proc/$INIT_UPID/task/$INIT_UPID/children")
	INIT_PID=${INIT_PID%% *}
	on_exit "init_kill"
}
_init_find_pid() { [ -n "$(cat "/proc/$INIT_UPID/task/$INIT_UPID/children" 2>/dev/null)" ]; }

# Killing PID 1 of the namespace ends everything in it.
init_kill() {
	[ -n "${INIT_PID:-}" ] && kill -KILL "$INIT_PID" 2>/dev/null
	{ wait "$INIT_UPID"; } 2>/dev/null
	return 0
}

# init_wait_exit SECONDS: wait for the namespace to end; INIT_RC is unshare's
# status (130: keel-init ended by SIGINT = reboot(POWER_OFF) in a PID ns,
# 129: SIGHUP = reboot(RESTART)).
init_wait_exit() {
	local deadline=$(( $(date +%s) + $1 ))
	while kill -0 "$INIT_UPID" 2>/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] || { INIT_RC=timeout; return 1; }
		sleep 0.05
	done
	{ wait "$INIT_UPID"; } 2>/dev/null; INIT_RC=$?
	INIT_PID=
}

# status_of NAME: "STATE PID RESTARTS LAST_EXIT" of a service in the status file.
status_of() { awk -v n="$1" '$1 == "service" && $2 == n { print $3, $4, $5, $6 }' "$RUN/status" 2>/dev/null; }
state_is() { [ "$(status_of "$1" | cut -d' ' -f1)" = "$2" ]; }
# event_ms EVENT NAME [NTH]: the monotonic ms of the NTH (default 1) such event.
event_ms() { awk -v e="$1" -v n="$2" -v k="${3:-1}" '$1 == e && $2 == n && ++c == k { print $3; exit }' "$EV" 2>/dev/null; }
has_event() { [ -n "$(event_ms "$@")" ]; }
# The host pid of the running service started with --name NAME.
svc_host_pid() {
	local p
	for p in $(cat "/proc/$INIT_PID/task/$INIT_PID/children" 2>/dev/null); do
		tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- "--name $1 " && { echo "$p"; return 0; }
	done
	return 1
}
