/* tests/progs/agent_bench.c: measurements for tests/bench/agent_bench.sh.
 *   agent_bench rpc CTL N        median Version round trip (µs) over the agent
 *   agent_bench echo N           median round trip of the same bytes over a
 *                                raw unix-socket echo (blocking read/write)
 *   agent_bench watch CTL N K    with N listeners open, K times: open one
 *                                more and time until WatchPorts reports it;
 *                                prints "p50_ms p99_ms"
 * Run in the agent's network namespace for watch. */
#include "rtt.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int dial(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

static int bench_rpc(const char *ctl, int rounds)
{
	uint8_t req[64];
	size_t n = version_frame(req);
	int fd = dial(ctl);

	printf("%.2f\n", rtt_median_us(fd, req, n, rounds));
	return 0;
}

/* The echo answers each request with a reply of the agent's reply size, so
 * both sides move the same bytes. */
static int bench_echo(int rounds)
{
	uint8_t req[64], rep[64];
	size_t n = version_frame(req);
	size_t rn = 32;    /* the agent's Version reply: 4 + 28 bytes */
	int sv[2];
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	memset(rep, 'r', sizeof(rep));
	frame_put_len(rep, (uint32_t)(rn - 4));
	child = fork();
	if (child == 0) {
		uint8_t b[64];
		close(sv[0]);
		for (;;) {
			if (fd_read_exact(sv[1], b, 4) < 0 || fd_read_exact(sv[1], b, frame_get_len(b)) < 0)
				_exit(0);
			if (fd_write_all(sv[1], rep, rn) < 0)
				_exit(0);
		}
	}
	close(sv[1]);
	printf("%.2f\n", rtt_median_us(sv[0], req, n, rounds));
	close(sv[0]);
	waitpid(child, NULL, 0);
	return 0;
}

static int listen_on(unsigned *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		perror("listen");
		exit(1);
	}
	getsockname(fd, (struct sockaddr *)&sa, &l);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Read events until one of kind for port arrives. */
static int wait_event(int fd, int kind, unsigned port)
{
	for (;;) {
		uint8_t *body;
		uint32_t len;
		Keel__AgentMessage *m;
		int hit;

		if (frame_read_blocking(fd, 64u << 20, &body, &len) < 0)
			return -1;
		m = keel__agent_message__unpack(NULL, len, body);
		free(body);
		if (!m)
			return -1;
		hit = m->kind_case == KEEL__AGENT_MESSAGE__KIND_EVENT && m->event->port &&
		      m->event->port->port && (int)m->event->port->kind == kind &&
		      m->event->port->port->port == port;
		keel__agent_message__free_unpacked(m, NULL);
		if (hit)
			return 0;
	}
}

static int bench_watch(const char *ctl, int n, int k)
{
	Keel__Request r = KEEL__REQUEST__INIT;
	Keel__WatchPortsRequest w = KEEL__WATCH_PORTS_REQUEST__INIT;
	double *v = malloc(sizeof(double) * (size_t)k);
	uint8_t *body;
	uint32_t len;
	unsigned port;
	int fd;

	for (int i = 0; i < n; i++)
		listen_on(&port);          /* kept open: the background sockets */
	fd = dial(ctl);
	r.id = 1;
	r.body_case = KEEL__REQUEST__BODY_WATCH_PORTS;
	r.watch_ports = &w;
	if (frame_write_msg(fd, &r.base) < 0 || frame_read_blocking(fd, 64u << 20, &body, &len) < 0)
		return 1;
	free(body);                       /* the snapshot */
	for (int i = 0; i < k; i++) {
		double t0 = now_us();
		int l = listen_on(&port);
		if (wait_event(fd, KEEL__PORT_EVENT__KIND__KIND_ADDED, port) < 0)
			return 1;
		v[i] = (now_us() - t0) / 1000;
		close(l);
		if (wait_event(fd, KEEL__PORT_EVENT__KIND__KIND_REMOVED, port) < 0)
			return 1;
		usleep((useconds_t)(rand() % 20000));   /* land anywhere in the poll period */
	}
	qsort(v, (size_t)k, sizeof(double), cmp_double);
	printf("%.2f %.2f\n", v[k / 2], v[(k * 99 + 99) / 100 - 1]);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (argc == 4 && !strcmp(argv[1], "rpc"))
		return bench_rpc(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "echo"))
		return bench_echo(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "watch"))
		return bench_watch(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: see agent_bench.c\n");
	return 2;
}
