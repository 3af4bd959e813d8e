/* host/keel-host/shares.h: the host directories a VM sees, each at its own
 * path (keel-init mounts it there, common/mountpoint.h), so that `docker
 * run -v "$PWD":/src` works below one.
 *
 * A file server never has more access than an ordinary user: it runs as
 * the user who starts the VM, or, when root does (CI), as the directory's
 * owner (nobody for a root-owned one), under keel-fsguard's seccomp filter.
 * share_serve is the one place that decides how a share is served:
 * virtiofsd (Debian 13's Rust one, ids translated) unless 9p is asked for
 * or virtiofsd is missing; 9p (QEMU's, ids not translated) only for an
 * ordinary user. docs/shares.md has the ownership table. */
#ifndef KEEL_HOST_SHARES_H
#define KEEL_HOST_SHARES_H
#include "machine.h"
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define SHARE_TAG_MAX 36             /* virtio-fs tags */

struct share {
	char dir[PATH_MAX];          /* absolute, as the user names it */
	char tag[SHARE_TAG_MAX + 1];
	bool ro, p9;
};

/* "DIR[:TAG][:ro][:9p]" into s: DIR a directory, made absolute without
 * resolving links, in the characters the kernel command line, keel.share
 * and QEMU's option strings can carry, not at or below a tree the VM's own
 * system uses. 0, or -1 with err. */
int share_parse(const char *spec, bool force_9p, struct share *s, char *err, size_t errlen);

/* Every configured share (the home directory when none is and the default
 * holds): tags made unique, nested shares refused. 0, or -1 with err. */
int shares_collect(const struct vm_config *c, struct share *out, size_t cap, size_t *n,
		   char *err, size_t errlen);

/* Serve share i: a file server in m's plan and QEMU's device, or QEMU's 9p;
 * adds keel.share=... to the kernel command line and a line to
 * m->shares_list. 0, or -1 with err. */
int share_serve(struct machine *m, size_t i, const struct share *s, char *err, size_t errlen);
#endif
