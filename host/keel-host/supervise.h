/* host/keel-host/supervise.h: the processes of one VM. Helpers (keel-vsock,
 * the file servers) start first, in order, each waited for until its socket
 * exists; then QEMU. A helper that exits while the VM runs is started again
 * after a backoff (0.5 s, doubling to 30 s; back to 0.5 s once it has run
 * for 60 s), counted and logged. When QEMU exits everything else is stopped
 * (SIGTERM, SIGKILL after 3 s). Each child gets SIGKILL (QEMU: SIGTERM) as
 * its death signal, so a kill -9 of keel-host leaves nothing running.
 *
 * QEMU (7.2, and its master as of 2025) does not reconnect a vhost-user-vsock
 * or vhost-user-fs device to a new backend. A relayed helper (keel-vsock:
 * QEMU talks to keel-host's relay, vu_relay.h) is restarted in place, and
 * the relay hands it QEMU's session. Any other helper serves nothing after
 * a restart until the VM restarts; one marked reboot_vm therefore restarts
 * the whole VM: QEMU is stopped, and helpers and QEMU start again
 * (vm_restart). */
#ifndef KEEL_HOST_SUPERVISE_H
#define KEEL_HOST_SUPERVISE_H
#include "plan.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc {
	const char *name;
	const char *socket, *fd3_dir;
	char **argv;
	pid_t pid;                   /* 0: not running */
	unsigned restarts;
	unsigned backoff_ms;
	uint64_t started_ms, restart_at_ms;   /* restart_at_ms 0: none due */
	char last_exit[64];
	bool reboot_vm;
	bool relayed;                /* QEMU reaches it through keel-host's relay */
};

struct vm {
	const struct host_plan *plan;
	struct proc helpers[PLAN_HELPERS_MAX];
	size_t n_helpers;
	struct proc qemu;
	bool stopping;               /* no more restarts */
	bool reboot_pending;         /* a reboot_vm helper died: restart the VM */
	unsigned reboots;
};

void vm_init(struct vm *v, const struct host_plan *p);
/* Start the helpers in order, waiting for each one's socket (10 s). 0, or
 * -errno with every helper started so far stopped again. */
int vm_start_helpers(struct vm *v);
int vm_start_qemu(struct vm *v);
/* Reap every exited child; schedule helper restarts. true when QEMU is gone. */
bool vm_reap(struct vm *v);
/* Restart the helpers that are due; returns ms until the next one is due
 * (-1: none). */
int vm_restart_due(struct vm *v);
/* SIGTERM every helper, SIGKILL what is left after grace_ms; reaps them. */
void vm_stop_helpers(struct vm *v, unsigned grace_ms);
/* After QEMU exited for a reboot: helpers and QEMU again (the data disk is
 * no longer new: keel.data.new is dropped from the kernel command line). */
int vm_restart(struct vm *v);
#endif
