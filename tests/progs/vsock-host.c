/* vsock-host: the host side of the vsock tests and benchmarks.
 *
 * ADDR is unix:HYBRID_PATH (through keel-vsock: "CONNECT <port>" first) or
 * tcp:HOST (plain TCP to HOST:PORT, for QEMU's hostfwd comparison).
 *   connect ADDR PORT               print the handshake answer; exit 3 on ERR
 *   echo ADDR PORT BYTES NCONN      NCONN echo checks at once
 *   send ADDR PORT BYTES SEED       stream to a sink, print its answer + us
 *   recv ADDR PORT BYTES SEED       ask a source for a stream: sha bytes us
 *   rtt ADDR PORT N                 N one-byte round trips: average us
 *   abort ADDR PORT BYTES           read BYTES of a 1 GiB source, then close
 *   dial ADDR LINE...               send a command to the guest's dial port
 *                                   (5004), print the answer; exit 1 unless OK
 *   serve-echo PATH | serve-sink PATH | serve-source PATH BYTES SEED
 *                                   unix servers for guest->host connections
 *   sha                             SHA-256 of stdin (self-check) */
#include "vsock_testdata.h"
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

static char handshake[128];

static int open_addr(const char *addr, unsigned port)
{
	int fd, r;

	if (!strncmp(addr, "tcp:", 4)) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		int one = 1;
		struct hostent *h = gethostbyname(addr + 4);
		if (!h)
			return -EHOSTUNREACH;
		memcpy(&sa.sin_addr, h->h_addr_list[0], 4);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		return fd;
	}
	if (strncmp(addr, "unix:", 5) != 0)
		return -EINVAL;
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	snprintf(su.sun_path, sizeof(su.sun_path), "%s", addr + 5);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&su, sizeof(su)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	char line[32];
	snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if ((r = write_str(fd, line)) < 0 || (r = read_line(fd, handshake, sizeof(handshake))) < 0) {
		close(fd);
		snprintf(handshake, sizeof(handshake), "(closed: %s)", strerror(-r));
		return r;
	}
	if (strncmp(handshake, "OK ", 3) != 0) {
		close(fd);
		return -ECONNREFUSED;
	}
	return fd;
}

static int must_open(const char *addr, unsigned port)
{
	int fd = open_addr(addr, port);

	if (fd < 0) {
		fprintf(stderr, "vsock-host: %s port %u: %s%s%s\n", addr, port, strerror(-fd),
			handshake[0] ? ": " : "", handshake);
		exit(1);
	}
	return fd;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(su.sun_path, sizeof(su.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&su, sizeof(su)) < 0 || listen(fd, 512) < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

static void serve(const char *path, int mode, uint64_t bytes, uint64_t seed)
{
	int lfd = listen_unix(path);

	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (fork() == 0) {
			char hex[65], line[100];
			uint64_t n;
			if (mode == 'e') {
				xfer_echo_serve(fd);
			} else if (mode == 'k') {
				if (xfer_recv_sha(fd, hex, &n) == 0) {
					snprintf(line, sizeof(line), "%s %llu\n", hex, (unsigned long long)n);
					write_str(fd, line);
				}
			} else {
				xfer_send(fd, bytes, seed);
			}
			_exit(0);
		}
		close(fd);
	}
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end) {
		fprintf(stderr, "vsock-host: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	char line[256], hex[65];
	uint64_t t0, n;
	int fd, r;

	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "connect") && argc == 4) {
		fd = open_addr(argv[2], (unsigned)num(argv[3]));
		printf("%s\n", handshake);
		return fd < 0 ? 3 : 0;
	}
	if (!strcmp(cmd, "echo") && argc == 6) {
		int k = (int)num(argv[5]);
		int *fds = calloc((size_t)k, sizeof(int));
		t0 = now_us();
		for (int i = 0; i < k; i++)
			fds[i] = must_open(argv[2], (unsigned)num(argv[3]));
		r = xfer_echo_multi(fds, k, num(argv[4]), 1);
		if (r < 0) {
			fprintf(stderr, "vsock-host: echo: %s\n", strerror(-r));
			return 1;
		}
		printf("ok %llu us\n", (unsigned long long)(now_us() - t0));
		return 0;
	}
	if (!strcmp(cmd, "send") && argc == 6) {
		fd = must_open(argv[2], (unsigned)num(argv[3]));
		t0 = now_us();
		r = xfer_send(fd, num(argv[4]), num(argv[5]));
		shutdown(fd, SHUT_WR);
		if (r == 0)
			r = read_line(fd, line, sizeof(line));
		if (r < 0) {
			fprintf(stderr, "vsock-host: send: %s\n", strerror(-r));
			return 1;
		}
		printf("%s %llu\n", line, (unsigned long long)(now_us() - t0));
		return 0;
	}
	if (!strcmp(cmd, "recv") && argc == 6) {
		fd = must_open(argv[2], (unsigned)num(argv[3]));
		t0 = now_us();
		snprintf(line, sizeof(line), "%s %s\n", argv[4], argv[5]);
		r = write_str(fd, line);
		if (r == 0)
			r = xfer_recv_sha(fd, hex, &n);
		if (r < 0) {
			fprintf(stderr, "vsock-host: recv: %s\n", strerror(-r));
			return 1;
		}
		printf("%s %llu %llu\n", hex, (unsigned long long)n, (unsigned long long)(now_us() - t0));
		return 0;
	}
	if (!strcmp(cmd, "rtt") && argc == 5) {
		unsigned long long k = num(argv[4]);
		char c = 'x';
		fd = must_open(argv[2], (unsigned)num(argv[3]));
		t0 = now_us();
		for (unsigned long long i = 0; i < k; i++)
			if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
				perror("vsock-host: rtt");
				return 1;
			}
		printf("%llu\n", (unsigned long long)((now_us() - t0) / (k ? k : 1)));
		return 0;
	}
	if (!strcmp(cmd, "abort") && argc == 5) {
		static char buf[65536];
		uint64_t want = num(argv[4]), got = 0;
		fd = must_open(argv[2], (unsigned)num(argv[3]));
		write_str(fd, "1073741824 7\n");
		while (got < want) {
			ssize_t m = read(fd, buf, sizeof(buf));
			if (m <= 0)
				break;
			got += (uint64_t)m;
		}
		close(fd);	/* mid-stream: the guest is still sending */
		printf("read %llu\n", (unsigned long long)got);
		return got >= want ? 0 : 1;
	}
	if (!strcmp(cmd, "dial") && argc >= 4) {
		fd = must_open(argv[2], 5004);
		line[0] = 0;
		for (int i = 3; i < argc; i++) {
			strncat(line, argv[i], sizeof(line) - strlen(line) - 2);
			strncat(line, i + 1 < argc ? " " : "\n", 2);
		}
		r = write_str(fd, line);
		if (r == 0)
			r = read_line(fd, line, sizeof(line));
		if (r < 0) {
			fprintf(stderr, "vsock-host: dial: %s\n", strerror(-r));
			return 1;
		}
		printf("%s\n", line);
		return strncmp(line, "OK", 2) != 0;
	}
	if (!strcmp(cmd, "serve-echo") && argc == 3)
		serve(argv[2], 'e', 0, 0);
	if (!strcmp(cmd, "serve-sink") && argc == 3)
		serve(argv[2], 'k', 0, 0);
	if (!strcmp(cmd, "serve-source") && argc == 5)
		serve(argv[2], 's', num(argv[3]), num(argv[4]));
	if (!strcmp(cmd, "sha") && argc == 2) {
		xfer_recv_sha(0, hex, &n);
		printf("%s\n", hex);
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of tests/progs/vsock-host.c\n");
	return 2;
}
