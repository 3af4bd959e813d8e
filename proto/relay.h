/* proto/relay.h: one direction of a byte relay between two non-blocking
 * stream sockets, shared by keel-agent's forward port and keelctl. Bytes go
 * through a pipe with splice(2) (no copy through user space); a socket type
 * that cannot splice switches the direction to recv/send through a buffer.
 * EOF on the source becomes shutdown(SHUT_WR) on the destination, once
 * everything read has been written (half-close). */
#ifndef KEEL_RELAY_H
#define KEEL_RELAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RELAY_CHUNK (256u << 10)
#define RELAY_PIPE_SIZE (256u << 10)
#define RELAY_COPY_BUF (256u << 10)

struct relay_dir {
	int p[2];          /* pipe: p[1] in, p[0] out; -1 in copy mode */
	size_t pending;    /* bytes read but not yet written */
	bool eof, done;    /* source ended; destination shut down */
	bool copy;
	uint8_t *buf;
	size_t off;
};

void relay_dir_init(struct relay_dir *d);
int relay_dir_setup(struct relay_dir *d, bool copy);
/* Splice where it is zero-copy: a TCP source (tcp_splice_read hands pages
 * over). Unix and vsock sources copy through the kernel into a pipe anyway
 * (measured slower than recv/send, docs/performance.md): they use the buffer.
 * KEEL_RELAY_COPY in the environment forces the buffer (for measurements). */
int relay_dir_setup_for(struct relay_dir *d, int src);
void relay_dir_free(struct relay_dir *d);
/* Move what can move now, in at most `rounds` steps. 0, or -1 when the
 * connection must be closed (an error on either side). */
int relay_pump(struct relay_dir *d, int src, int dst, int rounds);
/* The poll/epoll interest this direction has on its source and destination. */
static inline bool relay_wants_in(const struct relay_dir *d) { return !d->eof && !d->pending; }
static inline bool relay_wants_out(const struct relay_dir *d) { return d->pending > 0; }
#endif
