/* host/keel-host/console.c: the bounded console log (console.h). */
#include "console.h"
#include "sockaddr.h"
#include "fd.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int rotlog_open(struct rotlog *l, const char *path, off_t max)
{
	struct stat st;

	l->path = path;
	l->max = max;
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (l->fd < 0)
		return -errno;
	l->size = fstat(l->fd, &st) == 0 ? st.st_size : 0;
	return 0;
}

int rotlog_check(struct rotlog *l)
{
	char old[4096];
	struct stat st;
	int fd;

	if (fstat(l->fd, &st) == 0)
		l->size = st.st_size;
	if (l->size < l->max)
		return 0;
	if (snprintf(old, sizeof(old), "%s.1", l->path) >= (int)sizeof(old))
		return -ENAMETOOLONG;
	if (rename(l->path, old) < 0)
		return -errno;
	fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	/* the same fd number: whoever writes to it (stderr) follows */
	dup3(fd, l->fd, O_CLOEXEC);
	close(fd);
	l->size = 0;
	return 0;
}

int rotlog_write(struct rotlog *l, const void *buf, size_t n)
{
	int e = l->size >= l->max ? rotlog_check(l) : 0;

	if (e < 0)
		return e;
	if ((e = fd_write_all(l->fd, buf, n)) == 0)
		l->size += (off_t)n;
	return e;
}

int console_open(struct console *c, const char *sock_path, const char *log_path, off_t max)
{
	struct sockaddr_un sa;
	mode_t old;
	int e;

	c->cfd = -1;
	if ((e = sockaddr_from_path(sock_path, &sa)) < 0)
		return e;
	if ((e = rotlog_open(&c->log, log_path, max)) < 0)
		return e;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->lfd < 0)
		return -errno;
	unlink(sock_path);
	old = umask(0177);
	e = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(c->lfd, 1) < 0 ? -errno : 0;
	umask(old);
	return e;
}

void console_ready(struct console *c, int fd)
{
	char buf[16384];
	ssize_t n;

	if (fd == c->lfd) {
		int nfd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (nfd < 0)
			return;
		fd_close(&c->cfd);   /* one QEMU: a second connection replaces the first */
		c->cfd = nfd;
		return;
	}
	while ((n = read(c->cfd, buf, sizeof(buf))) > 0)
		rotlog_write(&c->log, buf, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		fd_close(&c->cfd);
}
