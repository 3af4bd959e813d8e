/* tests/progs/fault_probe.c: a static probe the fault tests run inside
 * containers of the keel VM (tests/vm/fault_*.sh). One binary, a subcommand
 * per question, one parseable line per answer:
 *
 *   fault_probe vsock-socket             can this process make an AF_VSOCK socket?
 *   fault_probe vsock CID PORT           connect (3 s bound): "vsock CID PORT ok" or
 *                                        "vsock CID PORT err ENAME"
 *   fault_probe vsock-bind CID PORT      bind a vsock address (can a guest process be CID 2?)
 *   fault_probe userns-vsock-bind CID PORT...
 *                                        in a new user namespace as its root (what a
 *                                        remapped container's root is): bind each port,
 *                                        one "userns-vsock-bind CID PORT ok|err E" each
 *   fault_probe local-cid                IOCTL_VM_SOCKETS_GET_LOCAL_CID on /dev/vsock
 *   fault_probe fds PID...               "fd PID N MAJ:MIN:INO TARGET" per descriptor;
 *                                        for an epoll, "epoll-target PID N MAJ:MIN:INO"
 *                                        per watched file (inode numbers are per
 *                                        file system: the device is part of the name)
 *   fault_probe hog STEP_MB              allocate and touch memory until killed
 *   fault_probe write-loop FILE          every 200 ms: append the next counter to FILE,
 *                                        fsync, then print "committed N" (stdout)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* musl-gcc sees no kernel headers: the vsock UAPI (linux/vm_sockets.h) is
 * stable, so its few names are spelled out here. */
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
struct sockaddr_vm {
	unsigned short svm_family;
	unsigned short svm_reserved1;
	unsigned int svm_port;
	unsigned int svm_cid;
	unsigned char svm_flags;
	unsigned char svm_zero[3];
};
#define IOCTL_VM_SOCKETS_GET_LOCAL_CID 0x7b9

#define CONNECT_TIMEOUT_MS 3000

static const char *ename(int e)
{
	switch (e) {
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case ENETUNREACH: return "ENETUNREACH";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENODEV: return "ENODEV";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EADDRINUSE: return "EADDRINUSE";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	default: return "E?";
	}
}

static int parse_u32(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT_MAX)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int vsock_socket(void)
{
	return socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

static int cmd_socket(void)
{
	int fd = vsock_socket();

	if (fd < 0) {
		printf("vsock-socket err %s\n", ename(errno));
		return 1;
	}
	close(fd);
	printf("vsock-socket ok\n");
	return 0;
}

/* Non-blocking connect bounded by poll: a dropped request cannot hang. */
static int connect_bounded(int fd, const struct sockaddr_vm *sa)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0, r;

	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	do
		r = poll(&p, 1, CONNECT_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

static int do_bind(int fd, const struct sockaddr_vm *sa)
{
	return bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? -errno : 0;
}

/* vsock CID PORT / vsock-bind CID PORT: one line with the outcome. */
static int cmd_addr(const char *what, int (*op)(int, const struct sockaddr_vm *),
		    const char *cid_s, const char *port_s)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
	unsigned cid, port;
	int fd, r;

	if (parse_u32(cid_s, &cid) < 0 || parse_u32(port_s, &port) < 0)
		return 2;
	sa.svm_cid = cid;
	sa.svm_port = port;
	if ((fd = vsock_socket()) < 0) {
		printf("%s %u %u err %s (socket)\n", what, cid, port, ename(errno));
		return 1;
	}
	r = op(fd, &sa);
	close(fd);
	if (r < 0) {
		printf("%s %u %u err %s\n", what, cid, port, ename(-r));
		return 1;
	}
	printf("%s %u %u ok\n", what, cid, port);
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = write(fd, text, strlen(text)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* Root of a user namespace of our own: every capability there, none in the
 * VM's initial one, where CAP_NET_BIND_SERVICE guards vsock ports < 1024. */
static int cmd_userns_bind(int n, char **ports, const char *cid)
{
	char map[64];
	unsigned uid = getuid(), gid = getgid();
	int rc = 0;

	if (unshare(CLONE_NEWUSER) < 0) {
		printf("userns err %s\n", ename(errno));
		return 1;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", uid);
	write_file("/proc/self/uid_map", map);
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1\n", gid);
	write_file("/proc/self/gid_map", map);
	for (int i = 0; i < n; i++)
		rc |= cmd_addr("userns-vsock-bind", do_bind, cid, ports[i]);
	return rc;
}

static int cmd_local_cid(void)
{
	unsigned cid = 0;
	int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) < 0) {
		printf("local-cid err %s\n", ename(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	printf("local-cid %u\n", cid);
	return 0;
}

/* An epoll's fdinfo names each watched file ("tfd: N ... ino:HEX sdev:HEX",
 * sdev the kernel's dev_t, major << 20 | minor): those files tell whose epoll
 * it is even though every epoll reads the same "anon_inode:[eventpoll]". */
static void epoll_targets(const char *pid, const char *fd)
{
	char path[PATH_MAX], line[256];
	unsigned long ino, dev;
	char *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "tfd:", 4) != 0 || !(p = strstr(line, " ino:")))
			continue;
		ino = strtoul(p + 5, NULL, 16);
		if (!(p = strstr(line, " sdev:")))
			continue;
		dev = strtoul(p + 6, NULL, 16);
		printf("epoll-target %s %s %lu:%lu:%lu\n", pid, fd, dev >> 20, dev & 0xfffff, ino);
	}
	fclose(f);
}

static int list_fds(const char *pid)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2], target[PATH_MAX];
	struct dirent *e;
	struct stat sb;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	if (!(d = opendir(dir))) {
		printf("fds %s err %s\n", pid, ename(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0 || stat(path, &sb) < 0)
			continue;	/* closed meanwhile */
		target[n] = 0;
		printf("fd %s %s %u:%u:%lu %s\n", pid, e->d_name, major(sb.st_dev), minor(sb.st_dev),
		       (unsigned long)sb.st_ino, target);
		if (strcmp(target, "anon_inode:[eventpoll]") == 0)
			epoll_targets(pid, e->d_name);
	}
	closedir(d);
	return 0;
}

static int cmd_fds(int argc, char **argv)
{
	int i, rc = 0;

	for (i = 0; i < argc; i++)
		rc |= list_fds(argv[i]);
	return rc;
}

/* MAP_POPULATE faults the pages in inside the kernel: far fewer exits than
 * touching them from user space, which matters under TCG. */
static int cmd_hog(const char *step_s)
{
	unsigned step_mb, total = 0;
	size_t len;
	void *p;

	if (parse_u32(step_s, &step_mb) < 0 || step_mb == 0)
		return 2;
	for (;;) {
		len = (size_t)step_mb << 20;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED) {	/* refused: keep pressing with smaller steps */
			step_mb = step_mb > 1 ? step_mb / 2 : 1;
			continue;
		}
		memset(p, 0xa5, len);	/* in case populate stopped short */
		total += step_mb;
		printf("hog %u MiB\n", total);
		fflush(stdout);
	}
}

/* Append-only: once "committed N" is printed, lines 1..N are on disk
 * whatever happens next (a rewrite in place could lose the old value). */
static int cmd_write_loop(const char *file)
{
	struct timespec pause = { 0, 200 * 1000000L };
	unsigned long n;
	char buf[32];
	int fd, len;

	fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		printf("write-loop err %s\n", ename(errno));
		return 1;
	}
	for (n = 1;; n++) {
		len = snprintf(buf, sizeof(buf), "%lu\n", n);
		if (write(fd, buf, (size_t)len) != len || fsync(fd) < 0) {
			printf("write-loop err %s\n", ename(errno));
			close(fd);
			return 1;
		}
		printf("committed %lu\n", n);
		fflush(stdout);
		nanosleep(&pause, NULL);
	}
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "vsock-socket"))
		return cmd_socket();
	if (!strcmp(c, "vsock") && argc == 4)
		return cmd_addr("vsock", connect_bounded, argv[2], argv[3]);
	if (!strcmp(c, "vsock-bind") && argc == 4)
		return cmd_addr("vsock-bind", do_bind, argv[2], argv[3]);
	if (!strcmp(c, "userns-vsock-bind") && argc > 3)
		return cmd_userns_bind(argc - 3, argv + 3, argv[2]);
	if (!strcmp(c, "local-cid"))
		return cmd_local_cid();
	if (!strcmp(c, "fds") && argc > 2)
		return cmd_fds(argc - 2, argv + 2);
	if (!strcmp(c, "hog") && argc == 3)
		return cmd_hog(argv[2]);
	if (!strcmp(c, "write-loop") && argc == 3)
		return cmd_write_loop(argv[2]);
	fprintf(stderr, "usage: fault_probe vsock-socket | vsock CID PORT | vsock-bind CID PORT |"
		" userns-vsock-bind CID PORT... | local-cid | fds PID... | hog STEP_MB | write-loop FILE\n");
	return 2;
}
