# tests/progs: every helper program of the tests (not tests themselves, so
# the runner never runs them; tests/progs is not a tier). C programs build
# to build/tests/bin/NAME; the python helpers (conn_tool.py, dns_tool.py,
# fd_leaks.py, jget.py) run from here. agent_*, init_* and bindd_probe are
# built by their component's module.mk (agent/, init/, host/keel-bindd/).

# --- host side (glibc) ----------------------------------------------------

# Flood drivers of tests/host/flood_*.sh: flood_*.c -> flood_*.
FLOOD_PROGS := $(patsubst tests/progs/%.c,$(B)/tests/bin/%,$(wildcard tests/progs/flood_*.c))
$(B)/tests/bin/flood_%: tests/progs/flood_%.c proto/frame.c $(COMMON_SRC) $(PROTO_GEN) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(filter %.c,$^) -o $@ -lprotobuf-c -lpthread

all: $(FLOOD_PROGS)

# Round-trip helper of tests/bench/vm_image.sh (through keel-vsock's hybrid socket).
$(B)/tests/bin/keel-vmbench: tests/progs/vmbench.c tests/progs/rtt.h proto/frame.c $(COMMON_SRC) $(PROTO_GEN) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(filter %.c,$^) -o $@ -lprotobuf-c

all: $(B)/tests/bin/keel-vmbench

# The port-scanner and netconf tests and benchmark. They compile the agent's
# modules directly: agent/module.mk belongs to the agent binary.
PORTS_SCAN_SRC := agent/ports.c agent/sockdiag.c agent/port_owner.c
PORTS_HELPERS  := $(B)/tests/bin/ports-dump $(B)/tests/bin/ports-listen

$(B)/tests/bin/ports-dump: tests/progs/ports_dump.c $(PORTS_SCAN_SRC) $(COMMON_SRC) $(wildcard agent/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iagent $(filter %.c,$^) -o $@ -lmnl

$(B)/tests/bin/ports-listen: tests/progs/ports_listen.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@

all: $(PORTS_HELPERS)

$(B)/tests/bin/netconf-apply: tests/progs/netconf_apply.c agent/netconf.c $(COMMON_SRC) $(wildcard agent/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iagent $(filter %.c,$^) -o $@ -lmnl

all: $(B)/tests/bin/netconf-apply

# The host end of tests/vm/vsock_*.sh (through keel-vsock), with the test
# data it shares with vsock-guest.
$(B)/tests/bin/vsock-host: tests/progs/vsock-host.c tests/progs/vsock_testdata.c tests/progs/vsock_testdata.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) tests/progs/vsock-host.c tests/progs/vsock_testdata.c -o $@

all: $(B)/tests/bin/vsock-host

# --- guest side (static musl: they run in the VM or in its containers) -----
#
# vsock-guest: the servers of the vsock tests' initramfs (tests/vm/guest).
# fault_probe: the fault and ECI tests' probe in containers (vsock connects,
# fd listing, memory hog, fsync'd write loop). udp-echo and udp-ask (mission,
# plumbing), tcp-hold (plumbing_bind's connection hog), fs-bench (the share
# benchmark, tests/bench/share_io.sh): put into the test images.
GUEST_PROGS := vsock-guest fault_probe udp-echo udp-ask tcp-hold fs-bench

$(B)/tests/bin/vsock-guest: tests/progs/vsock-guest.c tests/progs/vsock_testdata.c tests/progs/vsock_testdata.h | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) tests/progs/vsock-guest.c tests/progs/vsock_testdata.c $(MUSL_LDFLAGS) -o $@

GUEST_SINGLE := $(filter-out vsock-guest,$(GUEST_PROGS))   # one .c each
$(GUEST_SINGLE:%=$(B)/tests/bin/%): $(B)/tests/bin/%: tests/progs/%.c | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) $< $(MUSL_LDFLAGS) -o $@

all: $(GUEST_PROGS:%=$(B)/tests/bin/%)
test test-vm bench: $(GUEST_PROGS:%=$(B)/tests/bin/%)

# LD_PRELOAD library of tests/host/keel_host_time.sh: a host suspend as
# CLOCK_BOOTTIME running ahead of CLOCK_MONOTONIC.
$(B)/tests/lib/fake_suspend.so: tests/progs/fake_suspend.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -fPIC $< -o $@ -ldl

all: $(B)/tests/lib/fake_suspend.so
