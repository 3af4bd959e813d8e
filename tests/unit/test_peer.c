/* tests/unit/test_peer.c: the per-peer tables (agent/peer.c) and the stream
 * budgets on them (agent/budget.c): keys, caps, the dense count table, token
 * buckets with refill, slot reuse and the shared overflow bucket. */
#include "agent/peer.c"
#include "agent/budget.c"
#include "harness.h"
#include <arpa/inet.h>

static struct peer_addr v4(const char *ip)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct peer_addr p;

	in->sin_family = AF_INET;
	in->sin_port = htons(40000);
	inet_pton(AF_INET, ip, &in->sin_addr);
	peer_addr_from(&ss, sizeof(*in), &p);
	return p;
}

TEST(addr_keys)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct peer_addr a = v4("172.17.0.2"), b = v4("172.17.0.2"), c = v4("172.17.0.3"), m, u;

	CHECK(peer_addr_eq(&a, &b));           /* the port is not part of the key */
	CHECK(!peer_addr_eq(&a, &c));
	in6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:172.17.0.2", &in6->sin6_addr);
	peer_addr_from(&ss, sizeof(*in6), &m);
	CHECK(peer_addr_eq(&a, &m));           /* v4-mapped is the IPv4 peer */
	inet_pton(AF_INET6, "fd00::2", &in6->sin6_addr);
	peer_addr_from(&ss, sizeof(*in6), &m);
	CHECK_EQ_INT(m.family, AF_INET6);
	CHECK(!peer_addr_eq(&a, &m));
	peer_addr_from(&ss, sizeof(struct sockaddr_in), &m);   /* too short for IPv6 */
	CHECK_EQ_INT(m.family, 0);
	ss.ss_family = AF_UNIX;
	peer_addr_from(&ss, sizeof(ss), &u);
	CHECK_EQ_INT(u.family, 0);
}

TEST(counts_cap_and_table)
{
	struct peer_counts t;
	struct peer_addr a = v4("10.0.0.1"), b = v4("10.0.0.2"), c = v4("10.0.0.3");

	CHECK_EQ_INT(peer_counts_init(&t, 2, 3), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(peer_counts_take(&t, &a), 0);
	CHECK_EQ_INT(peer_counts_take(&t, &a), -EDQUOT);
	CHECK_EQ_INT(peer_counts_of(&t, &a), 3);
	CHECK_EQ_INT(peer_counts_take(&t, &b), 0);
	CHECK_EQ_INT(peer_counts_take(&t, &c), -ENOSPC);     /* two peers fill it */
	/* a leaves the table when its last stream ends; c fits then. */
	for (int i = 0; i < 3; i++)
		peer_counts_put(&t, &a);
	CHECK_EQ_INT(peer_counts_of(&t, &a), 0);
	CHECK_EQ_INT(t.n, 1);
	CHECK(peer_addr_eq(&t.v[0].addr, &b));               /* kept dense */
	CHECK_EQ_INT(peer_counts_take(&t, &c), 0);
	CHECK_EQ_INT(peer_counts_of(&t, &b), 1);
	peer_counts_put(&t, &a);                             /* unknown: ignored */
	CHECK_EQ_INT(t.n, 2);
	peer_counts_free(&t);
}

TEST(budget_origins)
{
	struct budget b;
	struct peer_addr a = v4("10.0.0.1"), c = v4("10.0.0.2");

	CHECK_EQ_INT(budget_init(&b, 2, 3, 2), 0);
	/* The guest's streams never take the host's slots, and back. */
	CHECK_EQ_INT(budget_take(&b, ORIGIN_GUEST, &a), 0);
	CHECK_EQ_INT(budget_take(&b, ORIGIN_GUEST, &a), 0);
	CHECK_EQ_INT(budget_take(&b, ORIGIN_GUEST, &a), -EDQUOT);
	CHECK_EQ_INT(budget_take(&b, ORIGIN_GUEST, &c), 0);
	CHECK_EQ_INT(budget_take(&b, ORIGIN_GUEST, &c), -ENFILE);   /* guest budget spent */
	CHECK_EQ_INT(budget_take(&b, ORIGIN_HOST, NULL), 0);
	CHECK_EQ_INT(budget_take(&b, ORIGIN_HOST, NULL), 0);
	CHECK_EQ_INT(budget_take(&b, ORIGIN_HOST, NULL), -ENFILE);
	budget_put(&b, ORIGIN_GUEST, &a);
	CHECK_EQ_INT(budget_take(&b, ORIGIN_GUEST, &c), 0);
	CHECK_EQ_INT(b.used[ORIGIN_GUEST], 3);
	CHECK_EQ_INT(b.used[ORIGIN_HOST], 2);
	budget_free(&b);
}

static unsigned allowed(struct peer_rates *r, const struct peer_addr *p, unsigned n, uint64_t now)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += peer_rates_allow(r, p, now);
	return ok;
}

TEST(rates_bucket)
{
	static struct peer_rates r;
	struct peer_addr a = v4("10.0.0.1"), b = v4("10.0.0.2");

	peer_rates_init(&r, 100, 200);
	CHECK_EQ_INT(allowed(&r, &a, 300, 1000), 200);        /* the burst */
	CHECK_EQ_INT(allowed(&r, &a, 300, 1100), 10);         /* 100/s for 100 ms */
	CHECK_EQ_INT(allowed(&r, &b, 300, 1100), 200);        /* another source: its own */
	CHECK_EQ_INT(allowed(&r, &a, 300, 1105), 0);          /* half a token */
	CHECK_EQ_INT(allowed(&r, &a, 1, 1110), 1);            /* the other half */
	CHECK_EQ_INT(allowed(&r, &a, 500, 60000), 200);       /* refilled to the burst only */
	CHECK_EQ_INT(allowed(&r, &a, 1, 50000), 0);           /* time going back gives nothing */
	peer_rates_init(&r, 0, 0);
	CHECK_EQ_INT(allowed(&r, &a, 100000, 1), 100000);     /* rate 0: no limit */
}

TEST(rates_table_full)
{
	static struct peer_rates r;
	struct peer_addr p[PEER_RATE_SLOTS + 2];
	char ip[32];

	for (int i = 0; i < PEER_RATE_SLOTS + 2; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 256, i % 256);
		p[i] = v4(ip);
	}
	peer_rates_init(&r, 10, 10);
	/* Every slot busy (its bucket not full): new sources share one bucket. */
	for (int i = 0; i < PEER_RATE_SLOTS; i++)
		CHECK_EQ_INT(allowed(&r, &p[i], 1, 1000), 1);
	CHECK_EQ_INT(r.n, PEER_RATE_SLOTS);
	CHECK_EQ_INT(allowed(&r, &p[PEER_RATE_SLOTS], 6, 1000), 6);
	CHECK_EQ_INT(allowed(&r, &p[PEER_RATE_SLOTS + 1], 6, 1000), 4);   /* the same bucket */
	/* 100 ms later slots have refilled (10/s, burst 10: one token each):
	 * a full bucket is forgotten and its slot goes to a new source. */
	CHECK_EQ_INT(allowed(&r, &p[PEER_RATE_SLOTS + 1], 10, 1100), 10);
	CHECK_EQ_INT(r.n, PEER_RATE_SLOTS);
	CHECK_EQ_INT(allowed(&r, &p[PEER_RATE_SLOTS + 1], 1, 1100), 0);
}

RUN_TESTS(RUN(addr_keys); RUN(counts_cap_and_table); RUN(budget_origins); RUN(rates_bucket);
	  RUN(rates_table_full))
