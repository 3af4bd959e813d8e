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
#include <sys/stat.h>
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

/* Fds above the highest one a map knows that a probe reads: Linux hands out
 * the lowest free fd, so a few new ones land right there. */
#define PORT_PROBE_ABOVE 8
/* A map with more holes than this is not worth probing hole by hole. */
#define PORT_PROBE_MAX_HOLES 64
/* Larger fd tables are not remembered (memory bound: 16 bytes per fd). */
#define PORT_FDMAP_MAX (1u << 16)

void port_fdmap_free(struct port_fdmap *fm)
{
	free(fm->v);
	*fm = (struct port_fdmap){ .pid = fm->pid };
}

static bool port_owner_u64_in(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int port_fdmap_push(struct port_fdmap *fm, int32_t fd, uint64_t inode)
{
	if (fm->n == fm->cap) {
		size_t cap = fm->cap ? fm->cap * 2 : 64;
		struct port_fd *v;

		if (cap > PORT_FDMAP_MAX)
			return -E2BIG;
		v = realloc(fm->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		fm->v = v;
		fm->cap = cap;
	}
	fm->v[fm->n++] = (struct port_fd){ fd, inode };
	return 0;
}

/* What fd `name` of dirfd holds: 0 and *inode (0 for no socket), or -ENOENT
 * when it is closed. */
static int port_owner_read_fd(int dirfd, const char *name, uint64_t *inode)
{
	char link[64];
	ssize_t len = readlinkat(dirfd, name, link, sizeof(link));

	*inode = 0;
	if (len < 0)
		return errno == ENOENT ? -ENOENT : 0;
	if ((size_t)len < sizeof(link))
		port_owner_socket_inode(link, (size_t)len, inode);
	return 0;
}

/* Record that process pid holds inode when q asks for it; returns 1 then. */
static int port_owner_claim(int procfd, uint32_t pid, char comm[16], bool *have_comm,
			    struct port_owner *q, size_t n, uint64_t inode)
{
	struct port_owner *o;

	if (inode == 0)
		return 0;
	o = port_owner_find(q, n, inode);
	if (!o || o->pid != 0)
		return 0;
	if (!*have_comm) {
		port_owner_read_comm(procfd, pid, comm);
		*have_comm = true;
	}
	o->pid = pid;
	memcpy(o->comm, comm, sizeof(o->comm));
	return 1;
}

/* Read every fd of the process, rebuilding the map. */
static int port_owner_probe_all(int procfd, int dirfd, struct port_fdmap *fm,
				struct port_owner *q, size_t n, size_t *budget)
{
	char comm[16];
	bool have_comm = false;
	struct dirent *de;
	int found = 0, r = 0, dfd = dup(dirfd);
	DIR *dir;

	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		r = -errno;
		close(dfd);
		return r;
	}
	fm->n = 0;
	fm->valid = false;
	while ((de = readdir(dir))) {
		uint64_t fdnum, inode;

		if (!port_owner_parse_u64(de->d_name, de->d_name + strlen(de->d_name), &fdnum) ||
		    fdnum > INT32_MAX)
			continue;
		if (*budget == 0) {
			r = -EAGAIN;
			break;
		}
		(*budget)--;
		if (port_owner_read_fd(dirfd, de->d_name, &inode) < 0)
			continue;
		found += port_owner_claim(procfd, fm->pid, comm, &have_comm, q, n, inode);
		if (r == 0 && port_fdmap_push(fm, (int32_t)fdnum, inode) < 0)
			r = -E2BIG;    /* keep looking, remember nothing */
	}
	closedir(dir);
	if (r == 0)
		fm->valid = true;
	else
		fm->n = 0;
	return r == -EAGAIN ? r : found;
}

static int port_fd_cmp(const void *a, const void *b)
{
	const struct port_fd *x = a, *y = b;

	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* Read one fd a valid map says may have changed; update the map entry
 * (inode UINT64_MAX marks it closed) or append a new one. */
static int port_owner_probe_fd(int procfd, int dirfd, struct port_fdmap *fm, size_t at,
			       int32_t fd, struct port_owner *q, size_t n, char comm[16],
			       bool *have_comm, bool *grew)
{
	char name[16];
	uint64_t inode;

	snprintf(name, sizeof(name), "%d", fd);
	if (port_owner_read_fd(dirfd, name, &inode) < 0) {
		if (at < fm->n)
			fm->v[at].inode = UINT64_MAX;
		return 0;
	}
	if (at < fm->n) {
		fm->v[at].inode = inode;
	} else {
		if (port_fdmap_push(fm, fd, inode) < 0)
			fm->valid = false;
		*grew = true;
	}
	return port_owner_claim(procfd, fm->pid, comm, have_comm, q, n, inode);
}

/* Probe what may have changed since the map was read. */
static int port_owner_probe_map(int procfd, int dirfd, struct port_fdmap *fm,
				struct port_owner *q, size_t n, const uint64_t *stable,
				size_t nstable, size_t *budget)
{
	size_t i, k, old = fm->n;
	int32_t next = 0, top;
	bool have_comm = false, grew = false;
	char comm[16];
	int found = 0;

	for (i = 0; i < old && fm->valid; i++) {
		struct port_fd *e = &fm->v[i];
		int32_t fd = e->fd;

		for (; next < fd && fm->valid; next++) {      /* holes */
			if (*budget == 0) {
				fm->valid = false;
				return -EAGAIN;
			}
			(*budget)--;
			found += port_owner_probe_fd(procfd, dirfd, fm, SIZE_MAX, next, q, n,
						     comm, &have_comm, &grew);
		}
		next = fd + 1;
		if (fm->v[i].inode != 0 && port_owner_u64_in(stable, nstable, fm->v[i].inode))
			continue;   /* still that socket (or its number was reused: the walk finds it) */
		if (*budget == 0) {
			fm->valid = false;
			return -EAGAIN;
		}
		(*budget)--;
		found += port_owner_probe_fd(procfd, dirfd, fm, i, fd, q, n, comm, &have_comm, &grew);
	}
	top = next;
	for (; next < top + PORT_PROBE_ABOVE && fm->valid && *budget > 0; next++, (*budget)--)
		found += port_owner_probe_fd(procfd, dirfd, fm, SIZE_MAX, next, q, n, comm,
					     &have_comm, &grew);
	for (i = 0, k = 0; i < fm->n; i++)      /* drop the closed ones */
		if (fm->v[i].inode != UINT64_MAX)
			fm->v[k++] = fm->v[i];
	fm->n = k;
	if (grew)
		qsort(fm->v, fm->n, sizeof(fm->v[0]), port_fd_cmp);
	return found;
}

/* Holes below the highest fd of a map: many means probing them one by one
 * costs more than one listing. */
static bool port_fdmap_sparse(const struct port_fdmap *fm)
{
	return fm->n > 0 && (size_t)fm->v[fm->n - 1].fd + 1 - fm->n > PORT_PROBE_MAX_HOLES;
}

int port_owner_probe(const char *proc, struct port_fdmap *fm, struct port_owner *q,
		     size_t n, const uint64_t *stable, size_t nstable, size_t *budget)
{
	char path[32];
	struct stat st;
	int procfd, dirfd, r;

	procfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	if (port_owner_is_kthread(procfd, fm->pid)) {
		close(procfd);
		return -ESRCH;
	}
	snprintf(path, sizeof(path), "%u/fd", fm->pid);
	dirfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		close(procfd);
		return -ESRCH;      /* gone, or not ours to read */
	}
	if (fm->valid && !port_fdmap_sparse(fm)) {
		r = port_owner_probe_map(procfd, dirfd, fm, q, n, stable, nstable, budget);
		/* Linux >= 6.2 reports the number of open fds as the size of
		 * fd/: a map that disagrees missed fds opened past its probe
		 * window and is re-read whole next time. */
		if (r >= 0 && fstat(dirfd, &st) == 0 && st.st_size > 0 &&
		    (size_t)st.st_size != fm->n)
			fm->valid = false;
	} else {
		r = port_owner_probe_all(procfd, dirfd, fm, q, n, budget);
	}
	close(dirfd);
	close(procfd);
	return r;
}

int port_owner_pids(const char *proc, uint32_t **v, size_t *n, size_t *cap)
{
	struct dirent *de;
	DIR *dir = opendir(proc);
	int r = 0;

	if (!dir)
		return -errno;
	*n = 0;
	while ((de = readdir(dir))) {
		uint32_t pid;

		if (!port_owner_pid_name(de->d_name, &pid))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			uint32_t *nv = realloc(*v, nc * sizeof(**v));

			if (!nv) {
				r = -ENOMEM;
				break;
			}
			*v = nv;
			*cap = nc;
		}
		(*v)[(*n)++] = pid;
	}
	closedir(dir);
	return r;
}
