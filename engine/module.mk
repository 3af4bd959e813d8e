# engine/: keel-engine-settings, the host's engine settings merged over the
# image's daemon.json before dockerd starts (docs/engine.md). glibc and
# jansson (the image carries libjansson4) and protobuf-c (the record for Health), so keel-init stays static musl.
ENGINE_SRC := $(wildcard engine/*.c) common/fd.c common/log.c
ENGINE_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(ENGINE_SRC)) $(B)/obj/$(B)/gen/keel.pb-c.o

$(patsubst %.c,$(B)/obj/%.o,$(wildcard engine/*.c)): $(PROTO_GEN)

$(B)/keel-engine-settings: $(ENGINE_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -ljansson -lprotobuf-c

BINS += $(B)/keel-engine-settings

# The image's own dockerd (Docker 26, from the lock) for the host test of
# the --validate step: tests/host/engine_settings.sh.
$(B)/tests/bin/dockerd: rootfs/packages rootfs/packages.lock scripts/build-rootfs | deps
	@scripts/build-rootfs --package-file docker.io usr/sbin/dockerd $@

test-host test: $(B)/tests/bin/dockerd
