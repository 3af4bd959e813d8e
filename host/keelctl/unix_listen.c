/* host/keelctl/unix_listen.c: see unix_listen.h. */
#include "unix_listen.h"
#include "sockaddr.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A socket file that refuses connections is left over from a process that
 * died; a live one, or any other file, is not ours to remove. */
static bool is_stale_socket(const char *path, const struct sockaddr_un *su)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = connect(fd, (const struct sockaddr *)su, sizeof(*su));
	close(fd);
	return r < 0 && errno == ECONNREFUSED;
}

/* Bind with a umask that leaves at most owner read/write, so that nobody
 * else can connect in the window before the group and mode are set. */
static int bind_private(int fd, const struct sockaddr_un *su)
{
	mode_t old = umask(0177);
	int r = bind(fd, (const struct sockaddr *)su, sizeof(*su));
	int e = errno;

	umask(old);
	return r < 0 ? -e : 0;
}

int unix_listen(const char *path, mode_t mode, gid_t gid, struct unix_listener *l)
{
	struct sockaddr_un su;
	struct stat st;
	int fd, e;

	if ((e = sockaddr_from_path(path, &su)) < 0)
		return e;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	e = bind_private(fd, &su);
	if (e == -EADDRINUSE && is_stale_socket(path, &su) && unlink(path) == 0)
		e = bind_private(fd, &su);
	if (e == -EADDRINUSE)
		e = -EEXIST;
	if (e < 0)
		goto fail;
	if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) || chmod(path, mode & 0777) < 0 ||
	    lstat(path, &st) < 0 || listen(fd, 512) < 0) {
		e = -errno;
		unlink(path);
		goto fail;
	}
	*l = (struct unix_listener){ fd, st.st_dev, st.st_ino, path };
	return 0;
fail:
	close(fd);
	return e;
}

void unix_listen_close(struct unix_listener *l)
{
	struct stat st;

	if (l->fd < 0)
		return;
	if (lstat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	close(l->fd);
	l->fd = -1;
}
