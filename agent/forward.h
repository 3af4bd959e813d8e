/* agent/forward.h: relayed streams (forward.c): the forward port's (the
 * host's), bind streams to the host, and plain proxies (DNS over TCP). */
#ifndef KEEL_FORWARD_H
#define KEEL_FORWARD_H
#include "peer.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct agent;

/* A forward-port connection (the host's): over the host budget it is closed. */
void fwd_accept(struct agent *a, int fd, bool need_auth);
/* Deadlines: request and dial, idle relays. */
void fwd_sweep(struct agent *a, uint64_t now);
/* A bind stream: dial host, send hdr, then relay with guest_fd (an accepted
 * connection, or for udp a socket connected to one guest peer whose first
 * datagram is first). On success guest_fd belongs to the forward. It counts
 * against the guest budget of peer; -ENFILE or -EDQUOT past it. A stream
 * that fails later calls failed with bind_id. */
struct fwd_outbound {
	const struct sockaddr *host;
	socklen_t host_len;
	int guest_fd;
	bool udp;
	uint64_t bind_id;
	void (*failed)(struct agent *a, uint64_t bind_id);
	const uint8_t *hdr, *first;
	size_t hdr_len, first_len;
	const struct peer_addr *peer;
	unsigned idle_ms;                /* no traffic for this long ends it */
};
int fwd_outbound(struct agent *a, const struct fwd_outbound *o);
/* Relay client_fd (accepted TCP, from guest peer) with a new connection to
 * target; no request or response on the stream; idle_ms without traffic
 * ends it. On success (and on a failed connect, which closes it) client_fd
 * belongs to the forward; on error (-ENFILE, -EDQUOT past the guest budget)
 * it is the caller's. */
struct fwd_proxy {
	const struct sockaddr_storage *target;
	socklen_t target_len;
	const struct peer_addr *peer;
	unsigned idle_ms;
};
int fwd_proxy(struct agent *a, int client_fd, const struct fwd_proxy *p);
#endif
