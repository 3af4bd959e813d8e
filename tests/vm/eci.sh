#!/usr/bin/env bash
# eci.sh: ECI mode (run-vm --eci, keel.eci=1; docs/eci.md) against the real
# dockerd. First boot with --eci: keel-authz runs before dockerd, every
# refused flag is refused with its message, while a share's -v, -p, exec
# and build still work. Second boot without it: the same flags are allowed,
# as before ECI existed. Both boots without a data disk.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
PROBE=$B/tests/bin/fault_probe   # tests/progs/fault_probe.c (static)
img_require "$PROBE"
BB=keel-test/busybox:1
D=$TEST_HOME/keel-eci-test.$$
on_exit 'rm -rf "$D"'
as_user mkdir -p "$D"
as_user sh -c "echo 'from the host' > '$D/mine' && ln -s /etc '$D/etc-link'"
mkdir -p "$TMP/ctx" && printf 'FROM %s\nRUN echo built > /b\n' "$BB" > "$TMP/ctx/Dockerfile"

# The flags of the issue, one `docker create` each (the plugin decides at
# create; exec and build have their own lines below): "ARGS|MESSAGE".
flags=(
	"--privileged|--privileged is not allowed in ECI mode"
	"--userns=host|--userns=host is not allowed"
	"--pid=host|--pid=host is not allowed"
	"--network=host|--network=host is not allowed"
	"--ipc=host|--ipc=host is not allowed"
	"--uts=host|--uts=host is not allowed"
	"--cgroupns=host|--cgroupns=host is not allowed"
	"-v /run/docker.sock:/var/run/docker.sock|it is the docker socket"
	"-v /var/run/docker.sock:/var/run/docker.sock|it is the docker socket"
	"-v /:/host|-v / is not allowed"
	"-v /etc:/x|-v /etc is not allowed"
	"-v /run:/x|-v /run is not allowed"
	"-v /var/lib:/x|-v /var/lib is not allowed"
	"-v /usr/sbin:/x|is a path of the VM itself"
	"-v $D/etc-link:/x|/etc is a path of the VM itself"
	"--mount type=bind,source=/etc,target=/x|--mount type=bind,source=/etc is not allowed"
	"--device /dev/null|--device is not allowed"
	"--cap-add SYS_ADMIN|--cap-add SYS_ADMIN is not allowed"
	"--cap-add ALL|--cap-add ALL is not allowed"
	"--security-opt seccomp=unconfined|--security-opt seccomp=unconfined is not allowed"
	"--security-opt apparmor=unconfined|--security-opt apparmor=unconfined is not allowed"
	"--security-opt systempaths=unconfined|systempaths=unconfined is not allowed"
)

start_vm() {   # start_vm LABEL [RUN-VM ARGS]: boot, proxy, test image
	boot "$@" --no-data --memory 1024 --share "$D" || exit 1
	if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
	check "$1: docker import of the busybox test image" import_busybox "$BB" "$PROBE"
}

# --- ECI mode -------------------------------------------------------------------
start_vm eci --eci
h=$(health_json)
check "eci: keel-authz is a ready service, started before dockerd" \
	test "$(jget "$h" '[s["name"] + ":" + s["state"] for s in d["services"] if s["name"] in ("authz", "dockerd")]')" = "['authz:ready', 'dockerd:ready']"
check "eci: the kernel command line has keel.eci=1" grep -q 'keel.eci=1' "$state/qemu-cmdline"
root_dir=$(docker info --format '{{.DockerRootDir}}' 2>&1)
check "eci: the engine keeps its own state ($root_dir): nothing made outside ECI runs under it" \
	bash -c '[[ $1 == /var/lib/docker-eci/* ]]' _ "$root_dir"

for f in "${flags[@]}"; do
	args=${f%%|*} want=${f#*|}
	# shellcheck disable=SC2086 # ARGS are words
	out=$(docker create $args "$BB" true 2>&1); rc=$?
	if [ $rc -ne 0 ] && [[ $out == *"authorization denied by plugin keel-eci: "*"$want"* ]]; then
		pass "eci: docker create $args refused: ${out##*keel-eci: }"
	else
		fail "eci: docker create $args: rc $rc, '$out'"
	fi
done
out=$(docker volume create --opt type=none --opt o=bind --opt device=/etc v-etc 2>&1)
check "eci: docker volume create binding /etc refused ($out)" \
	bash -c '[[ $1 == *"authorization denied by plugin keel-eci: docker volume create --opt "*"it binds a VM path"* ]]' _ "$out"

# the default seccomp profile still applies (as in fault_agent.sh without ECI)
out=$(docker run --rm "$BB" fault_probe vsock-socket 2>&1)
check "eci: a container's socket(AF_VSOCK) fails with EPERM ($out)" test "$out" = "vsock-socket err EPERM"

# what keeps working
check "eci: docker run -v of a share reads the host's file" \
	test "$(docker run --rm -v "$D":/src "$BB" cat /src/mine 2>&1)" = "from the host"
C=$(docker run -d -p 18080:80 "$BB" httpd -f -p 80 -h /www 2>&1)
check "eci: docker run -d -p 18080:80 ($C)" test "$(docker inspect -f '{{.State.Running}}' "$C" 2>&1)" = true
check "eci: docker exec" test "$(docker exec "$C" cat /www/index.html 2>&1)" = keel-test
out=$(docker exec --privileged "$C" true 2>&1)
check "eci: docker exec --privileged refused ($out)" \
	bash -c '[[ $1 == *"authorization denied by plugin keel-eci: docker exec --privileged is not allowed"* ]]' _ "$out"
docker build -q -t keel-eci-built "$TMP/ctx" > "$TMP/build.log" 2>&1
check "eci: docker build ($(tail -n1 "$TMP/build.log"))" \
	test "$(docker run --rm keel-eci-built cat /b 2>&1)" = built
out=$(docker build -q --network=host "$TMP/ctx" 2>&1)
check "eci: docker build --network=host refused ($(echo "$out" | tail -n1))" \
	bash -c '[[ $1 == *"authorization denied by plugin keel-eci: docker build --network=host is not allowed"* ]]' _ "$out"
out=$(docker swarm init 2>&1)
check "eci: docker swarm init refused ($(echo "$out" | tail -n1))" \
	bash -c '[[ $1 == *"authorization denied by plugin keel-eci: docker swarm init"* ]]' _ "$out"
check "eci: keel-authz logged its refusals on the console" grep -aq 'keel-authz.*refused /v1\.[0-9]*/containers/create: --privileged' "$state/console.log"
docker rm -f "$C" >/dev/null 2>&1
stop_docker_proxy
stop_vm

# --- without ECI: allowed, as before -------------------------------------------
state=$TMP/state-plain
start_vm plain
h=$(health_json)
check "plain: no keel-authz service" test "$(jget "$h" '[s["name"] for s in d["services"] if s["name"] == "authz"]')" = "[]"
root_dir=$(docker info --format '{{.DockerRootDir}}' 2>&1)
check "plain: the engine's state is the usual one ($root_dir)" bash -c '[[ $1 == /var/lib/docker/* ]]' _ "$root_dir"
for f in "${flags[@]}"; do
	args=${f%%|*}
	# userns-remap: these need the host's user namespace too (dockerd's rule)
	case $args in --privileged|--pid=host|--network=host) args="$args --userns=host";; esac
	# shellcheck disable=SC2086
	if out=$(docker create $args "$BB" true 2>&1); then
		pass "plain: docker create $args allowed"
		docker rm "$out" >/dev/null 2>&1
	else
		fail "plain: docker create $args: '$out'"
	fi
done
C=$(docker run -d --userns=host "$BB" sleep 600 2>&1)
check "plain: docker exec --privileged allowed" docker exec --privileged "$C" true
# dockerd itself refuses a host-network build under userns-remap, as it did
# before ECI: what matters is that the build got to dockerd's builder
out=$(docker build --network=host "$TMP/ctx" 2>&1)
check "plain: docker build --network=host reaches dockerd's builder, no plugin ($(echo "$out" | tail -n1))" \
	bash -c '[[ $1 != *"authorization denied"* && $1 == *"Step 2/2"* ]]' _ "$out"
docker rm -f "$C" >/dev/null 2>&1
