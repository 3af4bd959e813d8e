#!/usr/bin/env bash
# image_reproducible.sh: the root image is reproducible and holds what the VM
# runs. Builds the image a second time from nothing but the same inputs (an
# empty cache; only the downloaded .debs are reused, they are inputs) and
# compares sha256 with build/keel.img (about 40 s: unpacking and lz4hc are the
# cost; a cheaper mkfs-only rerun would miss a staging step that is not
# deterministic); then reads the image's own metadata
# with dump.erofs (no mount, no VM).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

img=$B/keel.img
[ -f "$img" ] || { fail "prerequisite: $img missing (make image)"; exit 1; }
real_cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}

# --- same inputs, fresh cache -> same bytes ----------------------------------
mkdir -p "$TMP/cache/rootfs"
[ -d "$real_cache/rootfs/debs" ] && ln -s "$real_cache/rootfs/debs" "$TMP/cache/rootfs/debs"
t0=$(date +%s%3N)
if KEEL_CACHE=$TMP/cache "$TOP/scripts/build-rootfs" "$TMP/again.img" 2>"$TMP/build.log"; then
	pass "second build from an empty cache ($(( $(date +%s%3N) - t0 )) ms)"
else
	fail "second build: $(tail -n 5 "$TMP/build.log" | tr '\n' '|')"; exit 1
fi
a=$(sha256sum < "$img" | cut -c1-64) b=$(sha256sum < "$TMP/again.img" | cut -c1-64)
check "same inputs give the same sha256 ($a)" test "$a" = "$b"


# --- what is in it -------------------------------------------------------------
sb=$(dump.erofs -s "$img" 2>&1)
check "fixed filesystem uuid" grep -q 'UUID: *6b65656c-0000-4000-8000-000000000001' <<< "$sb"
check "fixed creation time (SOURCE_DATE_EPOCH)" grep -q 'created: *Sat Jun 10 00:00:00 2023' <<< "$sb"
check "lz4hc compressed (big pclusters)" grep -q 'big_pcluster' <<< "$sb"

inode() { dump.erofs --path="$1" "$img" 2>&1; }
for f in /usr/sbin/init /usr/sbin/keel-agent /usr/libexec/keel-blkid /usr/sbin/dockerd /usr/bin/containerd \
	/usr/bin/containerd-shim-runc-v2 /usr/sbin/runc /usr/sbin/docker-proxy \
	/usr/bin/docker-init /usr/sbin/iptables /usr/sbin/mke2fs /usr/sbin/e2fsck \
	/etc/docker/daemon.json /etc/subuid /etc/subgid /etc/passwd /etc/group \
	/etc/ssl/certs/ca-certificates.crt /etc/ld.so.cache; do
	check "image has $f" grep -q '^File : ' <<< "$(inode "$f")"
done
strip --strip-all -R .note.gnu.build-id -o "$TMP/init" "$B/keel-init"
check "init is keel-init (the size of build/keel-init, stripped)" \
	grep -q "Size: $(stat -c %s "$TMP/init") " <<< "$(inode /usr/sbin/init)"
for f in /usr/bin/docker /usr/bin/ctr /usr/share/doc /usr/share/man /usr/share/locale \
	/usr/bin/perl /usr/bin/dpkg /usr/bin/apt /usr/sbin/xtables-nft-multi; do
	check "image leaves out $f" bash -c '! dump.erofs --path="$1" "$2" 2>&1 | grep -q "^File : "' _ "$f" "$img"
done
check "owners are root (--all-root)" grep -q 'Uid: 0   Gid: 0' <<< "$(inode /etc/subuid)"
check "mount points are empty directories" bash -c 'for d in /proc /sys /dev /run /tmp /var/lib; do
	dump.erofs --ls --path="$d" "$1" 2>&1 | awk "/NID TYPE/ {l=1; next} l && \$3 != \".\" && \$3 != \"..\" {bad=1} END {exit bad}" || exit 1
	done' _ "$img"
