/* tests/progs/vmbench.c (build/tests/bin/keel-vmbench): round trips to a
 * VM through keel-vsock's hybrid unix socket ("CONNECT <port>\n" ->
 * "OK <n>\n"), for tests/bench/vm_image.sh.
 *
 *   keel-vmbench rpc HYBRID PORT N    median µs of N Version round trips to
 *                                     the agent's control port (after the Auth
 *                                     frame with the secret beside HYBRID)
 *   keel-vmbench echo HYBRID PORT N   median µs of N round trips of the same
 *                                     Version frame bytes through a raw vsock
 *                                     echo (the guest's vsock-guest, 5001)
 *
 * Both run one connection, 100 warm-up rounds, then N timed rounds of: write
 * the request frame, read the answer with the same two reads (header, body),
 * so the two figures differ only by what the guest does with the bytes. */
#include "rtt.h"
#include "frame.h"
#include "keel.pb-c.h"
#include "secret.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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

/* The stream's Auth frame, with run-vm's STATE/secret beside the socket. */
static int send_auth(int fd, const char *path)
{
	Keel__Auth m = KEEL__AUTH__INIT;
	struct secret sec;
	char file[4096];
	const char *slash = strrchr(path, '/');
	int e;

	snprintf(file, sizeof(file), "%.*s/secret", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if ((e = secret_read_file(file, &sec)) < 0) {
		fprintf(stderr, "%s: %s\n", file, strerror(-e));
		return e;
	}
	m.secret.data = sec.b;
	m.secret.len = sec.len;
	return frame_write_msg(fd, &m.base);
}

static int run(const char *path, unsigned port, int rounds, bool auth)
{
	uint8_t req[64];
	size_t n = version_frame(req);
	int fd = hybrid_dial(path, port);
	double med;

	if (fd < 0 || (auth && send_auth(fd, path) < 0))
		return 1;
	med = rtt_median_us(fd, req, n, rounds);
	close(fd);
	if (med < 0) {
		fprintf(stderr, "short answer\n");
		return 1;
	}
	printf("%.1f\n", med);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && (!strcmp(argv[1], "rpc") || !strcmp(argv[1], "echo")))
		return run(argv[2], (unsigned)atoi(argv[3]), atoi(argv[4]) > 0 ? atoi(argv[4]) : 1,
			   !strcmp(argv[1], "rpc"));
	fprintf(stderr, "usage: keel-vmbench rpc|echo HYBRID PORT N\n");
	return 2;
}
