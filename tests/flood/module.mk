# Flood drivers of tests/host/flood_*.sh (helpers, not tests):
# tests/flood/flood_*.c -> build/tests/bin/flood_*.
FLOOD_PROGS := $(patsubst tests/flood/%.c,$(B)/tests/bin/%,$(wildcard tests/flood/flood_*.c))
$(B)/tests/bin/flood_%: tests/flood/flood_%.c proto/frame.c $(COMMON_SRC) $(PROTO_GEN) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(filter %.c,$^) -o $@ -lprotobuf-c -lpthread

all: $(FLOOD_PROGS)

# Round-trip helper of tests/bench/vm_image.sh (through keel-vsock's hybrid socket).
$(B)/tests/bin/keel-vmbench: tests/flood/vmbench.c tests/progs/rtt.h proto/frame.c $(COMMON_SRC) $(PROTO_GEN) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(filter %.c,$^) -o $@ -lprotobuf-c

all: $(B)/tests/bin/keel-vmbench
