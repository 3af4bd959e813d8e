/* host/keelctl/forward.h: `forward` and `forward-unix`: host listeners
 * whose connections each get their own forward stream to the agent; the
 * options publish (publish.h) shares with them. */
#ifndef KEELCTL_FORWARD_H
#define KEELCTL_FORWARD_H
#include "conn.h"
#include "keel.pb-c.h"
#include <stdbool.h>
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

/* Pieces publish shares with forward. */
/* A socket of type (SOCK_STREAM: listening) bound to addr:port with
 * SO_REUSEADDR; 0 and the fd in *out, or -errno. */
int fwd_bind_ip(const char *addr, unsigned port, int type, int *out);
/* Accept one connection on lfd and relay it, on its own thread, to guest
 * TCP addr:port. */
void fwd_accept_tcp(const struct target *t, int lfd, const char *addr, unsigned port);
#endif
