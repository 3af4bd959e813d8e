/* Unit tests for proto/frame.c: the incremental reader at every split, the
 * length limits (0, max, max+1, 0xFFFFFFFF) and id recovery. */
#include "proto/frame.c"
#include "harness.h"
#include "keel.pb-c.h"
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t mkframe(uint8_t *out, uint32_t len, uint8_t fill)
{
	frame_put_len(out, len);
	memset(out + FRAME_HDR, fill, len);
	return FRAME_HDR + len;
}

TEST(header_roundtrip)
{
	uint8_t h[4];

	frame_put_len(h, 0x01020304);
	CHECK_EQ_INT(h[0], 1);
	CHECK_EQ_INT(h[3], 4);
	CHECK_EQ_INT(frame_get_len(h), 0x01020304);
}

/* Two frames fed one byte at a time and in every two-part split. */
TEST(reader_every_split)
{
	uint8_t buf[64];
	size_t n = mkframe(buf, 5, 'a');
	n += mkframe(buf + n, 0, 0);

	for (size_t cut = 0; cut <= n; cut++) {
		struct frame_reader r;
		const uint8_t *body;
		uint32_t len;
		size_t used, got = 0, off = 0;
		int frames = 0;

		frame_reader_init(&r, 16);
		while (off < n) {
			size_t step = off < cut ? cut - off : n - off;
			CHECK_EQ_INT(frame_reader_push(&r, buf + off, step, &used), 0);
			off += used;
			while (frame_reader_next(&r, &body, &len) == 1) {
				frames++;
				got += len;
				if (len == 5)
					CHECK(memcmp(body, "aaaaa", 5) == 0);
			}
		}
		CHECK_EQ_INT(frames, 2);
		CHECK_EQ_INT(got, 5);
		CHECK(!frame_reader_partial(&r));
		frame_reader_free(&r);
	}
}

TEST(reader_limits)
{
	struct frame_reader r;
	uint8_t hdr[4];
	const uint8_t *body;
	uint32_t len;
	size_t used;
	uint32_t lens[] = { 1024, 1025, 0xFFFFFFFFu };
	int want[] = { 0, -EMSGSIZE, -EMSGSIZE };

	for (int i = 0; i < 3; i++) {
		frame_reader_init(&r, 1024);
		frame_put_len(hdr, lens[i]);
		frame_reader_push(&r, hdr, 4, &used);
		CHECK_EQ_INT(frame_reader_next(&r, &body, &len), want[i]);
		/* Nothing sized by a refused length was allocated. */
		CHECK(r.cap <= FRAME_READER_MIN_CAP);
		frame_reader_free(&r);
	}
}

TEST(reader_max_frame_over_socket)
{
	int sv[2];
	struct frame_reader r;
	uint8_t *big = malloc(FRAME_HDR + 4096);
	const uint8_t *body;
	uint32_t len;
	ssize_t n;
	int got = 0;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	mkframe(big, 4096, 'z');
	CHECK(write(sv[0], big, FRAME_HDR + 4096) == FRAME_HDR + 4096);
	frame_reader_init(&r, 4096);
	while (!got && (n = frame_reader_fill(&r, sv[1], true)) > 0)
		got = frame_reader_next(&r, &body, &len);
	CHECK_EQ_INT(got, 1);
	CHECK_EQ_INT(len, 4096);
	CHECK(body[4095] == 'z');
	frame_reader_free(&r);
	free(big);
	close(sv[0]);
	close(sv[1]);
}

/* exact mode never reads past the frame: what follows stays in the socket. */
TEST(reader_exact_leaves_rest)
{
	int sv[2];
	struct frame_reader r;
	uint8_t buf[32];
	const uint8_t *body;
	uint32_t len;
	size_t n = mkframe(buf, 3, 'q');

	memcpy(buf + n, "RAW", 3);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[0], buf, n + 3) == (ssize_t)(n + 3));
	frame_reader_init(&r, 64);
	while (frame_reader_next(&r, &body, &len) == 0)
		CHECK(frame_reader_fill(&r, sv[1], true) > 0);
	CHECK_EQ_INT(len, 3);
	CHECK(read(sv[1], buf, 3) == 3 && memcmp(buf, "RAW", 3) == 0);
	frame_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}

TEST(peek_id)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	uint8_t buf[64], junk[] = { 0x08, 0x2a, 0xff, 0xff };
	uint64_t id = 0;
	size_t n;

	req.id = 1234567;
	n = keel__request__pack(&req, buf);
	CHECK(frame_peek_id(buf, n, &id));
	CHECK_EQ_INT(id, 1234567);
	CHECK(frame_peek_id(junk, sizeof(junk), &id));   /* id before the garbage */
	CHECK_EQ_INT(id, 42);
	CHECK(!frame_peek_id(junk + 2, 2, &id));
	CHECK(!frame_peek_id(NULL, 0, &id));
}

TEST(blocking_roundtrip)
{
	int sv[2];
	Keel__Request req = KEEL__REQUEST__INIT, *back;
	uint8_t *body;
	uint32_t len;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	req.id = 9;
	CHECK_EQ_INT(frame_write_msg(sv[0], &req.base), 0);
	CHECK_EQ_INT(frame_read_blocking(sv[1], 1024, &body, &len), 0);
	back = keel__request__unpack(NULL, len, body);
	CHECK(back && back->id == 9);
	keel__request__free_unpacked(back, NULL);
	free(body);
	frame_put_len((uint8_t *)&len, 2048);
	CHECK(write(sv[0], &len, 4) == 4);
	CHECK_EQ_INT(frame_read_blocking(sv[1], 1024, &body, &len), -EMSGSIZE);
	close(sv[0]);
	CHECK_EQ_INT(frame_read_blocking(sv[1], 1024, &body, &len), -EPIPE);
	close(sv[1]);
}

RUN_TESTS(RUN(header_roundtrip); RUN(reader_every_split); RUN(reader_limits);
	  RUN(reader_max_frame_over_socket); RUN(reader_exact_leaves_rest); RUN(peek_id);
	  RUN(blocking_roundtrip))
