# host/keelctl: the host's client and port forwarder (glibc, protobuf-c).
KEELCTL_SRC := $(wildcard host/keelctl/*.c) proto/frame.c proto/relay.c $(COMMON_SRC)
KEELCTL_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(KEELCTL_SRC)) $(B)/obj/$(B)/gen/keel.pb-c.o

$(patsubst %.c,$(B)/obj/%.o,$(wildcard host/keelctl/*.c)): $(PROTO_GEN)

$(B)/keelctl: $(KEELCTL_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -lprotobuf-c -lpthread -lm

BINS += $(B)/keelctl
