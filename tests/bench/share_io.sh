#!/usr/bin/env bash
# share_io.sh (bench): share throughput, in one boot run by an ordinary user
# (tests/lib-user.sh), for the file server keel uses (virtiofsd, as the user)
# against QEMU's 9p (security_model=none, the fallback) and the VM's own
# disk (ext4 on the data disk, /var/lib), each measured by the same static
# program in the same container setup (tests/progs/fs-bench.c):
#   - 256 MiB sequential write (1 MiB writes, fsync) and read (after the
#     guest's caches are dropped)
#   - 10,000 small files: create, then stat each
# Ratios are virtiofs/9p and virtiofs/disk of the times (below 1: virtiofs
# is faster). Figures only: asserts that each was measured.
# docs/performance.md and docs/shares.md have the table.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
bound_s=${KEEL_BOOT_BOUND_S:-300}
. "$TOP/tests/vm/lib-image.sh"
FB=$B/tests/bin/fs-bench
img_require "$FB"
MIB=${SHARE_BENCH_MIB:-256} FILES=${SHARE_BENCH_FILES:-10000}
BB=keel-bench/fs:1
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "" }'; }

as_user mkdir -p "$TMP/vfs" "$TMP/p9"
boot bench --data "$TMP/data.img" --data-size 2G --memory 1024 \
	--share "$TMP/vfs" --share "$TMP/p9:9p" || exit 1
start_docker_proxy || { fail "share bench: docker proxy"; exit 1; }
import_busybox "$BB" "$FB" >/dev/null || { fail "share bench: docker import"; exit 1; }

# fsb TARGET ARGS: fs-bench in a --userns=host privileged container (it
# drops the guest's page cache before a read) with TARGET at /t
fsb() {
	local target=$1; shift
	docker run --rm --userns=host --privileged -v "$target":/t "$BB" sh -c \
		'[ "$1" = read ] && { sync; echo 3 > /proc/sys/vm/drop_caches; }; fs-bench "$@"' _ "$@"
}

declare -A ms
for kind in virtiofs 9p disk; do
	case $kind in virtiofs) t=$TMP/vfs;; 9p) t=$TMP/p9;; disk) t=/var/lib/keel-bench;; esac
	ms[$kind-write]=$(fsb "$t" write /t/big "$MIB")
	ms[$kind-read]=$(fsb "$t" read /t/big)
	docker run --rm --userns=host -v "$t":/t "$BB" mkdir -p /t/small
	ms[$kind-small]=$(fsb "$t" small /t/small "$FILES")
	for op in write read small; do
		v=${ms[$kind-$op]}
		if [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
			pass "share bench: $kind $op measured (${v} ms)"
			record_metric "share_${kind}_${op}_ms" "$v"
		else
			fail "share bench: $kind $op gave no figure ('$v')"
		fi
	done
done
for op in write read small; do
	for base in 9p disk; do
		r=$(ratio "${ms[virtiofs-$op]}" "${ms[$base-$op]}")
		[ -n "$r" ] && record_metric "share_virtiofs_${op}_ratio_vs_${base}" "$r"
	done
done
printf '%-8s %12s %12s %14s\n' "" "write ${MIB}M" "read ${MIB}M" "small ${FILES}" 
for kind in virtiofs 9p disk; do
	printf '%-8s %10s ms %10s ms %12s ms\n' "$kind" "${ms[$kind-write]}" "${ms[$kind-read]}" "${ms[$kind-small]}"
done
