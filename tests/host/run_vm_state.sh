#!/usr/bin/env bash
# run_vm_state.sh: scripts/run-vm's state directory is the user's alone, and
# a pid file never makes it signal a process that is not its helper. As an
# ordinary user (tests/lib-user.sh); no VM is booted.
#   - a state dir owned by another user, or not mode 0700, is refused (start,
#     stop, status), with the reason; a missing one is created 0700
#   - a pid file naming the user's own unrelated process (a reused pid) is
#     not signalled by stop; a helper started by run-vm would be (its
#     environment carries KEEL_HELPER_OF=STATE)
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-user.sh"
user_setup
RV=$USER_TOP/scripts/run-vm

mkdir "$TMP/roots" && chmod 1777 "$TMP/roots"     # someone else's, world-writable
out=$(as_user "$RV" status --state-dir "$TMP/roots" 2>&1); rc=$?
check "a state dir of another owner is refused (rc $rc: $out)" \
	bash -c '[ "$1" != 0 ] && [[ "$2" == *"belongs to uid 0"* ]]' _ "$rc" "$out"
out=$(as_user "$RV" start --state-dir "$TMP/roots" --no-share 2>&1); rc=$?
check "start refuses it too, before anything runs" \
	bash -c '[ "$1" != 0 ] && [[ "$2" == *"refusing it"* ]] && [ -z "$(ls -A "$3")" ]' _ "$rc" "$out" "$TMP/roots"
as_user mkdir -m 0755 "$TMP/open"
out=$(as_user "$RV" stop --state-dir "$TMP/open" 2>&1); rc=$?
check "the user's own state dir with mode 0755 is refused (rc $rc: $out)" \
	bash -c '[ "$1" != 0 ] && [[ "$2" == *"mode 755, not 0700"* ]]' _ "$rc" "$out"
out=$(as_user "$RV" stop --state-dir "$TMP/new/state" 2>&1); rc=$?
check "a missing state dir is not an error for stop ($out)" test "$rc" = 0
as_user env KEEL_STATE_DIR="$TMP/made" "$RV" start --no-share --kernel /nonexistent >/dev/null 2>&1
check "start creates a missing state dir 0700, owned by the user" \
	test "$(stat -c '%U %a' "$TMP/made" 2>&1)" = "$TEST_USER 700"

# a stale pid file: the pid now belongs to an unrelated process of the user
st=$TMP/st
as_user mkdir -m 0700 "$st"
"${AS_USER[@]}" sleep 300 & victim=$!
on_exit 'kill $victim 2>/dev/null'
sleep 0.2
for f in qemu keel-vsock docker-forward fs-0; do echo "$victim" > "$st/$f.pid"; done
chown "$TEST_UID" "$st"/*.pid
as_user "$RV" stop --state-dir "$st" >/dev/null 2>&1
check "stop does not signal a process that only a stale pid file names" kill -0 "$victim"
out=$(as_user "$RV" status --state-dir "$st" 2>&1); rc=$?
check "status says not running (exit 3) for it" bash -c '[ "$1" = 3 ] && [[ "$2" == "not running"* ]]' _ "$rc" "$out"
"${AS_USER[@]}" env KEEL_HELPER_OF="$st" sleep 300 & ours=$!
sleep 0.2
echo "$ours" > "$st/keel-vsock.pid"; chown "$TEST_UID" "$st/keel-vsock.pid"
as_user "$RV" stop --state-dir "$st" >/dev/null 2>&1
# (a zombie until this shell waits for it: gone or Z both mean signalled)
gone() { [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"; }
wait_for 5 gone "$ours"
check "stop does reap a helper that carries this state dir" gone "$ours"
