/* Unit tests: proto/dgram.c, UDP datagrams framed on a stream. */
#include "proto/dgram.c"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "harness.h"

TEST(header_is_big_endian)
{
	uint8_t h[DGRAM_HDR];

	dgram_hdr_put(h, 0x1234);
	CHECK(h[0] == 0x12 && h[1] == 0x34);
	CHECK_EQ_INT(dgram_hdr_get(h), 0x1234);
	dgram_hdr_put(h, DGRAM_MAX);
	CHECK_EQ_INT(dgram_hdr_get(h), 65535);
}

TEST(round_trip)
{
	static uint8_t out[DGRAM_BUF], in[DGRAM_BUF];
	size_t sizes[] = { 0, 1, 5 }, n;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memcpy(out + DGRAM_HDR, "hello", sizes[i]);
		CHECK_EQ_INT(dgram_write(sv[0], out, sizes[i]), 0);
		CHECK_EQ_INT(dgram_read(sv[1], in, &n), 0);
		CHECK_EQ_INT(n, sizes[i]);
		CHECK(memcmp(in + DGRAM_HDR, "hello", n) == 0);
	}
	close(sv[0]);
	close(sv[1]);
}

TEST(limits)
{
	static uint8_t buf[DGRAM_BUF];
	uint8_t cut[] = { 0, 4, 'a', 'b' };   /* says 4 bytes, has 2 */
	size_t n;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK_EQ_INT(dgram_write(sv[0], buf, DGRAM_MAX + 1), -EMSGSIZE);
	CHECK_EQ_INT(write(sv[0], cut, sizeof(cut)), (int)sizeof(cut));
	close(sv[0]);
	CHECK_EQ_INT(dgram_read(sv[1], buf, &n), -EPIPE);
	close(sv[1]);
}

RUN_TESTS(RUN(header_is_big_endian); RUN(round_trip); RUN(limits))
