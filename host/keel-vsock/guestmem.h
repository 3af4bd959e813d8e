/* guestmem: the guest RAM regions QEMU shares with the backend
 * (VHOST_USER_SET_MEM_TABLE) and the only way to turn a guest address into a
 * host pointer. Every lookup checks that the whole range lies inside one
 * region, so nothing outside what QEMU gave is ever touched. */
#ifndef KEEL_VSOCK_GUESTMEM_H
#define KEEL_VSOCK_GUESTMEM_H
#include <stddef.h>
#include <stdint.h>

#define GM_MAX_REGIONS 8	/* VHOST_MEMORY_BASELINE_NREGIONS */

struct gm_region {
	uint64_t gpa;		/* guest physical address of the first byte */
	uint64_t size;
	uint64_t uva;		/* QEMU's virtual address (vring addresses use it) */
	uint8_t *host;		/* our mapping of the first byte */
	void *map;		/* what munmap needs; NULL when not ours to unmap */
	size_t map_len;
};

struct guestmem {
	unsigned n;
	struct gm_region r[GM_MAX_REGIONS];
};

/* Host pointer for guest physical [gpa, gpa+len), or NULL when the range is
 * not entirely inside one region (or wraps). */
void *gm_gpa(const struct guestmem *gm, uint64_t gpa, uint64_t len);
/* The same for a QEMU virtual address (vring addresses). */
void *gm_uva(const struct guestmem *gm, uint64_t uva, uint64_t len);
/* Add a region backed by fd: maps size + mmap_offset bytes shared. */
int gm_add_fd(struct guestmem *gm, uint64_t gpa, uint64_t size, uint64_t uva,
	      uint64_t mmap_offset, int fd);
/* Unmap every region and empty the table. */
void gm_clear(struct guestmem *gm);
#endif
