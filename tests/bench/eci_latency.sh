#!/usr/bin/env bash
# eci_latency.sh (bench): what ECI mode costs a container: `docker create`
# then `docker start` of the busybox test image, timed from the host's
# docker CLI (through run-vm's forwarded socket, the same path either way),
# median of RUNS, in a VM booted with --eci (dockerd asks keel-authz twice
# per API call: AuthZReq and AuthZRes) and in one booted without.
# Metrics: eci_create_start_ms, plain_create_start_ms, eci_create_start_ratio.
# docs/eci.md has the figures.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
bound_s=${KEEL_BOOT_BOUND_S:-300}
. "$TOP/tests/vm/lib-image.sh"
img_require
BB=keel-test/busybox:1
RUNS=${ECI_BENCH_RUNS:-15}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() {   # measure LABEL [RUN-VM ARGS] -> $TMP/LABEL.ms (one figure per run)
	local label=$1 i t0 c; shift
	boot "$label" --no-data --no-share --memory 1024 "$@" || return 1
	start_docker_proxy && import_busybox "$BB" >/dev/null 2>&1 ||
		{ fail "$label: docker proxy or image import"; return 1; }
	docker run --rm "$BB" true >/dev/null 2>&1     # warm: first container, layers
	: > "$TMP/$label.ms"
	for i in $(seq 1 "$RUNS"); do
		t0=$(date +%s%N)
		c=$(docker create "$BB" true 2>/dev/null) && docker start "$c" >/dev/null 2>&1 ||
			{ fail "$label: create+start $i"; break; }
		echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$TMP/$label.ms"
		docker rm -f "$c" >/dev/null 2>&1
	done
	stop_docker_proxy
	stop_vm
}

measure eci --eci && state=$TMP/state-plain && measure plain || exit 1
e=$(median < "$TMP/eci.ms") p=$(median < "$TMP/plain.ms")
check "measured $RUNS create+start in each mode (eci $(tr '\n' ' ' < "$TMP/eci.ms")| plain $(tr '\n' ' ' < "$TMP/plain.ms"))" \
	test "$(grep -c . "$TMP/eci.ms")" = "$RUNS" -a "$(grep -c . "$TMP/plain.ms")" = "$RUNS"
record_metric eci_create_start_ms "$e"
record_metric plain_create_start_ms "$p"
record_metric eci_create_start_ratio "$(awk -v a="$e" -v b="$p" 'BEGIN { printf "%.3f", a / b }')"
