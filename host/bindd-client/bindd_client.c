/* bindd_client.c: the client half of the keel-bindd protocol
 * (bindd_proto.h). One connection per request. */
#include "bindd_client.h"
#include "fd.h"
#include "sockaddr.h"
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CLIENT_TIMEOUT_S 5	/* the daemon's own deadline is 2 s */

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static bool addr_ok(const char *addr)
{
	size_t n = strnlen(addr, 64);

	if (n == 0 || n == 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (addr[i] <= ' ' || addr[i] > '~')
			return false;
	return true;
}

static int connect_daemon(const char *path, int *fd_out)
{
	struct sockaddr_un sun;
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	int fd, r;

	if ((r = sockaddr_from_path(path, &sun)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*fd_out = fd;
	return 0;
}

/* Read the reply line (NUL-terminated, newline kept) and any fd sent with
 * it into *fd (-1 if none). */
static int read_reply(int sock, char *line, size_t size, int *fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	size_t len = 0;

	*fd = -1;
	while (len < size - 1 && !memchr(line, '\n', len)) {
		struct iovec iov = { .iov_base = line + len, .iov_len = size - 1 - len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		/* the first fd sent is kept; any other is closed */
		fd_take_rights(&msg, fd, *fd >= 0, 1);
		if (msg.msg_flags & MSG_CTRUNC)
			return -EPROTO;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	line[len] = '\0';
	return 0;
}

/* The fd must be the kind of socket that was asked for. */
static bool socket_type_is(int fd, int type)
{
	int t = 0;
	socklen_t len = sizeof(t);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) == 0 && t == type;
}

/* Turn a reply into 0 or -errno (and err). */
static int interpret_reply(char *line, int fd, int transport, char *err, size_t errlen)
{
	char *name, *msg, *nl = strchr(line, '\n');

	if (!nl)
		return fail(err, errlen, -EPROTO, "keel-bindd: incomplete reply");
	*nl = '\0';
	if (strcmp(line, "OK") == 0) {
		if (fd < 0)
			return fail(err, errlen, -EPROTO, "keel-bindd: OK without a socket");
		if (!socket_type_is(fd, transport == BINDD_TCP ? SOCK_STREAM : SOCK_DGRAM))
			return fail(err, errlen, -EPROTO, "keel-bindd: socket of the wrong type");
		return 0;
	}
	if (strncmp(line, "ERR ", 4) != 0)
		return fail(err, errlen, -EPROTO, "keel-bindd: unexpected reply");
	name = line + 4;
	msg = strchr(name, ' ');
	if (msg)
		*msg++ = '\0';
	return fail(err, errlen, -bindd_errno_value(name), "keel-bindd: %s", msg ? msg : name);
}

int bindd_bind(const char *sock_path, int transport, const char *addr,
	       uint16_t port, int *fd_out, char *err, size_t errlen)
{
	char req[BINDD_LINE_MAX + 1], reply[BINDD_LINE_MAX + 1];
	int sock = -1, fd = -1, r, n;

	if (!sock_path)
		sock_path = BINDD_SOCKET_DEFAULT;
	if ((transport != BINDD_TCP && transport != BINDD_UDP) || !addr || !addr_ok(addr))
		return fail(err, errlen, -EINVAL, "bad transport or address");
	n = snprintf(req, sizeof(req), "BIND %s %s %u\n",
		     transport == BINDD_TCP ? "tcp" : "udp", addr, (unsigned)port);
	if (n < 0 || n > BINDD_LINE_MAX)
		return fail(err, errlen, -EINVAL, "request too long");
	if ((r = connect_daemon(sock_path, &sock)) < 0)
		return fail(err, errlen, r, "cannot reach keel-bindd at %s: %s",
			    sock_path, strerror(-r));
	if (send(sock, req, (size_t)n, MSG_NOSIGNAL) != n) {
		r = errno == EAGAIN ? -ETIMEDOUT : -errno;
		fail(err, errlen, r, "keel-bindd: sending the request: %s", strerror(-r));
		goto close_sock;
	}
	r = read_reply(sock, reply, sizeof(reply), &fd);
	if (r < 0)
		fail(err, errlen, r, "keel-bindd: reading the reply: %s", strerror(-r));
	else
		r = interpret_reply(reply, fd, transport, err, errlen);
	if (r == 0)
		*fd_out = fd;
	else if (fd >= 0)
		close(fd);
close_sock:
	close(sock);
	return r;
}
