/* agent/port_owner.c: socket inode -> (pid, comm) by reading fd links under
 * /proc. This is the expensive part of a port scan, so the scanner asks
 * only about inodes it has not seen before, and the walk is bounded. */
#include "port_owner.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct port_owner_walk {
	struct port_owner *q;
	size_t n;
	size_t left;             /* entries of q still without a pid */
	size_t budget;           /* fd links we may still read */
	int procfd;
	struct port_owner_cursor stop;  /* where the budget ran out */
};

/* Decimal without sign, leading '+', spaces or overflow; false otherwise. */
static bool port_owner_parse_u64(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (s == end || end - s > 20)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* "socket:[12345]" -> 12345. */
static bool port_owner_socket_inode(const char *link, size_t len, uint64_t *inode)
{
	static const char prefix[] = "socket:[";
	const size_t plen = sizeof(prefix) - 1;

	if (len < plen + 2 || memcmp(link, prefix, plen) != 0 || link[len - 1] != ']')
		return false;
	return port_owner_parse_u64(link + plen, link + len - 1, inode);
}

static struct port_owner *port_owner_find(struct port_owner *q, size_t n, uint64_t inode)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (q[mid].inode == inode)
			return &q[mid];
		if (q[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void port_owner_read_comm(int procfd, uint32_t pid, char comm[16])
{
	char path[32], buf[17];
	ssize_t len;
	size_t n;
	int fd;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "%u/comm", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	n = strcspn(buf, "\n");
	if (n > 15)
		n = 15;
	memcpy(comm, buf, n);
	comm[n] = '\0';
}

/* Kernel threads have no executable and no fds: one readlink saves the
 * open/getdents/close of their fd directory. */
static bool port_owner_is_kthread(int procfd, uint32_t pid)
{
	char path[32], target[8];

	snprintf(path, sizeof(path), "%u/exe", pid);
	return readlinkat(procfd, path, target, sizeof(target)) < 0 && errno == ENOENT;
}

/* Look through one process's fds from fd number first_fd on. Returns
 * false when the budget ran out (w->stop then says where). */
static bool port_owner_scan_pid(struct port_owner_walk *w, uint32_t pid, int32_t first_fd)
{
	char path[32], link[64];
	bool have_comm = false, ok = true;
	char comm[16];
	struct dirent *de;
	DIR *dir;
	int fd;

	if (port_owner_is_kthread(w->procfd, pid))
		return true;
	snprintf(path, sizeof(path), "%u/fd", pid);
	fd = openat(w->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return true;        /* gone, or not ours to read */
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return true;
	}
	while (w->left > 0 && (de = readdir(dir))) {
		struct port_owner *o;
		uint64_t inode, fdnum;
		ssize_t len;

		if (!port_owner_parse_u64(de->d_name, de->d_name + strlen(de->d_name), &fdnum) ||
		    fdnum > INT32_MAX || (int32_t)fdnum < first_fd)
			continue;
		if (w->budget == 0) {
			w->stop.pid = pid;
			w->stop.fd = (int32_t)fdnum;
			ok = false;
			break;
		}
		w->budget--;
		len = readlinkat(fd, de->d_name, link, sizeof(link));
		if (len <= 0 || (size_t)len >= sizeof(link))
			continue;
		if (!port_owner_socket_inode(link, (size_t)len, &inode))
			continue;
		o = port_owner_find(w->q, w->n, inode);
		if (!o || o->pid != 0)
			continue;
		if (!have_comm) {
			port_owner_read_comm(w->procfd, pid, comm);
			have_comm = true;
		}
		o->pid = pid;
		memcpy(o->comm, comm, sizeof(o->comm));
		w->left--;
	}
	closedir(dir);
	return ok;
}

/* A /proc entry that is a process: all digits, fits a pid. */
static bool port_owner_pid_name(const char *name, uint32_t *pid)
{
	uint64_t v;

	if (!port_owner_parse_u64(name, name + strlen(name), &v) || v == 0 || v > INT32_MAX)
		return false;
	*pid = (uint32_t)v;
	return true;
}

int port_owner_resolve(const char *proc, struct port_owner *q, size_t n,
		       size_t max_fds, struct port_owner_cursor *cursor)
{
	struct port_owner_walk w = { .q = q, .n = n, .budget = max_fds };
	struct port_owner_cursor start = *cursor;
	struct dirent *de;
	bool complete = true;
	DIR *dir;
	size_t i;

	for (i = 0; i < n; i++)
		if (q[i].pid == 0)
			w.left++;
	if (w.left == 0)
		return 0;
	w.procfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.procfd < 0)
		return -errno;
	dir = fdopendir(w.procfd);
	if (!dir) {
		int r = -errno;

		close(w.procfd);
		return r;
	}
	*cursor = (struct port_owner_cursor){ 0, 0 };
	while (w.left > 0 && (de = readdir(dir))) {
		uint32_t pid;

		if (!port_owner_pid_name(de->d_name, &pid) || pid < start.pid)
			continue;
		if (!port_owner_scan_pid(&w, pid, pid == start.pid ? start.fd : 0)) {
			*cursor = w.stop;
			complete = false;
			break;
		}
	}
	closedir(dir);
	if (w.left == 0)
		return 0;
	return complete && start.pid == 0 ? 0 : -EAGAIN;
}
