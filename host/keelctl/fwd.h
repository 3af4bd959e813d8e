/* host/keelctl/fwd.h: `forward`, `forward-unix` and `publish --auto`. */
#ifndef KEELCTL_FWD_H
#define KEELCTL_FWD_H
#include "conn.h"
#include <stdbool.h>
#include <sys/types.h>

struct fwd_opts {
	const struct target *t;
	bool json;
	const char *bindd;           /* keel-bindd's socket; NULL: the default */
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
/* Follow WatchPorts and publish guest TCP listeners and UDP sockets on
 * bind_addr. */
int cmd_publish_run(const struct fwd_opts *o, const char *bind_addr);
#endif
