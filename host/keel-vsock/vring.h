/* vring: the split virtqueue as a device sees it (virtio 1.x, 2.7). The guest
 * owns the descriptor table and the avail ring and may change them at any
 * moment, so each field is read once into a local copy and checked there. */
#ifndef KEEL_VSOCK_VRING_H
#define KEEL_VSOCK_VRING_H
#include "guestmem.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VQ_MAX_SIZE 32768	/* virtio's limit on a split ring */
#define CHAIN_MAX_IOV 64	/* longer chains are refused as malformed */

#define VRING_DESC_F_NEXT     1
#define VRING_DESC_F_WRITE    2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc_le { uint64_t addr; uint32_t len; uint16_t flags; uint16_t next; };
struct vring_avail_le { uint16_t flags; uint16_t idx; uint16_t ring[]; };
struct vring_used_elem_le { uint32_t id; uint32_t len; };
struct vring_used_le { uint16_t flags; uint16_t idx; struct vring_used_elem_le ring[]; };

struct vq {
	uint16_t num;		/* ring size, a power of 2; 0 = not configured */
	uint16_t last_avail;	/* next avail entry we will take */
	uint16_t used_idx;	/* next used entry we will fill */
	uint64_t desc_uva, avail_uva, used_uva;	/* as QEMU sent them */
	struct vring_desc_le *desc;	/* translated; NULL until vq_map */
	struct vring_avail_le *avail;
	struct vring_used_le *used;
	bool broken;		/* the guest corrupted the ring: stop using it */
	bool pushed;		/* used entries added since the last signal */
};

/* One chain: device-readable buffers first, then device-writable ones. */
struct chain {
	uint16_t head;		/* VQ_NO_HEAD when the head itself was invalid */
	unsigned n_out, n_in;
	size_t out_len, in_len;
	struct iovec out[CHAIN_MAX_IOV];
	struct iovec in[CHAIN_MAX_IOV];
};
#define VQ_NO_HEAD 0xffff

/* Translate the ring addresses with gm; -EFAULT when a ring is not wholly
 * inside guest memory, -EINVAL for a bad size. */
int vq_map(struct vq *vq, const struct guestmem *gm);
/* True when the guest has made a chain available. */
bool vq_has_avail(const struct vq *vq);
/* Take the next chain: 0, -EAGAIN (none), -EBADMSG (malformed: the chain is
 * consumed; give it back with vq_push(len 0) when chain->head is valid),
 * -EPROTO (the avail index is impossible: the ring is now broken). */
int vq_pop(struct vq *vq, const struct guestmem *gm, struct chain *c);
/* Give back the last chain vq_pop took, unused (it stays available). */
void vq_unpop(struct vq *vq);
/* Return a chain to the guest with len bytes written. */
void vq_push(struct vq *vq, uint16_t head, uint32_t len);
/* After pushes: true when the guest wants an interrupt. Clears `pushed`. */
bool vq_should_signal(struct vq *vq);

/* iovec helpers over chain buffers */
size_t iov_to(const struct iovec *iov, unsigned n, size_t off, const void *src, size_t len);
size_t iov_from(const struct iovec *iov, unsigned n, size_t off, void *dst, size_t len);
/* Fill out[] with the part of iov starting at byte off, at most len bytes;
 * returns the number of entries. */
unsigned iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len,
		   struct iovec *out, unsigned max);
#endif
