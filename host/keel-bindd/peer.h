/* peer.h: who is on the other end of an accepted unix socket. */
#ifndef KEEL_BINDD_PEER_H
#define KEEL_BINDD_PEER_H
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Read the peer's credentials (SO_PEERCRED) into *cred and decide whether it
 * may be served: uid 0, or - when have_group - a peer whose effective gid or
 * one of whose supplementary groups (SO_PEERGROUPS) is group. Both are the
 * credentials the peer had when it called connect(), taken by the kernel.
 * Returns 0 (allowed), -EACCES (not allowed) or another -errno. */
int bindd_peer_check(int fd, bool have_group, gid_t group, struct ucred *cred);
#endif
