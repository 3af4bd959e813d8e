#include "vring.h"
#include <errno.h>
#include <string.h>

int vq_map(struct vq *vq, const struct guestmem *gm)
{
	uint64_t n = vq->num;

	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	if (n == 0 || n > VQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	/* sizes include the event index fields whether or not they are used */
	vq->desc = gm_uva(gm, vq->desc_uva, 16 * n);
	vq->avail = gm_uva(gm, vq->avail_uva, 4 + 2 * n + 2);
	vq->used = gm_uva(gm, vq->used_uva, 4 + 8 * n + 2);
	if (!vq->desc || !vq->avail || !vq->used ||
	    ((uintptr_t)vq->desc & 15) || ((uintptr_t)vq->avail & 1) ||
	    ((uintptr_t)vq->used & 3)) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -EFAULT;
	}
	vq->used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_RELAXED);
	vq->broken = false;
	return 0;
}

static bool vq_ready(const struct vq *vq)
{
	return vq->desc && !vq->broken;
}

bool vq_has_avail(const struct vq *vq)
{
	if (!vq_ready(vq))
		return false;
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

/* Append descriptor d's buffer to the chain. */
static int chain_add(struct chain *c, const struct guestmem *gm,
		     const struct vring_desc_le *d)
{
	bool wr = d->flags & VRING_DESC_F_WRITE;
	void *p;

	if (d->flags & VRING_DESC_F_INDIRECT)
		return -EBADMSG;	/* not negotiated */
	if (!wr && c->n_in > 0)
		return -EBADMSG;	/* readable after writable */
	if (d->len == 0)
		return 0;
	p = gm_gpa(gm, d->addr, d->len);
	if (!p)
		return -EBADMSG;
	if (wr) {
		if (c->n_in >= CHAIN_MAX_IOV)
			return -EBADMSG;
		c->in[c->n_in++] = (struct iovec){ p, d->len };
		c->in_len += d->len;
	} else {
		if (c->n_out >= CHAIN_MAX_IOV)
			return -EBADMSG;
		c->out[c->n_out++] = (struct iovec){ p, d->len };
		c->out_len += d->len;
	}
	return 0;
}

int vq_pop(struct vq *vq, const struct guestmem *gm, struct chain *c)
{
	uint16_t avail_idx, head, i;
	unsigned steps = 0;
	int r;

	c->head = VQ_NO_HEAD;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	if (!vq_ready(vq))
		return -EAGAIN;
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return -EAGAIN;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num) {
		vq->broken = true;
		return -EPROTO;
	}
	head = __atomic_load_n(&vq->avail->ring[vq->last_avail & (vq->num - 1)],
			       __ATOMIC_RELAXED);
	vq->last_avail++;
	if (head >= vq->num)
		return -EBADMSG;
	c->head = head;
	i = head;
	for (;;) {
		struct vring_desc_le d;

		memcpy(&d, &vq->desc[i], sizeof(d));	/* read once */
		if (++steps > vq->num)
			return -EBADMSG;	/* a loop */
		r = chain_add(c, gm, &d);
		if (r < 0)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= vq->num)
			return -EBADMSG;
		i = d.next;
	}
	return 0;
}

void vq_unpop(struct vq *vq)
{
	vq->last_avail--;
}

void vq_push(struct vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem_le *e;

	if (!vq_ready(vq))
		return;
	e = &vq->used->ring[vq->used_idx & (vq->num - 1)];
	e->id = head;
	e->len = len;
	vq->used_idx++;
	/* entries (and the buffers written) before the index the guest reads */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	vq->pushed = true;
}

bool vq_should_signal(struct vq *vq)
{
	if (!vq->pushed || !vq_ready(vq))
		return false;
	vq->pushed = false;
	/* order our used->idx store before reading the guest's flags */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
		 VRING_AVAIL_F_NO_INTERRUPT);
}

/* Copy between a flat buffer and the bytes of iov from offset off. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t off, uint8_t *buf,
		       size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, k;
		uint8_t *p = iov[i].iov_base;
		if (off >= l) {
			off -= l;
			continue;
		}
		k = l - off < len - done ? l - off : len - done;
		if (to_iov)
			memcpy(p + off, buf + done, k);
		else
			memcpy(buf + done, p + off, k);
		done += k;
		off = 0;
	}
	return done;
}

size_t iov_to(const struct iovec *iov, unsigned n, size_t off, const void *src, size_t len)
{
	return iov_copy(iov, n, off, (uint8_t *)src, len, true);
}

size_t iov_from(const struct iovec *iov, unsigned n, size_t off, void *dst, size_t len)
{
	return iov_copy(iov, n, off, dst, len, false);
}

unsigned iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len,
		   struct iovec *out, unsigned max)
{
	unsigned m = 0;

	for (unsigned i = 0; i < n && len > 0 && m < max; i++) {
		size_t l = iov[i].iov_len, k;
		if (off >= l) {
			off -= l;
			continue;
		}
		k = l - off < len ? l - off : len;
		out[m++] = (struct iovec){ (uint8_t *)iov[i].iov_base + off, k };
		len -= k;
		off = 0;
	}
	return m;
}
