/* init/svclog.c: see svclog.h. A write failure of the log file drops file
 * output, never the service or the console. */
#include "svclog.h"
#include "fd.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

int svclog_init(struct svclog *l, const char *dir, const char *name, int console_fd)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->console_fd = console_fd;
	l->name = name;
	l->max_bytes = SVCLOG_MAX_BYTES;
	if (dir && snprintf(l->path, sizeof(l->path), "%s/%s.log", dir, name) >=
		   (int)sizeof(l->path))
		return -ENAMETOOLONG;
	return 0;
}

static void file_open(struct svclog *l)
{
	struct stat st;

	if (!l->path[0])
		return;
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (l->fd >= 0 && fstat(l->fd, &st) == 0)
		l->size = st.st_size;
}

static void file_rotate(struct svclog *l)
{
	char old[sizeof(l->path) + 2];

	fd_close(&l->fd);
	snprintf(old, sizeof(old), "%s.1", l->path);
	rename(l->path, old);
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	l->size = 0;
}

static void file_write(struct svclog *l, const char *buf, size_t len)
{
	if (l->fd < 0)
		file_open(l);
	if (l->fd < 0)
		return;
	if (len > l->max_bytes)          /* keep the tail of a huge chunk */
		buf += len - l->max_bytes, len = l->max_bytes;
	if ((size_t)l->size + len > l->max_bytes)
		file_rotate(l);
	if (l->fd >= 0 && fd_write_all(l->fd, buf, len) == 0)
		l->size += (off_t)len;
}

static void console_line(struct svclog *l, const char *s, size_t n)
{
	struct iovec iov[4] = {
		{ (void *)l->name, strlen(l->name) }, { (void *)": ", 2 },
		{ (void *)s, n }, { (void *)"\n", 1 },
	};

	/* One writev per line so lines of services and init do not mix. */
	if (l->console_fd >= 0 && writev(l->console_fd, iov, 4) < 0)
		return;
}

void svclog_write(struct svclog *l, const char *buf, size_t len)
{
	size_t i;

	file_write(l, buf, len);
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			console_line(l, l->line, l->nline);
			l->nline = 0;
			continue;
		}
		if (l->nline == sizeof(l->line))
			svclog_flush(l);
		l->line[l->nline++] = buf[i];
	}
}

void svclog_flush(struct svclog *l)
{
	if (l->nline)
		console_line(l, l->line, l->nline);
	l->nline = 0;
}

void svclog_close(struct svclog *l)
{
	svclog_flush(l);
	fd_close(&l->fd);
}
