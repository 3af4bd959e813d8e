#!/usr/bin/env bash
# engine_upgrade.sh: users upgrade in place. A data disk written by the
# Docker 20.10 image (Debian 12's docker.io 20.10.24, containerd 1.6, the
# image keel shipped before rootfs/packages.lock) boots under the current
# engine (Docker 26) with what it held: an image, a named volume with its
# data, and a stopped container with a file in its writable layer, which
# still starts.
#
# The old image: tests/vm/lib-old-engine.sh (built by the old commit's own
# build-rootfs; the first run costs its build, ~3-4 min here, later runs ~1 s).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
. "$(dirname "$0")/lib-old-engine.sh"
img_require "$B/keel-init" "$B/keel-agent" "$B/keel-blkid" "$B/keel-engine-settings"
old_engine_require
if build_old_image "$TMP/old.img" > "$TMP/old-build.log" 2>&1; then
	pass "the 20.10 image of ${old_commit:0:7}, built by its own build-rootfs ($(stat -c %s "$TMP/old.img") bytes)"
else
	fail "building the 20.10 image: $(tail -n 5 "$TMP/old-build.log" | tr '\n' '|')"; exit 1
fi

data=$TMP/data.img
args=(--data "$data" --data-size 2G --no-share --memory 1024)
engine() { docker version --format '{{.Server.Version}}' 2>&1; }

# --- boot 1: the old engine writes the disk -----------------------------------
boot old --image "$TMP/old.img" "${args[@]}" || exit 1
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
v=$(engine)
check "old image: the engine is Docker 20.10 ($v)" grep -q '^20\.10\.' <<< "$v"
check "old engine: docker import of the test image" import_busybox keel-up/busybox:1
check "old engine: a named volume with a file" \
	docker run --rm -v keel-up-vol:/data keel-up/busybox:1 sh -c 'echo in-the-volume > /data/f'
check "old engine: a stopped container with a file in its writable layer" \
	docker run --name keel-up-ctr -v keel-up-vol:/data keel-up/busybox:1 \
		sh -c 'echo in-the-layer > /marker; cat /data/f >> /marker'
old_id=$(docker inspect --format '{{.Id}}' keel-up-ctr 2>&1)
old_engine_id=$(docker info --format '{{.ID}}' 2>&1)
stop_docker_proxy
stop_vm
check "data disk is clean after the old engine's shutdown (e2fsck -n)" e2fsck -n "$data"

# --- boot 2: the current engine on the same disk --------------------------------
boot new "${args[@]}" || exit 1
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi
v=$(engine)
check "current image: the engine is Docker 26 ($v)" grep -q '^26\.' <<< "$v"
check "upgraded: the image is there" docker image inspect keel-up/busybox:1
check "upgraded: the named volume is there" docker volume inspect keel-up-vol
check "upgraded: the volume's file is intact" \
	sh -c "test \"\$('$DOCKER' -H unix://$TMP/docker.sock run --rm -v keel-up-vol:/data keel-up/busybox:1 cat /data/f)\" = in-the-volume"
st=$(docker ps -a --filter name=keel-up-ctr --format '{{.ID}} {{.Status}}' 2>&1)
check "upgraded: the stopped container is listed, exited ($st)" grep -q 'Exited (0)' <<< "$st"
check "upgraded: it is the same container (id ${old_id:0:12})" \
	test "$(docker inspect --format '{{.Id}}' keel-up-ctr 2>&1)" = "$old_id"
check "upgraded: its writable layer kept the file (docker cp)" \
	sh -c "'$DOCKER' -H unix://$TMP/docker.sock cp keel-up-ctr:/marker - | tar -xO | tr '\n' ' ' | grep -qx 'in-the-layer in-the-volume '"
check "upgraded: the old container starts under the new engine and exits 0" \
	sh -c "'$DOCKER' -H unix://$TMP/docker.sock start -a keel-up-ctr && test \"\$('$DOCKER' -H unix://$TMP/docker.sock inspect --format '{{.State.ExitCode}}' keel-up-ctr)\" = 0"
# not asserted: 20.10 derived its ID from /var/lib/docker/key.json, 26 keeps
# a random one in engine-id and no longer migrates the key's (docs/image.md)
echo "engine ID: 20.10 $old_engine_id, 26 $(docker info --format '{{.ID}}' 2>&1)"
check "upgraded: a new container runs from the old image" \
	sh -c "'$DOCKER' -H unix://$TMP/docker.sock run --rm keel-up/busybox:1 echo ok | grep -qx ok"
stop_docker_proxy
stop_vm
check "data disk is clean after the new engine's shutdown (e2fsck -n)" e2fsck -n "$data"
