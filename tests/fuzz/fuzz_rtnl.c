/* tests/fuzz/fuzz_rtnl.c: arbitrary bytes as an rtnetlink reply to
 * netconf: the ack/extended-ack parser and the address-dump callback; and,
 * as text, the --net/keel.ip spec parser. The first byte picks which. */
#include "agent/netconf.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[NETCONF_BUF_SIZE] __attribute__((aligned(8)));
	struct netconf_addrs addrs = { .ifindex = 2 };
	struct netconf_ack ack;
	struct netconf nc;
	char spec[NETCONF_SPEC_MAX + 8];

	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		netconf_ack_run(buf, size - 1, 0, 0, &ack);
		if (strnlen(ack.msg, sizeof(ack.msg)) == sizeof(ack.msg))
			__builtin_trap();
		break;
	case 1:
		addrs.family = data[0] & 4 ? AF_INET6 : AF_INET;
		if (rtnl_msgs_ok(buf, size - 1))   /* as netconf_addr_dump does */
			mnl_cb_run(buf, size - 1, 0, 0, netconf_addr_dump_cb, &addrs);
		if (addrs.n > NETCONF_MAX_OLD)
			__builtin_trap();
		break;
	default:
		if (size - 1 >= sizeof(spec))
			return 0;
		memcpy(spec, data + 1, size - 1);
		spec[size - 1] = '\0';
		if (netconf_parse(spec, &nc) == 0 && netconf_check(&nc) != 0)
			__builtin_trap();   /* what parse accepts, apply must accept */
		break;
	}
	return 0;
}
