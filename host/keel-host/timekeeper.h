/* host/keel-host/timekeeper.h: the guest clock without a command. A thread
 * sends the agent SyncTime (the agent steps when the drift is over its
 * threshold, 100 ms by default):
 *   - at boot: every second until the agent first answers;
 *   - when QEMU reports RESUME on its monitor (qmp-host.sock);
 *   - when the host itself resumed from suspend: CLOCK_BOOTTIME moved
 *     ahead of CLOCK_MONOTONIC (checked every second);
 *   - every interval_s in between (60 by default). */
#ifndef KEEL_HOST_TIMEKEEPER_H
#define KEEL_HOST_TIMEKEEPER_H
#include "conn.h"

struct timekeeper {
	const struct target *t;
	const char *qmp_path;        /* QEMU's monitor for the daemon */
	unsigned interval_s;
};

/* Start the thread (detached; it runs until the process ends). -errno. */
int timekeeper_start(struct timekeeper *k);
#endif
