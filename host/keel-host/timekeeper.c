/* host/keel-host/timekeeper.c: the time thread (timekeeper.h). */
#include "timekeeper.h"
#include "clock.h"
#include "log.h"
#include "qmp.h"
#include "relay_thread.h"
#include "rpc.h"
#include "status.h"
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A jump of BOOTTIME - MONOTONIC above this is a host suspend. */
#define SUSPEND_MIN_NS 1000000000ll
/* A SyncTime takes ~10 ms under TCG. A short bound matters: a sync begun
 * just before a pause blocks until it fails, and the RESUME waits behind it. */
#define SYNC_TIMEOUT_MS 800u

/* A sync after a resume that failed (the guest still busy) is tried again
 * after this, not after the second a not-yet-booted agent gets. */
#define RESUME_RETRY_MS 200u

static bool is_resume(const char *why)
{
	return strcmp(why, "vm-resume") == 0 || strcmp(why, "host-resume") == 0;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One SyncTime; 0 or -errno. */
static int sync_once(struct timekeeper *k, const char *reason)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__SyncTimeRequest st = KEEL__SYNC_TIME_REQUEST__INIT;
	Keel__Response *resp = NULL;
	struct target t = *k->t;
	struct rpc r;
	int e;

	t.timeout_ms = SYNC_TIMEOUT_MS;
	if ((e = rpc_open(&r, &t)) < 0)
		return e;
	st.host_unix_ns = clock_ns(CLOCK_REALTIME);
	req.body_case = KEEL__REQUEST__BODY_SYNC_TIME;
	req.sync_time = &st;
	e = rpc_call(&r, &req, &resp);
	rpc_close(&r);
	if (e < 0)
		return e;
	if (resp->error || resp->body_case != KEEL__RESPONSE__BODY_SYNC_TIME) {
		e = resp->error ? -(int)resp->error->code : -EPROTO;
		status_time(reason, 0, false, resp->error ? resp->error->message : "no reply body");
	} else {
		const Keel__SyncTimeResponse *t = resp->sync_time;
		status_time(reason, t->drift_ns, t->stepped, NULL);
		if (t->stepped || strcmp(reason, "periodic") != 0)
			log_info("time sync (%s): guest was %+.3f s off%s", reason,
				 (double)t->drift_ns / 1e9, t->stepped ? ", stepped" : "");
	}
	keel__response__free_unpacked(resp, NULL);
	return e < 0 ? e : 0;
}

/* A RESUME event among what QEMU sent. A lost monitor is -EPIPE. */
static int read_events(struct qmp *q, bool *resumed)
{
	json_t *m;
	int e;

	while ((e = qmp_next(q, &m)) == 0) {
		const char *ev = json_string_value(json_object_get(m, "event"));
		if (ev && strcmp(ev, "RESUME") == 0)
			*resumed = true;
		json_decref(m);
	}
	return e == -EAGAIN ? 0 : e;
}

static void *run(void *arg)
{
	struct timekeeper *k = arg;
	struct qmp *q = calloc(1, sizeof(*q));
	int64_t gap = clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
	uint64_t next_sync = 0, next_qmp = 0;
	const char *retry = NULL;    /* a sync that failed keeps its reason */
	bool booted = false;

	if (!q)
		return NULL;
	q->fd = -1;
	for (;;) {
		struct pollfd p = { q->fd, POLLIN, 0 };
		const char *why = NULL;
		bool resumed = false;
		int64_t g;

		if (q->fd < 0 && mono_ms() >= next_qmp && qmp_open(q, k->qmp_path, 2000) < 0)
			next_qmp = mono_ms() + 1000;
		if (poll(&p, 1, 1000) > 0 && read_events(q, &resumed) < 0) {
			qmp_close(q);
			next_qmp = mono_ms() + 1000;
		}
		g = clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
		if (g - gap > SUSPEND_MIN_NS)
			why = "host-resume";
		gap = g;
		if (resumed)
			why = "vm-resume";
		if (!why && mono_ms() >= next_sync)
			why = retry ? retry : booted ? "periodic" : "boot";
		if (!why)
			continue;
		if (sync_once(k, why) == 0) {
			booted = true;
			retry = NULL;
			next_sync = mono_ms() + k->interval_s * 1000ull;
		} else {
			/* not up yet (again in 1 s), or a resumed VM still busy
			 * catching up: soon, so the clock is right within ~1 s */
			retry = why;
			next_sync = mono_ms() + (is_resume(why) ? RESUME_RETRY_MS : 1000);
		}
	}
	return NULL;
}

int timekeeper_start(struct timekeeper *k)
{
	return fwd_spawn(run, k);
}
