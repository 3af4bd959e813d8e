# tests/vm/lib-vm.sh: boot a QEMU guest for a test. Source after tests/lib.sh.
# shellcheck shell=bash
#
#   VM_KERNEL=$B/bzImage VM_INITRD=... VM_APPEND="..." vm_start NAME [QEMU ARGS...]
#   vm_wait_console PATTERN SECONDS      wait for a console line (regex)
#   vm_stop                              (also runs at exit)
#
# Settings (environment, all optional except VM_KERNEL):
#   VM_INITRD   initramfs;  VM_APPEND  kernel command line (console=ttyS0 is added)
#   VM_MEM      MiB (default 512); VM_CPUS (default 1)
#   VM_VSOCK=1  start keel-vsock and attach vhost-user-vsock-pci (guest CID
#               VM_CID, default 3); the host side is then $VM_UDS
#               (CONNECT <port>) and $VM_UDS_<port> for guest->host
#   VM_VSOCK_USER  run keel-vsock as this user (setpriv; VM_DIR is chowned
#               to it so it can create its sockets there)
#   VM_VSOCK_BIN   keel-vsock binary (default $B/keel-vsock)
#   VM_NET=1    user networking (virtio-net), VM_HOSTFWD="tcp:127.0.0.1:H-:G ..."
#   VM_REBOOT=1 let a reset reboot the guest (default: -no-reboot, a guest
#               reboot or panic ends QEMU)
#   VM_TIMEOUT  seconds QEMU may live at most (default 900): a killed test
#               cannot leave a VM behind for long
#   KEEL_ACCEL  kvm | tcg: skip the probe
# After vm_start: VM_DIR (scratch), VM_CONSOLE (console log), VM_PID (QEMU),
# VM_KV_PID and VM_KV_LOG (keel-vsock), VM_ACCEL, VM_MONITOR (HMP socket;
# vm_monitor CMD sends one command).
#
# Guest RAM is always a shared memfd so a vhost-user backend can map it.

VM_PID= VM_KV_PID= VM_DIR= VM_CONSOLE= VM_ACCEL=

# vm_accel: "kvm" when a KVM guest really boots here, else "tcg": decided by
# scripts/qemu-accel (shared with scripts/run-vm), which boots VM_KERNEL under
# KVM and caches the verdict; KEEL_ACCEL overrides.
vm_accel() { "$TOP/scripts/qemu-accel" "$VM_KERNEL"; }

_vm_start_vsock() {
	local bin=${VM_VSOCK_BIN:-$B/keel-vsock}
	VM_VU=$VM_DIR/vu.sock
	VM_UDS=$VM_DIR/vsock
	VM_KV_LOG=$VM_DIR/keel-vsock.log
	local wrap=()
	if [ -n "${VM_VSOCK_USER:-}" ]; then
		chown "$VM_VSOCK_USER" "$VM_DIR"
		wrap=(setpriv --reuid="$VM_VSOCK_USER" --regid="$(id -g "$VM_VSOCK_USER")" --clear-groups)
	fi
	# shellcheck disable=SC2086
	"${wrap[@]}" "$bin" --socket "$VM_VU" --uds "$VM_UDS" --guest-cid "${VM_CID:-3}" \
		${VM_VSOCK_ARGS:-} >"$VM_KV_LOG" 2>&1 &
	VM_KV_PID=$!
	wait_for 10 test -S "$VM_VU" || { echo "keel-vsock did not start: $(cat "$VM_KV_LOG")"; return 1; }
}

# vm_start NAME [QEMU ARGS...]: returns once QEMU runs (not once it booted).
vm_start() {
	local name=$1; shift
	local mem=${VM_MEM:-512} args=() f
	VM_DIR=$TMP/vm-$name
	mkdir -p "$VM_DIR"
	chmod 755 "$TMP" "$VM_DIR"
	VM_CONSOLE=$VM_DIR/console.log
	VM_ACCEL=$(vm_accel)
	on_exit vm_stop
	if [ "$VM_ACCEL" = kvm ]; then args+=(-accel kvm -cpu host); else args+=(-accel tcg); fi
	VM_MONITOR=$VM_DIR/monitor.sock
	args+=(-m "$mem" -smp "${VM_CPUS:-1}" -nodefaults -no-user-config -display none
		-serial "file:$VM_CONSOLE" -monitor "unix:$VM_MONITOR,server=on,wait=off"
		-object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -numa node,memdev=mem
		-kernel "$VM_KERNEL" -append "console=ttyS0 panic=-1 no_timer_check ${VM_APPEND:-}")  # no_timer_check: see run-vm
	[ -n "${VM_INITRD:-}" ] && args+=(-initrd "$VM_INITRD")
	[ "${VM_REBOOT:-}" = 1 ] || args+=(-no-reboot)
	if [ "${VM_VSOCK:-}" = 1 ]; then
		_vm_start_vsock || return 1
		args+=(-chardev "socket,id=vsock0,path=$VM_VU" -device vhost-user-vsock-pci,chardev=vsock0)
	fi
	if [ "${VM_NET:-}" = 1 ] || [ -n "${VM_HOSTFWD:-}" ]; then
		local nd="user,id=net0"
		for f in ${VM_HOSTFWD:-}; do nd+=",hostfwd=$f"; done
		args+=(-netdev "$nd" -device virtio-net-pci,netdev=net0)
	fi
	timeout --kill-after=5 "${VM_TIMEOUT:-900}" qemu-system-x86_64 "${args[@]}" "$@" \
		>"$VM_DIR/qemu.log" 2>&1 &
	VM_PID=$!
	sleep 0.2
	kill -0 "$VM_PID" 2>/dev/null || { echo "QEMU failed: $(cat "$VM_DIR/qemu.log")"; return 1; }
}

# vm_wait_console REGEX SECONDS: wait for the guest to print REGEX; on
# timeout (or QEMU exiting) print the console's tail and fail.
vm_wait_console() {
	local re=$1 secs=$2 deadline
	deadline=$(( $(date +%s) + secs ))
	while ! grep -qE "$re" "$VM_CONSOLE" 2>/dev/null; do
		if ! kill -0 "$VM_PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
			echo "guest did not print '$re' within ${secs}s ($VM_ACCEL); console tail:"
			tail -n 15 "$VM_CONSOLE" 2>/dev/null
			[ -s "$VM_DIR/qemu.log" ] && { echo "qemu:"; tail -n 5 "$VM_DIR/qemu.log"; }
			return 1
		fi
		sleep 0.1
	done
}

# vm_monitor CMD: one QEMU monitor (HMP) command, e.g. system_reset.
vm_monitor() {
	echo "$*" | timeout 10 socat - "UNIX-CONNECT:$VM_MONITOR" >/dev/null
}

# vm_stop: power the VM off (kill QEMU) and let keel-vsock see the
# disconnect; idempotent.
vm_stop() {
	if [ -n "$VM_PID" ]; then
		kill "$VM_PID" 2>/dev/null
		wait "$VM_PID" 2>/dev/null
		VM_PID=
	fi
	if [ -n "$VM_KV_PID" ]; then
		# keel-vsock exits by itself when QEMU disconnects; give it a moment
		local i
		for (( i = 0; i < 50; i++ )); do kill -0 "$VM_KV_PID" 2>/dev/null || break; sleep 0.1; done
		kill "$VM_KV_PID" 2>/dev/null
		wait "$VM_KV_PID" 2>/dev/null
		VM_KV_RC=$?
		VM_KV_PID=
	fi
	return 0
}
