#!/usr/bin/env bash
# fault_kill.sh: QEMU killed with SIGKILL in the middle of container writes,
# FAULT_KILL_CYCLES times in a row (default 10) on one data disk. Each cycle:
# boot (run-vm waits for dockerd's /_ping), check Health (data_state disk,
# dockerd ready) and that what the previous cycle's container had fsync'd at
# least 5 s before the kill is on the volume, start a container that appends
# and fsyncs a counter every 200 ms, read the last committed value, wait 5 s
# more, SIGKILL QEMU. A last boot checks the last cycle's data.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
. "$TOP/tests/vm/lib-fault.sh"

cycles=${FAULT_KILL_CYCLES:-10}
img_require "$PROBE"
t_file=$(date +%s%3N)
data=$TMP/data.img
prev=0 committed=0 kills=0 intact=0 corrected=0

# last_committed NAME: the last "committed N" the writer printed (after fsync)
writing() { docker logs "$1" 2>/dev/null | grep -q '^committed'; }
last_committed() { docker logs "$1" 2>/dev/null | awk '$1 == "committed" {n = $2} END {print n + 0}'; }

for (( i = 1; i <= cycles + 1; i++ )); do
	boot "cycle $i" --data "$data" --data-size 1G --no-share --memory 1024 || break
	h=$(health_json)
	check "cycle $i: Health data_state disk, dockerd ready" \
		test "$(jget "$h" '(d["data_state"], d["docker_ready"])')" = "('disk', True)"
	grep -aqi "errors corrected" "$state/console.log" && corrected=$((corrected + 1))
	if ! start_docker_proxy; then fail "cycle $i: docker proxy: $(cat "$TMP/proxy.log")"; break; fi
	if [ "$i" = 1 ]; then check "cycle 1: docker import of the fault image" fault_image; fi
	# one container per cycle: show the previous file's last line, then write
	# shellcheck disable=SC2016 # expanded in the container
	docker run -d --name "w$i" -v keel-fault:/vol "$FIMG" /bin/sh -c \
		'echo "before $(tail -n1 /vol/counter-$1 2>/dev/null || echo 0)"; exec fault_probe write-loop /vol/counter-$2' \
		sh "$prev" "$i" >/dev/null
	check "cycle $i: the writer container started" wait_for 30 writing "w$i"
	before=$(docker logs "w$i" 2>/dev/null | awk '$1 == "before" {print $2}')
	if [ "$i" -gt 1 ]; then
		check "cycle $i: the volume holds what was committed before kill $((i - 1)) ($before >= $committed)" \
			test "${before:-0}" -ge "$committed"
		[ "${before:-0}" -ge "$committed" ] && intact=$((intact + 1))
	fi
	[ "$i" -gt "$cycles" ] && break
	committed=$(last_committed "w$i")
	check "cycle $i: the container is writing (committed $committed)" test "$committed" -gt 0
	sleep 5
	during=$(last_committed "w$i")
	check "cycle $i: still writing at the kill ($committed -> $during)" test "$during" -gt "$committed"
	stop_docker_proxy
	kill -9 "$(cat "$state/qemu.pid")"
	kills=$((kills + 1))
	prev=$i
	# keel-vsock exits when QEMU's socket closes; run-vm start reaps the rest
	wait_for 10 bash -c '! kill -0 "$1" 2>/dev/null' _ "$(cat "$state/keel-vsock.pid" 2>/dev/null || echo 0)"
done
stop_docker_proxy
check "run-vm stop" run_vm stop --state-dir "$state"
check "$kills SIGKILLs of QEMU, $intact later boots found the committed data (of $cycles)" \
	test "$kills/$intact" = "$cycles/$cycles"
check "the data disk is clean after an orderly stop (e2fsck -n)" e2fsck -n "$data"
secs=$(( ($(date +%s%3N) - t_file) / 1000 ))
echo "fault_kill.sh: $kills kills, $((i > cycles + 1 ? cycles + 1 : i)) boots, $corrected with e2fsck corrections, ${secs} s"
