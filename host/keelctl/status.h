/* host/keelctl/status.h: `keelctl status`, what keel-host reports about its
 * VM (STATE/status.json, written by the daemon; docs/host-daemon.md). */
#ifndef KEELCTL_STATUS_H
#define KEELCTL_STATUS_H
#include <stdbool.h>

/* state_dir NULL: $KEEL_STATE_DIR, else $XDG_RUNTIME_DIR/keel, else
 * ~/.local/state/keel/run (scripts/run-vm's default). Returns an exit code:
 * 0 running, 3 no daemon running. */
int cmd_status_run(const char *state_dir, bool json);
#endif
