#!/usr/bin/env bash
# plumbing_docker.sh: the host's docker CLI drives the VM's dockerd through
# the socket scripts/run-vm serves by default (STATE/docker.sock, keelctl
# forward-unix). One boot: the DOCKER_HOST line and the docker context keel;
# docker version shows the VM's engine (Docker 26, containerd 1.7, runc 1.1);
# run, ps, logs -f, exec -it (through a pty), build, cp; 20 CLI calls at
# once; stop removes socket and forwarder.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
img_require
export DOCKER_CONFIG=$TMP/docker-config   # the context goes here, not in ~/.docker
export DOCKER_CLI=$USER_TOP/build/tests/bin/docker   # run-vm's docker CLI, one the user can run
# run-vm runs as the test user and writes the context there
mkdir -p "$DOCKER_CONFIG" && chown "$TEST_UID:$TEST_GID" "$DOCKER_CONFIG"
boot plumbing --no-data --no-share || exit 1
sock=$state/docker.sock
export DOCKER_HOST=unix://$sock
docker() { "$DOCKER" "$@"; }

check "run-vm printed export DOCKER_HOST=unix://$sock" grep -qx "export DOCKER_HOST=unix://$sock" "$TMP/start-plumbing.log"
check "docker.sock is a socket of mode 0600 owned by the user who ran run-vm ($TEST_USER)" \
	test "$(stat -c '%F %a %U' "$sock")" = "socket 600 $TEST_USER"
check "run-vm created the docker context keel on that socket" \
	sh -c "'$DOCKER' context inspect keel --format '{{.Endpoints.docker.Host}}' | grep -qx 'unix://$sock'"

kver=$(file -b "$B/bzImage" | grep -o 'version [^ ]*' | cut -d' ' -f2)
v=$(env -u DOCKER_HOST "$DOCKER" --context keel version --format '{{.Server.Version}} {{.Server.KernelVersion}} {{.Server.Os}}' 2>&1)
check "docker version (context keel) shows the VM's engine ($v; VM kernel $kver)" \
	sh -c "echo '$v' | grep -qE '^[0-9][^ ]* $kver linux$'"

# the engine of rootfs/packages.lock (Debian 13): Docker 26.1 with containerd
# 1.7 and runc 1.1, seen through the host socket
sv=$(docker version --format '{{.Server.Version}}' 2>&1)
comp=$(docker version --format '{{range .Server.Components}}{{.Name}} {{.Version}};{{end}}' 2>&1)
check "docker version through the host socket reports Engine 26.x ($sv)" sh -c "echo '$sv' | grep -q '^26\.'"
check "its components are containerd 1.7 and runc 1.1 ($comp)" \
	sh -c "echo '$comp' | grep -q 'containerd 1\.7\.' && echo '$comp' | grep -q 'runc 1\.1\.'"

import_busybox keel-bb >/dev/null 2>&1
check "docker import of the busybox test image" sh -c "'$DOCKER' image inspect keel-bb >/dev/null"
check "docker run" sh -c "'$DOCKER' run --rm keel-bb sh -c 'echo run-\$((6*7))' | grep -qx run-42"

C=$(docker run -d --name ticker keel-bb sh -c 'i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.2; done' 2>&1)
check "docker run -d ($C)" test -n "$C"
check "docker ps lists the running container" sh -c "'$DOCKER' ps --format '{{.Names}} {{.Status}}' | grep -q '^ticker Up'"
# logs -f stays open and keeps streaming: more lines arrive while it follows.
before=$(docker logs ticker 2>&1 | grep -o 'tick-[0-9]*' | tail -n1 | cut -d- -f2)
timeout 4 "$DOCKER" logs -f ticker > "$TMP/logs" 2>&1; rc=$?
n0=$(grep -c tick- "$TMP/logs")
check "docker logs -f follows until stopped (rc $rc, $n0 lines)" test "$rc" = 124 -a "$n0" -ge 10
last=$(grep -o 'tick-[0-9]*' "$TMP/logs" | tail -n1 | cut -d- -f2)
check "docker logs -f streamed lines written while it followed (tick ${before:-?} before, $last at the end)" \
	test "${last:-0}" -ge $(( ${before:-0} + 5 ))

# exec -it: an interactive shell on a pty; its answer proves it evaluated input.
script -qc "'$DOCKER' exec -it ticker sh" /dev/null > "$TMP/exec.out" 2>&1 <<< 'tty; echo exec-$((6*7)); exit'
check "docker exec -it: an interactive shell on a tty" sh -c "grep -q '^/dev/pts/' '$TMP/exec.out' && grep -q 'exec-42' '$TMP/exec.out'"

mkdir -p "$TMP/ctx" && echo "from the build context" > "$TMP/ctx/f"
printf 'FROM keel-bb\nCOPY f /f\nRUN cp /f /g && echo built >> /g\n' > "$TMP/ctx/Dockerfile"
docker build -q -t keel-built "$TMP/ctx" > "$TMP/build.log" 2>&1
check "docker build of a small context ($(tail -n1 "$TMP/build.log"))" \
	sh -c "'$DOCKER' run --rm keel-built cat /g | tr '\n' ' ' | grep -qx 'from the build context built '"

head -c 300000 /dev/urandom > "$TMP/cp.in"
docker cp "$TMP/cp.in" ticker:/tmp/cp.in > /dev/null 2>&1
docker cp ticker:/tmp/cp.in "$TMP/cp.out" > /dev/null 2>&1
check "docker cp in and out (300 kB, same bytes)" cmp "$TMP/cp.in" "$TMP/cp.out"

# 20 CLI calls at once, of four kinds.
pids=()
for i in $(seq 1 20); do
	case $((i % 4)) in
	0) "$DOCKER" version >/dev/null 2>"$TMP/par.$i" & ;;
	1) "$DOCKER" ps >/dev/null 2>"$TMP/par.$i" & ;;
	2) "$DOCKER" inspect ticker >/dev/null 2>"$TMP/par.$i" & ;;
	3) "$DOCKER" run --rm keel-bb true >/dev/null 2>"$TMP/par.$i" & ;;
	esac
	pids+=($!)
done
ok=0; for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
check "20 docker CLI calls in parallel all succeed ($ok/20)" test "$ok" = 20
[ "$ok" = 20 ] || cat "$TMP"/par.* | sort | uniq -c | head

docker rm -f ticker >/dev/null 2>&1
fpid=$(cat "$state/keel-host.pid" 2>/dev/null)
run_vm stop --state-dir "$state" >/dev/null 2>&1
check "run-vm stop removes docker.sock" test ! -e "$sock"
check "run-vm stop ends keel-host, which serves it (pid ${fpid:-?})" sh -c "test -n '$fpid' && ! kill -0 '$fpid' 2>/dev/null"
