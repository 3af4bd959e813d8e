/* vu_wire: one vhost-user message in, one out (vu_wire.h). */
#include "vu_wire.h"
#include "fd.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int vu_has_reply(uint32_t req)
{
	return req == VU_GET_FEATURES || req == VU_GET_PROTOCOL_FEATURES ||
	       req == VU_GET_QUEUE_NUM || req == VU_GET_VRING_BASE || req == VU_GET_CONFIG;
}

void vu_close_fds(int *fds, unsigned nfds)
{
	for (unsigned i = 0; i < nfds; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int vu_recv(int sock, struct vu_hdr *h, void *payload, size_t max, int *fds, unsigned *nfds)
{
	char cbuf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n;
	int r;

	*nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*nfds = fd_take_rights(&mh, fds, 0, VU_MAX_FDS);
	if (n == 0)
		r = -EPIPE;
	else if ((size_t)n < sizeof(*h) || (mh.msg_flags & MSG_CTRUNC) ||
		 (h->flags & VU_VERSION_MASK) != VU_VERSION || h->size > max)
		r = -EPROTO;
	else
		r = fd_read_exact(sock, payload, h->size);
	if (r < 0) {
		vu_close_fds(fds, *nfds);
		*nfds = 0;
	}
	return r;
}

int vu_send(int sock, const struct vu_hdr *h, const void *payload, const int *fds, unsigned nfds)
{
	char cbuf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))] = { 0 };
	struct iovec iov[2] = { { (void *)h, sizeof(*h) }, { (void *)payload, h->size } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t w;

	if (nfds > VU_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	do
		w = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == sizeof(*h) + h->size ? 0 : -EPROTO;
}
