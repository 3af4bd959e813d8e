# init/: keel-init, PID 1, static with musl; its test programs.
INIT_SRC := $(wildcard init/*.c)
INIT_OBJ := $(patsubst %.c,$(B)/musl/%.o,$(INIT_SRC) $(COMMON_SRC))

$(B)/keel-init: $(INIT_OBJ)
	$(MUSL_CC) $(MUSL_CFLAGS) $(MUSL_LDFLAGS) $^ -o $@

BINS += $(B)/keel-init

# Small programs the host tests run as services (glibc is fine for them).
INIT_PROGS := $(patsubst tests/progs/%.c,$(B)/tests/bin/%,$(wildcard tests/progs/init_*.c))

$(B)/tests/bin/init_%: tests/progs/init_%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@

all: $(INIT_PROGS)

# keel-blkid: the data disk's signature probe (init/blkid/keel-blkid.c). glibc
# and libblkid, which the image has through e2fsprogs; a separate program so
# keel-init stays static musl.
$(B)/keel-blkid: init/blkid/keel-blkid.c | deps
	$(CC) $(CFLAGS) $< -o $@ -lblkid

BINS += $(B)/keel-blkid
