# host/keelctl: the host's client and port forwarder (glibc, protobuf-c).
# publish --auto asks keel-bindd for ports below 1024 (host/bindd-client;
# BINDD_CLIENT_SRC is set by host/keel-bindd/module.mk, included before this).
KEELCTL_SRC := $(wildcard host/keelctl/*.c) proto/dgram.c proto/frame.c proto/relay.c proto/vsock.c $(COMMON_SRC) \
	$(or $(BINDD_CLIENT_SRC),host/bindd-client/bindd_client.c)
KEELCTL_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(KEELCTL_SRC)) $(B)/obj/$(B)/gen/keel.pb-c.o

$(patsubst %.c,$(B)/obj/%.o,$(wildcard host/keelctl/*.c)): $(PROTO_GEN)
$(B)/obj/host/keelctl/publish.o $(B)/obj/host/keelctl/main.o: CFLAGS += -Ihost/bindd-client

$(B)/keelctl: $(KEELCTL_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -lprotobuf-c -ljansson -lpthread -lm

BINS += $(B)/keelctl
