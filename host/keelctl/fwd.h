/* host/keelctl/fwd.h: `forward` and `publish --auto`. */
#ifndef KEELCTL_FWD_H
#define KEELCTL_FWD_H
#include "conn.h"
#include <stdbool.h>

struct fwd_opts {
	const struct target *t;
	bool json;
};

/* Listen on bind_addr:host_port and forward each connection to
 * guest_port in the guest. Returns an exit code. */
int cmd_forward_run(const struct fwd_opts *o, const char *bind_addr, unsigned host_port,
		    unsigned guest_port);
/* Follow WatchPorts and publish guest TCP listeners and UDP sockets on
 * bind_addr. */
int cmd_publish_run(const struct fwd_opts *o, const char *bind_addr);
#endif
