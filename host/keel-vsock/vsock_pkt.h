/* vsock_pkt: the virtio-vsock packet header (virtio 1.2, 5.10.6) and the
 * parsing of a guest TX chain into header + payload. */
#ifndef KEEL_VSOCK_PKT_H
#define KEEL_VSOCK_PKT_H
#include "vring.h"
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtio is little-endian; this backend reads guest structures natively"
#endif

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));
_Static_assert(sizeof(struct vsock_hdr) == 44, "virtio_vsock_hdr is 44 bytes");

enum { VSOCK_TYPE_STREAM = 1 };
enum {
	VSOCK_OP_REQUEST = 1, VSOCK_OP_RESPONSE, VSOCK_OP_RST, VSOCK_OP_SHUTDOWN,
	VSOCK_OP_RW, VSOCK_OP_CREDIT_UPDATE, VSOCK_OP_CREDIT_REQUEST,
};
enum { VSOCK_SHUTDOWN_RCV = 1, VSOCK_SHUTDOWN_SEND = 2 };
#define VSOCK_CID_HOST 2
/* Largest payload a guest may put in one packet (Linux's
 * VIRTIO_VSOCK_MAX_PKT_BUF_SIZE); larger ones are malformed. */
#define VSOCK_MAX_PKT 65536

struct vsock_pkt {
	struct vsock_hdr hdr;
	unsigned n_iov;			/* payload, hdr.len bytes in all */
	struct iovec iov[CHAIN_MAX_IOV];
};

/* Parse a TX chain: 0, or -EBADMSG when the header is short, the chain has
 * writable buffers, the payload is longer than the chain or VSOCK_MAX_PKT.
 * Payload bytes are left in guest memory (pkt->iov points there). */
int vsock_pkt_parse(const struct chain *c, struct vsock_pkt *pkt);
#endif
