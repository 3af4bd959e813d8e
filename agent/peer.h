/* agent/peer.h: guest peers by source address, and the two small bounded
 * tables the agent keeps about them (no sockets, no logging; unit-tested in
 * tests/unit/test_peer.c):
 *
 *  - peer_counts: how many streams each peer holds, for the per-peer cap of
 *    the guest budget (budget.h). Entries live while their count is above 0.
 *  - peer_rates: a token bucket per peer, for the DNS server's bound on the
 *    answers one source can trigger per second.
 *
 * A peer is its IP address alone: the port changes with every connection
 * and every resolver socket, the address is the container's. */
#ifndef KEEL_PEER_H
#define KEEL_PEER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct peer_addr {
	uint8_t family;          /* AF_INET, AF_INET6; 0 for any other family */
	uint8_t a[16];           /* AF_INET: the first 4 bytes */
};

/* An IPv4-mapped IPv6 address is the IPv4 peer it maps; a family without
 * addresses (unix: host tests) is one peer for all. */
void peer_addr_from(const struct sockaddr_storage *ss, socklen_t len, struct peer_addr *out);
bool peer_addr_eq(const struct peer_addr *x, const struct peer_addr *y);

struct peer_count {
	struct peer_addr addr;
	unsigned n;
};

/* v[0..n) are the peers holding at least one stream (kept dense). */
struct peer_counts {
	struct peer_count *v;
	size_t n, cap;
	unsigned per_peer;
};

/* cap: distinct peers at most (a guest budget of N streams needs N). */
int peer_counts_init(struct peer_counts *t, size_t cap, unsigned per_peer);
void peer_counts_free(struct peer_counts *t);
/* One more stream for p: 0; -EDQUOT when p holds per_peer already;
 * -ENOSPC when cap other peers hold streams. */
int peer_counts_take(struct peer_counts *t, const struct peer_addr *p);
void peer_counts_put(struct peer_counts *t, const struct peer_addr *p);
unsigned peer_counts_of(const struct peer_counts *t, const struct peer_addr *p);

#define PEER_RATE_SLOTS 256

/* Token bucket: `milli` thousandths of a token, refilled at rate per second
 * up to burst tokens. */
struct peer_bucket {
	struct peer_addr addr;
	uint64_t milli;
	uint64_t last_ms;
};

/* PEER_RATE_SLOTS sources have a bucket of their own. A new source takes a
 * free slot, or a slot whose bucket has refilled to the brim (forgetting it
 * loses nothing); when every slot is in use, new sources share one overflow
 * bucket. So the total stays bounded by (slots + 1) * rate even for a guest
 * that forges source addresses. rate 0: no limit. */
struct peer_rates {
	struct peer_bucket v[PEER_RATE_SLOTS];
	size_t n;
	struct peer_bucket overflow;
	unsigned rate, burst;
};

void peer_rates_init(struct peer_rates *r, unsigned rate, unsigned burst);
/* Take one token of p's bucket at now_ms; false when it is empty. */
bool peer_rates_allow(struct peer_rates *r, const struct peer_addr *p, uint64_t now_ms);
#endif
