/* tests/progs/udp-ask.c: a UDP client for the test image (busybox's nc
 * has no UDP). Resolves HOST with the libc resolver (so the container's
 * /etc/resolv.conf is used), sends MESSAGE, prints the first reply.
 *
 *   udp-ask HOST PORT MESSAGE      exit 0 on a reply, 1 after 5 s without
 */
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai;
	char buf[65536];
	struct pollfd p;
	ssize_t n;
	int e;

	if (argc != 4) {
		fprintf(stderr, "usage: udp-ask HOST PORT MESSAGE\n");
		return 2;
	}
	if ((e = getaddrinfo(argv[1], argv[2], &hints, &ai)) != 0) {
		fprintf(stderr, "udp-ask: %s: %s\n", argv[1], gai_strerror(e));
		return 1;
	}
	p.fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	p.events = POLLIN;
	if (p.fd < 0 || connect(p.fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    send(p.fd, argv[3], strlen(argv[3]), 0) < 0) {
		perror("udp-ask");
		return 1;
	}
	if (poll(&p, 1, 5000) != 1 || (n = recv(p.fd, buf, sizeof(buf) - 1, 0)) < 0) {
		fprintf(stderr, "udp-ask: no reply from %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	buf[n] = 0;
	puts(buf);
	return 0;
}
