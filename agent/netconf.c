/* agent/netconf.c: configure one interface through rtnetlink (libmnl):
 * link up, one address (replacing the others of its family), a default
 * route; and the resolv.conf for its nameservers. Every change is sent with
 * NLM_F_ACK and its answer read before the next, so a failure is reported
 * at the step that caused it, with the kernel's extended-ack message. */
#include "netconf.h"
#include "fd.h"
#include "rtnl.h"
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#define NETCONF_SPEC_MAX 512
#define NETCONF_BUF_SIZE 8192
#define NETCONF_RECV_TIMEOUT_S 5

/* An address in binary form. */
struct netconf_ip {
	int family;
	uint8_t bytes[16];
	unsigned prefix;
};

/* ---- parsing ---------------------------------------------------------- */

/* Digits only, no sign, spaces or leading zero, value <= max. */
static int netconf_parse_prefix(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 3 || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A bare IPv4 or IPv6 literal. */
static int netconf_parse_ip(const char *s, struct netconf_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->bytes) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, s, ip->bytes) == 1)
		ip->family = AF_INET6;
	else
		return -EINVAL;
	ip->prefix = ip->family == AF_INET ? 32 : 128;
	return 0;
}

/* "ADDR/LEN", both parts required. */
static int netconf_parse_cidr(const char *s, struct netconf_ip *ip)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t len;

	if (!slash)
		return -EINVAL;
	len = (size_t)(slash - s);
	if (len == 0 || len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (netconf_parse_ip(addr, ip) < 0)
		return -EINVAL;
	return netconf_parse_prefix(slash + 1, ip->family == AF_INET ? 32 : 128, &ip->prefix);
}

/* The kernel's dev_valid_name: 1..15 bytes, not "." or "..", no '/', ':'
 * or whitespace. */
static bool netconf_valid_ifname(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))
			return false;
	return true;
}

static int netconf_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

/* One "key=value" or the leading "ADDR/LEN". */
static int netconf_parse_item(char *item, bool first, struct netconf *out)
{
	struct netconf_ip ip;
	char *eq = strchr(item, '=');

	if (!eq) {
		if (!first || netconf_parse_cidr(item, &ip) < 0)
			return -EINVAL;
		return netconf_copy(out->address, sizeof(out->address), item);
	}
	*eq = '\0';
	if (strcmp(item, "gw") == 0) {
		if (out->gateway[0] || netconf_parse_ip(eq + 1, &ip) < 0)
			return -EINVAL;
		return netconf_copy(out->gateway, sizeof(out->gateway), eq + 1);
	}
	if (strcmp(item, "dns") == 0) {
		if (out->ndns == sizeof(out->dns) / sizeof(out->dns[0]) ||
		    netconf_parse_ip(eq + 1, &ip) < 0)
			return -EINVAL;
		return netconf_copy(out->dns[out->ndns++], sizeof(out->dns[0]), eq + 1);
	}
	if (strcmp(item, "dev") == 0) {
		if (!netconf_valid_ifname(eq + 1))
			return -EINVAL;
		return netconf_copy(out->ifname, sizeof(out->ifname), eq + 1);
	}
	return -EINVAL;
}

/* The gateway must be of the address's family and must not be the
 * address itself. */
static int netconf_check(const struct netconf *nc)
{
	struct netconf_ip addr, gw;

	if (!netconf_valid_ifname(nc->ifname))
		return -EINVAL;
	if (nc->address[0] && netconf_parse_cidr(nc->address, &addr) < 0)
		return -EINVAL;
	if (nc->gateway[0]) {
		if (netconf_parse_ip(nc->gateway, &gw) < 0)
			return -EINVAL;
		if (nc->address[0] && (gw.family != addr.family ||
				       memcmp(gw.bytes, addr.bytes, sizeof(gw.bytes)) == 0))
			return -EINVAL;
	}
	return 0;
}

int netconf_parse(const char *spec, struct netconf *out)
{
	char buf[NETCONF_SPEC_MAX], *item, *next;
	bool first = true;
	size_t len = strlen(spec);
	int r;

	memset(out, 0, sizeof(*out));
	memcpy(out->ifname, "eth0", 5);
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, spec, len + 1);
	for (item = buf; item; item = next, first = false) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (item[0] == '\0')
			return -EINVAL;
		r = netconf_parse_item(item, first, out);
		if (r < 0)
			return r;
	}
	return netconf_check(out);
}

/* ---- resolv.conf ------------------------------------------------------ */

/* The agent's own DNS server when it runs: then it is the only nameserver
 * listed, and the upstreams it forwards to are kept as "# upstream X"
 * comments (resolvers skip them; a restarted agent reads them back). Only
 * one because musl asks every listed server at once and takes the first
 * answer: an upstream's NXDOMAIN for host.keel.internal would win races. */
int netconf_resolv_first(struct resolv_conf *rc, const char *addr)
{
	struct netconf_ip ip;

	if (!addr || !addr[0]) {
		rc->first[0] = '\0';
		return 0;
	}
	if (netconf_parse_ip(addr, &ip) < 0 ||
	    !inet_ntop(ip.family, ip.bytes, rc->first, sizeof(rc->first)))
		return -EINVAL;
	return 0;
}

int netconf_write_resolv(const struct resolv_conf *rc, const struct netconf *nc)
{
	char buf[64 + 4 * (sizeof("# upstream \n") + INET6_ADDRSTRLEN)];
	struct netconf_ip ip;
	size_t i, off;

	if (nc->ndns > sizeof(nc->dns) / sizeof(nc->dns[0]))
		return -EINVAL;
	off = (size_t)snprintf(buf, sizeof(buf), "# written by keel-agent\n");
	if (rc->first[0])
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "nameserver %s\n",
					rc->first);
	for (i = 0; i < nc->ndns; i++) {
		char text[INET6_ADDRSTRLEN];

		/* Re-check: a caller may fill the struct without netconf_parse,
		 * and a stray newline would inject lines into the file. */
		if (strnlen(nc->dns[i], sizeof(nc->dns[i])) == sizeof(nc->dns[i]) ||
		    netconf_parse_ip(nc->dns[i], &ip) < 0 ||
		    !inet_ntop(ip.family, ip.bytes, text, sizeof(text)))
			return -EINVAL;
		if (strcmp(text, rc->first) == 0)
			continue;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s %s\n",
					rc->first[0] ? "# upstream" : "nameserver", text);
	}
	return fd_write_file_atomic(rc->path, buf, off, 0644);
}

/* ---- rtnetlink -------------------------------------------------------- */

/* What the answer to one request said. */
struct netconf_ack {
	int error;               /* 0, or the kernel's -errno */
	bool done;               /* the NLMSG_ERROR for our request arrived */
	char msg[256];           /* NLMSGERR_ATTR_MSG, "" if none */
};

static int netconf_ack_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NLMSGERR_ATTR_MAX) < 0)
		return MNL_CB_OK;
	if (type == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	if (type == NLMSGERR_ATTR_OFFS && mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

/* The extended-ack TLVs follow struct nlmsgerr, and the copy of our request
 * unless the kernel capped it (NETLINK_CAP_ACK). */
static void netconf_ack_tlvs(const struct nlmsghdr *nlh, const struct nlmsgerr *e,
			     struct netconf_ack *ack)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
	size_t off = sizeof(*e), plen = mnl_nlmsg_get_payload_len(nlh);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return;
		off += MNL_ALIGN(e->msg.nlmsg_len - sizeof(struct nlmsghdr));
	}
	if (off > plen)
		return;
	if (mnl_attr_parse(nlh, (unsigned)off, netconf_ack_attr_cb, tb) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(ack->msg, sizeof(ack->msg), "%s", mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
}

static int netconf_ack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct netconf_ack *ack = data;
	const struct nlmsgerr *e;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		ack->error = -EBADMSG;
		return MNL_CB_ERROR;
	}
	e = mnl_nlmsg_get_payload(nlh);
	ack->done = true;
	if (e->error == 0)
		return MNL_CB_STOP;
	ack->error = e->error < 0 && e->error >= -4095 ? e->error : -EPROTO;
	netconf_ack_tlvs(nlh, e, ack);
	return MNL_CB_ERROR;
}

/* Parse one received buffer answering a change request: 0 when acked,
 * 1 to read more, -errno when the kernel refused (ack->msg may say why)
 * or the reply is malformed. Data messages are not expected in answer to a
 * change and are skipped. seq/portid 0 skip those checks (fuzzing). */
static int netconf_ack_run(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			   struct netconf_ack *ack)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = netconf_ack_cb };
	int r;

	ack->error = 0;
	ack->done = false;
	ack->msg[0] = '\0';
	if (!rtnl_msgs_ok(buf, len))
		return ack->error = -EBADMSG;
	r = mnl_cb_run2(buf, len, seq, portid, NULL, ack, ctl, NLMSG_MIN_TYPE);
	if (r < 0 && ack->error == 0)
		ack->error = errno ? -errno : -EPROTO;
	if (ack->error)
		return ack->error;
	return ack->done ? 0 : 1;
}

struct netconf_nl {
	struct mnl_socket *nl;
	uint32_t seq, portid;
	char req[NETCONF_BUF_SIZE];
	char buf[NETCONF_BUF_SIZE];
};

static int netconf_nl_open(struct netconf_nl *n)
{
	int r = rtnl_socket_open(NETLINK_ROUTE, NETCONF_RECV_TIMEOUT_S, &n->nl);

	if (r < 0) {
		n->nl = NULL;
		return r;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL);
	return 0;
}

/* "step: the kernel's message" or "step: strerror". */
static void netconf_err(char *err, size_t errlen, const char *step, const char *msg, int r)
{
	if (!err || errlen == 0)
		return;
	snprintf(err, errlen, "%s: %s", step, msg && msg[0] ? msg : strerror(-r));
}

/* Send one change with NLM_F_ACK and wait for its answer. */
static int netconf_transact(struct netconf_nl *n, struct nlmsghdr *nlh, const char *step,
			    char *err, size_t errlen)
{
	struct netconf_ack ack = { 0 };
	int r = 1;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++n->seq;
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	while (r > 0) {
		ssize_t len = mnl_socket_recvfrom(n->nl, n->buf, sizeof(n->buf));

		if (len < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (len == 0) {
			r = -EPROTO;
			break;
		}
		r = netconf_ack_run(n->buf, (size_t)len, n->seq, n->portid, &ack);
	}
out:
	if (r < 0)
		netconf_err(err, errlen, step, ack.msg, r);
	return r;
}

static int netconf_link_up(struct netconf_nl *n, unsigned ifindex, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(n->req);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return netconf_transact(n, nlh, "link up", err, errlen);
}

static size_t netconf_ip_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static struct nlmsghdr *netconf_addr_msg(struct netconf_nl *n, uint16_t type, unsigned ifindex,
					 const struct netconf_ip *ip)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(n->req);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = type;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)ip->family;
	ifa->ifa_prefixlen = (uint8_t)ip->prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, netconf_ip_len(ip->family), ip->bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, netconf_ip_len(ip->family), ip->bytes);
	return nlh;
}

/* The addresses of one family on one link, for replacing them. */
#define NETCONF_MAX_OLD 32
struct netconf_addrs {
	unsigned ifindex;
	int family;
	struct netconf_ip v[NETCONF_MAX_OLD];
	size_t n;
};

static int netconf_ifa_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int netconf_addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	struct netconf_addrs *a = data;
	const struct ifaddrmsg *ifa;
	const struct nlattr *at;
	size_t alen = netconf_ip_len(a->family);

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_index != a->ifindex || ifa->ifa_family != a->family ||
	    ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), netconf_ifa_attr_cb, tb) < 0)
		return MNL_CB_OK;
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!at || mnl_attr_get_payload_len(at) != alen || a->n == NETCONF_MAX_OLD)
		return MNL_CB_OK;
	a->v[a->n] = (struct netconf_ip){ .family = a->family, .prefix = ifa->ifa_prefixlen };
	memcpy(a->v[a->n].bytes, mnl_attr_get_payload(at), alen);
	a->n++;
	return MNL_CB_OK;
}

static int netconf_addr_dump(struct netconf_nl *n, struct netconf_addrs *a)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(n->req);
	struct ifaddrmsg *ifa;
	int r = MNL_CB_OK;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++n->seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (r > MNL_CB_STOP) {
		ssize_t len = mnl_socket_recvfrom(n->nl, n->buf, sizeof(n->buf));

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return len < 0 ? -errno : -EPROTO;
		if (!rtnl_msgs_ok(n->buf, (size_t)len))
			return -EBADMSG;
		r = mnl_cb_run(n->buf, (size_t)len, n->seq, n->portid, netconf_addr_dump_cb, a);
	}
	return r < 0 ? -errno : 0;
}

/* Remove the link's other addresses of this family first (deleting an IPv4
 * primary afterwards would take the new secondary with it), then add. */
static int netconf_addr_replace(struct netconf_nl *n, unsigned ifindex, const char *cidr,
				char *err, size_t errlen)
{
	struct netconf_addrs old = { .ifindex = ifindex };
	struct netconf_ip ip;
	struct nlmsghdr *nlh;
	size_t i;
	int r;

	if (netconf_parse_cidr(cidr, &ip) < 0) {
		netconf_err(err, errlen, "address", NULL, -EINVAL);
		return -EINVAL;
	}
	old.family = ip.family;
	r = netconf_addr_dump(n, &old);
	if (r < 0) {
		netconf_err(err, errlen, "list addresses", NULL, r);
		return r;
	}
	for (i = 0; i < old.n; i++) {
		if (old.v[i].prefix == ip.prefix && memcmp(old.v[i].bytes, ip.bytes, 16) == 0)
			continue;
		nlh = netconf_addr_msg(n, RTM_DELADDR, ifindex, &old.v[i]);
		r = netconf_transact(n, nlh, "delete old address", err, errlen);
		if (r < 0 && r != -EADDRNOTAVAIL)
			return r;
	}
	nlh = netconf_addr_msg(n, RTM_NEWADDR, ifindex, &ip);
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	if (ip.family == AF_INET && ip.prefix < 31) {
		uint32_t a, brd;

		memcpy(&a, ip.bytes, 4);
		brd = a | htonl(ip.prefix ? 0xffffffffu >> ip.prefix : 0xffffffffu);
		mnl_attr_put(nlh, IFA_BROADCAST, 4, &brd);
	}
	if (ip.family == AF_INET6) {
		struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

		/* Configured, not autoconfigured: usable at once, no DAD wait
		 * before the default route can use it. */
		ifa->ifa_flags = IFA_F_NODAD;
	}
	return netconf_transact(n, nlh, "add address", err, errlen);
}

static int netconf_route_default(struct netconf_nl *n, unsigned ifindex, const char *gateway,
				 char *err, size_t errlen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(n->req);
	struct netconf_ip gw;
	struct rtmsg *rtm;

	if (netconf_parse_ip(gateway, &gw) < 0) {
		netconf_err(err, errlen, "default route", NULL, -EINVAL);
		return -EINVAL;
	}
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)gw.family;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, netconf_ip_len(gw.family), gw.bytes);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return netconf_transact(n, nlh, "default route", err, errlen);
}

/* The interface's index and an rtnetlink socket for changing it. */
static int netconf_session_open(const char *ifname, unsigned *ifindex, struct netconf_nl **out,
				char *err, size_t errlen)
{
	struct netconf_nl *n;
	int r;

	*ifindex = if_nametoindex(ifname);
	if (*ifindex == 0) {
		r = -errno;
		netconf_err(err, errlen, ifname, NULL, r);
		return r;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	r = netconf_nl_open(n);
	if (r < 0) {
		netconf_err(err, errlen, "rtnetlink", NULL, r);
		free(n);
		return r;
	}
	*out = n;
	return 0;
}

static void netconf_session_close(struct netconf_nl *n)
{
	mnl_socket_close(n->nl);
	free(n);
}

int netconf_apply(const struct netconf *nc, char *err, size_t errlen)
{
	struct netconf_nl *n;
	unsigned ifindex;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (netconf_check(nc) < 0) {
		netconf_err(err, errlen, "configuration", "malformed interface, address or gateway",
			    -EINVAL);
		return -EINVAL;
	}
	r = netconf_session_open(nc->ifname, &ifindex, &n, err, errlen);
	if (r < 0)
		return r;
	r = netconf_link_up(n, ifindex, err, errlen);
	if (r == 0 && nc->address[0])
		r = netconf_addr_replace(n, ifindex, nc->address, err, errlen);
	if (r == 0 && nc->gateway[0])
		r = netconf_route_default(n, ifindex, nc->gateway, err, errlen);
	netconf_session_close(n);
	return r;
}

int netconf_add_local(const char *ifname, const char *cidr, char *err, size_t errlen)
{
	struct netconf_nl *n;
	struct netconf_ip ip;
	struct nlmsghdr *nlh;
	unsigned ifindex;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!netconf_valid_ifname(ifname) || netconf_parse_cidr(cidr, &ip) < 0) {
		netconf_err(err, errlen, "configuration", "malformed interface or address", -EINVAL);
		return -EINVAL;
	}
	r = netconf_session_open(ifname, &ifindex, &n, err, errlen);
	if (r < 0)
		return r;
	/* CREATE|REPLACE: adding an address already there succeeds, so a
	 * restarted agent does the same thing again. */
	nlh = netconf_addr_msg(n, RTM_NEWADDR, ifindex, &ip);
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	r = netconf_transact(n, nlh, "add address", err, errlen);
	netconf_session_close(n);
	return r;
}
