/* Unit tests: common/secret.c, the per-boot secret and bind tokens
 * (docs/threat-model.md): lengths accepted from a file or a memfd, the
 * comparison, random tokens. */
#include "secret.h"
#include "harness.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd holding n bytes of value v, its offset at the end (as a writer
 * leaves it): secret_read_fd must read from 0 regardless. */
static int memfd_with(size_t n, uint8_t v)
{
	uint8_t b[128];
	int fd = memfd_create("t", MFD_CLOEXEC);

	memset(b, v, sizeof(b));
	if (fd >= 0 && write(fd, b, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return fd;
}

static int read_len(size_t n, struct secret *s)
{
	int fd = memfd_with(n, 0x5a), e;

	if (fd < 0)
		return -EIO;
	e = secret_read_fd(fd, s);
	close(fd);
	return e;
}

TEST(lengths)
{
	struct secret s;

	CHECK_EQ_INT(read_len(0, &s), -EINVAL);
	CHECK_EQ_INT(read_len(SECRET_MIN - 1, &s), -EINVAL);
	CHECK_EQ_INT(read_len(SECRET_MIN, &s), 0);
	CHECK(s.len == SECRET_MIN && s.b[0] == 0x5a && s.b[SECRET_MIN - 1] == 0x5a);
	CHECK_EQ_INT(read_len(SECRET_LEN, &s), 0);
	CHECK(s.len == SECRET_LEN);
	CHECK_EQ_INT(read_len(SECRET_MAX, &s), 0);
	CHECK(s.len == SECRET_MAX);
	CHECK_EQ_INT(read_len(SECRET_MAX + 1, &s), -EINVAL);
	CHECK_EQ_INT(read_len(100, &s), -EINVAL);
	CHECK_EQ_INT(secret_read_file("/nonexistent/secret", &s), -ENOENT);
	CHECK_EQ_INT(secret_read_fd(-1, &s), -EBADF);
}

TEST(compare)
{
	struct secret s = { .len = SECRET_LEN }, none = { .len = 0 };
	uint8_t b[SECRET_LEN];

	memset(s.b, 7, SECRET_LEN);
	memset(b, 7, sizeof(b));
	CHECK(secret_equal(&s, b, sizeof(b)));
	CHECK(!secret_equal(&s, b, sizeof(b) - 1));       /* a prefix is not the secret */
	CHECK(!secret_equal(&s, NULL, 0));
	CHECK(!secret_equal(&none, b, 0));                /* no secret: nothing matches */
	CHECK(!secret_equal(&none, NULL, 0));
	for (size_t i = 0; i < sizeof(b); i += 7) {
		b[i] ^= 1;
		CHECK_MSG(!secret_equal(&s, b, sizeof(b)), "one bit flipped at %zu accepted", i);
		b[i] ^= 1;
	}
}

TEST(random_tokens)
{
	uint8_t a[SECRET_LEN], b[SECRET_LEN], zero[SECRET_LEN] = { 0 };

	CHECK_EQ_INT(secret_random(a, sizeof(a)), 0);
	CHECK_EQ_INT(secret_random(b, sizeof(b)), 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(memcmp(a, zero, sizeof(a)) != 0);
}

RUN_TESTS(RUN(lengths); RUN(compare); RUN(random_tokens))
