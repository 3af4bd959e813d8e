/* common/clock.h: monotonic time, the only clock for deadlines and timelines. */
#ifndef KEEL_CLOCK_H
#define KEEL_CLOCK_H
#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t mono_ms(void) { return mono_ns() / 1000000ull; }
#endif
