# Fault tests (tests/vm/fault_*.sh): fault_probe, a static musl program the
# tests run inside containers of the keel VM (vsock connects, fd listing,
# memory hog, fsync'd write loop). tests/faults is not a test tier: the
# runner ignores it; the program goes to build/tests/bin/.
$(B)/tests/bin/fault_probe: tests/faults/fault_probe.c | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) $< $(MUSL_LDFLAGS) -o $@

all: $(B)/tests/bin/fault_probe
