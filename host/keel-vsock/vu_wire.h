/* vu_wire: vhost-user messages on the socket (docs/interop/vhost-user.rst in
 * QEMU's tree): the 12-byte header, the request numbers, the flags, and
 * reading or writing one message with the fds it carries. Shared by
 * keel-vsock's backend (vhost_user.c) and keel-host's relay (vu_relay.c). */
#ifndef KEEL_VSOCK_VU_WIRE_H
#define KEEL_VSOCK_VU_WIRE_H
#include <stddef.h>
#include <stdint.h>

enum vu_request {
	VU_GET_FEATURES = 1, VU_SET_FEATURES, VU_SET_OWNER, VU_RESET_OWNER,
	VU_SET_MEM_TABLE, VU_SET_LOG_BASE, VU_SET_LOG_FD, VU_SET_VRING_NUM,
	VU_SET_VRING_ADDR, VU_SET_VRING_BASE, VU_GET_VRING_BASE,
	VU_SET_VRING_KICK, VU_SET_VRING_CALL, VU_SET_VRING_ERR,
	VU_GET_PROTOCOL_FEATURES, VU_SET_PROTOCOL_FEATURES, VU_GET_QUEUE_NUM,
	VU_SET_VRING_ENABLE, VU_SEND_RARP, VU_NET_SET_MTU, VU_SET_BACKEND_REQ_FD,
	VU_IOTLB_MSG, VU_SET_VRING_ENDIAN, VU_GET_CONFIG, VU_SET_CONFIG,
	VU_RESET_DEVICE = 34, VU_GET_MAX_MEM_SLOTS = 36, VU_ADD_MEM_REG, VU_REM_MEM_REG,
};

#define VU_VERSION		1u
#define VU_VERSION_MASK		3u
#define VU_FLAG_REPLY		(1u << 2)
#define VU_FLAG_NEED_REPLY	(1u << 3)
#define VU_VRING_NOFD		(1ull << 8)
#define VU_VRING_IDX_MASK	0xffull
#define VU_MAX_FDS 8

struct vu_hdr { uint32_t request, flags, size; } __attribute__((packed));

/* One region of guest memory as SET_MEM_TABLE (after a u32 count and a u32
 * of padding) and ADD_MEM_REG / REM_MEM_REG (after a u64 of padding) carry
 * it: guest-physical address, size, QEMU's virtual address, offset in the
 * region's fd. */
struct vu_region { uint64_t gpa, size, uva, mmap_offset; };

/* Requests answered with a reply of their own (not a REPLY_ACK). */
int vu_has_reply(uint32_t request);
/* Read one message: the header with its fds (close-on-exec), then up to
 * max bytes of payload. 0; -EPIPE at end of stream; -EPROTO for a bad
 * version, a payload over max or truncated fds (the fds are closed then);
 * other -errno. */
int vu_recv(int sock, struct vu_hdr *h, void *payload, size_t max, int *fds, unsigned *nfds);
/* Write one message (header, payload, fds) with one sendmsg. */
int vu_send(int sock, const struct vu_hdr *h, const void *payload, const int *fds, unsigned nfds);
void vu_close_fds(int *fds, unsigned nfds);
#endif
