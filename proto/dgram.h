/* proto/dgram.h: UDP datagrams on a byte stream (forward and bind streams of
 * TRANSPORT_UDP): each datagram is a 2-byte big-endian length, then its
 * bytes. The header and its limit are here once; keel-agent frames and
 * unframes in its non-blocking loop with dgram_hdr_put/get, keelctl reads
 * and writes whole datagrams on blocking streams with dgram_read/write. */
#ifndef KEEL_DGRAM_H
#define KEEL_DGRAM_H
#include <stddef.h>
#include <stdint.h>

#define DGRAM_HDR 2u                      /* the length prefix */
#define DGRAM_MAX 65535u                  /* the most a prefix can say */
#define DGRAM_BUF (DGRAM_HDR + DGRAM_MAX) /* one framed datagram */

/* The prefix of a datagram of n bytes (n <= DGRAM_MAX). */
static inline void dgram_hdr_put(uint8_t hdr[DGRAM_HDR], size_t n)
{
	hdr[0] = (uint8_t)(n >> 8);
	hdr[1] = (uint8_t)n;
}

/* The length a prefix announces. */
static inline size_t dgram_hdr_get(const uint8_t hdr[DGRAM_HDR])
{
	return (size_t)hdr[0] << 8 | hdr[1];
}

/* Blocking: one datagram from the stream into buf + DGRAM_HDR, its length
 * in *n; 0 or -errno (-EPIPE/-ECONNRESET... when the stream ends). */
int dgram_read(int stream, uint8_t buf[DGRAM_BUF], size_t *n);
/* Blocking: the n bytes at buf + DGRAM_HDR, prefixed in place; 0, -EMSGSIZE
 * over DGRAM_MAX, or -errno. */
int dgram_write(int stream, uint8_t buf[DGRAM_BUF], size_t n);
#endif
