/* init/init.h: keel-init's state, shared by main, loop, boot and shutdown. */
#ifndef KEEL_INIT_INIT_H
#define KEEL_INIT_INIT_H
#include "config.h"
#include "services.h"
#include "shares.h"
#include "storage.h"
#include <stdbool.h>
#include <stdint.h>

#define RUN_DIR_DEFAULT "/run/keel"
#define DATA_DIR_DEFAULT "/var/lib"
#define BLKID_PATH_DEFAULT "/usr/libexec/keel-blkid"   /* init/blkid/keel-blkid.c */
#define PATH_BUF 256

enum shutdown_kind { SHUTDOWN_NONE, SHUTDOWN_POWEROFF, SHUTDOWN_REBOOT };

/* After the services: what is left gets SIGTERM, then SIGKILL (shutdown.c).
 * With the services' graces this makes the longest shutdown, which must stay
 * well below what the host waits (run-vm stop: 90 s; tests/unit checks). */
#define TERM_WAIT_MS 2000
#define KILL_WAIT_MS 1000

struct init_ctx {
	bool test_mode;            /* in a PID namespace on a host: spare the host */
	const char *cmdline_file;  /* NULL: /proc/cmdline */
	const char *services_file; /* NULL: the built-in table */
	const char *blkid_path;    /* the data disk's signature probe */
	const char *fwcfg_root;    /* fw_cfg's sysfs directory (--fw-cfg DIR in tests) */
	int secret_fd;             /* the host's secret (host_secret.c); -1: none */
	char run_dir[PATH_BUF], data_dir[PATH_BUF];
	char status_path[PATH_BUF + 16], log_dir[PATH_BUF + 16], timeline_path[PATH_BUF + 16];
	uint64_t boot_ms;

	struct config cfg;
	struct data_state data;
	struct share_state shares[CONFIG_MAX_SHARES];
	size_t nshares;
	struct service_table table;
	struct supervisor sup;

	int epfd, sigfd, timerfd;
	int data_fd;               /* the data step's answer; -1 once read */
	struct watch w_sig, w_timer, w_data;
	enum shutdown_kind shutdown;
	bool summary_done;
};

/* data_step.c: storage_setup in a child; the loop reads its outcome. */
void data_step_start(struct init_ctx *c);
void data_step_finish(struct init_ctx *c);
/* host_secret.c: read the secret from fw_cfg once (into secret_fd). */
void host_secret_load(struct init_ctx *c);
/* boot.c */
void boot_mounts(const struct init_ctx *c);
void boot_identity(const struct init_ctx *c);
/* cgroup.c: the containers' parent cgroup with a memory ceiling. */
void boot_container_cgroup(const struct init_ctx *c);
/* loop.c: the epoll loop; never returns. */
int loop_setup(struct init_ctx *c);
__attribute__((noreturn)) void loop_run(struct init_ctx *c);
void publish_status(struct init_ctx *c);
/* shutdown.c: after services stopped: kill the rest, sync, unmount,
 * reboot(2). Never returns. */
__attribute__((noreturn)) void shutdown_finish(struct init_ctx *c);
/* main.c: the last resort when nothing else works: reap forever. */
__attribute__((noreturn)) void reap_forever(void);
#endif
