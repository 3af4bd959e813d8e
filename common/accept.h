/* common/accept.h: accepting from a non-blocking, level-triggered listener
 * (keel-agent's listeners, keel-bindd's socket).
 *
 * Out of fds (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM), accept4
 * fails and leaves the connection in the backlog: the listener stays
 * readable, so a loop that simply tries again next turn spins at full CPU
 * (and logs every turn). Such a loop stops watching the listener for
 * ACCEPT_PAUSE_MS instead; the backlog holds the peers meanwhile, and the
 * fds that close in that time let them in afterwards. */
#ifndef KEEL_ACCEPT_H
#define KEEL_ACCEPT_H
#include <sys/socket.h>

#define ACCEPT_PAUSE_MS 100

/* accept4 with SOCK_CLOEXEC | SOCK_NONBLOCK. Errors that belong to one
 * connection only (EINTR, a peer that reset before we took it, the network
 * errors accept(2) passes on from a pending connection) are skipped: the
 * next connection of the backlog is tried. Returns the fd; -EAGAIN when the
 * backlog is empty; any other -errno means "pause the listener". */
int accept_nb(int lfd, struct sockaddr *peer, socklen_t *len);
#endif
