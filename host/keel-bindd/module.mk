# host/keel-bindd: the privileged-port helper (glibc, libc only), and the
# test client the bindd host tests drive it with.
KEEL_BINDD_SRC := $(wildcard host/keel-bindd/*.c) common/log.c common/accept.c common/sockaddr.c
KEEL_BINDD_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(KEEL_BINDD_SRC))

$(B)/keel-bindd: $(KEEL_BINDD_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@

BINS += $(B)/keel-bindd

# The client library keelctl links (libc and common/sockaddr; its header is
# host/bindd-client/bindd_client.h).
BINDD_CLIENT_SRC := host/bindd-client/bindd_client.c

# bindd-probe: asks through host/bindd-client, then serves on the socket it
# got (echo), or sends raw bytes and reports the reply (malformed requests).
$(B)/tests/bin/bindd-probe: tests/progs/bindd_probe.c $(B)/obj/host/bindd-client/bindd_client.o \
		$(B)/obj/common/sockaddr.o $(B)/obj/common/fd.o | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ihost/bindd-client $^ -o $@

all: $(B)/tests/bin/bindd-probe
