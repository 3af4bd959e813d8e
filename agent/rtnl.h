/* agent/rtnl.h: a check shared by the netlink parsers (sockdiag, netconf). */
#ifndef KEEL_RTNL_H
#define KEEL_RTNL_H
#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

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
