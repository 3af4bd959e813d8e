/* host/keel-host/console.h: the guest's serial console. QEMU connects to
 * STATE/console.sock (-chardev socket, as a client) and keel-host appends
 * what it sends to STATE/console.log; past max bytes the log moves to
 * console.log.1 (replacing the previous one) and a new one starts, so the
 * console takes at most 2 * max on disk. */
#ifndef KEEL_HOST_CONSOLE_H
#define KEEL_HOST_CONSOLE_H
#include <stddef.h>
#include <sys/types.h>

struct rotlog {
	const char *path;            /* path.1 is the previous one */
	int fd;
	off_t size, max;
};

/* Open (append) path with the bound; 0 or -errno. */
int rotlog_open(struct rotlog *l, const char *path, off_t max);
/* Append; rotates first when over the bound. 0 or -errno. */
int rotlog_write(struct rotlog *l, const void *buf, size_t n);
/* Rotate when over the bound (for a log others write to through fd). */
int rotlog_check(struct rotlog *l);

struct console {
	struct rotlog log;
	int lfd, cfd;                /* listener, QEMU's connection (-1) */
};

/* Listen on sock_path (0600) and open log_path. 0 or -errno. */
int console_open(struct console *c, const char *sock_path, const char *log_path, off_t max);
/* Handle readiness of fd (the listener or the connection). */
void console_ready(struct console *c, int fd);
#endif
