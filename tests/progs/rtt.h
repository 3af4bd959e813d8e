/* tests/progs/rtt.h: what the round-trip benchmarks share (agent_bench on
 * the host, keel-vmbench through the VM): a clock, a sort order, the Version
 * request they time, and the timed loop itself, so both sides of every
 * ratio do the same work per round trip. Header-only: test programs. */
#ifndef KEEL_TEST_RTT_H
#define KEEL_TEST_RTT_H
#include "fd.h"
#include "frame.h"
#include "keel.pb-c.h"
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define RTT_WARMUP 100

static inline double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A framed Version request (id 1) in out (64 bytes are plenty). */
static inline size_t version_frame(uint8_t *out)
{
	Keel__Request r = KEEL__REQUEST__INIT;
	Keel__VersionRequest v = KEEL__VERSION_REQUEST__INIT;
	size_t n;

	r.id = 1;
	v.major = KEEL_PROTO_MAJOR;
	r.body_case = KEEL__REQUEST__BODY_VERSION;
	r.version = &v;
	n = keel__request__pack(&r, out + FRAME_HDR);
	frame_put_len(out, (uint32_t)n);
	return n + FRAME_HDR;
}

/* Median µs of `rounds` round trips after RTT_WARMUP: write req, read the
 * reply's header and body with two reads. -1 on a short answer. */
static inline double rtt_median_us(int fd, const uint8_t *req, size_t n, int rounds)
{
	double *v = calloc((size_t)rounds, sizeof(*v)), med;
	uint8_t hdr[FRAME_HDR], body[256];

	if (!v)
		return -1;
	for (int i = 0; i < rounds + RTT_WARMUP; i++) {
		double t0 = now_us();
		if (fd_write_all(fd, req, n) < 0 || fd_read_exact(fd, hdr, FRAME_HDR) < 0 ||
		    frame_get_len(hdr) > sizeof(body) || fd_read_exact(fd, body, frame_get_len(hdr)) < 0) {
			free(v);
			return -1;
		}
		if (i >= RTT_WARMUP)
			v[i - RTT_WARMUP] = now_us() - t0;
	}
	qsort(v, (size_t)rounds, sizeof(*v), cmp_double);
	med = v[rounds / 2];
	free(v);
	return med;
}
#endif
