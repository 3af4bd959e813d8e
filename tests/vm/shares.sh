#!/usr/bin/env bash
# shares.sh: shared folders as a desktop user expects them (docs/shares.md),
# with the VM run by an ordinary user (tests/lib-user.sh): the user's home
# shared at the same path through virtiofsd as that user, and a read-only
# share. One boot, no data disk.
#   - `docker run -v "$DIR":/src` typed on the host finds the files
#   - the user's files are a default container root's own; what the VM
#     writes lands on the host as the user; modes pass through unchanged
#   - another owner's 0600 file is closed to a default container, to
#     --userns=host --privileged and to VM root; a 0644 one is readable only
#   - no setuid/setgid file and no device node can be made on the host
#   - a read-only share refuses writes even after a remount rw
#   - 1,000 create/rename/chmod/unlink leave the host tree as the VM saw it
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
img_require
BB=keel-test/busybox:1

# --- the host side: files made by the user, and two by root -----------------
D=$TEST_HOME/keel-share-test.$$
RO=$TMP/ro
on_exit 'rm -rf "$D"'
as_user mkdir -p "$D/sub" "$RO"
as_user sh -c "echo 'from the host' > '$D/mine' && chmod 0644 '$D/mine' && echo keep > '$RO/keep'"
echo secret > "$D/secret" && chmod 0600 "$D/secret"      # root's, in the user's tree
echo public > "$D/public" && chmod 0644 "$D/public"
user_ids="$TEST_UID $TEST_GID"

boot shares --no-data --memory 1024 --share "$TEST_HOME" --share "$RO:ro" || exit 1
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
check "docker import of the busybox test image" import_busybox "$BB"

h=$(health_json)
# mount_of PATH: fstype (+"/ro") and role of Health's mounts at PATH
mount_of() { jget "$h" '[m["fstype"] + ("/ro" if m.get("read_only") else "") + " " + m["role"] for m in d["mounts"] if m["path"] == "'"$1"'"]'; }
check "health: $TEST_HOME is a virtiofs share at the same path" test "$(mount_of "$TEST_HOME")" = "['virtiofs share']"
check "health: $RO is a read-only virtiofs share" test "$(mount_of "$RO")" = "['virtiofs/ro share']"
shares_out=$(run_vm shares --state-dir "$state" 2>&1)
check "run-vm shares lists both host paths" bash -c '[[ "$1" == *"$2  (virtiofsd as uid $3)"* && "$1" == *"$4  (virtiofsd as uid $3, read-only)"* ]]' \
	_ "$shares_out" "$TEST_HOME" "$TEST_UID" "$RO"
fs_pids=$(cat "$state"/fs-*.pid 2>/dev/null)
check "every file server runs as the user ($TEST_UID), none as root" \
	bash -c 'for p in $1; do [ "$(stat -c %u /proc/$p)" = "$2" ] || exit 1; done; [ -n "$1" ]' _ "$fs_pids" "$TEST_UID"
check "QEMU and keel-vsock run as the user" \
	bash -c 'for p in $(cat "$1"/qemu.pid "$1"/keel-vsock.pid); do [ "$(stat -c %u /proc/$p)" = "$2" ] || exit 1; done' _ "$state" "$TEST_UID"

# ct ARGS: a default (remapped) container with the share at /src
ct() { docker run --rm -v "$D":/src "$@"; }
# priv ARGS: --userns=host --privileged, the VM's root with every capability
priv() { docker run --rm --userns=host --privileged -v "$D":/src "$@"; }

# --- the same path --------------------------------------------------------------
check "docker run -v \"\$DIR\":/src reads the host's file" test "$(ct "$BB" cat /src/mine)" = "from the host"

# --- ownership -------------------------------------------------------------------
check "a default container's root owns the user's files (0 0)" test "$(ct "$BB" stat -c '%u %g' /src/mine)" = "0 0"
check "in the VM they are the remap root's, 100000 100000" test "$(priv "$BB" stat -c '%u %g' /src/mine)" = "100000 100000"
check "another owner's file shows as nobody (65534) with its mode" test "$(ct "$BB" stat -c '%u %a' /src/secret)" = "65534 600"
ct "$BB" sh -c 'echo w > /src/written && echo more >> /src/mine' 2>&1
check "a container's new file lands on the host as the user" test "$(stat -c '%u %g' "$D/written" 2>&1)" = "$user_ids"
check "a container's root writes into the user's file" test "$(tail -n1 "$D/mine")" = more
priv "$BB" sh -c 'echo r > /src/by-vm-root'
check "a VM-root write lands as the user too" test "$(stat -c '%u %g' "$D/by-vm-root" 2>&1)" = "$user_ids"
ct "$BB" chmod 0600 /src/written
check "a chmod in the VM is the host's mode, unchanged (0600)" test "$(stat -c %a "$D/written")" = 600
ct "$BB" sh -c 'umask 027 && echo m > /src/masked'
check "a new file keeps the VM's mode (umask 027: 0640)" test "$(stat -c %a "$D/masked" 2>&1)" = 640

# --- as far as the user could reach -----------------------------------------------
check "a default container cannot read root's 0600 file" bash -c '! "$@" 2>/dev/null' _ ct "$BB" cat /src/secret
check "--userns=host --privileged cannot read it" bash -c '! "$@" 2>/dev/null' _ priv "$BB" cat /src/secret
check "VM root (nsenter into PID 1) cannot read it" bash -c '! "$@" 2>/dev/null' _ \
	docker run --rm --userns=host --privileged --pid=host "$BB" nsenter -t 1 -m cat "$D/secret"
check "root's 0644 file is readable" test "$(ct "$BB" cat /src/public)" = public
check "but not writable, even by --privileged" bash -c '! "$@" 2>/dev/null' _ priv "$BB" sh -c 'echo x >> /src/public'
check "and its content is unchanged on the host" test "$(cat "$D/public")" = public

# --- no setuid, setgid or devices on the host ---------------------------------------
check "chmod u+s is refused (privileged)" bash -c '! "$@" 2>/dev/null' _ priv "$BB" sh -c 'touch /src/s && chmod 4755 /src/s'
check "chmod g+s on a directory is refused" bash -c '! "$@" 2>/dev/null' _ priv "$BB" chmod g+s /src/sub
check "chmod u+s is refused in a default container" bash -c '! "$@" 2>/dev/null' _ ct "$BB" chmod u+s /src/mine
check "a device node cannot be made (privileged mknod c 1 3)" bash -c '! "$@" 2>/dev/null' _ priv "$BB" mknod /src/null c 1 3
check "no setuid/setgid file and no device node on the host" \
	test -z "$(find "$D" \( -perm /6000 -o -type c -o -type b \) -print)"
priv "$BB" mkfifo /src/fifo
check "a FIFO can be made (it carries no privilege)" test -p "$D/fifo"

# --- a read-only share ----------------------------------------------------------------
check "the read-only share refuses a write" bash -c '! "$@" 2>/dev/null' _ docker run --rm -v "$RO":/ro "$BB" touch /ro/x
out=$(docker run --rm --userns=host --privileged -v "$RO":/ro "$BB" sh -c 'mount -o remount,rw /ro; touch /ro/x && echo WROTE' 2>&1)
check "and one after mount -o remount,rw in a privileged container (the file server refuses)" \
	bash -c '[[ "$1" != *WROTE* ]] && [ ! -e "$2/x" ]' _ "$out" "$RO"
check "the read-only share is readable" test "$(docker run --rm -v "$RO":/ro "$BB" cat /ro/keep)" = keep

# --- 1,000 files through create, rename, chmod, unlink -----------------------------------
t0=$(date +%s%3N)
vm_list=$(ct "$BB" sh -c 'mkdir /src/loop && cd /src/loop && i=0
	while [ $i -lt 1000 ]; do i=$((i + 1))
		echo $i > f$i && mv f$i g$i || exit 1
		[ $((i % 2)) = 0 ] && { chmod 640 g$i || exit 1; }
		[ $((i % 3)) = 0 ] && { rm g$i || exit 1; }
	done
	for f in *; do stat -c "%n %a %s" "$f"; done | sort')
loop_ms=$(( $(date +%s%3N) - t0 ))
host_list=$(cd "$D/loop" && for f in *; do stat -c "%n %a %s" "$f"; done | sort)
check "1,000 create/rename/chmod/unlink: the host tree is what the VM saw ($(wc -l <<< "$vm_list") files, ${loop_ms} ms)" \
	bash -c '[ "$1" = "$2" ] && [ "$(wc -l <<< "$1")" = 667 ]' _ "$vm_list" "$host_list"
check "every file of the loop is the user's on the host" \
	test -z "$(find "$D/loop" ! -uid "$TEST_UID" -print)"

# --- run by root (CI): the file servers still run as ordinary users ------------
# Why root here: this is the one case about root starting run-vm. It runs
# the tree the user can read ($USER_TOP): the file servers run as the
# shares' owners and must be able to run the file server.
stop_docker_proxy
stop_vm
rstate=$TMP/root-state
mkdir -p "$TMP/root-owned" && chmod 755 "$TMP/root-owned"
on_exit '"$USER_TOP/scripts/run-vm" qmp --state-dir "$rstate" quit >/dev/null 2>&1; "$USER_TOP/scripts/run-vm" stop --state-dir "$rstate" >/dev/null 2>&1'
"$USER_TOP/scripts/run-vm" start --state-dir "$rstate" --no-wait --no-data --no-docker-sock --memory 512 \
	--share "$D" --share "$TMP/root-owned" >"$TMP/root-start.log" 2>&1
root_log() { tail -n 5 "$TMP/root-start.log" "$rstate"/fs-*.log 2>/dev/null | tr '\n' ' '; }
owner_of() { stat -c %u "/proc/$(cat "$rstate/fs-$1.pid" 2>/dev/null)" 2>/dev/null; }
same_or_log() { [ "$1" = "$2" ] || { root_log; return 1; }; }
check "under root, the share of the user's directory is served as that user ($(owner_of 0))" same_or_log "$(owner_of 0)" "$TEST_UID"
check "under root, a root-owned directory is served as nobody ($(owner_of 1))" same_or_log "$(owner_of 1)" "$(id -u nobody)"
"$USER_TOP/scripts/run-vm" qmp --state-dir "$rstate" quit >/dev/null 2>&1
"$USER_TOP/scripts/run-vm" stop --state-dir "$rstate" >/dev/null 2>&1
out=$("$USER_TOP/scripts/run-vm" start --state-dir "$rstate" --no-data --9p --share "$D" 2>&1); rc=$?
check "under root, 9p is refused with the reason (rc $rc)" bash -c '[ "$1" != 0 ] && [[ "$2" == *"9p would serve it with root"* ]]' _ "$rc" "$out"
