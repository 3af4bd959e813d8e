# Helpers for the port-scanner and netconf tests and benchmark (not tests
# themselves, so they go to build/tests/bin/). They compile the agent's
# modules directly: agent/module.mk belongs to the agent binary.
PORTS_SCAN_SRC := agent/ports.c agent/sockdiag.c agent/port_owner.c
PORTS_HELPERS  := $(B)/tests/bin/ports-dump $(B)/tests/bin/ports-listen

$(B)/tests/bin/ports-dump: tests/ports/ports_dump.c $(PORTS_SCAN_SRC) $(COMMON_SRC) $(wildcard agent/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iagent $(filter %.c,$^) -o $@ -lmnl

$(B)/tests/bin/ports-listen: tests/ports/ports_listen.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@

all: $(PORTS_HELPERS)

$(B)/tests/bin/netconf-apply: tests/ports/netconf_apply.c agent/netconf.c $(COMMON_SRC) $(wildcard agent/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iagent $(filter %.c,$^) -o $@ -lmnl

all: $(B)/tests/bin/netconf-apply
