/* fuzz_vsock_desc: what a hostile guest or a broken QEMU controls in
 * keel-vsock. Input byte 0 picks the target:
 *   even: guest memory = the rest of the input (64 KiB, one region); a split
 *         ring of 2..256 entries in it; pop every chain, parse TX chains as
 *         vsock packets, write an RX header into writable chains, push back.
 *         Every access must stay inside the region (ASan guards the buffer).
 *   odd:  a sequence of vhost-user messages (header + payload, no fds)
 *         through vu_dispatch, including ring setup against that memory.
 */
#include "host/keel-vsock/guestmem.c"
#include "host/keel-vsock/vring.c"
#include "host/keel-vsock/vsock_pkt.c"
#include "host/keel-vsock/vhost_user.c"
#include "host/keel-vsock/vu_wire.c"
#include <stdint.h>
#include <string.h>

#define MEM_SIZE 65536
#define GPA_BASE 0x100000ull
#define UVA_BASE 0x7f0000000000ull

static uint8_t mem[MEM_SIZE] __attribute__((aligned(4096)));

static void one_region(struct guestmem *gm)
{
	gm->n = 1;
	gm->r[0] = (struct gm_region){ .gpa = GPA_BASE, .size = MEM_SIZE, .uva = UVA_BASE,
				       .host = mem, .map = NULL };
}

static void drive_ring(struct vq *vq, const struct guestmem *gm)
{
	struct vsock_pkt pkt;
	struct chain c;

	for (unsigned i = 0; i < 2u * vq->num + 2; i++) {
		int r = vq_pop(vq, gm, &c);
		if (r == -EAGAIN || r == -EPROTO)
			break;
		if (r == 0) {
			if (c.n_in == 0) {
				if (vsock_pkt_parse(&c, &pkt) == 0) {
					volatile uint8_t sum = 0;
					for (unsigned k = 0; k < pkt.n_iov; k++)
						for (size_t j = 0; j < pkt.iov[k].iov_len; j++)
							sum += ((uint8_t *)pkt.iov[k].iov_base)[j];
					(void)sum;
				}
			} else if (c.in_len >= sizeof(struct vsock_hdr)) {
				struct vsock_hdr h = { .op = VSOCK_OP_RW, .len = 1 };
				iov_to(c.in, c.n_in, 0, &h, sizeof(h));
				iov_to(c.in, c.n_in, sizeof(h), "x", 1);
			}
		}
		if (c.head != VQ_NO_HEAD)
			vq_push(vq, c.head, 0);
	}
	vq_should_signal(vq);
}

static void fuzz_ring(const uint8_t *data, size_t size)
{
	struct guestmem gm;
	struct vq vq = { 0 };

	if (size < 4)
		return;
	one_region(&gm);
	vq.num = (uint16_t)(2u << (data[1] % 8));	/* 2..256 */
	vq.last_avail = (uint16_t)(data[2] | data[3] << 8);
	memset(mem, 0, sizeof(mem));
	memcpy(mem, data + 4, size - 4 < MEM_SIZE ? size - 4 : MEM_SIZE);
	/* desc table, avail and used rings at fixed places in the region */
	vq.desc_uva = UVA_BASE;
	vq.avail_uva = UVA_BASE + 16 * 256;
	vq.used_uva = UVA_BASE + 16 * 256 + 4096;
	if (vq_map(&vq, &gm) == 0)
		drive_ring(&vq, &gm);
}

static void fuzz_vhost_user(const uint8_t *data, size_t size)
{
	struct vu_dev d;
	struct vu_msg m, reply;
	bool due;

	vu_init(&d, 3, NULL, NULL);
	one_region(&d.gm);
	memset(mem, 0, sizeof(mem));
	data++, size--;
	while (size >= sizeof(struct vu_hdr)) {
		memcpy(&m.hdr, data, sizeof(m.hdr));
		data += sizeof(m.hdr);
		size -= sizeof(m.hdr);
		memset(&m.p, 0, sizeof(m.p));
		/* the socket reader refuses oversized payloads before dispatch */
		if (m.hdr.size > sizeof(m.p))
			m.hdr.size %= sizeof(m.p) + 1;
		size_t n = m.hdr.size < size ? m.hdr.size : size;
		memcpy(&m.p, data, n);
		data += n;
		size -= n;
		vu_dispatch(&d, &m, NULL, 0, &reply, &due);
		if (due && reply.hdr.size > sizeof(reply.p))
			__builtin_trap();
		for (unsigned i = 0; i < VU_NVQ; i++)
			if (d.running[i])
				drive_ring(&d.vq[i], &d.gm);
	}
	d.gm.n = 0;	/* the region is not a mapping of ours */
	vu_reset(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_vhost_user(data, size);
	else
		fuzz_ring(data, size);
	return 0;
}
