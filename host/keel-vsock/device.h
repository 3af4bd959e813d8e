/* device: what the two halves of keel-vsock share. backend.c runs the epoll
 * loop and the vhost-user side; stream.c is the vsock device proper: the
 * connection table, the packet state machine with its credit, and the host
 * unix sockets of the hybrid scheme. Internal to keel-vsock.
 *
 * Why one thread: every guest ring is touched from one place, so no locks and
 * no ordering puzzles between rx and tx; a vsock device's work per packet is a
 * copy of at most 64 KiB, and the guest (TCG or KVM) is the bottleneck long
 * before one host core is (docs/vsock.md has the figures). */
#ifndef KEEL_VSOCK_DEVICE_H
#define KEEL_VSOCK_DEVICE_H
#include "backend.h"
#include "conn.h"
#include "vhost_user.h"

#define RX 0
#define TX 1
#define HASH_SIZE 1024
#define MAX_CONNS 4096
#define RST_QUEUE 256

/* the first int of every epoll data.ptr target says what it is */
enum ev_kind { EV_VU_LISTEN = 1, EV_VU_SOCK, EV_KICK_RX, EV_KICK_TX, EV_HYB, EV_SIG, EV_CONN };

struct backend {
	const struct backend_opts *o;
	int ep, vu_listen, hyb, sig;
	int k_vu_listen, k_vu_sock, k_kick[VU_NVQ], k_hyb, k_sig;	/* epoll tags */
	struct vu_dev vu;
	struct conn *hash[HASH_SIZE];
	unsigned nconns;
	struct link all, pend, blocked, grave;
	struct { uint32_t lport, pport; } rst[RST_QUEUE];
	unsigned rst_head, rst_n;
	uint32_t next_port;
	bool tx_more, quit;
};

/* stream.c */
void process_tx(struct backend *b);			/* tx kick: guest packets */
void on_conn_event(struct backend *b, struct conn *c, uint32_t ev);
void on_hyb_accept(struct backend *b);
void check_deadlines(struct backend *b);
void drop_all(struct backend *b, const char *why);	/* device reset, QEMU gone */
void end_turn(struct backend *b);
#endif
