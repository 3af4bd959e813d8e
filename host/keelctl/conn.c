#include "conn.h"
#include "sockaddr.h"
#include "fd.h"
#include "frame.h"
#include "keel.pb-c.h"
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static void set_timeouts(int fd, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* socket + connect for any address family: the one place both paths share. */
static int connect_to(const struct sockaddr *sa, socklen_t len, int *out)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	if (connect(fd, sa, len) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

int conn_unix(const char *path, int *out)
{
	struct sockaddr_un sa;
	int e;

	if ((e = sockaddr_from_path(path, &sa)) < 0)
		return e;
	return connect_to((struct sockaddr *)&sa, sizeof(sa), out);
}

static int vsock_connect(uint32_t cid, uint32_t port, int *out)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };

	return connect_to((struct sockaddr *)&sa, sizeof(sa), out);
}

/* Read the "OK <n>\n" line one byte at a time: what follows is the agent's. */
static int hybrid_handshake(int fd, uint32_t port)
{
	char line[64];
	size_t n = 0;
	int len = snprintf(line, sizeof(line), "CONNECT %u\n", port), e;

	if ((e = fd_write_all(fd, line, (size_t)len)) < 0)
		return e;
	for (;;) {
		if (n == sizeof(line) - 1)
			return -EPROTO;
		if ((e = fd_read_exact(fd, line + n, 1)) < 0)
			return e == -EPIPE ? -ECONNREFUSED : e;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	return strncmp(line, "OK ", 3) == 0 ? 0 : -ECONNREFUSED;
}

/* The first frame of the stream; the agent answers only a refusal, which
 * the caller reads as the reply to what it sends next. */
static int send_auth(const struct target *t, int fd)
{
	Keel__Auth m = KEEL__AUTH__INIT;

	if (!t->secret.len)
		return 0;
	m.secret.data = (uint8_t *)t->secret.b;
	m.secret.len = t->secret.len;
	return frame_write_msg(fd, &m.base);
}

int conn_open(const struct target *t, int forward, int *fd)
{
	uint32_t port = forward ? t->forward_port : t->control_port;
	int e;

	switch (t->kind) {
	case CONN_UDS:
		e = conn_unix(forward ? t->forward_path : t->path, fd);
		break;
	case CONN_VSOCK:
		e = vsock_connect(t->cid, port, fd);
		break;
	default:
		e = conn_unix(t->path, fd);
		if (e == 0) {
			set_timeouts(*fd, t->timeout_ms);
			e = hybrid_handshake(*fd, port);
			if (e < 0)
				close(*fd);
		}
		break;
	}
	if (e == 0) {
		set_timeouts(*fd, t->timeout_ms);
		if ((e = send_auth(t, *fd)) < 0)
			close(*fd);
	}
	return e;
}
