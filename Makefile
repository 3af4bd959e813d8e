# keel: top-level build. Each component adds its targets in its own
# module.mk; this file holds the toolchain, the pattern rules and the tiers.
#
#   make            build every binary into build/
#   make run        deps, kernel, image, binaries, boot the VM, show health
#   make test       every test tier; the last line is "N passed, N failed"
#   make test-unit | test-host | test-vm | bench | fuzz

SHELL     := /bin/bash
B         := build
CC        := gcc
MUSL_CC   := musl-gcc
WARN      := -Wall -Wextra -Werror
CFLAGS    := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -Icommon -Iproto -I$(B)/gen
LDFLAGS   :=
# musl-gcc must not see /usr/include (glibc headers); it only needs ours.
MUSL_CFLAGS := -std=gnu11 -Os $(WARN) -D_GNU_SOURCE -Icommon -ffunction-sections -fdata-sections
MUSL_LDFLAGS := -static -Wl,--gc-sections -s

COMMON_SRC := $(wildcard common/*.c)

BINS :=
UNIT_TESTS :=
FUZZERS :=

.PHONY: all deps test test-unit test-host test-vm bench fuzz run image kernel clean
all: deps

# install-deps is cheap when nothing is missing; the stamp skips even that
# until the script changes.
deps: $(B)/.deps
$(B)/.deps: scripts/install-deps
	@mkdir -p $(B)
	@scripts/install-deps
	@touch $@

# proto/ first: the other modules name $(PROTO_GEN) in their prerequisites,
# which make expands as it reads them.
include proto/module.mk
include $(filter-out proto/module.mk,$(wildcard */module.mk)) $(wildcard host/*/module.mk) $(wildcard tests/*/module.mk)

all: $(BINS)

# glibc objects (agent, host tools, unit tests)
$(B)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# musl objects (keel-init and what it links from common/)
$(B)/musl/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(B) -path $(B)/virtiofsd -prune -o -name '*.d' -type f -print 2>/dev/null)

kernel: deps
	scripts/build-kernel $(B)/bzImage

test: all
	@tests/run unit host fuzz vm

test-unit: all
	@tests/run unit

test-host: all
	@tests/run host

test-vm: all
	@tests/run vm

bench: all
	@rm -rf $(B)/bench/metrics
	@tests/run bench; rc=$$?; scripts/metrics-json $(B)/bench/metrics > $(B)/bench/results.json; \
		echo "wrote $(B)/bench/results.json"; exit $$rc

fuzz: all
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} tests/run fuzz

clean:
	rm -rf $(B)
