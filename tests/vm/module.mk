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

# mission tests (tests/vm/mission_vm.sh): programs put into the test image
$(B)/tests/bin/udp-echo: tests/vm/progs/udp-echo.c | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) $< $(MUSL_LDFLAGS) -o $@

$(B)/tests/bin/udp-ask: tests/vm/progs/udp-ask.c | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) $< $(MUSL_LDFLAGS) -o $@

# share benchmark (tests/bench/share_io.sh): file-system timings in the VM
$(B)/tests/bin/fs-bench: tests/vm/progs/fs-bench.c | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) $< $(MUSL_LDFLAGS) -o $@

$(B)/tests/bin/tcp-hold: tests/vm/progs/tcp-hold.c | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) $< $(MUSL_LDFLAGS) -o $@

all: $(B)/tests/bin/udp-echo $(B)/tests/bin/udp-ask $(B)/tests/bin/tcp-hold $(B)/tests/bin/fs-bench
test test-vm: $(B)/tests/bin/udp-echo $(B)/tests/bin/udp-ask $(B)/tests/bin/tcp-hold
bench: $(B)/tests/bin/fs-bench
