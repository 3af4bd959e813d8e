/* agent/probe.h: dockerd /_ping and containerd, without blocking the loop
 * (probe.c). Who waits for a ping's result is told through done. */
#ifndef KEEL_PROBE_H
#define KEEL_PROBE_H
#include "loop.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_FRESH_MS 1000
#define PROBE_TIMEOUT_MS 500

struct docker_probe {
	struct ev ev;
	bool running, ok;
	uint64_t done_ms, deadline_ms;
	char buf[64];
	size_t got;
	void (*done)(struct agent *a);   /* a ping that ran in the loop ended */
};

/* Unless a fresh result exists, start a ping: true when its result is
 * still to come (done is called then), false when probe.ok holds it. */
bool probe_ping_pending(struct agent *a);
bool probe_containerd(const char *path);
/* The probe's loop_timer: a ping past its deadline fails. */
void probe_sweep(struct agent *a, uint64_t now);
bool probe_next_deadline(const struct agent *a, uint64_t *when);
#endif
