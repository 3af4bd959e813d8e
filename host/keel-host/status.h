/* host/keel-host/status.h: the daemon's state, written to STATE/status.json
 * atomically on every change (keelctl status and run-vm status read it).
 * Callable from any thread. The document:
 *   {"daemon": {"pid", "state", "log"}, "vm": {"state", "pid", "started_unix",
 *    "info": {...}, "exit"}, "helpers": [{"name", "state", "pid", "restarts",
 *    "last_exit", "note"}], "ports": [{"transport", "port", "state", "reason"}],
 *   "binds": [{"rule", "state"}], "shares": [{"path", "tag", "server"}],
 *   "docker_sock", "publish", "time": {"last_unix", "reason", "drift_ns",
 *   "stepped", "syncs", "steps", "error"}, "updated_unix"} */
#ifndef KEEL_HOST_STATUS_H
#define KEEL_HOST_STATUS_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

int status_init(const char *path);
void status_set_str(const char *section, const char *key, const char *value);
void status_set_int(const char *section, const char *key, int64_t value);
void status_set_info(const char *key, const char *value);
void status_helper(const char *name, const char *state, pid_t pid, unsigned restarts,
		   const char *last_exit, const char *note);
/* a publish report: "published", "skipped" (reason), "unpublished" */
void status_port(const char *event, const char *transport, unsigned port, const char *reason);
void status_bind(const char *rule, const char *state);
void status_share(const char *path, const char *tag, const char *server);
void status_time(const char *reason, int64_t drift_ns, bool stepped, const char *error);
/* Write STATE/status.json now. 0 or -errno. */
int status_flush(void);
#endif
