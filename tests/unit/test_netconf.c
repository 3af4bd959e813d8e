/* tests/unit/test_netconf.c: the --net / keel.ip spec parser (valid and
 * malformed), the ack parser with extended-ack messages, resolv.conf. */
#include "harness.h"
#include "agent/netconf.c"
#include <fcntl.h>
#include <unistd.h>

TEST(parse_full)
{
	struct netconf nc;

	CHECK_EQ_INT(netconf_parse("10.0.2.15/24,gw=10.0.2.2,dns=10.0.2.3,dns=2001:db8::53", &nc), 0);
	CHECK_EQ_STR(nc.ifname, "eth0");
	CHECK_EQ_STR(nc.address, "10.0.2.15/24");
	CHECK_EQ_STR(nc.gateway, "10.0.2.2");
	CHECK_EQ_INT(nc.ndns, 2);
	CHECK_EQ_STR(nc.dns[0], "10.0.2.3");
	CHECK_EQ_STR(nc.dns[1], "2001:db8::53");
	CHECK_EQ_INT(netconf_parse("fd00::2/64,gw=fd00::1,dev=enp0s1", &nc), 0);
	CHECK_EQ_STR(nc.ifname, "enp0s1");
	CHECK_EQ_STR(nc.address, "fd00::2/64");
	CHECK_EQ_INT(netconf_parse("192.168.1.7/32", &nc), 0);
	CHECK_EQ_STR(nc.gateway, "");
	CHECK_EQ_INT(nc.ndns, 0);
	/* no address: leave addresses alone, only route and DNS */
	CHECK_EQ_INT(netconf_parse("gw=10.0.0.1,dns=1.1.1.1,dns=8.8.8.8,dns=9.9.9.9", &nc), 0);
	CHECK_EQ_STR(nc.address, "");
	CHECK_EQ_INT(nc.ndns, 3);
	CHECK_EQ_INT(netconf_parse("10.0.0.2/0", &nc), 0);
}

TEST(parse_malformed)
{
	static const char *bad[] = {
		"", ",", "10.0.2.15", "10.0.2.15/", "/24", "10.0.2.15/33", "10.0.2.15/-1",
		"10.0.2.15/+8", "10.0.2.15/ 8", "10.0.2.15/0024", "10.0.2.15/024", "10.0.2.256/24",
		"10.0.2.15/24,", ",10.0.2.15/24", "10.0.2.15/24,,gw=10.0.2.2",
		"10.0.2.15/24,gw=", "10.0.2.15/24,gw=10.0.2", "10.0.2.15/24,gw=10.0.2.2,gw=10.0.2.3",
		"10.0.2.15/24,gw=10.0.2.15", "10.0.2.15/24,gw=fd00::1", "fd00::2/129",
		"10.0.2.15/24,dns=1.1.1.1,dns=1.1.1.2,dns=1.1.1.3,dns=1.1.1.4",
		"10.0.2.15/24,dns=one.one", "10.0.2.15/24,dns=1.1.1.1\nnameserver 6.6.6.6",
		"10.0.2.15/24,mtu=1500", "10.0.2.15/24,10.0.2.16/24", "gw=10.0.0.1,10.0.2.15/24",
		"10.0.2.15/24,dev=", "10.0.2.15/24,dev=a/b", "10.0.2.15/24,dev=a:1",
		"10.0.2.15/24,dev=..", "10.0.2.15/24,dev=sixteen-chars-xx", "10.0.2.15/24,=x",
		" 10.0.2.15/24", "10.0.2.15/24 ",
	};
	struct netconf nc;
	char longspec[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = netconf_parse(bad[i], &nc);

		if (r != -EINVAL)
			printf("FAIL: parse_malformed: \"%s\" gave %d\n", bad[i], r);
		CHECK_EQ_INT(r, -EINVAL);
	}
	memset(longspec, 'a', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	CHECK_EQ_INT(netconf_parse(longspec, &nc), -EINVAL);
}

static char ackbuf[4096] __attribute__((aligned(8)));

/* An NLMSG_ERROR answering seq 7, capped or with the request copied. */
static size_t put_ack(int error, const char *msg, bool capped)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ackbuf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = 7;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + 12;   /* the request had 12 bytes */
	e->msg.nlmsg_seq = 7;
	if (capped)
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	else
		mnl_nlmsg_put_extra_header(nlh, 12);
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 16);
	}
	return nlh->nlmsg_len;
}

TEST(ack_messages)
{
	struct netconf_ack ack;
	struct nlmsghdr *nlh;
	size_t len;

	len = put_ack(0, NULL, true);
	CHECK_EQ_INT(netconf_ack_run(ackbuf, len, 7, 0, &ack), 0);
	len = put_ack(-ENETUNREACH, "Nexthop has invalid gateway", true);
	CHECK_EQ_INT(netconf_ack_run(ackbuf, len, 7, 0, &ack), -ENETUNREACH);
	CHECK_EQ_STR(ack.msg, "Nexthop has invalid gateway");
	len = put_ack(-EEXIST, "File exists here", false);
	CHECK_EQ_INT(netconf_ack_run(ackbuf, len, 7, 0, &ack), -EEXIST);
	CHECK_EQ_STR(ack.msg, "File exists here");
	/* an answer to another request is refused by sequence */
	len = put_ack(0, NULL, true);
	CHECK(netconf_ack_run(ackbuf, len, 8, 0, &ack) < 0);
	/* error without TLVs: errno only */
	len = put_ack(-EPERM, NULL, true);
	CHECK_EQ_INT(netconf_ack_run(ackbuf, len, 7, 0, &ack), -EPERM);
	CHECK_EQ_STR(ack.msg, "");
	/* message attribute without its NUL: not copied, error kept */
	len = put_ack(-EINVAL, "abc", true);
	nlh = (struct nlmsghdr *)ackbuf;
	{
		struct nlattr *a = (struct nlattr *)((char *)nlh + MNL_NLMSG_HDRLEN +
						     sizeof(struct nlmsgerr));
		a->nla_len = sizeof(*a) + 3;   /* "abc" without its terminator */
	}
	CHECK_EQ_INT(netconf_ack_run(ackbuf, len, 7, 0, &ack), -EINVAL);
	CHECK_EQ_STR(ack.msg, "");
	/* uncapped copy claiming more than was sent: TLVs out of range ignored */
	len = put_ack(-EINVAL, "zzz", false);
	((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->msg.nlmsg_len = 4000;
	CHECK_EQ_INT(netconf_ack_run(ackbuf, len, 7, 0, &ack), -EINVAL);
	CHECK_EQ_STR(ack.msg, "");
	/* truncated nlmsgerr */
	nlh = mnl_nlmsg_put_header(ackbuf);
	nlh->nlmsg_type = NLMSG_ERROR;
	mnl_nlmsg_put_extra_header(nlh, 8);
	CHECK_EQ_INT(netconf_ack_run(ackbuf, nlh->nlmsg_len, 0, 0, &ack), -EBADMSG);
	/* nothing relevant: read more */
	nlh = mnl_nlmsg_put_header(ackbuf);
	nlh->nlmsg_type = RTM_NEWADDR;
	CHECK_EQ_INT(netconf_ack_run(ackbuf, nlh->nlmsg_len, 0, 0, &ack), 1);
}

TEST(resolv_conf)
{
	char dir[] = "/tmp/keel-resolv.XXXXXX", got[256] = "";
	struct resolv_conf rc = { .first = "" };
	struct netconf nc;
	ssize_t n;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(rc.path, sizeof(rc.path), "%s/resolv.conf", dir);
	CHECK_EQ_INT(netconf_parse("10.0.2.15/24,dns=10.0.2.3,dns=2001:db8:0::53", &nc), 0);
	CHECK_EQ_INT(netconf_write_resolv(&rc, &nc), 0);
	fd = open(rc.path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	n = read(fd, got, sizeof(got) - 1);
	close(fd);
	CHECK(n > 0);
	CHECK_EQ_STR(got, "# written by keel-agent\nnameserver 10.0.2.3\nnameserver 2001:db8::53\n");
	/* With the agent's DNS server it is the only nameserver (musl asks all
	 * at once); the upstreams stay as comments, the server's own skipped. */
	CHECK_EQ_INT(netconf_resolv_first(&rc, "192.168.65.7"), 0);
	snprintf(nc.dns[1], sizeof(nc.dns[1]), "192.168.65.7");
	CHECK_EQ_INT(netconf_write_resolv(&rc, &nc), 0);
	memset(got, 0, sizeof(got));
	fd = open(rc.path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	n = read(fd, got, sizeof(got) - 1);
	close(fd);
	CHECK_EQ_STR(got, "# written by keel-agent\nnameserver 192.168.65.7\n# upstream 10.0.2.3\n");
	CHECK_EQ_INT(netconf_resolv_first(&rc, ""), 0);
	/* a struct filled by hand is checked again: no line injection */
	snprintf(nc.dns[0], sizeof(nc.dns[0]), "1.1.1.1\nsearch evil");
	CHECK_EQ_INT(netconf_write_resolv(&rc, &nc), -EINVAL);
	nc.ndns = 4;
	CHECK_EQ_INT(netconf_write_resolv(&rc, &nc), -EINVAL);
	unlink(rc.path);
	rmdir(dir);
}

TEST(apply_checks_before_kernel)
{
	struct netconf nc;
	char err[128];

	CHECK_EQ_INT(netconf_parse("10.0.2.15/24,dev=nonexistent0", &nc), 0);
	CHECK_EQ_INT(netconf_apply(&nc, err, sizeof(err)), -ENODEV);
	CHECK(strstr(err, "nonexistent0") != NULL);
	memset(&nc, 0, sizeof(nc));
	snprintf(nc.ifname, sizeof(nc.ifname), "lo");
	snprintf(nc.address, sizeof(nc.address), "10.0.0.1");   /* no prefix */
	CHECK_EQ_INT(netconf_apply(&nc, err, sizeof(err)), -EINVAL);
}

RUN_TESTS(RUN(parse_full); RUN(parse_malformed); RUN(ack_messages); RUN(resolv_conf);
	  RUN(apply_checks_before_kernel))
