# authz/: keel-authz, ECI mode's authorization plugin for dockerd (glibc;
# links libmicrohttpd and jansson, which the image carries: rootfs/packages).
# The unix listener is keelctl's (host/keelctl/unix_listen.c, libc only).
AUTHZ_SRC := $(wildcard authz/*.c) host/keelctl/unix_listen.c $(COMMON_SRC)
AUTHZ_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(AUTHZ_SRC))
AUTHZ_LIBS := -lmicrohttpd -ljansson

$(patsubst %.c,$(B)/obj/%.o,$(wildcard authz/*.c)): CFLAGS += -Ihost/keelctl

$(B)/keel-authz: $(AUTHZ_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(AUTHZ_LIBS)

BINS += $(B)/keel-authz
