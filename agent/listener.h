/* agent/listener.h: a listening socket of the agent (control and forward
 * ports, bind listeners, DNS over TCP) whose accepts pause while fds or
 * memory run out (listener.c). */
#ifndef KEEL_LISTENER_H
#define KEEL_LISTENER_H
#include "list.h"
#include "loop.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct listener {
	struct ev ev;
	struct link paused;              /* in agent.paused while paused */
	uint64_t resume_ms;
	char name[64];                   /* for the log: "forward port", "bind 3 tcp ..." */
};

struct listener_pauses {
	struct link list;                /* struct listener.paused, oldest first */
	uint64_t logged_ms;              /* the last pause logged */
	unsigned unlogged;               /* pauses since */
};

/* Watch fd (a listening socket) with fn; name is for the log. */
int listener_add(struct agent *a, struct listener *l, int fd,
		 void (*fn)(struct agent *, struct ev *, uint32_t), const char *name);
/* The next connection's fd (peer filled when given), or -1: the backlog is
 * empty, or accept failed for want of fds or memory and l is paused for
 * ACCEPT_PAUSE_MS (logged at most every LISTENER_LOG_MS). Either way the
 * caller stops accepting for this wakeup. */
int listener_accept(struct agent *a, struct listener *l, struct sockaddr_storage *peer,
		    socklen_t *plen);
void listener_close(struct agent *a, struct listener *l);
/* The loop_timer of the pauses: paused listeners whose pause is over are
 * watched again; next is when the oldest pause ends. */
void listener_resume(struct agent *a, uint64_t now);
bool listener_next_resume(const struct agent *a, uint64_t *when);
#define LISTENER_LOG_MS 10000
#endif
