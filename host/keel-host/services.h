/* host/keel-host/services.h: what keel-host serves in-process, each on its
 * own thread with keelctl's code: the docker socket (fwd_unix_serve, as
 * `keelctl forward-unix`), publish (cmd_publish_run, as `keelctl publish
 * --auto`) and each bind rule (bind_serve, as `keelctl bind --wait`). The
 * relays are keelctl's threads (proto/relay.c). */
#ifndef KEEL_HOST_SERVICES_H
#define KEEL_HOST_SERVICES_H
#include "plan.h"

/* Start every service of the plan. 0 or -errno. */
int services_start(const struct host_plan *p);
/* Stop the docker socket (removing its file) and the binds; waits for them. */
void services_stop(void);
#endif
