#!/usr/bin/env bash
# image_boot.sh: the product image booted by scripts/run-vm, twice on one data
# disk. Checks, without any test hook in the image: boot to Health ok with
# dockerd ready within a stated bound; a read-only root (on erofs, on a
# read-only block device); tmpfs /run and /tmp; the data disk at /var/lib and
# its persistence across an orderly shutdown; the boot timeline on the console.
# Also, on the same two boots: the new data disk is formatted because run-vm
# says it just created it (keel.data.new), the second boot only checks it;
# `single foo` on the kernel command line (handed to init as argv) is logged
# and ignored; a container whose SIGTERM handler needs 20 s finishes it at
# shutdown, its last write on a named volume is there after the next boot.
#
# The guest is inspected through the agent (keelctl health) and through
# dockerd: the docker CLI reaches /run/docker.sock over an agent forward stream
# (keelctl forward-unix) and runs a privileged container of a busybox image
# imported from the host, with the VM's pid namespace and / bind-mounted.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/lib-image.sh"

data=$TMP/data.img
share=$TMP/share
img_require
as_user sh -c "mkdir -p '$share' && echo 'from the host' > '$share/hello'"
boot_args=(--data "$data" --data-size 2G --share "$share:work" --memory 1024)

# inspect: one privileged container with the VM's pid namespace; prints
# key=value lines about the VM's mounts and devices.
inspect_vm() {
	docker run --rm --privileged --userns=host --pid=host --net=host -v /:/host \
		keel-test/busybox:1 /bin/sh -c '
		m() { busybox awk -v p="$1" "\$2==p {print \$1, \$3, \$4}" /proc/1/mounts; }
		echo "root=$(m /)"; echo "run=$(m /run)"; echo "tmp=$(m /tmp)"; echo "varlib=$(m /var/lib)"
		echo "vda_ro=$(busybox cat /sys/block/vda/ro)"
		if e=$(busybox touch /host/etc/keel-write-probe 2>&1); then echo "root_write=ok";
		else echo "root_write=$e"; fi
		if e=$(busybox dd if=/dev/zero of=/dev/vda bs=512 count=1 seek=4096 conv=fsync 2>&1); then
			echo "dev_write=ok"; else echo "dev_write=$e" | busybox head -n1; fi
		echo "init=$(busybox cat /proc/1/comm)"
		echo "masq=$(busybox chroot /host /usr/sbin/iptables -t nat -S POSTROUTING 2>&1 | busybox grep -c MASQUERADE)"
		echo "resolv=$(busybox readlink /host/etc/resolv.conf) $(busybox grep -c -e "^nameserver 192.168.65.7$" -e "^# upstream 10.0.2.3$" /host/run/keel/resolv.conf)"
		echo "marker=$(busybox cat /host/var/lib/keel-image-test 2>/dev/null)"
		echo "$1" > /host/var/lib/keel-image-test && echo wrote=yes
	' sh "$1"
}

kv() { sed -n "s/^$1=//p" "$TMP/inspect-$2"; }

# --- boot 1: a fresh data disk ------------------------------------------------
"$TOP/scripts/qemu-accel" "$B/bzImage" > "$TMP/accel" 2>/dev/null
boot boot1 "${boot_args[@]}" --append "single foo" || exit 1
record_metric vm_boot_to_dockerd_ready_ms "$boot_ms"
check "PID 1 logged and ignored the kernel's 'single' and 'foo'" bash -c \
	'grep -aq "ignoring argument .single.: unknown option" "$1" && grep -aq "ignoring argument .foo.: unknown option" "$1"' _ "$state/console.log"
check "the new data disk was formatted on run-vm's word (keel.data.new)" \
	grep -aq "data: disk /dev/vdb (formatted, new from the host)" "$state/console.log"

h=$(health_json)
check "health: status ok" test "$(jget "$h" 'd["status"]')" = ok
check "health: dockerd ready (/_ping)" test "$(jget "$h" 'd["docker_ready"]')" = True
check "health: containerd ready" test "$(jget "$h" 'd["containerd_ready"]')" = True
check "health: root read-only" test "$(jget "$h" 'd["root_read_only"]')" = True
check "health: data state disk" test "$(jget "$h" 'd["data_state"]')" = disk
check "health: / is erofs, read-only" test "$(jget "$h" '[(m["fstype"], m["read_only"]) for m in d["mounts"] if m["path"] == "/"]')" = "[('erofs', True)]"
check "health: /var/lib is /dev/vdb ext4" test "$(jget "$h" '[(m["source"], m["fstype"]) for m in d["mounts"] if m["path"] == "/var/lib"]')" = "[('/dev/vdb', 'ext4')]"
check "health: the share at its host path ($share)" test "$(jget "$h" '[m["fstype"] for m in d["mounts"] if m["path"] == "'"$share"'"]')" = "['virtiofs']"

t_init=$(tl init) t_agent=$(tl ready:agent) t_ctd=$(tl ready:containerd) t_dockerd=$(tl ready:dockerd)
check "console: timeline has init, ready:agent, ready:containerd, ready:dockerd" \
	test -n "$t_init" -a -n "$t_agent" -a -n "$t_ctd" -a -n "$t_dockerd"
if [ -n "$t_init" ] && [ -n "$t_dockerd" ]; then
	record_metric vm_kernel_to_init_ms "$t_init"
	record_metric vm_init_to_agent_ready_ms $(( t_agent - t_init ))
	record_metric vm_init_to_containerd_ready_ms $(( t_ctd - t_init ))
	record_metric vm_init_to_dockerd_ready_ms $(( t_dockerd - t_init ))
fi
check "run-vm printed the boot timeline" grep -q 'boot timeline' "$TMP/start-boot1.log"

# the docker CLI through the agent; a local image (the VM has no registry)
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
mkdir -p "$TMP/bb/bin" && cp /bin/busybox "$TMP/bb/bin/" && ln -s busybox "$TMP/bb/bin/sh"
tar -C "$TMP/bb" -cf "$TMP/bb.tar" .
check "docker import of a busybox image over the agent" docker import "$TMP/bb.tar" keel-test/busybox:1
if inspect_vm first >"$TMP/inspect-1" 2>&1; then pass "privileged inspection container ran"
else fail "inspection container: $(tr '\n' '|' < "$TMP/inspect-1")"; fi
check "PID 1 is keel-init" test "$(kv init 1)" = init
check "/ is the erofs root, mounted ro" bash -c '[[ "$1" == "/dev/root erofs ro,"* ]]' _ "$(kv root 1)"
check "a write to / fails (read-only file system)" bash -c '[[ "$1" == *"Read-only file system"* ]]' _ "$(kv root_write 1)"
check "root block device is read-only (/sys/block/vda/ro = 1)" test "$(kv vda_ro 1)" = 1
check "a raw write to /dev/vda fails" bash -c '[ -n "$1" ] && [ "$1" != ok ]' _ "$(kv dev_write 1)"
check "/run is tmpfs" bash -c '[[ "$1" == "tmpfs tmpfs "* ]]' _ "$(kv run 1)"
check "/tmp is tmpfs" bash -c '[[ "$1" == "tmpfs tmpfs "* ]]' _ "$(kv tmp 1)"
check "/var/lib is the data disk (/dev/vdb, ext4, rw)" bash -c '[[ "$1" == "/dev/vdb ext4 rw"* ]]' _ "$(kv varlib 1)"
check "the image's iptables (legacy) lists dockerd's NAT rule" test "$(kv masq 1)" -ge 1
check "/etc/resolv.conf -> /run/keel/resolv.conf: the agent's DNS server, QEMU's 10.0.2.3 its upstream" \
	test "$(kv resolv 1)" = "/run/keel/resolv.conf 2"
info=$(docker info --format '{{json .SecurityOptions}} {{.DockerRootDir}} {{.Driver}} {{.LoggingDriver}}' 2>&1)
check "dockerd: userns remap on, root in /var/lib/docker/100000.100000, overlay2, json-file ($info)" \
	bash -c '[[ "$1" == *name=userns*" /var/lib/docker/100000.100000 overlay2 json-file" ]]' _ "$info"
check "first boot: no marker on the new data disk" test -z "$(kv marker 1)"
check "first boot: marker written to /var/lib" test "$(kv wrote 1)" = yes

# Shutdown grace: a container whose SIGTERM handler needs 20 s (it asks
# docker for 25 with --stop-timeout; docker's default 10 s would SIGKILL it
# itself). The handler ignores further SIGTERMs, so only a SIGKILL stops it:
# with dockerd's old 10 s grace, init killed dockerd and then everything
# left within 10 + 5 + 2 + 3 s, before the handler's write.
# (the image has /bin/busybox and /bin/sh only: applets go through busybox)
grace_state() { docker exec slowstop busybox cat /data/state 2>/dev/null | grep -qx "$1"; }
check "a container with a 20 s SIGTERM handler runs, volume keel-grace" \
	docker run -d --name slowstop --stop-timeout 25 -v keel-grace:/data keel-test/busybox:1 /bin/sh -c '
	trap "trap \"\" TERM; echo stopping > /data/state; busybox sleep 20; echo finished > /data/state; busybox sync; exit 0" TERM
	echo running > /data/state; while :; do busybox sleep 1; done'
check "the container's SIGTERM handler is armed" wait_for 30 grace_state running
stop_docker_proxy

pids=$(cat "$state"/qemu.pid "$state"/keel-vsock.pid "$state"/fs-*.pid 2>/dev/null | tr '\n' ' ')
check "run-vm started QEMU, keel-vsock and virtiofsd" test "$(wc -w <<< "$pids")" -eq 3
t0=$(date +%s%3N)
check "run-vm stop: orderly shutdown through the agent" run_vm stop --state-dir "$state"
stop_ms=$(( $(date +%s%3N) - t0 ))
# init's console: "[  SECONDS] keel-init: stopping dockerd ..." .. "service dockerd stopped"
con_s() { grep -a "keel-init: $1" "$state/console.log" | head -n1 | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]*\)\].*/\1\2/p'; }
t_a=$(con_s "stopping dockerd") t_b=$(con_s "service dockerd stopped")
dockerd_ms=$(( ${t_b:-0} - ${t_a:-0} ))
echo "shutdown with a 20 s SIGTERM handler: run-vm stop $stop_ms ms, dockerd's stop $dockerd_ms ms"
check "dockerd waited for the handler and stopped by itself (${dockerd_ms} ms, >= 20 s, < its 35 s grace)" bash -c \
	'[ -n "$2" ] && [ "$1" -ge 20000 ] && [ "$1" -lt 35000 ] && ! grep -aq "dockerd did not stop within" "$3"' \
	_ "$dockerd_ms" "$t_b" "$state/console.log"
run_vm status --state-dir "$state" >/dev/null 2>&1; status_rc=$?
check "run-vm status: not running after stop (exit 3, got $status_rc)" test "$status_rc" = 3
# shellcheck disable=SC2086 # a list of pids
check "no QEMU, keel-vsock or virtiofsd left" bash -c 'for p; do ! kill -0 $p 2>/dev/null || exit 1; done' _ $pids
check "data disk is clean after shutdown (e2fsck -n)" e2fsck -n "$data"

# --- boot 2: the same data disk -----------------------------------------------
boot boot2 "${boot_args[@]}" || exit 1
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
check "second boot: the imported image is still there" docker image inspect keel-test/busybox:1
check "second boot: the data disk was checked, not formatted" bash -c \
	'grep -aq "data: disk /dev/vdb (checked" "$1" && ! grep -aq "(formatted" "$1"' _ "$state/console.log"
out=$(docker run --rm -v keel-grace:/data keel-test/busybox:1 busybox cat /data/state 2>&1)
check "second boot: the SIGTERM handler's last write is on the volume ($out)" test "$out" = finished
inspect_vm second >"$TMP/inspect-2" 2>&1
check "second boot: the marker of the first boot is on /var/lib" test "$(kv marker 2)" = first
stop_docker_proxy
# QMP control for tests that pause the VM
run_vm qmp --state-dir "$state" stop >/dev/null
check "run-vm qmp stop pauses the VM" bash -c '[[ "$1" == *"\"status\": \"paused\""* ]]' _ \
	"$(run_vm qmp --state-dir "$state" query-status)"
run_vm qmp --state-dir "$state" cont >/dev/null
check "run-vm qmp cont resumes it (agent answers)" keelctl version
t0=$(date +%s%3N)
check "second boot: run-vm stop" run_vm stop --state-dir "$state"
record_metric vm_shutdown_ms $(( $(date +%s%3N) - t0 ))
