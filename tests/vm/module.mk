# VM tier: QEMU guests. The vsock tests boot build/bzImage with a small
# initramfs (busybox-static + vsock-guest, static musl) and drive it from the
# host with vsock-host through keel-vsock.
VSOCK_GUEST_SRC := tests/vm/guest/vsock-guest.c tests/vm/guest/testdata.c
VSOCK_INITRD    := $(B)/vm/vsock-initrd.gz

$(B)/tests/bin/vsock-guest: $(VSOCK_GUEST_SRC) tests/vm/guest/testdata.h | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -Itests/vm/guest $(VSOCK_GUEST_SRC) $(MUSL_LDFLAGS) -o $@

$(B)/tests/bin/vsock-host: tests/vm/host/vsock-host.c tests/vm/guest/testdata.c tests/vm/guest/testdata.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/vm/guest tests/vm/host/vsock-host.c tests/vm/guest/testdata.c -o $@

$(VSOCK_INITRD): $(B)/tests/bin/vsock-guest tests/vm/guest/init tests/vm/guest/build-initramfs
	tests/vm/guest/build-initramfs $@ $<

# build-kernel is quick when its cache has this fragment's kernel.
$(B)/bzImage: kernel-config scripts/build-kernel | deps
	scripts/build-kernel $@

all: $(B)/tests/bin/vsock-guest $(B)/tests/bin/vsock-host
test test-vm bench: $(B)/bzImage $(VSOCK_INITRD) $(B)/keel-vsock $(B)/tests/bin/vsock-host

# Static programs put into the test images: udp-echo and udp-ask (mission,
# plumbing), tcp-hold (plumbing_bind's connection hog), fs-bench (the share
# benchmark, tests/bench/share_io.sh).
VM_PROGS := udp-echo udp-ask tcp-hold fs-bench
$(VM_PROGS:%=$(B)/tests/bin/%): $(B)/tests/bin/%: tests/vm/progs/%.c | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) $< $(MUSL_LDFLAGS) -o $@

all: $(VM_PROGS:%=$(B)/tests/bin/%)
test test-vm bench: $(VM_PROGS:%=$(B)/tests/bin/%)

# The docker CLI's buildx and compose v2 plugins of the engine's release
# (Debian 13's docker-buildx 0.13 and docker-compose 2.26, "+" packages of
# rootfs/packages.lock, so pinned by version and sha256 with the image's):
# tests/vm/engine_cli.sh points the tests' docker CLI at this directory
# (DOCKER_CONFIG/cli-plugins). docs/engine-cli.md.
CLI_PLUGINS := $(B)/tests/cli-plugins/docker-buildx $(B)/tests/cli-plugins/docker-compose
$(CLI_PLUGINS): $(B)/tests/cli-plugins/%: rootfs/packages rootfs/packages.lock scripts/build-rootfs | deps
	@scripts/build-rootfs --package-file $* usr/libexec/docker/cli-plugins/$* $@

test test-vm: $(CLI_PLUGINS)
