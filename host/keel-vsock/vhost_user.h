/* vhost_user: the backend ("slave") side of QEMU's vhost-user protocol
 * (docs/interop/vhost-user.rst) for a vsock device: two rings (rx 0, tx 1;
 * QEMU keeps the event queue), guest memory from SET_MEM_TABLE, guest_cid
 * through GET_CONFIG. Socket I/O is separate from vu_dispatch so the message
 * checks can be driven without a socket (tests, fuzzing). */
#ifndef KEEL_VSOCK_VHOST_USER_H
#define KEEL_VSOCK_VHOST_USER_H
#include "guestmem.h"
#include "vring.h"
#include "vu_wire.h"
#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_F_VERSION_1		32
#define VHOST_USER_F_PROTOCOL_FEATURES	30
#define VU_PROTOCOL_F_REPLY_ACK		3
#define VU_PROTOCOL_F_CONFIG		9

#define VU_NVQ 2		/* rx = 0, tx = 1 */
#define VU_CONFIG_MAX 256

struct vu_state { uint32_t index, num; };
struct vu_addr { uint32_t index, flags; uint64_t desc, used, avail, log; };
struct vu_mem { uint32_t nregions, padding; struct vu_region r[GM_MAX_REGIONS]; };
struct vu_config { uint32_t offset, size, flags; uint8_t data[VU_CONFIG_MAX]; };

union vu_payload {
	uint64_t u64;
	struct vu_state state;
	struct vu_addr addr;
	struct vu_mem mem;
	struct vu_config cfg;
};

/* On the wire the payload follows the 12-byte header directly; here it is
 * kept aligned and the two are sent as two iovecs. */
struct vu_msg {
	struct vu_hdr hdr;
	union vu_payload p;
};

struct vu_dev;
struct vu_ops {
	/* A ring started (kick fd given, memory mapped) or stopped (GET_VRING_BASE,
	 * RESET_OWNER, disconnect). The owner (un)registers kick fds here. */
	void (*ring_state)(void *ctx, unsigned idx, bool running);
};

struct vu_dev {
	int sock;			/* connected vhost-user socket, -1 if none */
	struct guestmem gm;
	struct vq vq[VU_NVQ];
	int kick_fd[VU_NVQ], call_fd[VU_NVQ];
	bool enabled[VU_NVQ], started[VU_NVQ], running[VU_NVQ];
	uint64_t features, protocol_features;
	uint64_t guest_cid;
	const struct vu_ops *ops;
	void *ctx;
	const char *error;		/* why the last message was refused */
};

void vu_init(struct vu_dev *d, uint64_t guest_cid, const struct vu_ops *ops, void *ctx);
/* Handle one message (m->hdr.size bytes of payload). fds are consumed (kept
 * or closed). Returns 0 or -errno when refused (d->error says why); sets
 * *reply_due when reply must be sent (a GET_*, or REPLY_ACK asked for). */
int vu_dispatch(struct vu_dev *d, const struct vu_msg *m, int *fds, unsigned nfds,
		struct vu_msg *reply, bool *reply_due);
/* Read one message from d->sock and answer it: 0, 1 when the message was
 * refused (d->error says why; the session goes on), -EPIPE on disconnect,
 * other -errno on a broken stream (the caller drops the connection). */
int vu_serve_one(struct vu_dev *d);
/* Stop every ring, close the fds and unmap memory (disconnect, reset). */
void vu_reset(struct vu_dev *d);
/* Interrupt the guest for ring idx if it asked for one. */
void vu_signal(struct vu_dev *d, unsigned idx);
bool vu_ring_running(const struct vu_dev *d, unsigned idx);
#endif
