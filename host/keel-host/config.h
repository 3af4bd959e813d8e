/* host/keel-host/config.h: a VM's settings, from the user's config file and
 * then the command line of `keel-host start` (scripts/run-vm start passes
 * its options on), which overrides it.
 *
 * The file is ${XDG_CONFIG_HOME:-~/.config}/keel/keel.conf (KEEL_CONFIG,
 * --config FILE): `key = value` lines, '#' comments. A --share or --bind on
 * the command line replaces the file's list. A bad key or value is an
 * error naming the file, the line and the key, before anything is made or
 * started. docs/host-daemon.md lists the keys and the options. */
#ifndef KEEL_HOST_CONFIG_H
#define KEEL_HOST_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

#define CONFIG_LIST_MAX 32

struct config_list {
	char *v[CONFIG_LIST_MAX];
	size_t n;
};

struct vm_config {
	char *config_file;
	bool config_explicit;        /* --config or KEEL_CONFIG: it must exist */
	char *state;                 /* the state dir */
	char *top;                   /* keel's tree: build/ and rootfs/ below it */
	char *kernel, *image;
	char *data, *data_size;      /* data: NULL with no data disk */
	struct config_list shares;   /* DIR[:TAG][:ro][:9p] specs */
	bool default_share;          /* no share given: the home directory */
	bool force_9p;
	unsigned cpus, memory_mib;
	char *accel;                 /* "kvm", "tcg", or NULL: probe */
	char *append;                /* extra kernel command line, or NULL */
	bool eci, docker_sock, publish;
	struct config_list hostfwds; /* QEMU user-network rules */
	struct config_list binds;    /* [udp:]GUESTPORT:HOSTADDR:HOSTPORT */
	unsigned sync_interval_s;
	char *engine_settings, *engine_ca;   /* NULL: none */
	bool engine_settings_explicit, engine_ca_explicit;
};

/* Defaults from the environment (HOME, XDG_*, KEEL_CACHE, KEEL_CONFIG,
 * KEEL_STATE_DIR) and top, keel's tree. */
void config_defaults(struct vm_config *c, const char *top);
/* The config file, then the options argv[0..argc) (no program name).
 * 0, or -1 with the error in err. */
int config_load(struct vm_config *c, int argc, char **argv, char *err, size_t errlen);
/* The options, for --help. */
extern const char config_usage[];
#endif
