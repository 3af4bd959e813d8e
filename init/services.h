/* init/services.h: the declarative service table and the supervisor that
 * runs it: start in order once dependencies are ready, readiness (exec,
 * notify pipe, unix socket), restart with backoff, give up after
 * restart_limit restarts within restart_window_ms, stop in reverse order. */
#ifndef KEEL_INIT_SERVICES_H
#define KEEL_INIT_SERVICES_H
#include "svclog.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SERVICES_MAX 16
#define SERVICE_NAME_MAX 32
#define SERVICE_ARGV_MAX 32
#define SERVICE_ENV_MAX 16
#define SOCKET_POLL_MS 25      /* readiness poll of a unix socket */
#define RESTART_HISTORY 16     /* restart_limit is capped to this */

enum ready_kind {
	READY_EXEC,    /* ready once exec succeeded */
	READY_NOTIFY,  /* ready when it writes a line to fd 3 (KEEL_READY_FD=3) */
	READY_SOCKET,  /* ready when ready_path (a unix socket) accepts connect */
};

struct service_def {
	const char *name;
	const char *const *argv;       /* NULL-terminated, argv[0] absolute */
	const char *const *env;        /* NULL-terminated extra env, or NULL */
	enum ready_kind ready;
	const char *ready_path;        /* READY_SOCKET only */
	const char *after;             /* waits for this service's readiness */
	bool needs_data;               /* needs /var/lib (the data disk) */
	bool pass_net;                 /* gets --net SPEC when keel.ip is set */
	bool pass_secret;              /* gets the host's secret as fd 4 (KEEL_SECRET_FD=4) */
	unsigned grace_ms;             /* SIGTERM..SIGKILL at shutdown */
	int oom_score_adj;
	unsigned backoff_min_ms, backoff_max_ms;
	unsigned restart_limit;        /* restarts allowed within the window */
	unsigned restart_window_ms;
};

extern const struct service_def builtin_services[];
extern const size_t builtin_nservices;

/* A table loaded from a text file (test mode, docs/init.md), no malloc. */
struct service_table {
	struct service_def defs[SERVICES_MAX];
	size_t n;
	const char *argv[SERVICES_MAX][SERVICE_ARGV_MAX + 1];
	const char *env[SERVICES_MAX][SERVICE_ENV_MAX + 1];
	char strings[16384];
	size_t used;
};

/* Parse text (len bytes) into *t. On error returns -EINVAL and err says the
 * line and why. */
int services_file_parse(const char *text, size_t len, struct service_table *t,
			char *err, size_t errlen);
int services_file_load(const char *path, struct service_table *t, char *err, size_t errlen);
/* Check names, paths and dependencies of any table (built-in or loaded). */
int services_validate(const struct service_def *defs, size_t n, char *err, size_t errlen);

enum svc_state { SVC_WAITING, SVC_STARTING, SVC_READY, SVC_BACKOFF, SVC_FAILED,
		 SVC_STOPPING, SVC_STOPPED };

enum watch_kind { WATCH_SIGNAL, WATCH_TIMER, WATCH_SVC_OUT, WATCH_SVC_READY, WATCH_DATA };

struct watch {                    /* what an epoll event points to */
	enum watch_kind kind;
	struct svc *svc;
};

struct svc {
	const struct service_def *def;
	enum svc_state state;
	pid_t pid;                     /* 0 when not running */
	unsigned restarts;
	uint64_t restart_ms[RESTART_HISTORY]; /* recent restarts, oldest first */
	unsigned nhist;
	unsigned backoff_step;
	uint64_t started_ms;
	uint64_t due_ms;               /* backoff end, socket poll, or SIGKILL time */
	bool killed;                   /* SIGKILL sent during stop */
	int out_fd, ready_fd;          /* read ends, -1 when closed */
	struct watch w_out, w_ready;
	struct svclog log;
	char last_exit[16];
	char reason[128];
};

struct supervisor {
	struct svc svcs[SERVICES_MAX];
	size_t n;
	int epfd;
	const char *log_dir;           /* NULL: console only */
	const char *net_spec;          /* keel.ip or "" */
	int secret_fd;                 /* the host's secret (a sealed memfd); -1: none */
	bool data_ok;
	bool data_pending;             /* the data step runs: needs_data services wait */
	const char *data_reason;
	bool stopping;                 /* shutdown: no starts, no restarts */
	bool changed;                  /* status must be republished */
};

int services_init(struct supervisor *s, const struct service_def *defs, size_t n,
		  int epfd, const char *log_dir, const char *net_spec,
		  bool data_ok, const char *data_reason);
/* Start what may start, restart what is due, poll sockets, kill what
 * overstayed its grace. Returns the next time (ms) it needs a call. */
uint64_t services_tick(struct supervisor *s, uint64_t now);
/* The data step's outcome (it was pending): needs_data services go on. */
void services_set_data(struct supervisor *s, bool ok, const char *reason);
/* A reaped child; false if it was not a service. */
bool services_on_exit(struct supervisor *s, pid_t pid, int status, uint64_t now);
void services_on_event(struct supervisor *s, struct watch *w, uint64_t now);
/* Shutdown: stop one service at a time in reverse table order (from tick). */
void services_stop_all(struct supervisor *s, uint64_t now);
bool services_all_stopped(const struct supervisor *s);
const char *svc_state_name(enum svc_state st);
#endif
