/* host/keelctl/unix_listen.h: a listening unix socket on a host path with
 * a chosen mode and group, for `keelctl forward-unix`. */
#ifndef KEELCTL_UNIX_LISTEN_H
#define KEELCTL_UNIX_LISTEN_H
#include <stdbool.h>
#include <sys/types.h>

struct unix_listener {
	int fd;
	dev_t dev;                   /* the socket file we made, so that we */
	ino_t ino;                   /* remove only that one at exit */
	const char *path;
};

/* Listen on path: mode (e.g. 0600), group gid unless gid is (gid_t)-1.
 * A stale socket file (nobody accepts on it) is replaced; anything else at
 * path is -EEXIST. */
int unix_listen(const char *path, mode_t mode, gid_t gid, struct unix_listener *l);
/* Close and unlink path if it is still the socket unix_listen made. */
void unix_listen_close(struct unix_listener *l);
#endif
