# tests/vm/lib-old-engine.sh: the Docker 20.10 image keel shipped before
# rootfs/packages.lock (Debian 12's docker.io 20.10.24, containerd 1.6), for
# tests and benchmarks that compare with it. Source after tests/lib.sh.
# shellcheck shell=bash
#
#   old_engine_require       FAIL and exit when the old commit is not in this clone
#   build_old_image OUT      build that image into OUT
#
# The old image is built by the old commit's own scripts/build-rootfs and
# rootfs/ (its package list, resolved against the host's Debian 12 apt as it
# did then) around today's keel-init, keel-agent, keel-blkid and
# keel-engine-settings, into a cache
# of its own (~/.cache/keel/engine-upgrade; the .debs are shared), so that
# building it neither evicts nor reuses the current image's cache entries.
# The first build costs ~3-4 min here; later ones ~1 s.

# main before the engine moved to Debian 13: docker.io 20.10.24 from Debian 12
old_commit=2c5acafc22982a989f8e63a3f42d419449ee6698
real_cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}
old_cache=$real_cache/engine-upgrade

old_engine_require() {
	git -C "$TOP" cat-file -e "$old_commit^{commit}" 2>/dev/null && return 0
	fail "prerequisite: commit $old_commit (the 20.10 image) is not in this clone"; exit 1
}

build_old_image() {
	local src=$TMP/old-src
	mkdir -p "$src" "$old_cache/rootfs"
	git -C "$TOP" archive "$old_commit" scripts rootfs | tar -x -C "$src" || return 1
	[ -e "$old_cache/rootfs/debs" ] || ln -s "$real_cache/rootfs/debs" "$old_cache/rootfs/debs"
	# today's init starts dockerd through keel-engine-settings (docs/engine.md),
	# which links jansson: both go into the old image as its own would have had them
	echo libjansson4 >> "$src/rootfs/packages"
	install -D -m 0755 "$B/keel-engine-settings" "$src/rootfs/files/usr/libexec/keel-engine-settings"
	KEEL_CACHE=$old_cache "$src/scripts/build-rootfs" --init "$B/keel-init" \
		--agent "$B/keel-agent" --blkid "$B/keel-blkid" "$1" || return 1
	chmod 644 "$1"
}
