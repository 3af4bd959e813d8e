/* vsock-guest: the test helper that runs inside the test VM (static, musl).
 *
 *   vsock-guest serve [vsock|tcp]   listen on the fixed test ports below
 *   vsock-guest gen BYTES SEED      write the test stream to stdout
 *
 * Ports (vsock, and the same numbers on TCP for the hostfwd comparison):
 *   5001 echo     echo until EOF
 *   5002 sink     read until EOF, answer "<sha256> <bytes>\n"
 *   5003 source   read "<bytes> <seed>\n", send that stream, close
 *   5004 dial     read a command line, act as a vsock client of the host
 *                 (CID 2), answer "OK ..." or "FAIL ...":
 *                   echo PORT BYTES NCONN   NCONN echo checks at once
 *                   send PORT BYTES SEED    send the stream, half-close,
 *                                           relay the host's answer line
 *                   recv PORT               read to EOF: "OK <sha> <bytes> <us>"
 *                   abort PORT BYTES        read BYTES then close mid-stream
 *                   refused PORT            expect the connect to fail
 *                   rtt PORT N              N one-byte round trips: "OK <us avg>"
 * Every connection is served by its own child process. */
#include "vsock_testdata.h"
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
/* <linux/vm_sockets.h> is not in musl's headers */
struct sockaddr_vm {
	sa_family_t svm_family;
	unsigned short svm_reserved1;
	unsigned int svm_port;
	unsigned int svm_cid;
	unsigned char svm_flags;
	unsigned char svm_zero[3];
};
#define VMADDR_CID_ANY  0xffffffffu
#define VMADDR_CID_HOST 2u

static int listen_on(int family, unsigned port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	if (family == AF_VSOCK) {
		struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_port = port,
					 .svm_cid = VMADDR_CID_ANY };
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	}
	if (listen(fd, 256) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -errno;
}

static int dial_host(unsigned port)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_port = port,
				 .svm_cid = VMADDR_CID_HOST };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void reply(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(int fd, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	write_str(fd, line);
}

static void do_sink(int fd)
{
	char hex[65], line[100];
	uint64_t n;

	if (xfer_recv_sha(fd, hex, &n) == 0) {
		snprintf(line, sizeof(line), "%s %llu\n", hex, (unsigned long long)n);
		write_str(fd, line);
	}
}

static void do_source(int fd)
{
	unsigned long long bytes, seed;
	char line[64];

	if (read_line(fd, line, sizeof(line)) == 0 &&
	    sscanf(line, "%llu %llu", &bytes, &seed) == 2)
		xfer_send(fd, bytes, seed);
}

static void dial_echo(int cfd, unsigned port, uint64_t bytes, int n)
{
	int *fds = calloc((size_t)n, sizeof(int)), r = 0, k = 0;
	uint64_t t0 = now_us();

	for (; fds && k < n; k++)
		if ((fds[k] = dial_host(port)) < 0) {
			r = fds[k];
			break;
		}
	if (!fds)
		r = -ENOMEM;
	if (r == 0)
		r = xfer_echo_multi(fds, n, bytes, 1000);
	for (int i = 0; fds && i < k; i++)
		close(fds[i]);
	free(fds);
	if (r < 0)
		reply(cfd, "FAIL echo: %s", strerror(-r));
	else
		reply(cfd, "OK %llu", (unsigned long long)(now_us() - t0));
}

static void dial_send(int cfd, unsigned port, uint64_t bytes, uint64_t seed)
{
	uint64_t t0 = now_us();
	char line[160];
	int fd = dial_host(port), r;

	if (fd < 0) {
		reply(cfd, "FAIL connect: %s", strerror(-fd));
		return;
	}
	r = xfer_send(fd, bytes, seed);
	shutdown(fd, SHUT_WR);
	if (r == 0)
		r = read_line(fd, line, sizeof(line));
	close(fd);
	if (r < 0)
		reply(cfd, "FAIL send: %s", strerror(-r));
	else
		reply(cfd, "OK %s %llu", line, (unsigned long long)(now_us() - t0));
}

static void dial_recv(int cfd, unsigned port)
{
	uint64_t t0 = now_us(), n;
	char hex[65];
	int fd = dial_host(port), r;

	if (fd < 0) {
		reply(cfd, "FAIL connect: %s", strerror(-fd));
		return;
	}
	r = xfer_recv_sha(fd, hex, &n);
	close(fd);
	if (r < 0)
		reply(cfd, "FAIL recv: %s", strerror(-r));
	else
		reply(cfd, "OK %s %llu %llu", hex, (unsigned long long)n,
		      (unsigned long long)(now_us() - t0));
}

static void dial_abort(int cfd, unsigned port, uint64_t bytes)
{
	static char buf[65536];
	uint64_t got = 0;
	int fd = dial_host(port);

	if (fd < 0) {
		reply(cfd, "FAIL connect: %s", strerror(-fd));
		return;
	}
	while (got < bytes) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	close(fd);	/* with the host still sending */
	reply(cfd, got >= bytes ? "OK %llu" : "FAIL only %llu", (unsigned long long)got);
}

static void dial_rtt(int cfd, unsigned port, unsigned n)
{
	int fd = dial_host(port);
	uint64_t t0;
	char c = 'x';

	if (fd < 0 || n == 0) {
		reply(cfd, "FAIL connect: %s", strerror(fd < 0 ? -fd : EINVAL));
		return;
	}
	t0 = now_us();
	for (unsigned i = 0; i < n; i++)
		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
			reply(cfd, "FAIL rtt: %s", strerror(errno));
			close(fd);
			return;
		}
	reply(cfd, "OK %llu", (unsigned long long)((now_us() - t0) / n));
	close(fd);
}

static void do_dial(int cfd)
{
	char line[128], cmd[16];
	unsigned port;
	unsigned long long a = 0, b2 = 0;
	int n;

	if (read_line(cfd, line, sizeof(line)) < 0)
		return;
	n = sscanf(line, "%15s %u %llu %llu", cmd, &port, &a, &b2);
	if (n >= 4 && !strcmp(cmd, "echo"))
		dial_echo(cfd, port, a, (int)b2);
	else if (n >= 4 && !strcmp(cmd, "send"))
		dial_send(cfd, port, a, b2);
	else if (n >= 2 && !strcmp(cmd, "recv"))
		dial_recv(cfd, port);
	else if (n >= 3 && !strcmp(cmd, "abort"))
		dial_abort(cfd, port, a);
	else if (n >= 3 && !strcmp(cmd, "rtt"))
		dial_rtt(cfd, port, (unsigned)a);
	else if (n >= 2 && !strcmp(cmd, "refused")) {
		int fd = dial_host(port);
		if (fd >= 0) {
			close(fd);
			reply(cfd, "FAIL connected");
		} else {
			reply(cfd, "OK %s", strerror(-fd));
		}
	} else {
		reply(cfd, "FAIL unknown command");
	}
}

static void serve_port(int family, unsigned port, void (*fn)(int))
{
	int lfd = listen_on(family, port);

	if (lfd < 0) {
		fprintf(stderr, "vsock-guest: listen %u: %s\n", port, strerror(-lfd));
		exit(1);
	}
	if (fork() != 0) {
		close(lfd);
		return;
	}
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (fork() == 0) {
			close(lfd);
			fn(fd);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}

static void do_echo(int fd) { xfer_echo_serve(fd); }

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen")) {
		return xfer_send(1, strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10)) < 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "serve")) {
		int family = argc > 2 && !strcmp(argv[2], "tcp") ? AF_INET : AF_VSOCK;
		signal(SIGCHLD, SIG_IGN);	/* children reaped by the kernel */
		signal(SIGPIPE, SIG_IGN);
		serve_port(family, 5001, do_echo);
		serve_port(family, 5002, do_sink);
		serve_port(family, 5003, do_source);
		if (family == AF_VSOCK)
			serve_port(family, 5004, do_dial);
		return 0;
	}
	fprintf(stderr, "usage: vsock-guest serve [vsock|tcp] | gen BYTES SEED\n");
	return 2;
}
