/* agent/budget.c: see budget.h. */
#include "budget.h"
#include <errno.h>

int budget_init(struct budget *b, unsigned max_host, unsigned max_guest, unsigned per_peer)
{
	*b = (struct budget){ .max = { max_host, max_guest } };
	/* Every peer in the table holds a stream: max_guest entries suffice. */
	return peer_counts_init(&b->peers, max_guest, per_peer);
}

void budget_free(struct budget *b)
{
	peer_counts_free(&b->peers);
}

int budget_take(struct budget *b, enum origin o, const struct peer_addr *p)
{
	int e;

	if (b->used[o] >= b->max[o])
		return -ENFILE;
	if (o == ORIGIN_GUEST && (e = peer_counts_take(&b->peers, p)) < 0)
		return e == -ENOSPC ? -ENFILE : e;
	b->used[o]++;
	return 0;
}

void budget_put(struct budget *b, enum origin o, const struct peer_addr *p)
{
	if (o == ORIGIN_GUEST)
		peer_counts_put(&b->peers, p);
	b->used[o]--;
}
