/* agent/peer.c: see peer.h. The tables are scanned linearly: they hold the
 * peers active now (a handful of containers, bounded by the guest budget and
 * PEER_RATE_SLOTS), and a scan of a few hundred 17-byte keys costs less than
 * the accept or recvfrom that led to it. */
#include "peer.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

void peer_addr_from(const struct sockaddr_storage *ss, socklen_t len, struct peer_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		out->family = AF_INET;
		memcpy(out->a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			out->family = AF_INET;
			memcpy(out->a, a6->s6_addr + 12, 4);
		} else {
			out->family = AF_INET6;
			memcpy(out->a, a6->s6_addr, 16);
		}
	}
}

bool peer_addr_eq(const struct peer_addr *x, const struct peer_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

int peer_counts_init(struct peer_counts *t, size_t cap, unsigned per_peer)
{
	*t = (struct peer_counts){ .cap = cap, .per_peer = per_peer };
	t->v = calloc(cap ? cap : 1, sizeof(*t->v));
	return t->v ? 0 : -ENOMEM;
}

void peer_counts_free(struct peer_counts *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static struct peer_count *count_find(const struct peer_counts *t, const struct peer_addr *p)
{
	for (size_t i = 0; i < t->n; i++)
		if (peer_addr_eq(&t->v[i].addr, p))
			return &t->v[i];
	return NULL;
}

int peer_counts_take(struct peer_counts *t, const struct peer_addr *p)
{
	struct peer_count *c = count_find(t, p);

	if (c) {
		if (c->n >= t->per_peer)
			return -EDQUOT;
		c->n++;
		return 0;
	}
	if (t->n >= t->cap || t->per_peer == 0)
		return t->per_peer == 0 ? -EDQUOT : -ENOSPC;
	t->v[t->n++] = (struct peer_count){ .addr = *p, .n = 1 };
	return 0;
}

void peer_counts_put(struct peer_counts *t, const struct peer_addr *p)
{
	struct peer_count *c = count_find(t, p);

	if (!c || --c->n > 0)
		return;
	*c = t->v[--t->n];   /* keep v dense: the last entry fills the hole */
}

unsigned peer_counts_of(const struct peer_counts *t, const struct peer_addr *p)
{
	const struct peer_count *c = count_find(t, p);

	return c ? c->n : 0;
}

void peer_rates_init(struct peer_rates *r, unsigned rate, unsigned burst)
{
	memset(r, 0, sizeof(*r));
	r->rate = rate;
	r->burst = burst < 1 ? 1 : burst;
	r->overflow.milli = (uint64_t)r->burst * 1000;
}

/* Refill b to now_ms; true when it is full (the slot may be forgotten). */
static bool refill(const struct peer_rates *r, struct peer_bucket *b, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)r->burst * 1000;

	if (now_ms > b->last_ms) {
		uint64_t add = (now_ms - b->last_ms) * r->rate;   /* milli-tokens: rate/s = rate/1000 per ms */

		b->milli = add >= cap - b->milli ? cap : b->milli + add;
		b->last_ms = now_ms;
	}
	return b->milli >= cap;
}

static struct peer_bucket *bucket_for(struct peer_rates *r, const struct peer_addr *p, uint64_t now_ms)
{
	struct peer_bucket *reuse = NULL;

	for (size_t i = 0; i < r->n; i++) {
		if (peer_addr_eq(&r->v[i].addr, p))
			return &r->v[i];
		if (!reuse && refill(r, &r->v[i], now_ms))
			reuse = &r->v[i];
	}
	if (!reuse && r->n < PEER_RATE_SLOTS)
		reuse = &r->v[r->n++];
	if (!reuse)
		return &r->overflow;
	*reuse = (struct peer_bucket){ .addr = *p, .milli = (uint64_t)r->burst * 1000,
				       .last_ms = now_ms };
	return reuse;
}

bool peer_rates_allow(struct peer_rates *r, const struct peer_addr *p, uint64_t now_ms)
{
	struct peer_bucket *b;

	if (r->rate == 0)
		return true;
	b = bucket_for(r, p, now_ms);
	refill(r, b, now_ms);
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}
