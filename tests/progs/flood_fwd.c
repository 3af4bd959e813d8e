/* tests/progs/flood_fwd.c: connection flood at keel-agent's forward port
 * against a slow target. Run it in the agent's network namespace (the target
 * listens on 127.0.0.1 there); FWD is the agent's forward unix socket.
 *
 *   flood_fwd FWD ATTEMPTS HOLD GATE
 *
 * 1. A target that accepts and never reads or writes (a thread).
 * 2. HOLD forwards are opened to it (HOLD is the agent's --max-forward) and
 *    each is stuffed with data until nothing more moves: the client socket,
 *    the agent's relay buffer and the target's receive queue are all full,
 *    which is the most memory a forward can pin in the agent.
 * 3. The remaining ATTEMPTS - HOLD connections, 100 at a time, each sending
 *    a ForwardRequest: each must be closed by the agent without a response.
 *    Time from connect to the close is measured.
 * 4. Prints "holding", then waits until the file GATE exists (the test
 *    measures the agent's RSS and fds meanwhile), closes everything, prints
 *    "released" and exits.
 *
 * Output lines: "held N", "stuffed BYTES" (total written into held
 * forwards), "refused N of M", "close_ms p50 P99 MAX", "late N"
 * (refusals slower than 1 s), "answered N" (excess connections that got a
 * ForwardResponse: must be 0). Exit status 0 when it could run at all. */
#include "fd.h"
#include "frame.h"
#include "keel.pb-c.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BATCH 100
#define LATE_MS 1000.0

static const char *fwd_path;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The slow target: accepts and keeps every connection, never reads. */
static void *target_thread(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0 && errno != EINTR && errno != ECONNABORTED)
			break;
	}
	return NULL;
}

static int target_start(unsigned *port)
{
	static int lfd;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	pthread_t t;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &l) < 0)
		return -errno;
	*port = ntohs(sa.sin_port);
	return -pthread_create(&t, NULL, target_thread, &lfd);
}

static int fwd_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fwd_path);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int send_request(int fd, unsigned port)
{
	Keel__ForwardRequest rq = KEEL__FORWARD_REQUEST__INIT;

	rq.transport = KEEL__TRANSPORT__TRANSPORT_TCP;
	rq.port = port;
	return frame_write_msg(fd, &rq.base);
}

/* One held forward: request, ok response, then data until it stalls. */
static int hold_one(unsigned port, size_t *stuffed)
{
	static char junk[65536];
	Keel__ForwardResponse *rs;
	uint8_t *body;
	uint32_t len;
	int fd = fwd_connect(), ok, idle = 0;

	if (fd < 0)
		return fd;
	if (send_request(fd, port) < 0 || frame_read_blocking(fd, 4096, &body, &len) < 0) {
		close(fd);
		return -EPROTO;
	}
	rs = keel__forward_response__unpack(NULL, len, body);
	free(body);
	ok = rs && rs->ok;
	if (rs)
		keel__forward_response__free_unpacked(rs, NULL);
	if (!ok) {
		close(fd);
		return -ECONNREFUSED;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	/* Write until the path has been full for 50 ms in a row. */
	while (idle < 5) {
		ssize_t n = send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		if (n > 0) {
			*stuffed += (size_t)n;
			idle = 0;
		} else if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			idle += poll(&p, 1, 10) == 0;
		} else {
			close(fd);
			return -EPIPE;
		}
	}
	return fd;
}

/* One batch of excess connections: each sends a request, then waits for the
 * agent to close it. lat[i] gets the ms from connect to close, answered
 * counts those that got bytes back (a response: the cap did not hold). */
static int flood_batch(int n, unsigned port, double *lat, int *refused, int *answered)
{
	struct pollfd p[BATCH];
	double t0[BATCH];
	int left = 0;

	for (int i = 0; i < n; i++) {
		t0[i] = now_ms();
		p[i].fd = fwd_connect();
		p[i].events = POLLIN;
		if (p[i].fd < 0) {
			/* a full backlog refusing the connect is a refusal too */
			lat[i] = now_ms() - t0[i];
			(*refused)++;
			continue;
		}
		send_request(p[i].fd, port);  /* EPIPE when already closed: fine */
		left++;
	}
	while (left > 0) {
		int r = poll(p, (nfds_t)n, 5000);
		if (r <= 0)
			break;       /* still open after 5 s: counted as not refused */
		for (int i = 0; i < n; i++) {
			char b[64];
			ssize_t got;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			got = recv(p[i].fd, b, sizeof(b), MSG_DONTWAIT);
			if (got > 0) {
				(*answered)++;
			} else {
				(*refused)++;
			}
			lat[i] = now_ms() - t0[i];
			close(p[i].fd);
			p[i].fd = -1;
			left--;
		}
	}
	for (int i = 0; i < n; i++) {
		if (p[i].fd >= 0) {
			lat[i] = now_ms() - t0[i];
			close(p[i].fd);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	unsigned port = 0;
	int attempts, hold, held = 0, refused = 0, answered = 0, late = 0, *fds, e;
	size_t stuffed = 0;
	double *lat;

	if (argc != 5) {
		fprintf(stderr, "usage: flood_fwd FWD ATTEMPTS HOLD GATE\n");
		return 2;
	}
	fwd_path = argv[1];
	attempts = atoi(argv[2]);
	hold = atoi(argv[3]);
	if (attempts <= hold || hold <= 0) {
		fprintf(stderr, "flood_fwd: need ATTEMPTS > HOLD > 0\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = calloc((size_t)hold, sizeof(*fds));
	lat = calloc((size_t)attempts, sizeof(*lat));
	if (!fds || !lat)
		return 1;
	e = target_start(&port);
	if (e < 0) {
		fprintf(stderr, "flood_fwd: target: %s\n", strerror(-e));
		return 1;
	}
	for (int i = 0; i < hold; i++) {
		fds[i] = hold_one(port, &stuffed);
		if (fds[i] < 0) {
			fprintf(stderr, "flood_fwd: forward %d: %s\n", i, strerror(-fds[i]));
			break;
		}
		held++;
	}
	printf("held %d\nstuffed %zu\n", held, stuffed);
	fflush(stdout);
	for (int done = 0; done < attempts - held; done += BATCH) {
		int n = attempts - held - done < BATCH ? attempts - held - done : BATCH;
		flood_batch(n, port, lat + done, &refused, &answered);
	}
	qsort(lat, (size_t)(attempts - held), sizeof(*lat), cmp_double);
	for (int i = 0; i < attempts - held; i++)
		late += lat[i] > LATE_MS;
	printf("refused %d of %d\nanswered %d\nlate %d\n", refused, attempts - held, answered, late);
	printf("close_ms %.2f %.2f %.2f\n", lat[(attempts - held) / 2],
	       lat[(size_t)((attempts - held) * 0.99)], lat[attempts - held - 1]);
	printf("holding\n");
	fflush(stdout);
	while (access(argv[4], F_OK) != 0)
		usleep(20000);
	for (int i = 0; i < held; i++)
		close(fds[i]);
	printf("released\n");
	fflush(stdout);
	free(fds);
	free(lat);
	return 0;
}
