/* init/cgroup.c: a parent cgroup for every container (dockerd's
 * "cgroup-parent": "/containers") with a memory ceiling below the VM's RAM.
 *
 * Why: without swap, a container that eats all memory makes the kernel evict
 * and re-read the executables of dockerd, containerd and the agent for
 * minutes before the global OOM killer acts (measured: 26-337 s under TCG,
 * docs/faults.md). Under a ceiling the memory cgroup's own OOM killer picks a
 * process inside the containers at once, and keel's daemons keep a reserve. */
#include "init.h"
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CONTAINERS_CGROUP CGROUP_ROOT "/containers"
/* Kept out of the containers' reach: keel's daemons and their page cache
 * (guest memory in use at dockerd ready is about 60 MiB, docs/performance.md). */
#define RESERVE_MIN_KIB (192u * 1024)
#define CONTAINERS_MIN_KIB (128u * 1024)

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static uint64_t mem_total_kib(void)
{
	char buf[256];
	uint64_t kib = 0;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "MemTotal:   2017660 kB" is the first line; strtoull skips the blanks
	 * (and sscanf would cost keel-init 12 KiB). */
	if (strncmp(buf, "MemTotal:", 9) != 0)
		return 0;
	kib = strtoull(buf + 9, NULL, 10);
	return kib;
}

void boot_container_cgroup(const struct init_ctx *c)
{
	static const char *const controllers[] = { "+cpu", "+cpuset", "+io", "+memory", "+pids" };
	uint64_t total = mem_total_kib(), reserve, limit;
	char val[32];
	size_t i;
	int r;

	if (c->test_mode)
		return;
	/* One at a time: a controller this kernel lacks must not stop the rest. */
	for (i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++)
		write_str(CGROUP_ROOT "/cgroup.subtree_control", controllers[i]);
	if (mkdir(CONTAINERS_CGROUP, 0755) < 0 && errno != EEXIST) {
		log_err("cgroup %s: %s", CONTAINERS_CGROUP, strerror(errno));
		return;
	}
	reserve = total / 8 > RESERVE_MIN_KIB ? total / 8 : RESERVE_MIN_KIB;
	if (total < reserve + CONTAINERS_MIN_KIB) {
		log_warn("cgroup: %" PRIu64 " KiB of RAM is too little for a container ceiling", total);
		return;
	}
	limit = total - reserve;
	snprintf(val, sizeof(val), "%" PRIu64, limit * 1024);
	if ((r = write_str(CONTAINERS_CGROUP "/memory.max", val)) < 0)
		log_err("cgroup: memory.max: %s", strerror(-r));
	else
		log_info("containers cgroup: memory.max %" PRIu64 " MiB of %" PRIu64 " MiB",
			 limit / 1024, total / 1024);
}
