/* tests/progs/vsock_testdata.h: what the vsock tests' two helpers (vsock-guest in the VM,
 * vsock-host on the host) share: a reproducible byte stream and SHA-256, so
 * a 64 MiB transfer is checked without storing it anywhere. libc only (it is
 * built with musl for the guest and glibc for the host). */
#ifndef KEEL_TESTDATA_H
#define KEEL_TESTDATA_H
#include <stddef.h>
#include <stdint.h>

/* xorshift64* stream: the bytes depend only on seed and position, not on how
 * the stream is cut into reads. */
struct gen { uint64_t s; uint8_t w[8]; unsigned pos; };
void gen_init(struct gen *g, uint64_t seed);
void gen_fill(struct gen *g, void *buf, size_t n);

struct sha256 { uint32_t h[8]; uint64_t len; uint8_t buf[64]; unsigned n; };
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
/* 64 hex digits and a NUL */
void sha256_hex(struct sha256 *s, char out[65]);

uint64_t now_us(void);
#endif

/* Blocking helpers over a connected stream; 0 or -errno. */
int xfer_send(int fd, uint64_t bytes, uint64_t seed);
/* Read until EOF: the SHA-256 (hex) and the count. */
int xfer_recv_sha(int fd, char hex[65], uint64_t *bytes);
/* Echo until EOF, then half-close. */
int xfer_echo_serve(int fd);
/* n connections at once: on each write `bytes` of the stream seeded with
 * seed0 + i and check that the same bytes come back (an echo peer); -EBADMSG
 * on a mismatch, -EPIPE on early EOF. fds are made non-blocking. */
int xfer_echo_multi(const int *fds, int n, uint64_t bytes, uint64_t seed0);
/* Read one '\n'-terminated line (without it), at most max-1 bytes. */
int read_line(int fd, char *buf, size_t max);
int write_str(int fd, const char *s);
