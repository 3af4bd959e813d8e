/* tests/progs/ports_listen.c: open sockets for the port-scanner tests.
 *   ports-listen KIND...       KIND: tcp4 tcp6 udp4 udp6 (bound to loopback,
 *                              port chosen by the kernel), tcp6any (on "::"),
 *                              udp4conn (a connected UDP socket, which the
 *                              scanner must leave out)
 *   ports-listen --count N KIND   N sockets of one kind
 * Prints "KIND PORT" per socket (not with --count), then "READY", and holds
 * the sockets until stdin reaches EOF or the process is killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int open_one(const char *kind, unsigned *port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	int v6 = strstr(kind, "6") != NULL, udp = strncmp(kind, "udp", 3) == 0;
	socklen_t len = v6 ? sizeof(*a6) : sizeof(*a4);
	int fd, one = 1;

	fd = socket(v6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (v6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = strcmp(kind, "tcp6any") == 0 ? in6addr_any : in6addr_loopback;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	} else {
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return -errno;
	if (!udp && listen(fd, 16) < 0)
		return -errno;
	if (strcmp(kind, "udp4conn") == 0) {
		struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9),
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		if (connect(fd, (struct sockaddr *)&peer, sizeof(peer)) < 0)
			return -errno;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	*port = ntohs(v6 ? a6->sin6_port : a4->sin_port);
	return fd;
}

int main(int argc, char **argv)
{
	long count = 1, i;
	int first = 1, a;
	char c;

	if (argc >= 3 && strcmp(argv[1], "--count") == 0) {
		struct rlimit rl;

		count = atol(argv[2]);
		first = 3;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)count + 64) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (first >= argc) {
		fprintf(stderr, "usage: ports-listen [--count N] KIND...\n");
		return 2;
	}
	for (a = first; a < argc; a++) {
		for (i = 0; i < count; i++) {
			unsigned port = 0;
			int fd = open_one(argv[a], &port);

			if (fd < 0) {
				fprintf(stderr, "ports-listen: %s: %s\n", argv[a], strerror(-fd));
				return 1;
			}
			if (first == 1)
				printf("%s %u\n", argv[a], port);
		}
	}
	printf("READY\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
