/* init/config.h: everything keel-init takes from the kernel command line
 * (`keel.*` parameters), parsed by cmdline.c into one struct. */
#ifndef KEEL_INIT_CONFIG_H
#define KEEL_INIT_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

#define CONFIG_MAX_SHARES 16
#define SHARE_TAG_MAX     36   /* virtio-fs tags are at most 36 bytes */
#define SHARE_PATH_MAX    256
#define DATA_DEV_MAX      64
#define HOSTNAME_MAX      63   /* one DNS label */
#define NET_SPEC_MAX      256

enum share_fs { SHARE_FS_AUTO, SHARE_FS_VIRTIOFS, SHARE_FS_9P };

struct share_cfg {
	char tag[SHARE_TAG_MAX + 1];
	char path[SHARE_PATH_MAX];
	enum share_fs fs;      /* AUTO: virtiofs, then 9p when virtiofs is absent */
	bool ro;
};

struct config {
	struct share_cfg shares[CONFIG_MAX_SHARES];
	size_t nshares;
	char data_dev[DATA_DEV_MAX];   /* "" = no data disk: tmpfs, ephemeral */
	bool data_new;                 /* keel.data.new: the host just created it */
	char hostname[HOSTNAME_MAX + 1];
	char net[NET_SPEC_MAX];        /* keel.ip as given, passed to the agent */
	bool debug;
	bool eci;                      /* keel.eci=1: dockerd consults keel-authz */
};

/* Called once per rejected parameter with a one-line reason. */
typedef void (*cmdline_warn_fn)(void *ctx, const char *msg);

/* Parse a kernel command line of len bytes (no NUL needed) into *cfg, which
 * is reset first. Non-keel parameters are ignored; each unknown or malformed
 * keel.* parameter is reported through warn and skipped. Returns the number
 * of parameters reported. */
int cmdline_parse(const char *buf, size_t len, struct config *cfg,
		  cmdline_warn_fn warn, void *ctx);

const char *share_fs_name(enum share_fs fs);
/* Copy s into out (cap >= 8) for a log line: printable ASCII only, '?' for
 * the rest, cut with "..." when long. Text from outside goes through it. */
void printable_copy(char *out, size_t cap, const char *s);
#endif
