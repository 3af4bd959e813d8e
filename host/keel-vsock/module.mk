# keel-vsock: the vhost-user-vsock backend (host tool, glibc, no library).
KEEL_VSOCK_SRC := $(wildcard host/keel-vsock/*.c)
KEEL_VSOCK_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(KEEL_VSOCK_SRC) $(COMMON_SRC))

$(B)/keel-vsock: $(KEEL_VSOCK_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@

BINS += $(B)/keel-vsock
