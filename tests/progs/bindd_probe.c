/* bindd-probe: test client of keel-bindd (tests/host/bindd_*.sh).
 *
 *   bindd-probe bind SOCK tcp|udp ADDR PORT
 *       ask through host/bindd-client; on success print "BOUND PORT" and
 *       serve once on the socket received: TCP accepts one connection and
 *       echoes what it reads until EOF, UDP echoes one datagram. On refusal
 *       print "ERR ERRNO-NAME message" and exit 1.
 *   bindd-probe direct tcp|udp ADDR PORT
 *       try the same bind in this process (to show it needs privilege).
 *   bindd-probe raw SOCK [shut]
 *       send stdin as is (NULs too), optionally shut down the write side,
 *       then print the reply line (bytes outside ASCII as \xNN) and "fds=N".
 *   bindd-probe bench SOCK N
 *       N grants of TCP 127.0.0.1:80 one after another (each socket closed
 *       at once); print the mean round trip in microseconds.
 */
#include "bindd_client.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int transport_of(const char *s)
{
	return strcmp(s, "udp") == 0 ? BINDD_UDP : BINDD_TCP;
}

static int serve_once(int fd, int transport)
{
	char buf[4096];
	ssize_t n;

	if (transport == BINDD_UDP) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0 || sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) != n)
			return 1;
		return 0;
	}
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return 1;
	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, (size_t)n) != n)
			return 1;
	close(c);
	return n < 0;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

static int cmd_bind(char **argv)
{
	char err[256];
	int fd, t = transport_of(argv[1]);
	int r = bindd_bind(argv[0], t, argv[2], (uint16_t)atoi(argv[3]), &fd, err, sizeof(err));

	if (r < 0) {
		printf("ERR %s %s\n", strerrorname_np(-r), err);
		return 1;
	}
	printf("BOUND %d\n", local_port(fd));
	fflush(stdout);
	return serve_once(fd, t);
}

static int cmd_direct(char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
	int tcp = transport_of(argv[0]) == BINDD_TCP;
	int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, argv[1], &sin.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		printf("ERR %s\n", strerrorname_np(errno));
		return 1;
	}
	printf("BOUND %d\n", local_port(fd));
	return 0;
}

static int cmd_raw(const char *path, int shut)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char in[4096], reply[512];
	union { struct cmsghdr a; char b[CMSG_SPACE(8 * sizeof(int))]; } ctl;
	size_t len = 0, got = 0;
	int fds = 0, s;
	ssize_t n;

	while ((n = read(0, in + len, sizeof(in) - len)) > 0)
		len += (size_t)n;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		printf("CONNECT %s\n", strerrorname_np(errno));
		return 1;
	}
	if (len && send(s, in, len, MSG_NOSIGNAL) < 0)
		printf("SEND %s\n", strerrorname_np(errno));
	if (shut)
		shutdown(s, SHUT_WR);
	for (;;) {
		struct iovec iov = { reply + got, sizeof(reply) - 1 - got };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
		n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
		if (n <= 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_type == SCM_RIGHTS)
				fds += (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		got += (size_t)n;
		if (got == sizeof(reply) - 1)
			break;
	}
	for (size_t i = 0; i < got; i++) {
		unsigned char c = (unsigned char)reply[i];
		if (c == '\n' || (c >= ' ' && c <= '~'))
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("fds=%d\n", fds);
	return 0;
}

static int cmd_bench(const char *path, int n)
{
	struct timespec a, b;
	char err[256];
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		int r = bindd_bind(path, BINDD_TCP, "127.0.0.1", 80, &fd, err, sizeof(err));
		if (r < 0) {
			printf("ERR %s %s\n", strerrorname_np(-r), err);
			return 1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double us = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3;
	printf("%d grants, %.1f us each\n", n, us / n);
	return 0;
}

int main(int argc, char **argv)
{
	alarm(30);	/* never outlive a broken test */
	if (argc == 6 && strcmp(argv[1], "bind") == 0)
		return cmd_bind(argv + 2);
	if (argc == 5 && strcmp(argv[1], "direct") == 0)
		return cmd_direct(argv + 2);
	if (argc == 4 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argv[2], atoi(argv[3]));
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "raw") == 0)
		return cmd_raw(argv[2], argc == 4);
	fprintf(stderr, "usage: see tests/progs/bindd_probe.c\n");
	return 2;
}
