/* common/list.h: an intrusive circular doubly-linked list (agent, keel-vsock).
 * A zeroed link counts as unlinked, so list_del is safe on any link. */
#ifndef KEEL_LIST_H
#define KEEL_LIST_H
#include <stdbool.h>
#include <stddef.h>

struct link { struct link *prev, *next; };

static inline void list_init(struct link *h) { h->prev = h->next = h; }
static inline bool list_empty(const struct link *h) { return h->next == h; }
/* Whether a node is on some list (not zeroed, not self-linked). */
static inline bool list_linked(const struct link *n) { return n->next && n->next != n; }
static inline void list_add(struct link *h, struct link *n)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}
static inline void list_add_tail(struct link *h, struct link *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}
static inline void list_del(struct link *n)
{
	if (!list_linked(n))
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}
#define list_entry(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
/* Safe against removal of the current entry. */
#define list_each(h, it, nx) for (it = (h)->next, nx = it->next; it != (h); it = nx, nx = it->next)
#endif
