/* proto/frame.c: length-prefixed protobuf frames (see frame.h). */
#include "frame.h"
#include "fd.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void frame_put_len(uint8_t hdr[FRAME_HDR], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

uint32_t frame_get_len(const uint8_t hdr[FRAME_HDR])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	       (uint32_t)hdr[2] << 8 | (uint32_t)hdr[3];
}

int frame_reader_init(struct frame_reader *r, uint32_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
	return 0;
}

void frame_reader_free(struct frame_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

static size_t avail(const struct frame_reader *r) { return r->len - r->off; }

/* Bytes the current frame still needs, or 0 when it is complete; -1 for an
 * oversized length. Only the header is trusted for nothing but this check. */
static long long frame_missing(const struct frame_reader *r)
{
	uint32_t len;

	if (avail(r) < FRAME_HDR)
		return FRAME_HDR - avail(r);
	len = frame_get_len(r->buf + r->off);
	if (len > r->max)
		return -1;
	if (avail(r) - FRAME_HDR >= len)
		return 0;
	return (long long)len + FRAME_HDR - (long long)avail(r);
}

/* Make room for at least `want` more bytes, never beyond one whole frame of
 * max bytes plus its header (plus the minimum buffer for pipelined input). */
static int reserve(struct frame_reader *r, size_t want)
{
	size_t need, ncap;
	uint8_t *nb;

	if (r->off > 0 && (r->off == r->len || r->cap - r->len < want)) {
		memmove(r->buf, r->buf + r->off, avail(r));
		r->len -= r->off;
		r->off = 0;
	}
	/* Give back a big buffer once the big frame is gone. */
	if (r->cap > FRAME_READER_MIN_CAP && r->len == 0 && want <= FRAME_READER_MIN_CAP) {
		free(r->buf);
		r->buf = NULL;
		r->cap = 0;
	}
	need = r->len + want;
	if (need <= r->cap)
		return 0;
	ncap = need < FRAME_READER_MIN_CAP ? FRAME_READER_MIN_CAP : need;
	nb = realloc(r->buf, ncap);
	if (!nb)
		return -ENOMEM;
	r->buf = nb;
	r->cap = ncap;
	return 0;
}

/* How many bytes to ask for next: what the frame misses, or (not exact) as
 * much as the minimum buffer holds, to pick up pipelined frames in one call. */
static int plan(struct frame_reader *r, bool exact, size_t *want)
{
	long long miss = frame_missing(r);

	if (miss < 0)
		return -EMSGSIZE;
	*want = (size_t)miss;
	if (!exact && *want < FRAME_READER_MIN_CAP)
		*want = FRAME_READER_MIN_CAP;
	if (*want == 0)
		*want = FRAME_READER_MIN_CAP; /* complete frame pending: pipelined */
	return reserve(r, *want);
}

ssize_t frame_reader_fill(struct frame_reader *r, int fd, bool exact)
{
	size_t want;
	ssize_t n;
	int e = plan(r, exact, &want);

	if (e < 0)
		return e;
	if (exact && frame_missing(r) == 0)
		return -EAGAIN; /* a frame is waiting: take it first */
	if (!exact)
		want = r->cap - r->len;
	do
		n = read(fd, r->buf + r->len, want);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	r->len += (size_t)n;
	return n;
}

int frame_reader_push(struct frame_reader *r, const void *data, size_t n, size_t *used)
{
	const uint8_t *p = data;
	size_t want, take;
	int e;

	*used = 0;
	while (*used < n) {
		e = plan(r, true, &want);
		if (e < 0)
			return e;
		if (frame_missing(r) == 0)
			return 0; /* caller must take the frame first */
		take = n - *used < want ? n - *used : want;
		memcpy(r->buf + r->len, p + *used, take);
		r->len += take;
		*used += take;
	}
	return 0;
}

int frame_reader_next(struct frame_reader *r, const uint8_t **body, uint32_t *len)
{
	long long miss = frame_missing(r);

	if (miss < 0)
		return -EMSGSIZE;
	if (miss > 0)
		return 0;
	*len = frame_get_len(r->buf + r->off);
	*body = r->buf + r->off + FRAME_HDR;
	r->off += FRAME_HDR + *len;
	return 1;
}

bool frame_reader_partial(const struct frame_reader *r)
{
	return avail(r) > 0 && frame_missing(r) != 0;
}

bool frame_reader_ready(const struct frame_reader *r)
{
	return avail(r) > 0 && frame_missing(r) == 0;
}

int frame_pack(const ProtobufCMessage *msg, uint8_t **out, size_t *outlen)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b;

	if (n > UINT32_MAX)
		return -EMSGSIZE;
	b = malloc(FRAME_HDR + n);
	if (!b)
		return -ENOMEM;
	frame_put_len(b, (uint32_t)n);
	protobuf_c_message_pack(msg, b + FRAME_HDR);
	*out = b;
	*outlen = FRAME_HDR + n;
	return 0;
}

int frame_write_msg(int fd, const ProtobufCMessage *msg)
{
	uint8_t *b;
	size_t n;
	int e = frame_pack(msg, &b, &n);

	if (e < 0)
		return e;
	e = fd_write_all(fd, b, n);
	free(b);
	return e;
}

int frame_read_until(int fd, uint32_t max, uint64_t deadline_ms, uint8_t **body, uint32_t *len)
{
	uint8_t hdr[FRAME_HDR], *b;
	uint32_t n;
	int e = fd_read_exact_until(fd, hdr, sizeof(hdr), deadline_ms);

	if (e < 0)
		return e;
	n = frame_get_len(hdr);
	if (n > max)
		return -EMSGSIZE;
	b = malloc(n ? n : 1);
	if (!b)
		return -ENOMEM;
	e = fd_read_exact_until(fd, b, n, deadline_ms);
	if (e < 0) {
		free(b);
		return e;
	}
	*body = b;
	*len = n;
	return 0;
}

int frame_read_blocking(int fd, uint32_t max, uint8_t **body, uint32_t *len)
{
	return frame_read_until(fd, max, 0, body, len);
}

static bool get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift;

	for (shift = 0; shift < 64 && *pos < len; shift += 7) {
		uint8_t b = p[(*pos)++];
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

bool frame_peek_id(const uint8_t *body, size_t len, uint64_t *id)
{
	size_t pos = 0;
	bool found = false;
	uint64_t tag, v;

	while (pos < len && get_varint(body, len, &pos, &tag)) {
		switch (tag & 7) {
		case 0:
			if (!get_varint(body, len, &pos, &v))
				return found;
			if (tag >> 3 == 1) {  /* last one wins, as in protobuf */
				*id = v;
				found = true;
			}
			break;
		case 1:
			if (len - pos < 8)
				return found;
			pos += 8;
			break;
		case 2:
			if (!get_varint(body, len, &pos, &v) || v > len - pos)
				return found;
			pos += (size_t)v;
			break;
		case 5:
			if (len - pos < 4)
				return found;
			pos += 4;
			break;
		default:
			return found;
		}
	}
	return found;
}
