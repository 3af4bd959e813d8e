#!/usr/bin/env bash
# keel_host_start.sh: `keel-host start`, which makes a VM from the config
# file and start's options (host/keel-host/machine.c), with no VM booted
# (docs/host-daemon.md). As an ordinary user (tests/lib-user.sh). keel-vsock
# and the file servers (the Rust virtiofsd under keel-fsguard) run for real;
# a stand-in "qemu-system-x86_64" first in PATH records the argv it was
# given and writes QEMU's pid file.
#   - config values reach QEMU's argv, options override them; the state dir
#     is made 0700; the data disk is made sparse at the size asked, and
#     keel.data.new is on the kernel command line of that start only
#   - every share gets its own file server (read-only ones --readonly),
#     device and keel.share; tags are made unique; STATE/shares lists them;
#     a relative path with ".." is made absolute; ":9p" is QEMU's 9p, with
#     QEMU under keel-fsguard
#   - the per-boot secret is 32 bytes, mode 0600, and keelctl-args names it
#   - keel-host is in the background when start returns, with the helpers
#     running as the user, and run-vm stop leaves nothing of the VM running
#   - a share at or below a system tree, nested shares, a share that is not
#     a directory, a bad value and an unknown option are refused before
#     anything starts; so is a second start while the VM runs
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-user.sh"
user_setup
KH=$USER_TOP/build/keel-host RV=$USER_TOP/scripts/run-vm
for f in "$KH" "$USER_TOP/build/keel-vsock" "$USER_TOP/build/virtiofsd/virtiofsd"; do
	[ -x "$f" ] || { fail "prerequisite: $f missing (make)"; exit 1; }
done

mkdir -p "$TMP/bin"
cat > "$TMP/bin/qemu-system-x86_64" <<'SH'
#!/bin/sh
# a stand-in QEMU: its argv, one per line, and the pid file it is asked for
pidfile=
for a in "$@"; do printf '%s\n' "$a"; done > "$FAKE_QEMU_ARGV"
while [ $# -gt 0 ]; do [ "$1" = -pidfile ] && pidfile=$2; shift; done
echo $$ > "$pidfile"
exec sleep 1000
SH
chmod 755 "$TMP/bin/qemu-system-x86_64"
as_user touch "$TMP/kernel" "$TMP/image"
as_user mkdir -p "$TMP/proj/src" "$TMP/other/proj" "$TMP/docs"
cfg=$TMP/keel.conf
printf 'cpus = 3\nmemory = 1536\npublish = off\nshare = %s\n' "$TMP/docs" > "$cfg"
chmod a+r "$cfg"
st=$TMP/state argv=$TMP/qemu.argv
KHENV=(env PATH="$TMP/bin:$PATH" FAKE_QEMU_ARGV="$argv")

start() {   # start ARGS...: keel-host start with the stand-in QEMU
	as_user "${KHENV[@]}" "$KH" start --top "$USER_TOP" --state-dir "$st" --config "$cfg" \
		--kernel "$TMP/kernel" --image "$TMP/image" --accel tcg "$@" >"$TMP/start.out" 2>&1
}
arg_after() { grep -A1 -xF -- "$1" "$argv" | sed -n 2p; }
has_arg() { grep -qxF -- "$1" "$argv"; }
append() { arg_after -append; }

# the config's shares replaced by the options'; its cpus kept, its memory overridden
start --memory 1024 --data "$TMP/data.img" --data-size 1G --bind 5432:127.0.0.1:5432 \
	--share "$TMP/proj:ro" --share "$TMP/other/proj" --eci --append keel.test=1
rc=$?
check "keel-host start returns 0 once QEMU runs (rc $rc: $(tail -n 3 "$TMP/start.out" | tr '\n' '|'))" test "$rc" = 0
check "it said what it boots" grep -q 'booting (tcg, 3 cpus, 1024 MiB' "$TMP/start.out"
check "the state dir is made 0700, the user's" test "$(stat -c '%U %a' "$st" 2>&1)" = "$TEST_USER 700"
kh=$(cat "$st/keel-host.pid" 2>/dev/null)
check "keel-host runs in the background (pid ${kh:-none})" kill -0 "${kh:-0}"
check "... in its own session, KEEL_HELPER_OF in its environment" \
	bash -c '[ "$(ps -o sid= -p "$1" | tr -d " ")" = "$1" ] && tr "\0" "\n" < /proc/$1/environ | grep -qxF "KEEL_HELPER_OF=$2"' _ "${kh:-0}" "$st"
check "config cpus = 3 reaches QEMU" test "$(arg_after -smp)" = 3
check "--memory 1024 overrides the config's 1536" test "$(arg_after -m)" = 1024M
check "the shared-memory backend has the same size" has_arg "memory-backend-memfd,id=mem,size=1024M,share=on"
check "tcg with -cpu max" bash -c '[ "$(grep -A1 -x -- -accel "$1" | sed -n 2p)" = tcg ] && grep -A1 -x -- -cpu "$1" | grep -qx max' _ "$argv"
check "the root image read-only" has_arg "file=$TMP/image,format=raw,if=none,id=root,readonly=on"
check "the data disk is made sparse, 1 GiB" \
	bash -c '[ "$(stat -c %s "$1")" = 1073741824 ] && [ "$(stat -c %b "$1")" -lt 100 ]' _ "$TMP/data.img"
check "... attached, and keel.data.new on this start's command line" \
	bash -c 'grep -qxF "file=$2,format=raw,if=none,id=data,discard=unmap" "$1" && [[ "$3" == *" keel.data=/dev/vdb"* && "$3" == *" keel.data.new"* ]]' _ "$argv" "$TMP/data.img" "$(append)"
check "the first share read-only, tag proj" \
	bash -c '[[ "$1" == *" keel.share=proj:$2/proj:virtiofs:ro"* ]]' _ "$(append)" "$TMP"
check "the second, same base name: a tag of its own (proj-1)" \
	bash -c '[[ "$1" == *" keel.share=proj-1:$2/other/proj:virtiofs"* ]]' _ "$(append)" "$TMP"
check "the config's share is replaced by the options'" bash -c '[[ "$1" != *"$2/docs"* ]]' _ "$(append)" "$TMP"
check "each share has its vhost-user-fs device on keel-host's relay socket" \
	bash -c 'grep -qx "vhost-user-fs-pci,chardev=fs0,tag=proj" "$1" && grep -qx "vhost-user-fs-pci,chardev=fs1,tag=proj-1" "$1" && grep -qx "socket,id=fs0,path=$2/fs-0.sock" "$1"' _ "$argv" "$st"
check "--eci and --append reach the kernel command line" \
	bash -c '[[ "$1" == *" keel.eci=1 keel.test=1" ]]' _ "$(append)"
check "vsock through keel-host's relay to keel-vsock" \
	bash -c 'grep -qx "vhost-user-vsock-pci,chardev=vsock0" "$1" && grep -qx "socket,id=vsock0,path=$2/vhost-vsock.sock" "$1"' _ "$argv" "$st"
check "the secret: 32 bytes, mode 0600, to the guest by fw_cfg" \
	bash -c '[ "$(stat -c "%s %a" "$1/secret")" = "32 600" ] && grep -qx "name=opt/keel/secret,file=$1/secret" "$2"' _ "$st" "$argv"
check "keelctl-args reaches the agent with the secret" \
	test "$(cat "$st/keelctl-args" 2>&1)" = "--hybrid $st/vsock.sock --secret $st/secret"
check "STATE/shares lists both, with their file server" \
	bash -c '[ "$(wc -l < "$1/shares")" = 2 ] && grep -q "^$2/proj	proj	virtiofsd as uid $3, read-only$" "$1/shares"' _ "$st" "$TMP" "$TEST_UID"
check "qemu-cmdline is the command QEMU got" \
	bash -c 'want=$(cat "$2"); eval "set -- $(cat "$1/qemu-cmdline")"; [ "$1" = qemu-system-x86_64 ] && shift && [ "$(printf "%s\n" "$@")" = "$want" ]' _ "$st" "$argv"
js() { jget @"$st/status.json" "$1" 2>/dev/null; }
running() { test "$(js "len([h for h in d['helpers'] if h['state'] == 'running'])")" = 3; }
wait_for 10 running
check "status.json: keel-vsock, fs-0 and fs-1 running" \
	test "$(js "sorted(h['name'] for h in d['helpers'] if h['state'] == 'running')")" = "['fs-0', 'fs-1', 'keel-vsock']"
check "status.json: publish off (the config)" test "$(js "d['publish']")" = off
check "status.json: the bind from the option" test "$(js "[b['rule'] for b in d['binds']]")" = "['5432:127.0.0.1:5432']"
fs0=$(cat "$st/fs-0.pid" 2>/dev/null)
# keel-fsguard execs virtiofsd in place, under its seccomp filter
check "fs-0 is virtiofsd as the user, read-only, ids translated" \
	bash -c 'a=$(tr "\0" " " < /proc/$1/cmdline); [ "$(stat -c %u /proc/$1)" = "$2" ] && [[ "$a" == *"--shared-dir $3/proj "* && "$a" == *--readonly* && "$a" == *"--translate-uid map:"* ]]' _ "${fs0:-0}" "$TEST_UID" "$TMP"
pids="$kh $(cat "$st"/*.pid 2>/dev/null | tr '\n' ' ')"
as_user "$RV" stop --state-dir "$st" >"$TMP/stop.out" 2>&1
check "run-vm stop: nothing of the VM runs ($pids)" \
	bash -c 'for p in $1; do kill -0 $p 2>/dev/null && exit 1; done; exit 0' _ "$pids"

# a second start on the same disk: no keel.data.new
start --no-share --data "$TMP/data.img"
check "the second start on that disk: no keel.data.new" \
	bash -c '[[ "$1" == *" keel.data=/dev/vdb"* && "$1" != *keel.data.new* ]]' _ "$(append)"
check "... and no share (--no-share beats the config's)" bash -c '[[ "$1" != *keel.share* ]]' _ "$(append)"
as_user "$RV" stop --state-dir "$st" >/dev/null 2>&1

# a relative share path with "..": made absolute as the shell would; 9p asked for
(cd "$TMP/proj/src" && start --no-data --share ../../docs:9p)
check "a relative share with .. is made absolute, served over 9p as the user asked" \
	bash -c '[[ "$1" == *" keel.share=docs:$2/docs:9p"* ]] && grep -qx "local,path=$2/docs,mount_tag=docs,security_model=none,id=fs0" "$3"' _ "$(append)" "$TMP" "$argv"
check "... with QEMU under keel-fsguard (qemu-cmdline starts with it)" \
	bash -c 'guard=$2; eval "set -- $(cat "$1/qemu-cmdline")"; [ "$1" = "$guard" ] && [ "$2" = qemu-system-x86_64 ]' _ "$st" "$USER_TOP/build/keel-fsguard"
as_user "$RV" stop --state-dir "$st" >/dev/null 2>&1

# refused before anything starts
refused() {   # refused WHAT PATTERN ARGS...
	local what=$1 pat=$2; shift 2
	rm -f "$argv"
	start --no-data "$@"; local rc=$?
	check "$what: refused ($(tail -n 1 "$TMP/start.out"))" \
		bash -c '[ "$1" = 1 ] && grep -q -- "$2" "$3" && [ ! -e "$4" ] && [ ! -e "$5/keel-host.pid" ]' _ "$rc" "$pat" "$TMP/start.out" "$argv" "$st"
}
refused "a share below /etc" "share: /etc/ssl is at or below a directory the VM's own system uses" --share /etc/ssl
refused "nested shares" "is inside the share" --share "$TMP/proj" --share "$TMP/proj/src"
refused "a share that is not a directory" "share: $TMP/kernel is not a directory" --share "$TMP/kernel"
as_user mkdir -p "$TMP/a,b"
refused "a share with a comma in its path" "only letters, digits" --share "$TMP/a,b"
refused "--cpus 0" "--cpus: key 'cpus': '0' is not a number of CPUs" --cpus 0
refused "an unknown option" "unknown option --cpu" --cpu 2

# a second start while the first runs: refused, the running VM untouched
start --no-data --no-share
kh=$(cat "$st/keel-host.pid" 2>/dev/null)
start --no-data --no-share; rc=$?
check "a second keel-host start on a running state dir is refused ($(tail -n 1 "$TMP/start.out"))" \
	bash -c '[ "$1" = 1 ] && grep -q "a VM runs in .* already (keel-host pid $2)" "$3" && kill -0 "$2"' _ "$rc" "${kh:-0}" "$TMP/start.out"
as_user "$RV" stop --state-dir "$st" >/dev/null 2>&1
check "... and stop still stops the first" bash -c '! kill -0 "$1" 2>/dev/null' _ "${kh:-0}"
