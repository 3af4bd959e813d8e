# agent/: keel-agent, the guest daemon (glibc; links libmnl and protobuf-c).
# Every agent/*.c is part of it (ports and netconf included); main.c holds
# main(), the rest is also reachable from unit tests and fuzzers.
AGENT_SRC := $(wildcard agent/*.c) proto/frame.c proto/relay.c proto/vsock.c $(COMMON_SRC)
AGENT_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(AGENT_SRC)) $(B)/obj/$(B)/gen/keel.pb-c.o

# Generated header first: every agent object includes keel.pb-c.h.
$(patsubst %.c,$(B)/obj/%.o,$(AGENT_SRC)): $(PROTO_GEN)

$(B)/keel-agent: $(AGENT_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -lmnl -lprotobuf-c

BINS += $(B)/keel-agent

# Helper programs of the agent's host tests and benchmarks (not tests
# themselves): tests/progs/agent_*.c -> build/tests/bin/agent_*.
AGENT_PROGS := $(patsubst tests/progs/%.c,$(B)/tests/bin/%,$(wildcard tests/progs/agent_*.c))
$(B)/tests/bin/agent_%: tests/progs/agent_%.c tests/progs/rtt.h proto/frame.c $(COMMON_SRC) $(PROTO_GEN) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(filter %.c,$^) -o $@ -lprotobuf-c -lcrypto -lpthread

all: $(AGENT_PROGS)
