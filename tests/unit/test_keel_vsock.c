/* keel-vsock's guest-facing parsers: guest memory bounds, split-ring chains,
 * vsock headers, vhost-user message handling, credit arithmetic. */
#include "harness.h"
#include "host/keel-vsock/guestmem.c"
#include "host/keel-vsock/vring.c"
#include "host/keel-vsock/vsock_pkt.c"
#include "host/keel-vsock/vhost_user.c"
#include "host/keel-vsock/vu_wire.c"
#include "host/keel-vsock/conn.h"

#define GPA 0x100000ull
#define UVA 0x7f0000000000ull
static uint8_t mem[65536] __attribute__((aligned(4096)));

static void region(struct guestmem *gm)
{
	gm->n = 1;
	gm->r[0] = (struct gm_region){ .gpa = GPA, .size = sizeof(mem), .uva = UVA, .host = mem };
}

TEST(guestmem_bounds)
{
	struct guestmem gm;

	region(&gm);
	CHECK(gm_gpa(&gm, GPA, sizeof(mem)) == mem);
	CHECK(gm_gpa(&gm, GPA + 10, 5) == mem + 10);
	CHECK(gm_gpa(&gm, GPA + sizeof(mem) - 1, 2) == NULL);
	CHECK(gm_gpa(&gm, GPA - 1, 2) == NULL);
	CHECK(gm_gpa(&gm, UINT64_MAX - 1, 4) == NULL);
	CHECK(gm_gpa(&gm, GPA + 1, UINT64_MAX) == NULL);
	CHECK(gm_uva(&gm, UVA + 100, 1) == mem + 100);
	CHECK(gm_uva(&gm, GPA, 1) == NULL);
}

/* ring of 8 at mem: desc 0, avail 4096, used 8192 */
static struct vq ring(struct guestmem *gm)
{
	struct vq vq = { .num = 8, .desc_uva = UVA, .avail_uva = UVA + 4096, .used_uva = UVA + 8192 };

	memset(mem, 0, sizeof(mem));
	region(gm);
	CHECK_EQ_INT(vq_map(&vq, gm), 0);
	return vq;
}

static void desc(struct vq *vq, int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	vq->desc[i] = (struct vring_desc_le){ addr, len, flags, next };
}

static void make_avail(struct vq *vq, uint16_t head)
{
	vq->avail->ring[vq->avail->idx % vq->num] = head;
	vq->avail->idx++;
}

TEST(vring_chain_ok)
{
	struct guestmem gm;
	struct vq vq = ring(&gm);
	struct vsock_pkt pkt;
	struct chain c;
	struct vsock_hdr h = { .src_cid = 3, .dst_cid = 2, .len = 5, .op = VSOCK_OP_RW };

	memcpy(mem + 0x3000, &h, sizeof(h));
	memcpy(mem + 0x3100, "hello", 5);
	desc(&vq, 0, GPA + 0x3000, 44, VRING_DESC_F_NEXT, 1);
	desc(&vq, 1, GPA + 0x3100, 5, 0, 0);
	make_avail(&vq, 0);
	CHECK(vq_has_avail(&vq));
	CHECK_EQ_INT(vq_pop(&vq, &gm, &c), 0);
	CHECK_EQ_INT(c.n_out, 2);
	CHECK_EQ_INT(c.out_len, 49);
	CHECK_EQ_INT(vsock_pkt_parse(&c, &pkt), 0);
	CHECK_EQ_INT(pkt.hdr.op, VSOCK_OP_RW);
	CHECK_EQ_INT(pkt.n_iov, 1);
	CHECK(memcmp(pkt.iov[0].iov_base, "hello", 5) == 0);
	vq_push(&vq, c.head, 0);
	CHECK_EQ_INT(vq.used->idx, 1);
	CHECK(vq_should_signal(&vq));
	CHECK_EQ_INT(vq_pop(&vq, &gm, &c), -EAGAIN);
}

TEST(vring_chain_malformed)
{
	struct guestmem gm;
	struct vq vq = ring(&gm);
	struct chain c;

	desc(&vq, 0, GPA, 16, VRING_DESC_F_NEXT, 0);		/* loop on itself */
	desc(&vq, 1, GPA + sizeof(mem) - 8, 16, 0, 0);		/* past the region */
	desc(&vq, 2, GPA, 16, VRING_DESC_F_NEXT, 9);		/* next >= num */
	desc(&vq, 3, GPA, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
	desc(&vq, 4, GPA, 16, 0, 0);				/* readable after writable */
	desc(&vq, 5, GPA, 16, VRING_DESC_F_INDIRECT, 0);
	for (uint16_t h = 0; h <= 5; h++)
		if (h != 4)
			make_avail(&vq, h);
	make_avail(&vq, 200);					/* head out of range */
	for (int i = 0; i < 5; i++) {
		CHECK_EQ_INT(vq_pop(&vq, &gm, &c), -EBADMSG);
		CHECK(c.head != VQ_NO_HEAD);
	}
	CHECK_EQ_INT(vq_pop(&vq, &gm, &c), -EBADMSG);
	CHECK_EQ_INT(c.head, VQ_NO_HEAD);
	vq.avail->idx = (uint16_t)(vq.last_avail + 9);		/* more than num ahead */
	CHECK_EQ_INT(vq_pop(&vq, &gm, &c), -EPROTO);
	CHECK(vq.broken);
	CHECK(!vq_has_avail(&vq));
}

TEST(vsock_pkt_short_or_long)
{
	struct chain c = { .n_out = 1, .out_len = 40 };
	struct vsock_hdr h = { .len = 100 };
	struct vsock_pkt pkt;

	c.out[0] = (struct iovec){ &h, 40 };
	CHECK_EQ_INT(vsock_pkt_parse(&c, &pkt), -EBADMSG);	/* header cut short */
	c.out[0].iov_len = c.out_len = sizeof(h);
	CHECK_EQ_INT(vsock_pkt_parse(&c, &pkt), -EBADMSG);	/* len beyond chain */
	h.len = 0;
	CHECK_EQ_INT(vsock_pkt_parse(&c, &pkt), 0);
	c.n_in = 1;
	CHECK_EQ_INT(vsock_pkt_parse(&c, &pkt), -EBADMSG);	/* writable part on tx */
}

static int send_msg(struct vu_dev *d, uint32_t req, uint32_t flags, const void *p, uint32_t size,
		    struct vu_msg *reply, bool *due)
{
	struct vu_msg m = { .hdr = { req, VU_VERSION | flags, size } };

	if (size)
		memcpy(&m.p, p, size);
	return vu_dispatch(d, &m, NULL, 0, reply, due);
}

static int ring_events;
static void on_ring(void *ctx, unsigned idx, bool running)
{
	(void)ctx;
	(void)idx;
	ring_events += running ? 1 : 100;
}

TEST(vhost_user_messages)
{
	static const struct vu_ops ops = { .ring_state = on_ring };
	struct vu_dev d;
	struct vu_msg r;
	bool due;
	uint64_t v;

	vu_init(&d, 42, &ops, NULL);
	CHECK_EQ_INT(send_msg(&d, VU_GET_FEATURES, 0, NULL, 0, &r, &due), 0);
	CHECK(due && r.hdr.size == 8 && (r.p.u64 & (1ull << VIRTIO_F_VERSION_1)));
	v = 1ull << 28;	/* INDIRECT_DESC: not offered */
	CHECK(send_msg(&d, VU_SET_FEATURES, 0, &v, 8, &r, &due) < 0);
	v = (1ull << VIRTIO_F_VERSION_1) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
	CHECK_EQ_INT(send_msg(&d, VU_SET_FEATURES, 0, &v, 8, &r, &due), 0);
	CHECK(!due);
	v = (1ull << VU_PROTOCOL_F_REPLY_ACK) | (1ull << VU_PROTOCOL_F_CONFIG);
	CHECK_EQ_INT(send_msg(&d, VU_SET_PROTOCOL_FEATURES, 0, &v, 8, &r, &due), 0);

	struct vu_config cfg = { .offset = 0, .size = 8 };
	CHECK_EQ_INT(send_msg(&d, VU_GET_CONFIG, 0, &cfg, 12 + 8, &r, &due), 0);
	memcpy(&v, r.p.cfg.data, 8);
	CHECK(due && r.hdr.size == 20 && v == 42);
	cfg.offset = 4;	/* 8 bytes from 4: past the 8-byte config space */
	CHECK(send_msg(&d, VU_GET_CONFIG, 0, &cfg, 12 + 8, &r, &due) < 0);
	CHECK(due && r.hdr.size == 20);	/* QEMU still gets its answer */

	struct vu_state s = { 1, 6 };
	CHECK(send_msg(&d, VU_SET_VRING_NUM, VU_FLAG_NEED_REPLY, &s, sizeof(s), &r, &due) < 0);
	CHECK(due && r.p.u64 == 1);	/* REPLY_ACK carries the failure */
	s.num = 8;
	CHECK_EQ_INT(send_msg(&d, VU_SET_VRING_NUM, VU_FLAG_NEED_REPLY, &s, sizeof(s), &r, &due), 0);
	CHECK(due && r.p.u64 == 0);
	s.num = 3;
	CHECK_EQ_INT(send_msg(&d, VU_SET_VRING_BASE, 0, &s, sizeof(s), &r, &due), 0);
	region(&d.gm);
	struct vu_addr a = { .index = 1, .desc = UVA, .avail = UVA + 4096, .used = UVA + 8192 };
	CHECK_EQ_INT(send_msg(&d, VU_SET_VRING_ADDR, 0, &a, sizeof(a), &r, &due), 0);
	v = 1 | VU_VRING_NOFD;
	CHECK_EQ_INT(send_msg(&d, VU_SET_VRING_KICK, 0, &v, 8, &r, &due), 0);
	CHECK(!vu_ring_running(&d, 1));	/* protocol features: starts disabled */
	s.num = 1;
	CHECK_EQ_INT(send_msg(&d, VU_SET_VRING_ENABLE, 0, &s, sizeof(s), &r, &due), 0);
	CHECK(vu_ring_running(&d, 1));
	CHECK_EQ_INT(ring_events, 1);
	s.num = 0;
	CHECK_EQ_INT(send_msg(&d, VU_GET_VRING_BASE, 0, &s, sizeof(s), &r, &due), 0);
	CHECK(due && r.p.state.index == 1 && r.p.state.num == 3);
	CHECK(!vu_ring_running(&d, 1));
	CHECK_EQ_INT(ring_events, 101);
	v = 5;	/* ring 5 does not exist */
	CHECK(send_msg(&d, VU_SET_VRING_CALL, 0, &v, 8, &r, &due) < 0);
	CHECK(send_msg(&d, VU_SET_LOG_BASE, 0, &v, 8, &r, &due) == -EOPNOTSUPP);
	CHECK(send_msg(&d, VU_SET_MEM_TABLE, 0, &v, 8, &r, &due) < 0);	/* no regions, no fds */
	d.gm.n = 0;
	vu_reset(&d);
}

TEST(credit_arithmetic)
{
	struct conn c = { .peer_buf_alloc = 1000, .peer_fwd_cnt = UINT32_MAX - 100,
			  .tx_cnt = 200 };	/* counters wrapped: 301 in flight */

	CHECK_EQ_INT(conn_peer_credit(&c), 699);
	c.tx_cnt = 900;	/* 1001 in flight: more than the peer has; no credit */
	CHECK_EQ_INT(conn_peer_credit(&c), 0);
	c.rx_cnt = 10;
	c.fwd_cnt = 10;
	CHECK(!conn_rx_overrun(&c, CONN_BUF_ALLOC));
	CHECK(conn_rx_overrun(&c, CONN_BUF_ALLOC + 1));
	c.rx_cnt = 10 + CONN_BUF_ALLOC;	/* guest filled our buffer */
	c.fwd_cnt_sent = 10;
	CHECK(!conn_credit_update_due(&c));	/* nothing forwarded yet */
	c.fwd_cnt = 10 + 4096;
	CHECK(conn_credit_update_due(&c));
	c.fwd_cnt_sent = c.fwd_cnt;
	CHECK(!conn_credit_update_due(&c));
}

RUN_TESTS(RUN(guestmem_bounds), RUN(vring_chain_ok), RUN(vring_chain_malformed),
	  RUN(vsock_pkt_short_or_long), RUN(vhost_user_messages), RUN(credit_arithmetic))
