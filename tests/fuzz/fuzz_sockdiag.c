/* tests/fuzz/fuzz_sockdiag.c: arbitrary bytes as one recvmsg of a
 * NETLINK_SOCK_DIAG dump reply, through the scanner's parser, then the
 * sort/dedup and diff that follow it in a scan. The first byte picks the
 * transport and family the "request" asked for. */
#include "agent/sockdiag.c"
#include "agent/port_owner.c"
#include "agent/ports.c"

static void fuzz_nop(void *ctx, enum port_change c, const struct port_entry *e)
{
	(void)c;
	(*(size_t *)ctx) += e->port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[SOCKDIAG_BUF_SIZE] __attribute__((aligned(8)));
	struct sockdiag_vec v = { 0 };
	struct sockdiag_ctx ctx = { .out = &v };
	struct port_set empty = { 0 }, set;
	size_t sum = 0;

	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	ctx.transport = data[0] & 1 ? PORT_UDP : PORT_TCP;
	ctx.family = data[0] & 2 ? AF_INET6 : AF_INET;
	memcpy(buf, data + 1, size - 1);
	sockdiag_parse(buf, size - 1, 0, 0, &ctx);
	ports_sort_unique(&v);
	set = (struct port_set){ v.v, v.n };
	port_set_diff(&empty, &set, fuzz_nop, &sum);
	port_set_diff(&set, &set, fuzz_nop, &sum);
	sockdiag_vec_free(&v);
	return 0;
}
