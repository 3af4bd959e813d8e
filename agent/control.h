/* agent/control.h: control connections (control.c): requests in, replies
 * and events out, Health requests parked while dockerd is pinged. */
#ifndef KEEL_CONTROL_H
#define KEEL_CONTROL_H
#include "ports.h"
#include <stdbool.h>
#include <stdint.h>

struct agent;

/* need_auth: the first frame must be an Auth (auth.c), within
 * read_timeout_ms of the accept. */
void ctl_accept(struct agent *a, int fd, bool need_auth);
/* Deadlines: closing grace, auth, partial frame, stalled output, idle. */
void ctl_sweep(struct agent *a, uint64_t now);
/* port_watch.changed and .flush: events to every watching connection. */
void ctl_broadcast_port(struct agent *a, enum port_change ch, const struct port_entry *e);
void ctl_flush_watchers(struct agent *a);
/* docker_probe.done: answer the parked Health requests. */
void ctl_answer_health_waiters(struct agent *a);
/* dispatch_ctx.defer_health: park the request on the connection it came
 * on (from) while a ping runs; ctx is the agent. */
bool ctl_defer_health(void *ctx, void *from, uint64_t id);
#endif
