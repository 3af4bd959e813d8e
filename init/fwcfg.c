/* init/fwcfg.c: see fwcfg.h. */
#include "fwcfg.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int fwcfg_read(const char *root, const char *name, void *buf, size_t cap, size_t *len)
{
	char path[512];
	size_t got = 0;
	int fd, e = 0;

	if (snprintf(path, sizeof(path), "%s/by_name/%s/raw", root, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* Read to EOF; a byte beyond cap means the entry is too big. */
	for (;;) {
		char extra;
		ssize_t n = got < cap ? read(fd, (char *)buf + got, cap - got) : read(fd, &extra, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = -errno;
			break;
		}
		if (n == 0)
			break;
		if (got == cap) {
			e = -EFBIG;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return e;
}
