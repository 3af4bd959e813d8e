/* tests/progs/udp-echo.c: a UDP echo server for the mission tests' test
 * image (static musl; busybox-static has no UDP server applet). Binds
 * 0.0.0.0:PORT and sends every datagram back to its sender, prefixed with
 * "echo:", so a reply cannot be mistaken for the request.
 *
 *   udp-echo PORT
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PREFIX "echo:"

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[65536];
	long port;
	int fd;

	port = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "usage: udp-echo PORT\n");
		return 2;
	}
	a.sin_port = htons((unsigned short)port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("udp-echo: bind");
		return 1;
	}
	memcpy(buf, PREFIX, sizeof(PREFIX) - 1);
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf + sizeof(PREFIX) - 1, sizeof(buf) - (sizeof(PREFIX) - 1), 0,
				     (struct sockaddr *)&peer, &plen);

		if (n < 0)
			continue;
		sendto(fd, buf, (size_t)n + sizeof(PREFIX) - 1, 0, (struct sockaddr *)&peer, plen);
	}
}
