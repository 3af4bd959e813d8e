# engine/: keel-engine-settings, the host's engine settings merged over the
# image's daemon.json before dockerd starts (docs/engine.md). glibc and
# jansson (the image carries libjansson4), so keel-init stays static musl.
ENGINE_SRC := $(wildcard engine/*.c) common/fd.c common/log.c
ENGINE_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(ENGINE_SRC))

$(B)/keel-engine-settings: $(ENGINE_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -ljansson

BINS += $(B)/keel-engine-settings
