/* init/timeline.h: boot milestones with CLOCK_MONOTONIC milliseconds (which
 * count from kernel start, so the first mark is the kernel->init time). */
#ifndef KEEL_INIT_TIMELINE_H
#define KEEL_INIT_TIMELINE_H
#include <stddef.h>
#include <stdint.h>

#define TIMELINE_MAX 48
#define TIMELINE_NAME_MAX 48

/* Record a milestone (name is cut to TIMELINE_NAME_MAX-1, spaces become
 * '_'); returns its ms. Marks beyond TIMELINE_MAX are logged, not kept. */
uint64_t timeline_mark(const char *name);
/* "name ms" per line, atomically, for the host tooling. */
int timeline_write(const char *path);
/* Format "name=ms name=ms ..." into buf (always NUL-terminated). */
void timeline_summary(char *buf, size_t cap);
/* ms of the first mark with this name, or 0. */
uint64_t timeline_get(const char *name);
#endif
