/* bind.c: open the requested socket and pass it over the unix socket. */
#include "bind.h"
#include "../bindd-client/bindd_proto.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int set_int_opt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

int bindd_open_socket(const struct bindd_req *req, int *fd_out)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sslen;
	bool tcp = req->transport == BINDD_TCP;
	int fd, r;

	if (req->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(req->port);
		sin->sin_addr = req->addr.v4;
		sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(req->port);
		sin6->sin6_addr = req->addr.v6;
		sslen = sizeof(*sin6);
	}
	fd = socket(req->family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (tcp && (r = set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1)) < 0)
		goto close_fd;
	if (req->family == AF_INET6 &&
	    (r = set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) < 0)
		goto close_fd;
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
		r = -errno;
		goto close_fd;
	}
	if (tcp && listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		goto close_fd;
	}
	*fd_out = fd;
	return 0;
close_fd:
	close(fd);
	return r;
}

int bindd_send_reply(int conn, const char *line, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)line, .iov_len = strlen(line) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(conn, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == iov.iov_len ? 0 : -EPIPE;
}
