/* init/status.h: /run/keel/status for the agent (docs/interfaces.md),
 * rewritten atomically (tmp + rename) whenever something changed. */
#ifndef KEEL_INIT_STATUS_H
#define KEEL_INIT_STATUS_H
#include "services.h"
#include "shares.h"
#include "storage.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct status_view {
	pid_t pid;
	uint64_t boot_ms;
	const struct data_state *data;
	const struct share_state *shares;
	size_t nshares;
	const struct supervisor *sup;
};

/* Format into buf; returns the length, or -ENOSPC. */
int status_format(const struct status_view *v, char *buf, size_t cap);
int status_publish(const struct status_view *v, const char *path);
#endif
