/* init/shares.c: see shares.h. */
#include "shares.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

int mkdir_p(const char *path, unsigned mode)
{
	char tmp[SHARE_PATH_MAX + 64];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		if (i < n)
			tmp[i] = '/';
	}
	return 0;
}

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
	if ((r = mkdir_p(cfg->path, 0755)) < 0) {
		snprintf(st->message, sizeof(st->message), "mkdir: %s", strerror(-r));
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
