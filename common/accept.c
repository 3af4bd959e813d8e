/* common/accept.c: see accept.h. */
#include "accept.h"
#include <errno.h>
#include <stdbool.h>

/* accept(2), "Error handling": Linux passes a pending connection's network
 * errors on from accept; retrying takes the next connection. */
static bool one_connection_only(int err)
{
	switch (err) {
	case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT:
	case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
	case EPERM:   /* a firewall rule refused this one */
		return true;
	default:
		return false;
	}
}

int accept_nb(int lfd, struct sockaddr *peer, socklen_t *len)
{
	socklen_t cap = len ? *len : 0;

	for (;;) {
		int fd = accept4(lfd, peer, len, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd >= 0)
			return fd;
		if (!one_connection_only(errno))
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if (len)
			*len = cap;   /* accept4 may have changed it */
	}
}
