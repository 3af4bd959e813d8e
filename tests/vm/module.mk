# VM tier: QEMU guests. The vsock tests boot build/bzImage with a small
# initramfs (busybox-static + vsock-guest, static musl; its init and builder
# are in tests/vm/guest) and drive it from the host with vsock-host through
# keel-vsock. Both programs, and the static ones put into the test images,
# are built by tests/progs/module.mk.
VSOCK_INITRD    := $(B)/vm/vsock-initrd.gz

$(VSOCK_INITRD): $(B)/tests/bin/vsock-guest tests/vm/guest/init tests/vm/guest/build-initramfs
	tests/vm/guest/build-initramfs $@ $<

# build-kernel is quick when its cache has this fragment's kernel.
$(B)/bzImage: kernel-config scripts/build-kernel | deps
	scripts/build-kernel $@

test test-vm bench: $(B)/bzImage $(VSOCK_INITRD) $(B)/keel-vsock $(B)/tests/bin/vsock-host

# The docker CLI's buildx and compose v2 plugins of the engine's release
# (Debian 13's docker-buildx 0.13 and docker-compose 2.26, "+" packages of
# rootfs/packages.lock, so pinned by version and sha256 with the image's):
# tests/vm/engine_cli.sh points the tests' docker CLI at this directory
# (DOCKER_CONFIG/cli-plugins). docs/engine-cli.md.
CLI_PLUGINS := $(B)/tests/cli-plugins/docker-buildx $(B)/tests/cli-plugins/docker-compose
$(CLI_PLUGINS): $(B)/tests/cli-plugins/%: rootfs/packages rootfs/packages.lock scripts/build-rootfs | deps
	@scripts/build-rootfs --package-file $* usr/libexec/docker/cli-plugins/$* $@

test test-vm: $(CLI_PLUGINS)
