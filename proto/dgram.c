/* proto/dgram.c: see dgram.h. */
#include "dgram.h"
#include "fd.h"
#include <errno.h>

int dgram_read(int stream, uint8_t buf[DGRAM_BUF], size_t *n)
{
	int e = fd_read_exact(stream, buf, DGRAM_HDR);

	if (e < 0)
		return e;
	*n = dgram_hdr_get(buf);
	return fd_read_exact(stream, buf + DGRAM_HDR, *n);
}

int dgram_write(int stream, uint8_t buf[DGRAM_BUF], size_t n)
{
	if (n > DGRAM_MAX)
		return -EMSGSIZE;
	dgram_hdr_put(buf, n);
	return fd_write_all(stream, buf, n + DGRAM_HDR);
}
