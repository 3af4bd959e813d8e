/* tests/fuzz/fuzz_dns.c: arbitrary bytes as one datagram to the agent's DNS
 * server, through what its handler runs: the query parser, the host-name
 * decision, the local answer and the error replies (built into buffers
 * exactly as large as the result needs, so a write past it is caught), and
 * the reply check of the forwarding side (the input as an upstream's reply
 * to a fixed query; the SERVFAIL built for a query as the reply to it). */
#include "agent/dns.c"
#include <stdlib.h>

static void fuzz_check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t host4[4] = { 192, 168, 65, 254 };
	uint8_t big[DNS_REPLY_MAX];
	static struct dns_query sent;
	struct dns_query q;
	int r, n;

	if (!sent.qname_len) {   /* example.test. A IN, id 0x1234 */
		static const uint8_t name[] = "\7example\4test";

		sent.id = 0x1234;
		memcpy(sent.qname, name, sizeof(name));
		sent.qname_len = sizeof(name);
		sent.qtype = DNS_TYPE_A;
		sent.qclass = DNS_CLASS_IN;
	}
	(void)dns_reply_matches(data, size, &sent);
	r = dns_parse_query(data, size, &q);
	if (r == -EOPNOTSUPP || (r < 0 && size >= DNS_HEADER_LEN)) {
		fuzz_check(dns_build_error(data, size, NULL, DNS_RCODE_FORMERR, big, sizeof(big)) ==
			   DNS_HEADER_LEN);
		return 0;
	}
	if (r < 0)
		return 0;
	fuzz_check(q.qend <= size && q.qname_len >= 1 && q.qname_len <= DNS_NAME_MAX);
	n = dns_build_local(data, &q, (size & 1) ? host4 : NULL, big, sizeof(big));
	fuzz_check(n > 0);
	if (n > 0) {
		uint8_t *exact = malloc((size_t)n);

		fuzz_check(dns_build_local(data, &q, (size & 1) ? host4 : NULL, exact, (size_t)n) == n);
		fuzz_check(memcmp(exact, big, (size_t)n) == 0);
		fuzz_check(dns_build_local(data, &q, (size & 1) ? host4 : NULL, exact, (size_t)n - 1) ==
			   -EMSGSIZE);
		free(exact);
	}
	n = dns_build_error(data, size, &q, DNS_RCODE_SERVFAIL, big, sizeof(big));
	fuzz_check(n == (int)q.qend);
	fuzz_check(dns_reply_matches(big, (size_t)n, &q));
	fuzz_check(!dns_reply_matches(data, size, &q));   /* a query is no reply */
	(void)dns_decide(&q);
	return 0;
}
