# tests/vm/lib-image.sh: boot the product image (build/keel.img) with
# scripts/run-vm for a test and drive it. Source after tests/lib.sh.
# shellcheck shell=bash
#
#   img_require                      FAIL and exit when a build product is missing
#   run_vm ARGS...                   scripts/run-vm, as the test user
#   boot LABEL [RUN-VM START ARGS]   start the VM in $state, timed into $boot_ms;
#                                    PASS/FAIL lines; returns 1 on failure
#   stop_vm                          run-vm stop (also registered at exit)
#   start_docker_proxy / stop_docker_proxy
#                                    a host unix socket ($TMP/docker.sock) that
#                                    reaches the guest's /run/docker.sock
#   docker ARGS...                   the docker 20.10 CLI against that socket
#   import_busybox TAG [FILE...]     docker import a busybox-static tree (every
#                                    applet linked in /bin, FILEs copied to /bin,
#                                    /www/index.html = "keel-test" for httpd)
#   health_json                      keelctl --json health
#   (jget, tests/lib.sh, reads the health JSON: jget "$h" 'd["status"]')
#   keelctl ARGS...                  build/keelctl against this VM (hybrid vsock)
#   tl NAME                          the console timeline figure (ms) of NAME
#   console_line REGEX               line number of REGEX's first console match
#
# Settings (set before sourcing or before calling): state (run-vm state dir,
# default $TMP/state), bound_s (boot bound, KEEL_BOOT_BOUND_S, default 120).
# After boot: $state/console.log, $state/vsock.sock, $state/qemu.pid.
#
# run-vm runs as an ordinary user (tests/lib-user.sh: TEST_USER owns $TMP
# and the state dir), as a desktop user runs it, and so do the keelctl
# helpers a test starts; only the docker CLI probe runs as root, which
# reaches that user's socket.
. "$(dirname "${BASH_SOURCE[0]}")/../lib-user.sh"
user_setup
KEELCTL=$USER_TOP/build/keelctl   # run as the user: from the tree it can read
DOCKER=$B/tests/bin/docker
state=${state:-$TMP/state}
# Measured under TCG on a shared 2-core machine: 9-35 s from QEMU start to
# dockerd ready (docs/image.md); the bound leaves room for a loaded CI host.
bound_s=${bound_s:-${KEEL_BOOT_BOUND_S:-120}}

img_require() {
	local f
	for f in "$KEELCTL" "$B/keel-vsock" "$B/keel-host" "$B/keel.img" "$B/bzImage" "$DOCKER" \
		"$B/keel-fsguard" "$B/virtiofsd/virtiofsd" "$@"; do
		[ -x "$f" ] || [ -f "$f" ] || { fail "prerequisite: $f missing (make test-vm builds it)"; exit 1; }
	done
}

run_vm() { as_user "$USER_TOP/scripts/run-vm" "$@"; }
stop_vm() { run_vm stop --state-dir "$state" >/dev/null 2>&1; }
on_exit 'stop_vm'

# The docker socket on the host: keelctl forward-unix, one agent forward
# stream per connection (what a user runs; README).
proxy_pid=
start_docker_proxy() {
	rm -f "$TMP/docker.sock"
	"${AS_USER[@]}" "$KEELCTL" --hybrid "$state/vsock.sock" forward-unix "$TMP/docker.sock:/run/docker.sock" \
		>"$TMP/proxy.log" 2>&1 &
	proxy_pid=$!
	wait_for 5 test -S "$TMP/docker.sock"
}
stop_docker_proxy() {
	[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
	[ -n "$proxy_pid" ] && wait "$proxy_pid" 2>/dev/null
	proxy_pid=
	return 0
}
on_exit 'stop_docker_proxy'
docker() { DOCKER_HOST=unix://$TMP/docker.sock "$DOCKER" "$@"; }

keelctl() { as_user "$KEELCTL" --hybrid "$state/vsock.sock" "$@"; }
health_json() { as_user "$KEELCTL" --hybrid "$state/vsock.sock" --json health; }

# import_busybox TAG [FILE...]: the test image. /bin/busybox of the host's
# busybox-static (static, so it needs nothing else), a link per applet, and
# FILEs (static programs) in /bin, and a page for `httpd -h /www` (a server
# started without a shell in front starts fastest under TCG).
import_busybox() {
	local root=$TMP/bb tag=$1 a; shift
	rm -rf "$root" && mkdir -p "$root/bin" "$root/tmp" "$root/data" "$root/www" || return 1
	echo keel-test > "$root/www/index.html"
	cp /bin/busybox "$@" "$root/bin/" || return 1
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	tar -C "$root" -cf "$TMP/bb.tar" . && docker import "$TMP/bb.tar" "$tag"
}

# boot LABEL [ARGS]: run-vm start in $state with ARGS, timed. keel-host's
# publish is off (--no-publish) unless boot_publish=1: most tests run their
# own `keelctl publish --auto`, which must find the host ports free.
boot() {
	local label=$1 t0 t1 rc pub=(--no-publish); shift
	[ "${boot_publish:-0}" = 1 ] && pub=()
	t0=$(date +%s%3N)
	run_vm start --state-dir "$state" --timeout "$bound_s" "${pub[@]}" "$@" >"$TMP/start-$label.log" 2>&1
	rc=$?
	t1=$(date +%s%3N)
	boot_ms=$(( t1 - t0 ))
	if [ $rc -ne 0 ]; then
		fail "$label: run-vm start failed (rc $rc) after ${boot_ms} ms: $(tail -n 20 "$TMP/start-$label.log" | tr '\n' '|')"
		echo "--- console tail"; tail -n 40 "$state/console.log" 2>/dev/null
		return 1
	fi
	[ -f "$TMP/accel" ] || "$TOP/scripts/qemu-accel" "$B/bzImage" > "$TMP/accel" 2>/dev/null
	pass "$label: run-vm start returned with dockerd ready in ${boot_ms} ms"
	check "$label: boot to dockerd ready within ${bound_s} s under $(cat "$TMP/accel" 2>/dev/null || echo ?)" \
		test "$boot_ms" -le $(( bound_s * 1000 ))
}

# the console carries the timeline, kernel start -> each milestone, in ms
tl() { grep -ao "timeline: $1 [0-9]*" "$state/console.log" | head -n1 | awk '{print $3}'; }
console_line() { grep -anE "$1" "$state/console.log" | head -n1 | cut -d: -f1; }
