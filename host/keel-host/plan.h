/* host/keel-host/plan.h: what the front end (scripts/run-vm) hands the
 * daemon on its command line: the state dir, how to reach the agent, the
 * services to serve in-process, and the processes to run, in order:
 *
 *   keel-host --state DIR (--hybrid PATH | --vsock CID | --uds PATH)
 *             [--docker-sock PATH [--docker-guest PATH]] [--no-publish] [--bindd PATH]
 *             [--bind [udp:]GUESTPORT:HOSTADDR:HOSTPORT]...
 *             [--sync-interval S] [--console-max BYTES] [--log-max BYTES]
 *             [--info KEY=VALUE]...        (shown in status: accel, cpus...)
 *             [--helper NAME SOCKET FD3DIR|- ARGC ARGV...]...
 *             [--reboot-on-death NAME]...  (a helper the VM cannot do without)
 *             [--relay NAME FRONT]...      (QEMU's vhost-user socket for helper
 *                                           NAME: keel-host relays, vu_relay.h)
 *             [--relay-fs NAME FRONT]...   (the same for a virtiofsd: a restarted
 *                                           one gets a FUSE session, fuse_prime.h)
 *             --qemu ARGC ARGV...
 *
 * Argument vectors are counted, so nothing in them needs quoting. */
#ifndef KEEL_HOST_PLAN_H
#define KEEL_HOST_PLAN_H
#include "bind.h"
#include "conn.h"
#include <stdbool.h>
#include <stddef.h>

#define PLAN_HELPERS_MAX 16
#define PLAN_BINDS_MAX 32
#define PLAN_INFO_MAX 16

struct plan_helper {
	const char *name;            /* NAME.log, NAME.pid in the state dir */
	const char *socket;          /* its listening socket: ready when it exists */
	const char *fd3_dir;         /* NULL or a directory passed as fd 3 */
	char **argv;                 /* NULL-terminated (points into argv) */
	bool reboot_vm;              /* its death restarts the VM (--reboot-on-death) */
	const char *relay_front;     /* --relay: QEMU connects here, keel-host to socket */
	bool relay_fuse;             /* --relay-fs: start a FUSE session on a restart */
};

struct host_plan {
	const char *state;
	struct target t;
	const char *docker_sock;     /* NULL: no docker socket */
	const char *docker_guest;    /* what it reaches ("/run/docker.sock") */
	bool publish;
	const char *bindd;
	struct bind_spec binds[PLAN_BINDS_MAX];
	const char *bind_rules[PLAN_BINDS_MAX];
	size_t n_binds;
	unsigned sync_interval_s;
	unsigned long console_max, log_max;
	const char *info[PLAN_INFO_MAX];   /* "KEY=VALUE" */
	size_t n_info;
	struct plan_helper helpers[PLAN_HELPERS_MAX];
	size_t n_helpers;
	char **qemu;
};

/* Parse argv (which it modifies: counted vectors are NULL-terminated in
 * place, argv must have a spare NULL slot at argv[argc]). 0, or -EINVAL with
 * the reason in err. */
int plan_parse(int argc, char **argv, struct host_plan *p, char *err, size_t errlen);
/* "[udp:|tcp:]GUESTPORT:HOSTADDR:HOSTPORT" into s (wait set). */
bool plan_parse_bind(const char *rule, struct bind_spec *s);
#endif
