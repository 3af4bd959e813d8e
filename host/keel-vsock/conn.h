/* conn: one vsock stream between a guest port and a host unix socket, with
 * the credit accounting of virtio-vsock (virtio 1.2, 5.10.6.3): each side
 * advertises buf_alloc (its receive buffer) and fwd_cnt (bytes it has passed
 * on); a sender never has more than buf_alloc - (sent - peer fwd_cnt) bytes
 * in flight. The pure accounting lives here; I/O is in backend.c. */
#ifndef KEEL_VSOCK_CONN_H
#define KEEL_VSOCK_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "list.h"

/* Our receive buffer per connection: what a guest may send before the host
 * program reads it. Bounded so 100s of connections stay in a few MiB... */
#define CONN_BUF_ALLOC (256u * 1024)
/* ...and a CREDIT_UPDATE is due when the guest believes less than this is
 * free (Linux uses the same rule with its 64 KiB packet size). */
#define CONN_CREDIT_LOW (64u * 1024)

enum conn_state {
	C_HDR,		/* host program connected, CONNECT line not read yet */
	C_CONNECTING,	/* REQUEST queued or sent to the guest */
	C_OPEN,		/* streaming */
	C_CLOSED,	/* unix side closed; only a pending RST keeps it alive */
};

/* control packets waiting for a guest rx buffer, sent in this order */
enum {
	P_REQUEST = 1, P_RESPONSE = 2, P_CREDIT_UPDATE = 4, P_SHUTDOWN = 8, P_RST = 16,
};

struct conn {
	int kind;			/* first: the epoll tag (backend.c) */
	int fd;				/* the host unix socket, -1 once closed */
	enum conn_state st;
	uint32_t lport, pport;		/* host-side port, guest port */
	bool in_hash, hup, registered;
	uint32_t ep_events;
	struct conn *hnext;
	struct link all, pend, blocked, grave;
	unsigned pend_ops;
	uint32_t shut_flags;		/* for the pending SHUTDOWN */
	/* credit: guest -> host */
	uint32_t rx_cnt;		/* payload bytes the guest sent */
	uint32_t fwd_cnt;		/* of which written to the unix socket */
	uint32_t fwd_cnt_sent;		/* fwd_cnt the guest last heard of */
	/* credit: host -> guest */
	uint32_t tx_cnt;		/* payload bytes sent to the guest */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	/* bytes from the guest the unix socket did not take yet */
	uint8_t *buf;
	uint32_t buf_head, buf_len;
	bool peer_shut_send, peer_shut_rcv, local_eof, wr_shut;
	uint64_t deadline_ms;		/* C_HDR / C_CONNECTING give-up time */
};

/* Bytes we may still send to the guest. */
static inline uint32_t conn_peer_credit(const struct conn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt;
	return inflight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
}
/* Would accepting len more bytes from the guest overrun our buffer? */
static inline bool conn_rx_overrun(const struct conn *c, uint32_t len)
{
	return len > CONN_BUF_ALLOC - (c->rx_cnt - c->fwd_cnt);
}
/* Is a CREDIT_UPDATE due: we forwarded bytes the guest does not know about
 * and the guest's idea of our free space is low. */
static inline bool conn_credit_update_due(const struct conn *c)
{
	uint32_t seen_free = CONN_BUF_ALLOC - (c->rx_cnt - c->fwd_cnt_sent);
	return c->fwd_cnt != c->fwd_cnt_sent && seen_free < CONN_CREDIT_LOW;
}
#endif
