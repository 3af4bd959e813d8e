# host/keel-host: the host daemon of one VM (docs/host-daemon.md). It links
# keelctl's connection, rpc, relay, forward, publish and bind objects (and
# keel-bindd's client) rather than copying them, and keel-vsock's
# vhost-user message code (vu_wire.c) for its relay; jansson for QMP and
# status.json.
KEEL_HOST_SRC := $(wildcard host/keel-host/*.c) \
	$(addprefix host/keelctl/,conn.c rpc.c forward.c publish.c udp_flows.c relay_thread.c bind.c unix_listen.c json.c show.c) \
	proto/dgram.c proto/frame.c proto/relay.c proto/vsock.c host/keel-vsock/vu_wire.c $(COMMON_SRC) \
	$(or $(BINDD_CLIENT_SRC),host/bindd-client/bindd_client.c)
KEEL_HOST_OBJ := $(sort $(patsubst %.c,$(B)/obj/%.o,$(KEEL_HOST_SRC))) $(B)/obj/$(B)/gen/keel.pb-c.o

$(patsubst %.c,$(B)/obj/%.o,$(wildcard host/keel-host/*.c)): $(PROTO_GEN)
$(patsubst %.c,$(B)/obj/%.o,$(wildcard host/keel-host/*.c)): CFLAGS += -Ihost/keelctl -Ihost/keel-vsock

$(B)/keel-host: $(KEEL_HOST_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -lprotobuf-c -ljansson -lpthread -lm

BINS += $(B)/keel-host
