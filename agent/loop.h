/* agent/loop.h: the agent's single epoll loop. Every fd the loop watches is
 * a struct ev whose handler runs on readiness. Connections are freed only
 * between two epoll_wait batches (conn_retire), so a handler may close any
 * connection without invalidating a pending event. The loop knows no
 * subsystem by name: a connection brings its conn_ops, and the periodic
 * work (deadlines, polls, pauses) comes as a table of loop_timers. */
#ifndef KEEL_LOOP_H
#define KEEL_LOOP_H
#include "list.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct agent;

struct ev {
	int fd;
	uint32_t mask;                   /* what epoll watches now */
	void (*fn)(struct agent *a, struct ev *e, uint32_t events);
};

int ev_add(struct agent *a, struct ev *e, uint32_t mask);
int ev_set(struct agent *a, struct ev *e, uint32_t mask);
/* Stop watching e and close its fd; handlers see fd -1 and skip. */
void ev_del(struct agent *a, struct ev *e);

/* The head of everything that owns a struct ev: on close it moves from its
 * list to the loop's zombies and ops->free runs after the current batch. */
struct conn_hdr;
struct conn_ops {
	void (*free)(struct conn_hdr *h);
};
struct conn_hdr {
	struct link link;
	const struct conn_ops *ops;
};
/* Take h off its list; it is freed after this batch of events. */
void conn_retire(struct agent *a, struct conn_hdr *h);

/* Periodic work of one module, run after every batch of events. */
struct loop_timer {
	void (*run)(struct agent *a, uint64_t now);          /* does nothing until due */
	bool (*next)(const struct agent *a, uint64_t *when); /* false: nothing to wait for */
};
/* What the loop runs besides events: timers every turn, in order, then
 * sweeps (deadline checks) every agent_sweep_ms. */
struct loop_work {
	const struct loop_timer *timers;
	size_t ntimers;
	void (*const *sweeps)(struct agent *a, uint64_t now);
	size_t nsweeps;
};

struct loop {
	int epfd;
	bool stop;
	struct link zombies;
	uint64_t next_sweep_ms;
	const struct loop_work *work;
};

int loop_init(struct loop *l, const struct loop_work *work);
int agent_run(struct agent *a);
unsigned agent_sweep_ms(const struct agent *a);
#endif
