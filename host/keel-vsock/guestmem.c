#include "guestmem.h"
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

static bool range_in(uint64_t base, uint64_t size, uint64_t addr, uint64_t len)
{
	/* written so that no sum can overflow */
	return addr >= base && addr - base <= size && len <= size - (addr - base);
}

void *gm_gpa(const struct guestmem *gm, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < gm->n; i++) {
		const struct gm_region *r = &gm->r[i];
		if (range_in(r->gpa, r->size, gpa, len))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

void *gm_uva(const struct guestmem *gm, uint64_t uva, uint64_t len)
{
	for (unsigned i = 0; i < gm->n; i++) {
		const struct gm_region *r = &gm->r[i];
		if (range_in(r->uva, r->size, uva, len))
			return r->host + (uva - r->uva);
	}
	return NULL;
}

int gm_add_fd(struct guestmem *gm, uint64_t gpa, uint64_t size, uint64_t uva,
	      uint64_t mmap_offset, int fd)
{
	struct gm_region *r;
	uint64_t len;
	void *p;

	if (gm->n >= GM_MAX_REGIONS)
		return -E2BIG;
	if (size == 0 || mmap_offset > UINT64_MAX - size ||
	    gpa > UINT64_MAX - size || uva > UINT64_MAX - size)
		return -EINVAL;
	len = size + mmap_offset;
	if (len > SIZE_MAX)
		return -EINVAL;
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r = &gm->r[gm->n++];
	r->gpa = gpa;
	r->size = size;
	r->uva = uva;
	r->map = p;
	r->map_len = (size_t)len;
	r->host = (uint8_t *)p + mmap_offset;
	return 0;
}

void gm_clear(struct guestmem *gm)
{
	for (unsigned i = 0; i < gm->n; i++)
		if (gm->r[i].map)
			munmap(gm->r[i].map, gm->r[i].map_len);
	gm->n = 0;
}
