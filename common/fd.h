/* common/fd.h: small fd helpers. All return 0 (or a count) or -errno. */
#ifndef KEEL_FD_H
#define KEEL_FD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write all of buf, retrying on EINTR and short writes (blocking fds). */
int fd_write_all(int fd, const void *buf, size_t len);
/* Read exactly len bytes; -EPIPE on EOF before len (blocking fds). */
int fd_read_exact(int fd, void *buf, size_t len);
/* The same with a total deadline (mono_ms; 0: none): -ETIMEDOUT once it
 * passed, however the peer trickles its bytes. */
int fd_read_exact_until(int fd, void *buf, size_t len, uint64_t deadline_ms);
/* Up to cap bytes at off (fewer only at the end of the file); the count or
 * -errno. */
ssize_t fd_pread_full(int fd, off_t off, void *buf, size_t cap);
int fd_set_nonblock(int fd, bool on);
/* Close *fd if open and set it to -1; safe to call twice. */
void fd_close(int *fd);
/* Read a whole file into buf (cap bytes, at least 1): *len is what was read.
 * -EFBIG when the file has cap bytes or more (room for a NUL is kept). */
int fd_read_file(const char *path, void *buf, size_t cap, size_t *len);
/* The fds an SCM_RIGHTS message (recvmsg) carried: appended to fds[n..max),
 * any beyond max closed, so a peer cannot leak fds into us. The new count. */
struct msghdr;
unsigned fd_take_rights(struct msghdr *msg, int *fds, unsigned n, unsigned max);
/* Write a whole file atomically: write to path.tmp, fsync-free rename. */
int fd_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode);
#endif
