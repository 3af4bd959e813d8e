/* init/shares.h: host directories: virtiofs (9p as fallback) mounted
 * nosuid,nodev at the same path as on the host (common/mountpoint.h makes
 * the mount point), with no uid/gid options: the file server on the host
 * decides the owners the VM sees (docs/shares.md). */
#ifndef KEEL_INIT_SHARES_H
#define KEEL_INIT_SHARES_H
#include "config.h"
#include "mountpoint.h"
#include <stdbool.h>

struct share_state {
	const struct share_cfg *cfg;
	const char *fstype;       /* what was mounted or last tried */
	bool mounted;
	char covered[64];         /* the image directory a tmpfs now covers, or "" */
	char message[128];        /* error text, "" when mounted */
};

/* 9p options: 9p2000.L over virtio; access=client so the guest checks the
 * host's owner and mode itself. */
#define SHARE_9P_OPTS "trans=virtio,version=9p2000.L,msize=262144,access=client"

/* Mount one share; failures are in st (never fatal). Returns 0 or -errno. */
int share_mount(const struct share_cfg *cfg, struct share_state *st);
#endif
