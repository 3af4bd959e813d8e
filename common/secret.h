/* common/secret.h: the per-boot secret that authenticates the host to the
 * agent (docs/threat-model.md), and the random tokens of bind streams.
 * Shared by keel-init (hands it over), keel-agent (checks it) and keelctl
 * (sends it). libc only. */
#ifndef KEEL_SECRET_H
#define KEEL_SECRET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECRET_MIN 16u        /* shorter is refused: guessable */
#define SECRET_MAX 64u
#define SECRET_LEN 32u        /* what run-vm and keelctl create */

struct secret {
	size_t len;           /* 0: none */
	uint8_t b[SECRET_MAX];
};

/* The whole content of fd from offset 0 (pread: a shared memfd's offset is
 * left alone); -EINVAL when shorter than SECRET_MIN or longer than
 * SECRET_MAX. */
int secret_read_fd(int fd, struct secret *s);
int secret_read_file(const char *path, struct secret *s);
/* Constant time in the bytes' values (the length of a secret is no secret):
 * true when both are non-empty and equal. */
bool secret_equal(const struct secret *s, const uint8_t *b, size_t len);
/* len random bytes from getrandom(2); -errno. */
int secret_random(uint8_t *b, size_t len);
#endif
