/* init/shares.c: see shares.h. */
#include "shares.h"
#include "mountpoint.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

static int try_mount(const struct share_cfg *c, const char *fstype, const char *opts)
{
	unsigned long flags = MS_NOSUID | MS_NODEV | (c->ro ? MS_RDONLY : 0);

	return mount(c->tag, c->path, fstype, flags, opts) < 0 ? -errno : 0;
}

int share_mount(const struct share_cfg *cfg, struct share_state *st)
{
	int r;

	memset(st, 0, sizeof(*st));
	st->cfg = cfg;
	st->fstype = cfg->fs == SHARE_FS_9P ? "9p" : "virtiofs";
	if ((r = mountpoint_prepare(cfg->path, st->covered, sizeof(st->covered))) < 0) {
		snprintf(st->message, sizeof(st->message), "mount point: %s",
			 mountpoint_error(r));
		return r;
	}
	if (cfg->fs == SHARE_FS_9P) {
		r = try_mount(cfg, "9p", SHARE_9P_OPTS);
	} else {
		r = try_mount(cfg, "virtiofs", NULL);
		/* No virtiofs in the kernel, or no such tag: the VM may offer
		 * the share over 9p instead (unless virtiofs was asked for). */
		if ((r == -ENODEV || r == -ENOENT) && cfg->fs == SHARE_FS_AUTO) {
			st->fstype = "9p";
			r = try_mount(cfg, "9p", SHARE_9P_OPTS);
		}
	}
	if (r < 0)
		snprintf(st->message, sizeof(st->message), "mount: %s", strerror(-r));
	st->mounted = r == 0;
	return r;
}
