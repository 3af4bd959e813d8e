# tests/vm/lib-fault.sh: shared by tests/vm/fault_*.sh. Source after
# tests/lib.sh and tests/vm/lib-image.sh.
# shellcheck shell=bash
#
#   fault_image [TAG]      import_busybox (lib-image.sh) with fault_probe and
#                          a file "hello" in /bin (httpd -h /bin serves /hello)
#   start_tool             a long-lived privileged container "tool" in the VM's
#                          pid, user and network namespaces, / at /host
#   tool CMD               sh -c CMD inside it (docker exec)
#   vm_pid COMM            pid of the VM process whose comm is COMM (first)
#   health_within S        print Health JSON as soon as the agent answers, bounded

PROBE=$B/tests/bin/fault_probe
FIMG=keel-test/fault:1

fault_image() {
	echo "hello from the container" > "$TMP/hello"
	import_busybox "${1:-$FIMG}" "$PROBE" "$TMP/hello" >/dev/null
}

start_tool() {
	docker run -d --name tool --privileged --pid=host --userns=host --net=host \
		-v /:/host "$FIMG" /bin/sleep 100000 >/dev/null
}
tool() { docker exec tool /bin/sh -c "$1"; }

# The first process whose comm is $1; pidof would also match threads' names.
vm_pid() {
	# shellcheck disable=SC2016 # expanded in the guest
	tool 'for d in /proc/[0-9]*; do [ "$(cat $d/comm 2>/dev/null)" = "'"$1"'" ] && { echo ${d#/proc/}; break; }; done'
}

health_within() {   # health_within SECONDS: Health JSON once the agent answers
	local deadline=$(( $(date +%s%3N) + $1 * 1000 )) h
	while :; do
		h=$("$KEELCTL" --hybrid "$state/vsock.sock" --timeout 2000 --json health 2>/dev/null) &&
			{ echo "$h"; return 0; }
		[ "$(date +%s%3N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}
