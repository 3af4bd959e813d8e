#include "vsock_testdata.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

void gen_init(struct gen *g, uint64_t seed)
{
	g->s = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
	if (!g->s)
		g->s = 1;
	g->pos = 8;
}

void gen_fill(struct gen *g, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		if (g->pos == 8) {
			uint64_t x = g->s;
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			g->s = x;
			x *= 0x2545F4914F6CDD1Dull;
			memcpy(g->w, &x, 8);
			g->pos = 0;
		}
		size_t k = 8 - g->pos < n ? 8 - g->pos : n;
		memcpy(p, g->w + g->pos, k);
		g->pos += (unsigned)k;
		p += k;
		n -= k;
	}
}

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	s->len += n;
	if (s->n) {
		size_t k = 64 - s->n < n ? 64 - s->n : n;
		memcpy(s->buf + s->n, p, k);
		s->n += (unsigned)k;
		p += k;
		n -= k;
		if (s->n < 64)
			return;
		block(s, s->buf);
		s->n = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		block(s, p);
	memcpy(s->buf, p, n);
	s->n = (unsigned)n;
}

void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (s->n < 56 ? 56 : 120) - s->n;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK 65536

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int write_str(int fd, const char *s)
{
	return write_all(fd, s, strlen(s));
}

int xfer_send(int fd, uint64_t bytes, uint64_t seed)
{
	static uint8_t buf[CHUNK];
	struct gen g;

	gen_init(&g, seed);
	while (bytes > 0) {
		size_t k = bytes < CHUNK ? (size_t)bytes : CHUNK;
		gen_fill(&g, buf, k);
		int r = write_all(fd, buf, k);
		if (r < 0)
			return r;
		bytes -= k;
	}
	return 0;
}

int xfer_recv_sha(int fd, char hex[65], uint64_t *bytes)
{
	static uint8_t buf[CHUNK];
	struct sha256 s;
	ssize_t n;

	sha256_init(&s);
	*bytes = 0;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		sha256_update(&s, buf, (size_t)n);
		*bytes += (uint64_t)n;
	}
	sha256_hex(&s, hex);
	return 0;
}

int xfer_echo_serve(int fd)
{
	static uint8_t buf[CHUNK];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write_all(fd, buf, (size_t)n) < 0)
			return -errno;
	}
	shutdown(fd, SHUT_WR);
	return n < 0 ? -errno : 0;
}

struct echo_state { struct gen tx, rx; uint64_t sent, got; };

int xfer_echo_multi(const int *fds, int n, uint64_t bytes, uint64_t seed0)
{
	struct echo_state *st = calloc((size_t)n, sizeof(*st));
	struct pollfd *pf = calloc((size_t)n, sizeof(*pf));
	uint8_t buf[16384], want[16384];
	int left = n, r = 0;

	if (!st || !pf) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		gen_init(&st[i].tx, seed0 + (uint64_t)i);
		gen_init(&st[i].rx, seed0 + (uint64_t)i);
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
		pf[i].fd = fds[i];
	}
	while (left > 0) {
		for (int i = 0; i < n; i++) {
			pf[i].events = 0;
			if (st[i].got < bytes)
				pf[i].events = POLLIN | (st[i].sent < bytes ? POLLOUT : 0);
			if (!pf[i].events)
				pf[i].fd = -1;
		}
		if (poll(pf, (nfds_t)n, 60000) <= 0) {
			r = -ETIMEDOUT;
			goto out;
		}
		for (int i = 0; i < n; i++) {
			struct echo_state *e = &st[i];
			if (pf[i].fd < 0)
				continue;
			if ((pf[i].revents & POLLOUT) && e->sent < bytes) {
				size_t k = bytes - e->sent < sizeof(buf) ? (size_t)(bytes - e->sent) : sizeof(buf);
				struct gen save = e->tx;
				gen_fill(&e->tx, buf, k);
				ssize_t w = write(fds[i], buf, k);
				if (w < 0 && errno != EAGAIN) {
					r = -errno;
					goto out;
				}
				/* rewind the generator to what was really written */
				e->tx = save;
				if (w > 0) {
					gen_fill(&e->tx, buf, (size_t)w);
					e->sent += (uint64_t)w;
				}
			}
			if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t m = read(fds[i], buf, sizeof(buf));
				if (m < 0 && errno == EAGAIN)
					continue;
				if (m < 0) {
					r = -errno;
					goto out;
				}
				if (m == 0) {
					r = -EPIPE;
					goto out;
				}
				if (e->got + (uint64_t)m > bytes) {
					r = -EBADMSG;
					goto out;
				}
				gen_fill(&e->rx, want, (size_t)m);
				if (memcmp(buf, want, (size_t)m) != 0) {
					r = -EBADMSG;
					goto out;
				}
				e->got += (uint64_t)m;
				if (e->got == bytes)
					left--;
			}
		}
	}
out:
	free(st);
	free(pf);
	return r;
}

int read_line(int fd, char *buf, size_t max)
{
	size_t n = 0;

	while (n + 1 < max) {
		ssize_t r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		if (buf[n] == '\n') {
			buf[n] = 0;
			return 0;
		}
		n++;
	}
	buf[n] = 0;
	return -EMSGSIZE;
}
