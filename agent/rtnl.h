/* agent/rtnl.h: what the netlink users (sockdiag, netconf) share: opening
 * a socket the project's way and a length check of received buffers. Header
 * only, so every unit test and fuzzer that includes one .c gets it. */
#ifndef KEEL_RTNL_H
#define KEEL_RTNL_H
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/* A bound, CLOEXEC netlink socket of bus with NETLINK_CAP_ACK (errors come
 * back without a copy of the request) and NETLINK_EXT_ACK (with the
 * kernel's explanation); kernels before 4.12 lack them, which is not fatal.
 * Receives time out after timeout_s so no caller blocks for good. */
static inline int rtnl_socket_open(int bus, int timeout_s, struct mnl_socket **out)
{
	struct timeval tv = { .tv_sec = timeout_s };
	struct mnl_socket *nl;
	int one = 1, r;

	nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	if (mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 &&
	    errno != ENOPROTOOPT)
		goto fail;
	if (mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 &&
	    errno != ENOPROTOOPT)
		goto fail;
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		goto fail;
	*out = nl;
	return 0;
fail:
	r = -errno;
	mnl_socket_close(nl);
	return r;
}

/* True when buf[0..len) is a whole sequence of netlink messages, each
 * header complete and each nlmsg_len within what is left. libmnl 1.0.4's
 * mnl_nlmsg_ok compares nlmsg_len as a signed int, so a length of 2^31 or
 * more would walk it outside the buffer: check before handing it over. */
static inline bool rtnl_msgs_ok(const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		struct nlmsghdr h;
		size_t step;

		if (len < sizeof(h))
			return false;
		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
			return false;
		step = NLMSG_ALIGN((size_t)h.nlmsg_len);
		if (step >= len)
			return true;
		p += step;
		len -= step;
	}
	return true;
}
#endif
