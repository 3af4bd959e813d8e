/* common/secret.c: see secret.h. */
#include "secret.h"
#include "fd.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int secret_read_fd(int fd, struct secret *s)
{
	uint8_t buf[SECRET_MAX + 1];
	/* One byte more than the maximum tells "too long" from "just fits";
	 * pread: a shared memfd's offset is left alone. */
	ssize_t got = fd_pread_full(fd, 0, buf, sizeof(buf));

	if (got < 0)
		return (int)got;
	if ((size_t)got < SECRET_MIN || (size_t)got > SECRET_MAX)
		return -EINVAL;
	memcpy(s->b, buf, (size_t)got);
	s->len = (size_t)got;
	memset(buf, 0, sizeof(buf));
	return 0;
}

int secret_read_file(const char *path, struct secret *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), e;

	if (fd < 0)
		return -errno;
	e = secret_read_fd(fd, s);
	close(fd);
	return e;
}

bool secret_equal(const struct secret *s, const uint8_t *b, size_t len)
{
	volatile uint8_t diff = 0;

	if (s->len == 0 || len != s->len)
		return false;
	for (size_t i = 0; i < len; i++)
		diff |= s->b[i] ^ b[i];
	return diff == 0;
}

int secret_random(uint8_t *b, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(b + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	return 0;
}
