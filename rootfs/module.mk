# rootfs/module.mk: the root image and `make run`.
#
#   make image   kernel + build/keel.img (erofs; scripts/build-rootfs caches
#                per input hash, so an unchanged image costs ~1 s)
#   make run     everything, then boots the VM and waits for dockerd
IMAGE := $(B)/keel.img

.PHONY: $(IMAGE)
image: kernel $(IMAGE)

$(IMAGE): $(B)/keel-init $(B)/keel-agent $(B)/keel-blkid $(B)/keel-authz $(B)/keel-engine-settings | deps
	@scripts/build-rootfs --init $(B)/keel-init --agent $(B)/keel-agent --blkid $(B)/keel-blkid \
		--authz $(B)/keel-authz --engine-settings $(B)/keel-engine-settings $@

# The VM tier boots the image with the kernel and reaches it with the host tools.
test-vm test bench: image

# Each step in order, with its duration; build-kernel and build-rootfs show
# their own progress. The steps are cached, so a second `make run` is quick.
run:
	@set -e; for step in deps kernel all image; do \
		t=$$(date +%s%3N); echo "[make run] $$step"; \
		$(MAKE) --no-print-directory $$step; \
		ms=$$(( $$(date +%s%3N) - t )); \
		echo "[make run] $$step done in $$((ms / 1000)).$$((ms % 1000 / 100)) s"; \
	done
	@scripts/run-vm start

# The docker CLI of the same engine release as the image (Debian 13's
# docker-cli, a "+" package of rootfs/packages.lock; it runs on the Debian 12
# host, needing glibc 2.34): VM tests drive dockerd with it; the host needs
# no docker install.
$(B)/tests/bin/docker: rootfs/packages rootfs/packages.lock scripts/build-rootfs | deps
	@scripts/build-rootfs --docker-client $@

test-vm test bench: $(B)/tests/bin/docker $(B)/keelctl $(B)/keel-vsock
