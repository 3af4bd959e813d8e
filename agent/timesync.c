#include "timesync.h"
#include <errno.h>
#include <time.h>

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int timesync_apply(int64_t host_ns, uint64_t threshold_ms,
		   int (*set_time)(void *ctx, int64_t unix_ns), void *ctx,
		   struct timesync_result *r)
{
	int64_t drift, mag;
	int e;

	r->drift_ns = 0;
	r->stepped = false;
	/* A time before 1970 or a drift that does not fit is not a clock. */
	if (host_ns <= 0 || __builtin_sub_overflow(realtime_ns(), host_ns, &drift) ||
	    drift == INT64_MIN)
		return -EINVAL;
	r->drift_ns = drift;
	mag = drift < 0 ? -drift : drift;
	if (threshold_ms > (uint64_t)INT64_MAX / 1000000 || (uint64_t)mag <= threshold_ms * 1000000)
		return 0;
	e = set_time(ctx, host_ns);
	if (e < 0)
		return e;
	r->stepped = true;
	return 0;
}

int timesync_settime(void *ctx, int64_t unix_ns)
{
	struct timespec ts = { .tv_sec = unix_ns / 1000000000, .tv_nsec = unix_ns % 1000000000 };

	(void)ctx;
	return clock_settime(CLOCK_REALTIME, &ts) < 0 ? -errno : 0;
}
