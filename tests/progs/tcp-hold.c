/* tests/progs/tcp-hold.c: a container that hoards TCP connections, for
 * the budget check of tests/vm/plumbing_bind.sh (static, for the test image).
 *
 *   tcp-hold SECS ADDR:PORT:N...
 *
 * Opens N connections to each ADDR:PORT (numeric IPv4; interleaved, so each
 * target gets its turn), then twice, a second apart, dials again every one
 * the far end closed (a hoarder keeps what it can get: a slot freed by a
 * closed connection is taken again), waits a second, prints "open=TOTAL"
 * and per target "ADDR:PORT=OPEN" (a connection the far end closed, or that
 * could not be made, is not open), then holds them SECS seconds, dialling
 * again up to REDIAL_BATCH closed ones every 100 ms meanwhile. The soft
 * RLIMIT_NOFILE is raised to the hard one first. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define TARGETS_MAX 8
#define REDIALS 2
#define REDIAL_BATCH 32

struct target {
	struct sockaddr_in sa;
	const char *text;
	unsigned n, open;
	int *fds;
};

static int parse(const char *spec, struct target *t)
{
	char addr[64];
	unsigned port, n;

	if (sscanf(spec, "%63[0-9.]:%u:%u", addr, &port, &n) != 3 || port == 0 || port > 65535 ||
	    n > 100000)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->sa.sin_family = AF_INET;
	t->sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &t->sa.sin_addr) != 1)
		return -EINVAL;
	t->text = spec;
	t->n = n;
	t->fds = calloc(n ? n : 1, sizeof(int));
	return t->fds ? 0 : -ENOMEM;
}

/* A blocking connect bounded by 5 s; the fd or -1. */
static int dial(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err = 0;
	socklen_t l = sizeof(err);
	struct pollfd p;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return fd;
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (errno != EINPROGRESS || poll(&p, 1, 5000) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Open: nothing to read, or data waiting (an echo); not EOF, not an error. */
static int still_open(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (fd < 0 || poll(&p, 1, 0) < 0)
		return 0;
	if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
		return 1;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* Dial k of every target whose connection k is not open (all at first),
 * at most max dials. */
static void dial_round(struct target *t, unsigned nt, unsigned most, unsigned max)
{
	for (unsigned k = 0; k < most; k++)
		for (unsigned i = 0; i < nt; i++) {
			if (k >= t[i].n || still_open(t[i].fds[k]))
				continue;
			if (max-- == 0)
				return;
			if (t[i].fds[k] >= 0)
				close(t[i].fds[k]);
			t[i].fds[k] = dial(&t[i].sa);
		}
}

int main(int argc, char **argv)
{
	struct target t[TARGETS_MAX];
	unsigned nt = (unsigned)argc - 2, most = 0, total = 0;
	struct rlimit rl;

	if (argc < 3 || nt > TARGETS_MAX) {
		fprintf(stderr, "usage: tcp-hold SECS ADDR:PORT:N...\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (unsigned i = 0; i < nt; i++) {
		if (parse(argv[i + 2], &t[i]) < 0) {
			fprintf(stderr, "tcp-hold: bad target %s\n", argv[i + 2]);
			return 2;
		}
		for (unsigned k = 0; k < t[i].n; k++)
			t[i].fds[k] = -1;
		if (t[i].n > most)
			most = t[i].n;
	}
	dial_round(t, nt, most, UINT32_MAX);
	for (int r = 0; r < REDIALS; r++) {
		sleep(1);
		dial_round(t, nt, most, UINT32_MAX);
	}
	sleep(1);
	for (unsigned i = 0; i < nt; i++) {
		for (unsigned k = 0; k < t[i].n; k++)
			t[i].open += (unsigned)still_open(t[i].fds[k]);
		total += t[i].open;
	}
	printf("open=%u", total);
	for (unsigned i = 0; i < nt; i++)
		printf(" %.*s=%u", (int)(strrchr(t[i].text, ':') - t[i].text), t[i].text, t[i].open);
	printf("\n");
	fflush(stdout);
	for (long ms = 0; ms < atol(argv[1]) * 1000; ms += 100) {
		usleep(100000);
		dial_round(t, nt, most, REDIAL_BATCH);
	}
	return 0;
}
