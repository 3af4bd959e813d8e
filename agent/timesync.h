/* agent/timesync.h: compare the host's clock with ours and step ours when
 * the drift is over a threshold. */
#ifndef KEEL_TIMESYNC_H
#define KEEL_TIMESYNC_H
#include <stdbool.h>
#include <stdint.h>

#define TIMESYNC_DEFAULT_THRESHOLD_MS 100

struct timesync_result {
	int64_t drift_ns;      /* guest CLOCK_REALTIME minus host_ns, on arrival */
	bool stepped;
};

/* set_time(ctx, unix_ns) steps CLOCK_REALTIME (clock_settime in the agent). */
int timesync_apply(int64_t host_ns, uint64_t threshold_ms,
		   int (*set_time)(void *ctx, int64_t unix_ns), void *ctx,
		   struct timesync_result *r);
/* The real clock_settime, for set_time. */
int timesync_settime(void *ctx, int64_t unix_ns);
#endif
