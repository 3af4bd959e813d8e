/* agent/port_owner.h: which process holds a socket. sock_diag reports a
 * socket's inode, not its process; the only way to the pid is the fd table,
 * /proc/<pid>/fd/N -> "socket:[INODE]". */
#ifndef KEEL_PORT_OWNER_H
#define KEEL_PORT_OWNER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct port_owner {
	uint64_t inode;          /* in: the socket's inode */
	uint32_t pid;            /* out: 0 while not found */
	char comm[16];           /* out: the process's comm */
};

/* Where an interrupted walk resumes: {0, 0} is the beginning. */
struct port_owner_cursor {
	uint32_t pid;
	int32_t fd;
};

/* Fill pid and comm of q[0..n) (sorted by inode, unique) from the processes
 * under proc ("/proc"), in /proc order (so the lowest pid sharing a socket
 * wins), skipping kernel threads and stopping once all are found or after
 * max_fds fd links. *cursor says where an interrupted walk stopped (the
 * pid and fd number not yet read); the next call resumes there.
 * Returns 0 when one walk covered every process (what is still unfound has
 * no owner we can see), -EAGAIN when it stopped at the budget or began
 * midway (call again later), or another -errno when proc cannot be read. */
int port_owner_resolve(const char *proc, struct port_owner *q, size_t n,
		       size_t max_fds, struct port_owner_cursor *cursor);

/* The fast path. A new listener nearly always comes from a process that
 * already owns one or from one started since the last look, so those are
 * asked first, and of a process read before only the fds that can have
 * changed: the walk above reads every fd of every process, and at 5,000
 * fds in one process that alone is ~25 ms of readlink and ~15 ms of
 * getdents on the build machine. */
struct port_fd {
	int32_t fd;
	uint64_t inode;          /* the socket's inode; 0 if not a socket */
};

/* One process's fd table as last read (ascending fd). */
struct port_fdmap {
	uint32_t pid;
	size_t n, cap;
	struct port_fd *v;
	bool valid;              /* v is a complete listing */
};

/* Ask process fm->pid about q[0..n) (sorted by inode, unique; entries with
 * a pid are skipped). With a valid map only fds that can hold a socket not
 * seen there before are read: those whose remembered inode is not in
 * stable[0..nstable) (sorted; the listed sockets that are not new), the
 * holes below the highest fd and a few above it (Linux hands out the
 * lowest free fd). Without one, or when that finds nothing, the whole fd
 * directory is read and the map rebuilt. *budget bounds the fd links read
 * and is decremented. Returns how many q entries were filled, -ESRCH when
 * the process is gone, -EAGAIN when the budget ran out. */
int port_owner_probe(const char *proc, struct port_fdmap *fm, struct port_owner *q,
		     size_t n, const uint64_t *stable, size_t nstable, size_t *budget);
void port_fdmap_free(struct port_fdmap *fm);

/* The pids under proc, ascending, into a grown *v (*cap entries). */
int port_owner_pids(const char *proc, uint32_t **v, size_t *n, size_t *cap);
#endif
