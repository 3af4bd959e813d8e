/* agent/list.h: an intrusive circular doubly-linked list. */
#ifndef KEEL_LIST_H
#define KEEL_LIST_H
#include <stddef.h>

struct link { struct link *prev, *next; };

static inline void list_init(struct link *h) { h->prev = h->next = h; }
static inline int list_empty(const struct link *h) { return h->next == h; }
static inline void list_add(struct link *h, struct link *n)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}
static inline void list_del(struct link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}
#define list_entry(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
/* Safe against removal of the current entry. */
#define list_each(h, it, nx) for (it = (h)->next, nx = it->next; it != (h); it = nx, nx = it->next)
#endif
