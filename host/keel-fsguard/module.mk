# keel-fsguard: a file server's seccomp guard (host tool, glibc, libseccomp).
KEEL_FSGUARD_SRC := $(wildcard host/keel-fsguard/*.c)
KEEL_FSGUARD_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(KEEL_FSGUARD_SRC))

$(B)/keel-fsguard: $(KEEL_FSGUARD_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -lseccomp

BINS += $(B)/keel-fsguard

# The file server itself: Debian 13's Rust virtiofsd with its own libc
# (scripts/fetch-virtiofsd; the .debs are cached, the tree is a build output).
$(B)/virtiofsd/virtiofsd: scripts/fetch-virtiofsd scripts/apt-release | deps
	scripts/fetch-virtiofsd $(B)/virtiofsd

all: $(B)/virtiofsd/virtiofsd
