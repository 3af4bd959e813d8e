/* agent/budget.h: the agent's stream budgets. Streams the host opened
 * (forward port: the docker socket, forwards, publish) and streams guest
 * processes opened (bind connections and UDP flows, DNS over TCP) are
 * counted apart, so that no number of guest connections can take a slot the
 * host needs; each guest peer (source address) is capped besides, so one
 * container cannot take the whole guest budget from the others. */
#ifndef KEEL_BUDGET_H
#define KEEL_BUDGET_H
#include "peer.h"

enum origin { ORIGIN_HOST, ORIGIN_GUEST };

struct budget {
	unsigned used[2], max[2];
	struct peer_counts peers;        /* guest streams per source address */
};

int budget_init(struct budget *b, unsigned max_host, unsigned max_guest, unsigned per_peer);
void budget_free(struct budget *b);
/* One stream of origin o (a guest one from peer p): 0; -ENFILE when that
 * origin's budget is spent; -EDQUOT when p holds its share already. */
int budget_take(struct budget *b, enum origin o, const struct peer_addr *p);
void budget_put(struct budget *b, enum origin o, const struct peer_addr *p);
#endif
