/* host/keel-host/fuse_prime.c: FUSE_INIT for a restarted virtiofsd on a ring
 * of keel-host's own (fuse_prime.h). */
#include "fuse_prime.h"
#include "clock.h"
#include "log.h"
#include <errno.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PRIME_QUEUE 1            /* virtio-fs: 0 is the high-priority queue */
#define PRIME_NUM 8
#define PRIME_SIZE 65536u
#define PRIME_UVA 0x7e0000000000ull   /* only names the region in the ring addresses */
#define PRIME_WAIT_MS 2000u
#define PRIME_UNIQUE 0x6b65656cull    /* any: the answer must carry it back */

/* where things are in the memfd, which is guest-physical 0.. for the backend */
enum { DESC_OFF = 0, AVAIL_OFF = 0x100, USED_OFF = 0x200, REQ_OFF = 0x1000, REPLY_OFF = 0x2000,
       REPLY_LEN = 0x1000 };

/* Linux 6.12's fuse_send_init (fs/fuse/inode.c) for a virtiofs mount:
 * auto_submounts is set, passthrough is built (CONFIG_FUSE_PASSTHROUGH),
 * DAX is not. Bits past Debian 12's uapi header are numbered here. */
#define F(n) (1ull << (n))
static const uint64_t kernel_init_flags =
	FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT |
	FUSE_BIG_WRITES | FUSE_DONT_MASK | FUSE_SPLICE_WRITE | FUSE_SPLICE_MOVE |
	FUSE_SPLICE_READ | FUSE_FLOCK_LOCKS | FUSE_HAS_IOCTL_DIR | FUSE_AUTO_INVAL_DATA |
	FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | FUSE_ASYNC_DIO | FUSE_WRITEBACK_CACHE |
	FUSE_NO_OPEN_SUPPORT | FUSE_PARALLEL_DIROPS | FUSE_HANDLE_KILLPRIV | FUSE_POSIX_ACL |
	FUSE_ABORT_ERROR | FUSE_MAX_PAGES | FUSE_CACHE_SYMLINKS | FUSE_NO_OPENDIR_SUPPORT |
	FUSE_EXPLICIT_INVAL_DATA | FUSE_HANDLE_KILLPRIV_V2 | FUSE_SETXATTR_EXT |
	FUSE_INIT_EXT | FUSE_SECURITY_CTX | FUSE_SUBMOUNTS |
	F(34) /* CREATE_SUPP_GROUP */ | F(35) /* HAS_EXPIRE_ONLY */ |
	F(36) /* DIRECT_IO_ALLOW_MMAP */ | F(37) /* PASSTHROUGH */ |
	F(38) /* NO_EXPORT_SUPPORT */ | F(39) /* HAS_RESEND */ | F(40) /* ALLOW_IDMAP */;
#define KERNEL_MINOR 41
#define KERNEL_READAHEAD (128u << 10)   /* VM_READAHEAD_PAGES */

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

/* The FUSE_INIT request and the two descriptors that carry it and its
 * answer; the avail ring offers the chain. */
static void write_request(uint8_t *mem)
{
	struct fuse_in_header in = { .len = sizeof(in) + sizeof(struct fuse_init_in),
				     .opcode = FUSE_INIT, .unique = PRIME_UNIQUE };
	struct fuse_init_in init = { .major = FUSE_KERNEL_VERSION, .minor = KERNEL_MINOR,
				     .max_readahead = KERNEL_READAHEAD,
				     .flags = (uint32_t)kernel_init_flags,
				     .flags2 = (uint32_t)(kernel_init_flags >> 32) };
	struct desc d[2] = {
		{ REQ_OFF, in.len, DESC_F_NEXT, 1 },
		{ REPLY_OFF, REPLY_LEN, DESC_F_WRITE, 0 },
	};
	uint16_t avail[3] = { 0, 1, 0 };   /* flags, idx, ring[0] = head 0 */

	memcpy(mem + REQ_OFF, &in, sizeof(in));
	memcpy(mem + REQ_OFF + sizeof(in), &init, sizeof(init));
	memcpy(mem + DESC_OFF, d, sizeof(d));
	memcpy(mem + AVAIL_OFF, avail, sizeof(avail));
}

/* The backend's device is the relay's for a moment: our memory, one ring. */
static int set_up_ring(struct vu_relay *r, int memfd, int kick, int call)
{
	uint64_t mem[5] = { 1, 0, PRIME_SIZE, PRIME_UVA, 0 };   /* nregions; gpa size uva offset */
	uint64_t addr[5] = { PRIME_QUEUE, PRIME_UVA + DESC_OFF, PRIME_UVA + USED_OFF,
			     PRIME_UVA + AVAIL_OFF, 0 };            /* index+flags; desc used avail log */
	uint32_t num[2] = { PRIME_QUEUE, PRIME_NUM }, base[2] = { PRIME_QUEUE, 0 };
	uint32_t enable[2] = { PRIME_QUEUE, 1 };
	uint64_t ring = PRIME_QUEUE;
	int e;

	if ((e = vu_relay_send(r, VU_SET_MEM_TABLE, mem, sizeof(mem), &memfd, 1)) < 0 ||
	    (e = vu_relay_send(r, VU_SET_VRING_NUM, num, sizeof(num), NULL, 0)) < 0 ||
	    (e = vu_relay_send(r, VU_SET_VRING_BASE, base, sizeof(base), NULL, 0)) < 0 ||
	    (e = vu_relay_send(r, VU_SET_VRING_ADDR, addr, sizeof(addr), NULL, 0)) < 0 ||
	    (e = vu_relay_send(r, VU_SET_VRING_CALL, &ring, sizeof(ring), &call, 1)) < 0 ||
	    (e = vu_relay_send(r, VU_SET_VRING_KICK, &ring, sizeof(ring), &kick, 1)) < 0)
		return e;
	return vu_relay_send(r, VU_SET_VRING_ENABLE, enable, sizeof(enable), NULL, 0);
}

/* The used ring's index reaching 1, and the answer being ours and not an
 * error. */
static int wait_answer(const uint8_t *mem)
{
	uint64_t deadline = mono_ms() + PRIME_WAIT_MS;
	struct fuse_out_header out;
	uint16_t used;

	for (;;) {
		used = __atomic_load_n((const uint16_t *)(mem + USED_OFF + 2), __ATOMIC_ACQUIRE);
		if (used == 1)
			break;
		if (mono_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
	}
	memcpy(&out, mem + REPLY_OFF, sizeof(out));
	if (out.unique != PRIME_UNIQUE)
		return -EPROTO;
	return out.error;
}

int fuse_prime(struct vu_relay *r)
{
	int memfd = memfd_create("keel-fuse-prime", MFD_CLOEXEC);
	int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint32_t stop[2] = { PRIME_QUEUE, 0 };
	uint8_t *mem = MAP_FAILED;
	uint64_t one = 1;
	int e;

	if (memfd < 0 || kick < 0 || call < 0 || ftruncate(memfd, PRIME_SIZE) < 0 ||
	    (mem = mmap(NULL, PRIME_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0)) == MAP_FAILED) {
		e = -errno;
		goto out;
	}
	write_request(mem);
	if ((e = set_up_ring(r, memfd, kick, call)) < 0)
		goto out;
	if (write(kick, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
		e = -errno;
		goto out;
	}
	e = wait_answer(mem);
	/* the ring stops; the guest's rings replace it and our memory */
	if (e == 0)
		e = vu_relay_send(r, VU_GET_VRING_BASE, stop, sizeof(stop), NULL, 0);
	if (e == 0)
		log_info("%s: FUSE_INIT answered: the new backend has a FUSE session", r->name);
out:
	if (mem != MAP_FAILED)
		munmap(mem, PRIME_SIZE);
	/* the backend has its own copies of the three */
	if (memfd >= 0)
		close(memfd);
	if (kick >= 0)
		close(kick);
	if (call >= 0)
		close(call);
	return e;
}
