/* host/keelctl/fwd.h: `forward`, `forward-unix` and `publish --auto`. */
#ifndef KEELCTL_FWD_H
#define KEELCTL_FWD_H
#include "conn.h"
#include "keel.pb-c.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fwd_opts {
	const struct target *t;
	bool json;
	const char *bindd;           /* keel-bindd's socket; NULL: the default */
	/* publish: called on each report ("published", "skipped",
	 * "unpublished", "disconnected"; port 0 for the last) after it is
	 * printed, from the publishing thread; NULL: none (keel-host keeps
	 * its status with it). */
	void (*on_report)(void *ctx, const char *event, Keel__Transport tr, unsigned port,
			  const char *why);
	void *ctx;
};

/* Listen on bind_addr:host_port and forward each connection to
 * guest_port in the guest. Returns an exit code. */
int cmd_forward_run(const struct fwd_opts *o, const char *bind_addr, unsigned host_port,
		    unsigned guest_port);
struct unix_fwd {
	const char *host_path, *guest_path;
	mode_t mode;
	gid_t gid;                   /* (gid_t)-1: the creator's group */
};

/* Serve the unix socket u->host_path (removed again on SIGINT, SIGTERM or
 * SIGHUP); each connection gets its own forward stream to the guest unix
 * socket u->guest_path. Returns an exit code. */
int cmd_forward_unix_run(const struct fwd_opts *o, const struct unix_fwd *u);
/* The same, until stop_fd is readable (a signalfd, an eventfd...). Returns
 * an exit code. */
int fwd_unix_serve(const struct fwd_opts *o, const struct unix_fwd *u, int stop_fd);

/* Pieces `keelctl bind` shares with the forwards. */
/* Relay bytes both ways (proto/relay.c) until both directions end or either
 * side fails; half-close is carried. Blocks; the fds stay open. */
void fwd_relay(int a, int b);
/* Run fn(arg) on a detached thread with a small stack; -errno. */
int fwd_spawn(void *(*fn)(void *), void *arg);
/* Block SIGINT, SIGTERM and SIGHUP (call before any thread exists) and
 * return a signalfd for them, or -errno. */
int fwd_exit_signalfd(void);
/* A UDP flow (framed datagrams on a stream, proto/dgram.h) idle this long
 * ends. */
#define FWD_UDP_IDLE_S 60

/* Follow WatchPorts and publish guest TCP listeners and UDP sockets on
 * bind_addr. */
int cmd_publish_run(const struct fwd_opts *o, const char *bind_addr);
#endif
