/* agent/health.h: assemble a HealthResponse from init's status file, the
 * mount table, /proc and the service probes (whose results are passed in,
 * so that building the reply never blocks). */
#ifndef KEEL_HEALTH_H
#define KEEL_HEALTH_H
#include "arena.h"
#include "keel.pb-c.h"
#include <stdbool.h>

struct health_input {
	const char *status_path;   /* /run/keel/status */
	const char *mountinfo;     /* /proc/self/mountinfo */
	const char *meminfo;       /* /proc/meminfo */
	const char *loadavg;       /* /proc/loadavg */
	const char *var_lib;       /* /var/lib */
	const char *engine_path;   /* /run/keel/engine-settings.pb (docs/engine.md) */
	bool docker_ready, containerd_ready;
	const char *agent;         /* "keel-agent 0.1.0" */
};

/* /var/lib free space under which Health says degraded. */
#define HEALTH_MIN_FREE_BYTES (512ull << 20)
#define HEALTH_MIN_FREE_PCT 5

int health_build(const struct health_input *in, struct arena *a, Keel__HealthResponse *h);
#endif
