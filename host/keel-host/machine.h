/* host/keel-host/machine.h: `keel-host start`: from a VM's settings
 * (config.h) to the plan keel-host runs (plan.h). What scripts/run-vm
 * assembled in bash before: the state dir checked or made, its files from
 * the last boot removed, the accelerator, QEMU's command line (machine,
 * root image, network, console, monitors), the data disk (made sparse on
 * first use), the per-boot secret, vsock (the kernel's or keel-vsock), a
 * file server per share (shares.h), the engine settings (engine_files.h)
 * and the kernel command line. The files it leaves in the state dir:
 * keelctl-args, shares, qemu-cmdline, secret. docs/run-vm.md has the why
 * of each QEMU option. */
#ifndef KEEL_HOST_MACHINE_H
#define KEEL_HOST_MACHINE_H
#include "argvec.h"
#include "config.h"
#include <stdbool.h>

struct machine {
	const struct vm_config *c;
	bool root;                  /* run by root: file servers drop to the owner */
	char *state;                /* absolute */
	char *accel;
	char *vsock_bin, *virtiofsd_bin, *fsguard_bin, *engine_bin;
	struct argvec plan;         /* keel-host's own options (plan.h), program name first */
	struct argvec qemu;         /* QEMU's argv */
	struct argvec guard;        /* what QEMU runs under (9p: keel-fsguard), may be empty */
	char *append;               /* the kernel command line */
	char *shares_list;          /* STATE/shares: DIR TAB TAG TAB NOTE lines */
};

/* Everything up to the plan, before any helper starts. 0, or -1 with the
 * reason in err (nothing of this VM runs then). */
int machine_prepare(struct machine *m, const struct vm_config *c, char *err, size_t errlen);

/* Helpers for the steps (shares.c, engine_files.c). */
void machine_append(struct machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* STATE/NAME into buf; false when it does not fit */
bool machine_path(const struct machine *m, const char *name, char *buf, size_t cap);
/* "[keel-host] ..." on stderr: what the user starting the VM reads */
void machine_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A helper for keel-host to start before QEMU, ready once socket exists
 * (plan.h's --helper). */
void machine_helper(struct machine *m, const char *name, const char *socket, const char *fd3_dir,
		    const struct argvec *argv);
#endif
