# keel-fsguard: a file server's seccomp guard (host tool, glibc, libseccomp).
KEEL_FSGUARD_SRC := $(wildcard host/keel-fsguard/*.c)
KEEL_FSGUARD_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(KEEL_FSGUARD_SRC))

$(B)/keel-fsguard: $(KEEL_FSGUARD_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -lseccomp

BINS += $(B)/keel-fsguard
