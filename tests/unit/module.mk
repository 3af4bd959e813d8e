# Unit tests: each tests/unit/test_*.c is one program that #includes the .c
# files it tests (to reach their statics) and uses tests/unit/harness.h.
# Built with gcc under ASan and UBSan; common/ and the generated protobuf
# code are linked in. The test's own translation unit is compiled apart so
# its dependency file lists the .c files it includes.
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(B)/tests/unit/%: tests/unit/%.c $(COMMON_SRC) $(PROTO_GEN) tests/unit/harness.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -I. -Itests/unit -MMD -MP -MF $@.d -MT $@ -c $< -o $@.o
	$(CC) $(CFLAGS) $(SAN_FLAGS) $@.o $(COMMON_SRC) $(B)/gen/keel.pb-c.c -o $@ -lmnl -lprotobuf-c -ljansson

all: $(UNIT_TESTS)

# keel-host's vhost-user relay: keelctl's headers before keel-vsock's (both
# have a conn.h), as in host/keel-host/module.mk
$(B)/tests/unit/test_vu_relay: CFLAGS += -Ihost/keel-host -Ihost/keelctl -Ihost/keel-vsock
