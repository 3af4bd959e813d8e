/* agent/arena.h: a bump allocator for building one reply. Every string and
 * sub-message of a Response is allocated here and freed in one call, so a
 * handler cannot leak part of a reply on an error path. */
#ifndef KEEL_ARENA_H
#define KEEL_ARENA_H
#include <stddef.h>

struct arena_chunk;
struct arena {
	struct arena_chunk *head;
	size_t used, cap;         /* in head */
	int failed;               /* an allocation failed: the reply is unusable */
};

void arena_init(struct arena *a);
void arena_free(struct arena *a);
/* Zeroed memory, aligned for any type; NULL (and a->failed) on ENOMEM. */
void *arena_alloc(struct arena *a, size_t n);
/* Strings: "" (never NULL) when out of memory, with a->failed set. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#endif
