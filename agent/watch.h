/* agent/watch.h: ListPorts and WatchPorts over agent/ports.h (watch.c).
 * The differences between scans go to changed, then flush is called once
 * per scan (the control connections that watch). */
#ifndef KEEL_WATCH_H
#define KEEL_WATCH_H
#include "ports.h"
#include <stdbool.h>
#include <stdint.h>

struct agent;

struct port_watch {
	struct port_scanner *scanner;
	struct port_set prev;
	bool have_prev;
	unsigned watchers;               /* connections that watch (control.c counts them) */
	uint64_t next_poll_ms;
	void (*changed)(struct agent *a, enum port_change ch, const struct port_entry *e);
	void (*flush)(struct agent *a);
};

/* dispatch_ops.ports; ctx is the agent. */
int watch_ports(void *ctx, bool watch, struct port_set *out);
/* The watch's loop_timer: rescan every PORTS_POLL_MS while watched, release
 * the scanner when nobody watches. */
void watch_run(struct agent *a, uint64_t now);
bool watch_next_poll(const struct agent *a, uint64_t *when);
#endif
