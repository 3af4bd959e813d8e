/* host/keel-host/vu_relay.h: keel-host between QEMU and a vhost-user
 * backend, so that the backend can die and be restarted under a running VM.
 *
 * QEMU 7.2 does not reconnect a vhost-user-vsock device: when its backend's
 * socket closes, the device is dead until the VM restarts. So QEMU connects
 * to keel-host (the front socket), and keel-host connects to the backend
 * (the helper's own socket) and passes every message on, both ways. It keeps
 * the last message of each kind that set the device up (features, the memory
 * table with its fds, each ring's size, base, addresses and eventfds), and
 * when the backend is back it sends them again in the order QEMU does
 * ("replay"), as if QEMU had just started the device:
 *  - the replies the replay causes are its own (dropped), and it asks for no
 *    REPLY_ACK;
 *  - a running ring's base is the guest's used index, read from guest memory
 *    (pread on the region's fd): what the dead backend took from the avail
 *    ring but never returned is taken again (the backend completes in order);
 *  - while no backend is there, what QEMU sends to set the device up goes
 *    into the journal; anything else (a GET) waits and goes after the
 *    replay. An answer QEMU waits for when the backend dies (a GET, or an
 *    ack it asked for) comes from the next backend after the replay, or
 *    from the relay itself: the ack of a set-up message the replay applies,
 *    a stopped ring's base (its used index). QEMU asks such things only at
 *    a guest reset, a VM stop or cont.
 * Only the control messages pass here; the rings stay in shared memory
 * between the guest and the backend. The backend must accept a session that
 * starts again (keel-vsock does); whatever state it kept about the guest is
 * gone (keel-vsock: its connections, which the guest sees reset). */
#ifndef KEEL_HOST_VU_RELAY_H
#define KEEL_HOST_VU_RELAY_H
#include "vu_wire.h"
#include <stdbool.h>
#include <stdint.h>

/* QEMU's largest vhost-user payload is a few hundred bytes (a memory table
 * of 8 regions, a 256-byte config space, a crypto session's keys) */
#define VU_RELAY_PAYLOAD_MAX 1024
#define VU_RELAY_RINGS 8
#define VU_RELAY_PENDING 32

struct vu_stored {
	bool used;
	struct vu_hdr h;
	uint8_t p[VU_RELAY_PAYLOAD_MAX];
	int fds[VU_MAX_FDS];
	unsigned nfds;
};

struct vu_relay;
/* Run when a backend takes over a session (after the device messages of the
 * replay, before the guest's memory table and rings): a device whose
 * backend kept a session of its own with the guest starts a new one here
 * (virtio-fs: fuse_prime.h). 0 or -errno (the backend is dropped). */
typedef int (*vu_prime_fn)(struct vu_relay *r);

struct vu_relay {
	const char *name;            /* the helper behind it, for the log */
	vu_prime_fn prime;           /* NULL: nothing to start again */
	const char *front_path, *back_path;
	int ep;                      /* the daemon's epoll: the relay adds its fds */
	int lfd, front, back;        /* -1: none */
	unsigned swallow;            /* replies of replayed messages still due */
	uint64_t retry_ms;           /* next connect attempt while the backend is away */
	struct vu_stored dev[6];     /* see dev_order in vu_relay.c */
	struct vu_region mem[VU_MAX_FDS];   /* guest memory: SET_MEM_TABLE, ADD/REM_MEM_REG */
	int mem_fd[VU_MAX_FDS];
	unsigned n_mem;
	struct vu_stored ring[VU_RELAY_RINGS][7];
	struct vu_stored pending[VU_RELAY_PENDING];
	unsigned n_pending;
	/* The answer QEMU waits for (it asks one thing at a time). When the
	 * backend dies owing it, the relay answers an ack or a ring base itself
	 * and sends a question again to the next backend. */
	struct {
		bool due, kept;          /* kept: a set-up message in the journal */
		uint64_t used_uva;       /* GET_VRING_BASE: the ring's used address */
		struct vu_stored m;      /* the question (no fds) */
	} owed;
};

/* Listen on front_path (0600) for QEMU; 0 or -errno. */
int vu_relay_open(struct vu_relay *r, const char *name, const char *front_path,
		  const char *back_path, int ep);
/* For a prime function: send the backend one message of the relay's own
 * (its reply, if the request has one, is dropped). 0 or -errno. */
int vu_relay_send(struct vu_relay *r, uint32_t req, const void *payload, uint32_t size,
		  const int *fds, unsigned nfds);
/* fd became ready: true when it is one of the relay's. */
bool vu_relay_ready(struct vu_relay *r, int fd);
/* Connect attempts while QEMU is there and the backend is not: ms until
 * the next one is due, -1 when none is. */
int vu_relay_timeout(struct vu_relay *r);
void vu_relay_close(struct vu_relay *r);
#endif
