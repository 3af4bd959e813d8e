/* agent/port_owner.h: which process holds a socket. sock_diag reports a
 * socket's inode, not its process; the only way to the pid is the fd table,
 * /proc/<pid>/fd/N -> "socket:[INODE]". */
#ifndef KEEL_PORT_OWNER_H
#define KEEL_PORT_OWNER_H
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
#endif
