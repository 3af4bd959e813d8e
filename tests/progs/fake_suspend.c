/* tests/progs/fake_suspend.c: an LD_PRELOAD library for keel-host's
 * host-suspend test (tests/host/keel_host_time.sh). CLOCK_BOOTTIME runs
 * ahead of CLOCK_MONOTONIC by the seconds written in the file that
 * KEEL_FAKE_SUSPEND_FILE names (none, or no number: 0), as it does after
 * a host suspend of that long; every other clock is the real one. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long suspended_s(void)
{
	const char *path = getenv("KEEL_FAKE_SUSPEND_FILE");
	FILE *f = path ? fopen(path, "re") : NULL;
	long s = 0;

	if (f) {
		if (fscanf(f, "%ld", &s) != 1)
			s = 0;
		fclose(f);
	}
	return s;
}

int clock_gettime(clockid_t clock, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int r;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	r = real(clock, ts);
	if (r == 0 && clock == CLOCK_BOOTTIME)
		ts->tv_sec += suspended_s();
	return r;
}
