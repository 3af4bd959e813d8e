/* tests/flood/vmbench.c (build/tests/bin/keel-vmbench): round trips to a
 * VM through keel-vsock's hybrid unix socket ("CONNECT <port>\n" ->
 * "OK <n>\n"), for tests/bench/vm_image.sh.
 *
 *   keel-vmbench rpc HYBRID PORT N    median µs of N Version round trips to
 *                                     the agent's control port
 *   keel-vmbench echo HYBRID PORT N   median µs of N round trips of the same
 *                                     Version frame bytes through a raw vsock
 *                                     echo (the guest's vsock-guest, 5001)
 *
 * Both run one connection, 100 warm-up rounds, then N timed rounds of: write
 * the request frame, read the answer with the same two reads (header, body),
 * so the two figures differ only by what the guest does with the bytes. */
#include "fd.h"
#include "frame.h"
#include "keel.pb-c.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 100

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A stream to guest PORT through the hybrid socket, or -1. */
static int hybrid_dial(const char *path, unsigned port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[64];
	size_t n = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), len;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(path);
		return -1;
	}
	len = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (fd_write_all(fd, line, (size_t)len) < 0)
		return -1;
	/* one byte at a time: what follows the line is the guest's */
	while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = 0;
	if (strncmp(line, "OK ", 3) != 0) {
		fprintf(stderr, "CONNECT %u: %s\n", port, line);
		return -1;
	}
	return fd;
}

static size_t version_frame(uint8_t *out)
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

static int run(const char *path, unsigned port, int rounds)
{
	uint8_t req[64], hdr[FRAME_HDR], body[256];
	size_t n = version_frame(req);
	double *v = calloc((size_t)rounds, sizeof(*v));
	int fd = hybrid_dial(path, port);

	if (fd < 0 || !v)
		return 1;
	for (int i = 0; i < rounds + WARMUP; i++) {
		double t0 = now_us();
		if (fd_write_all(fd, req, n) < 0 || fd_read_exact(fd, hdr, FRAME_HDR) < 0 ||
		    frame_get_len(hdr) > sizeof(body) || fd_read_exact(fd, body, frame_get_len(hdr)) < 0) {
			fprintf(stderr, "round %d: short answer\n", i);
			return 1;
		}
		if (i >= WARMUP)
			v[i - WARMUP] = now_us() - t0;
	}
	qsort(v, (size_t)rounds, sizeof(*v), cmp);
	printf("%.1f\n", v[rounds / 2]);
	free(v);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && (!strcmp(argv[1], "rpc") || !strcmp(argv[1], "echo")))
		return run(argv[2], (unsigned)atoi(argv[3]), atoi(argv[4]) > 0 ? atoi(argv[4]) : 1);
	fprintf(stderr, "usage: keel-vmbench rpc|echo HYBRID PORT N\n");
	return 2;
}
