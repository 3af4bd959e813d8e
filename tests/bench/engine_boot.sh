#!/usr/bin/env bash
# engine_boot.sh (bench): boot to dockerd ready with the current engine
# (Docker 26, build/keel.img) beside the old one (Docker 20.10, the image of
# commit 2c5acaf, tests/vm/lib-old-engine.sh: cached after its first build,
# which tests/vm/engine_upgrade.sh shares). Same kernel, same keel-init and
# keel-agent (the old image is built around today's), same run-vm flags (no
# data disk: /var/lib on tmpfs, no share, 2 vCPUs, 1 GiB); the two images
# boot interleaved, old then new, $ENGINE_BOOT_ROUNDS times (3), so both see
# the same load on this shared machine. Metrics, medians of the rounds:
#   engine_boot_{20_10,26}_ms            QEMU start -> run-vm sees dockerd
#                                        answer /_ping (as lib-image's boot)
#   engine_boot_{20_10,26}_ping_kernel_ms kernel start -> /_ping (run-vm's
#                                        report, from the console timeline)
#   engine_boot_26_vs_20_10              ratio of the two medians (QEMU start -> ready)
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/vm/lib-image.sh"
. "$TOP/tests/vm/lib-old-engine.sh"
img_require "$B/keel-init" "$B/keel-agent" "$B/keel-blkid"
old_engine_require
rounds=${ENGINE_BOOT_ROUNDS:-3}

t0=$(date +%s%3N)
if ! build_old_image "$TMP/old.img" > "$TMP/old-build.log" 2>&1; then
	fail "building the 20.10 image: $(tail -n 5 "$TMP/old-build.log" | tr '\n' '|')"; exit 1
fi
pass "the 20.10 image of ${old_commit:0:7} in $(( $(date +%s%3N) - t0 )) ms (cached after the first build)"

median() { sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }
declare -A ready=() ping=()
for r in $(seq 1 "$rounds"); do
	for e in 20_10 26; do
		img=$B/keel.img; [ $e = 20_10 ] && img=$TMP/old.img
		boot "$e-$r" --image "$img" --no-data --no-share --memory 1024 || exit 1
		ready[$e]+="$boot_ms "
		p=$(grep -oE '^ *[0-9]+  dockerd answers /_ping' "$TMP/start-$e-$r.log" | awk '{print $1}')
		[ -n "$p" ] && ping[$e]+="$p "
		stop_vm
	done
done
for e in 20_10 26; do
	echo "engine $e: QEMU start -> dockerd ready ${ready[$e]}ms; kernel -> /_ping ${ping[$e]:-?}ms"
	record_metric "engine_boot_${e}_ms" "$(tr ' ' '\n' <<< "${ready[$e]}" | grep . | median)"
	[ -n "${ping[$e]:-}" ] &&
		record_metric "engine_boot_${e}_ping_kernel_ms" "$(tr ' ' '\n' <<< "${ping[$e]}" | grep . | median)"
done
old=$(cat "$B/bench/metrics/engine_boot_20_10_ms") new=$(cat "$B/bench/metrics/engine_boot_26_ms")
record_metric engine_boot_26_vs_20_10 "$(awk -v o="$old" -v n="$new" 'BEGIN {printf "%.2f", n / o}')"
pass "boot to dockerd ready: Docker 26 ${new} ms, Docker 20.10 ${old} ms (medians of $rounds, $(cat "$TMP/accel"))"
