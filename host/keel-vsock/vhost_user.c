#include "vhost_user.h"
#include "fd.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What we offer. No EVENT_IDX or INDIRECT_DESC: fewer guest-controlled
 * structures to validate, and QEMU's TCG guest is the bottleneck anyway. */
#define VU_FEATURES ((1ull << VIRTIO_F_VERSION_1) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES))
#define VU_PROTOCOL_FEATURES ((1ull << VU_PROTOCOL_F_REPLY_ACK) | (1ull << VU_PROTOCOL_F_CONFIG))

void vu_init(struct vu_dev *d, uint64_t guest_cid, const struct vu_ops *ops, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->sock = -1;
	for (unsigned i = 0; i < VU_NVQ; i++)
		d->kick_fd[i] = d->call_fd[i] = -1;
	d->guest_cid = guest_cid;
	d->ops = ops;
	d->ctx = ctx;
}

bool vu_ring_running(const struct vu_dev *d, unsigned idx)
{
	return idx < VU_NVQ && d->running[idx];
}

/* Recompute whether ring idx runs and tell the owner about a change. */
static void ring_update(struct vu_dev *d, unsigned idx)
{
	bool run = d->started[idx] && d->enabled[idx] && d->vq[idx].desc;

	if (run == d->running[idx])
		return;
	d->running[idx] = run;
	if (d->ops && d->ops->ring_state)
		d->ops->ring_state(d->ctx, idx, run);
}

static void ring_stop(struct vu_dev *d, unsigned idx)
{
	d->started[idx] = false;
	ring_update(d, idx);
	fd_close(&d->kick_fd[idx]);
	d->vq[idx].desc = NULL;
	d->vq[idx].avail = NULL;
	d->vq[idx].used = NULL;
}

void vu_reset(struct vu_dev *d)
{
	for (unsigned i = 0; i < VU_NVQ; i++) {
		ring_stop(d, i);
		fd_close(&d->call_fd[i]);
		memset(&d->vq[i], 0, sizeof(d->vq[i]));
		d->enabled[i] = false;
	}
	gm_clear(&d->gm);
	d->features = d->protocol_features = 0;
}

void vu_signal(struct vu_dev *d, unsigned idx)
{
	uint64_t one = 1;

	if (idx < VU_NVQ && d->call_fd[idx] >= 0 && vq_should_signal(&d->vq[idx]))
		if (write(d->call_fd[idx], &one, sizeof(one)) < 0)
			return;	/* a full eventfd already means "interrupt" */
}

static int refuse(struct vu_dev *d, const char *why, int err)
{
	d->error = why;
	return err;
}

static int set_mem_table(struct vu_dev *d, const struct vu_msg *m, int *fds, unsigned nfds)
{
	const struct vu_mem *mem = &m->p.mem;
	struct guestmem gm = { 0 };
	int r;

	if (m->hdr.size < 8 || mem->nregions == 0 || mem->nregions > GM_MAX_REGIONS ||
	    m->hdr.size < 8 + mem->nregions * sizeof(struct vu_region))
		return refuse(d, "SET_MEM_TABLE: bad region count", -EINVAL);
	if (nfds != mem->nregions)
		return refuse(d, "SET_MEM_TABLE: one fd per region expected", -EINVAL);
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct vu_region *reg = &mem->r[i];
		r = gm_add_fd(&gm, reg->gpa, reg->size, reg->uva, reg->mmap_offset, fds[i]);
		if (r < 0) {
			gm_clear(&gm);
			return refuse(d, "SET_MEM_TABLE: cannot map a region", r);
		}
	}
	gm_clear(&d->gm);
	d->gm = gm;
	/* rings keep QEMU's addresses: translate them again in the new table */
	for (unsigned i = 0; i < VU_NVQ; i++) {
		if (!d->vq[i].desc_uva)
			continue;
		if (vq_map(&d->vq[i], &d->gm) < 0)
			d->vq[i].broken = true;
		ring_update(d, i);
	}
	return 0;
}

static int ring_index(struct vu_dev *d, uint64_t v, unsigned *idx)
{
	if ((v & VU_VRING_IDX_MASK) >= VU_NVQ)
		return refuse(d, "ring index out of range", -ERANGE);
	*idx = (unsigned)(v & VU_VRING_IDX_MASK);
	return 0;
}

/* SET_VRING_KICK / CALL / ERR: an eventfd, or none when VU_VRING_NOFD. */
static int set_vring_fd(struct vu_dev *d, const struct vu_msg *m, int *fds, unsigned nfds)
{
	bool nofd = m->p.u64 & VU_VRING_NOFD;
	unsigned idx;
	int r, fd = -1;

	if (m->hdr.size != sizeof(uint64_t))
		return refuse(d, "vring fd message: bad size", -EINVAL);
	r = ring_index(d, m->p.u64, &idx);
	if (r < 0)
		return r;
	if (nfds != (nofd ? 0u : 1u))
		return refuse(d, "vring fd message: fd count", -EINVAL);
	if (!nofd) {
		fd = fds[0];
		fds[0] = -1;
	}
	switch (m->hdr.request) {
	case VU_SET_VRING_KICK:
		ring_stop(d, idx);
		d->kick_fd[idx] = fd;
		if (!(d->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
			d->enabled[idx] = true;
		if (vq_map(&d->vq[idx], &d->gm) < 0) {
			ring_stop(d, idx);
			return refuse(d, "SET_VRING_KICK: ring not inside guest memory", -EFAULT);
		}
		d->started[idx] = true;
		ring_update(d, idx);
		break;
	case VU_SET_VRING_CALL:
		fd_close(&d->call_fd[idx]);
		d->call_fd[idx] = fd;
		break;
	default:		/* ERR: we never report ring errors that way */
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int vring_state_msg(struct vu_dev *d, const struct vu_msg *m, struct vu_msg *reply)
{
	const struct vu_state *s = &m->p.state;
	unsigned idx;
	int r;

	if (m->hdr.size != sizeof(*s))
		return refuse(d, "vring state message: bad size", -EINVAL);
	r = ring_index(d, s->index, &idx);
	if (r < 0)
		return r;
	switch (m->hdr.request) {
	case VU_SET_VRING_NUM:
		if (s->num == 0 || s->num > VQ_MAX_SIZE || (s->num & (s->num - 1)))
			return refuse(d, "SET_VRING_NUM: not a power of 2 up to 32768", -EINVAL);
		d->vq[idx].num = (uint16_t)s->num;
		return 0;
	case VU_SET_VRING_BASE:
		if (s->num > 0xffff)
			return refuse(d, "SET_VRING_BASE: out of range", -EINVAL);
		d->vq[idx].last_avail = (uint16_t)s->num;
		return 0;
	case VU_GET_VRING_BASE:
		ring_stop(d, idx);
		reply->p.state = (struct vu_state){ idx, d->vq[idx].last_avail };
		reply->hdr.size = sizeof(reply->p.state);
		return 0;
	default:		/* SET_VRING_ENABLE */
		d->enabled[idx] = s->num != 0;
		ring_update(d, idx);
		return 0;
	}
}

static int get_config(struct vu_dev *d, const struct vu_msg *m, struct vu_msg *reply)
{
	const struct vu_config *c = &m->p.cfg;
	uint8_t space[8];

	if (m->hdr.size < 12 || c->size > VU_CONFIG_MAX || m->hdr.size != 12 + c->size)
		return refuse(d, "GET_CONFIG: bad size", -EINVAL);
	if (c->offset > sizeof(space) || c->size > sizeof(space) - c->offset)
		return refuse(d, "GET_CONFIG: outside the vsock config space", -EINVAL);
	memcpy(space, &d->guest_cid, sizeof(space));	/* virtio_vsock_config */
	reply->p.cfg = (struct vu_config){ c->offset, c->size, 0, { 0 } };
	memcpy(reply->p.cfg.data, space + c->offset, c->size);
	reply->hdr.size = 12 + c->size;
	return 0;
}

static int dispatch(struct vu_dev *d, const struct vu_msg *m, int *fds, unsigned nfds,
		    struct vu_msg *reply)
{
	const struct vu_addr *a = &m->p.addr;
	unsigned idx;
	int r;

	switch (m->hdr.request) {
	case VU_GET_FEATURES:
		reply->p.u64 = VU_FEATURES;
		reply->hdr.size = sizeof(uint64_t);
		return 0;
	case VU_SET_FEATURES:
		if (m->hdr.size != sizeof(uint64_t) || (m->p.u64 & ~VU_FEATURES))
			return refuse(d, "SET_FEATURES: feature we did not offer", -EINVAL);
		d->features = m->p.u64;
		return 0;
	case VU_GET_PROTOCOL_FEATURES:
		reply->p.u64 = VU_PROTOCOL_FEATURES;
		reply->hdr.size = sizeof(uint64_t);
		return 0;
	case VU_SET_PROTOCOL_FEATURES:
		if (m->hdr.size != sizeof(uint64_t) || (m->p.u64 & ~VU_PROTOCOL_FEATURES))
			return refuse(d, "SET_PROTOCOL_FEATURES: feature we did not offer", -EINVAL);
		d->protocol_features = m->p.u64;
		return 0;
	case VU_GET_QUEUE_NUM:
		reply->p.u64 = VU_NVQ;
		reply->hdr.size = sizeof(uint64_t);
		return 0;
	case VU_SET_OWNER:
		return 0;
	case VU_RESET_OWNER:
		for (unsigned i = 0; i < VU_NVQ; i++)
			ring_stop(d, i);
		return 0;
	case VU_SET_MEM_TABLE:
		return set_mem_table(d, m, fds, nfds);
	case VU_SET_VRING_NUM: case VU_SET_VRING_BASE: case VU_GET_VRING_BASE:
	case VU_SET_VRING_ENABLE:
		return vring_state_msg(d, m, reply);
	case VU_SET_VRING_ADDR:
		if (m->hdr.size != sizeof(*a))
			return refuse(d, "SET_VRING_ADDR: bad size", -EINVAL);
		r = ring_index(d, a->index, &idx);
		if (r < 0)
			return r;
		d->vq[idx].desc_uva = a->desc;
		d->vq[idx].avail_uva = a->avail;
		d->vq[idx].used_uva = a->used;
		return 0;
	case VU_SET_VRING_KICK: case VU_SET_VRING_CALL: case VU_SET_VRING_ERR:
		return set_vring_fd(d, m, fds, nfds);
	case VU_GET_CONFIG:
		return get_config(d, m, reply);
	case VU_SET_CONFIG:
		return 0;	/* guest_cid is ours to decide; a write changes nothing */
	default:
		return refuse(d, "request not supported", -EOPNOTSUPP);
	}
}

int vu_dispatch(struct vu_dev *d, const struct vu_msg *m, int *fds, unsigned nfds,
		struct vu_msg *reply, bool *reply_due)
{
	bool ack = (d->protocol_features & (1ull << VU_PROTOCOL_F_REPLY_ACK)) &&
		   (m->hdr.flags & VU_FLAG_NEED_REPLY);
	int r;

	memset(reply, 0, sizeof(*reply));
	reply->hdr.request = m->hdr.request;
	reply->hdr.flags = VU_VERSION | VU_FLAG_REPLY;
	d->error = NULL;
	if (m->hdr.size > sizeof(m->p))
		r = refuse(d, "payload too large", -EMSGSIZE);
	else
		r = dispatch(d, m, fds, nfds, reply);
	vu_close_fds(fds, nfds);
	*reply_due = vu_has_reply(m->hdr.request) || ack;
	if (vu_has_reply(m->hdr.request) && r < 0) {
		/* QEMU waits for this reply: answer with zeroes of the size it
		 * expects rather than leave it hanging */
		memset(&reply->p, 0, sizeof(reply->p));
		reply->hdr.size = m->hdr.request == VU_GET_VRING_BASE ? sizeof(struct vu_state) :
				  m->hdr.request == VU_GET_CONFIG && m->hdr.size <= sizeof(m->p) ?
				  m->hdr.size : sizeof(uint64_t);
	} else if (!vu_has_reply(m->hdr.request) && ack) {
		reply->p.u64 = r < 0 ? 1 : 0;
		reply->hdr.size = sizeof(uint64_t);
	}
	return r < 0 ? r : 0;
}

int vu_serve_one(struct vu_dev *d)
{
	struct vu_msg m, reply;
	int fds[VU_MAX_FDS];
	unsigned nfds;
	bool reply_due;
	int r;

	memset(&m.p, 0, sizeof(m.p));
	r = vu_recv(d->sock, &m.hdr, &m.p, sizeof(m.p), fds, &nfds);
	if (r == -EPROTO)
		d->error = "bad header (version or size)";
	if (r < 0)
		return r;
	r = vu_dispatch(d, &m, fds, nfds, &reply, &reply_due);
	if (reply_due) {
		int w = vu_send(d->sock, &reply.hdr, &reply.p, NULL, 0);
		if (w < 0)
			return w;
	}
	/* a refused message is reported, but QEMU decides whether to go on */
	return r < 0 ? 1 : 0;
}
