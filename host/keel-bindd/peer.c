/* peer.c: the credential check.
 *
 * Supplementary groups come from SO_PEERGROUPS (Linux 4.13), not from
 * /proc/<pid>/status nor getgrouplist(). The kernel records them at connect()
 * together with SO_PEERCRED, so they are the groups of the process that
 * actually connected: /proc/<pid> is read later and the pid may have exited
 * and been reused (or changed its credentials) by then, and getgrouplist()
 * reads the group database, which says what a fresh login of that uid would
 * get, not what the process holds (a process that dropped the group with
 * setgroups() would still pass). No fallback: on a kernel without it the
 * check fails closed (ENOPROTOOPT) and only root and the primary gid pass. */
#include "peer.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define GROUPS_ON_STACK 64
#define GROUPS_MAX 65536	/* NGROUPS_MAX of the kernel */

static bool gid_listed(const gid_t *g, size_t n, gid_t want)
{
	for (size_t i = 0; i < n; i++)
		if (g[i] == want)
			return true;
	return false;
}

/* 0 if group is among the peer's supplementary groups, -EACCES if not. */
static int peer_groups_contain(int fd, gid_t group)
{
	gid_t small[GROUPS_ON_STACK], *g = small;
	socklen_t len = sizeof(small);
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
		if (errno != ERANGE)
			return -errno;
		/* The kernel put the size it needs in len. */
		if (len > GROUPS_MAX * sizeof(gid_t))
			return -E2BIG;
		g = malloc(len);
		if (!g)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
			r = -errno;
			goto free_groups;
		}
	}
	r = gid_listed(g, len / sizeof(gid_t), group) ? 0 : -EACCES;
free_groups:
	if (g != small)
		free(g);
	return r;
}

int bindd_peer_check(int fd, bool have_group, gid_t group, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return -errno;
	if (cred->uid == 0)
		return 0;
	if (!have_group)
		return -EACCES;
	if (cred->gid == group)
		return 0;
	return peer_groups_contain(fd, group);
}
