/* host/keel-host/services.c: in-process services (services.h). */
#include "services.h"
#include "forward.h"
#include "log.h"
#include "publish.h"
#include "relay_thread.h"
#include "show.h"
#include "status.h"
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int stop_fd = -1;
static struct fwd_opts opts;
static struct unix_fwd docker;
static pthread_t threads[PLAN_BINDS_MAX + 1];
static size_t n_threads;
static const struct host_plan *plan;

static void on_report(void *ctx, const char *event, Keel__Transport tr, unsigned port,
		      const char *why)
{
	(void)ctx;
	if (port)
		status_port(event, show_transport(tr), port, why);
}

static void *docker_run(void *arg)
{
	(void)arg;
	status_set_str(NULL, "docker_sock", docker.host_path);
	if (fwd_unix_serve(&opts, &docker, stop_fd) != 0)
		status_set_str(NULL, "docker_sock", NULL);
	return NULL;
}

static void *publish_run(void *arg)
{
	(void)arg;
	cmd_publish_run(&opts, "127.0.0.1");
	return NULL;
}

static void *bind_run(void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;
	int rc;

	status_bind(plan->bind_rules[i], "serving");
	rc = bind_serve(&plan->t, false, &plan->binds[i], stop_fd);
	status_bind(plan->bind_rules[i], rc == 0 ? "stopped" : "failed");
	if (rc != 0)
		log_err("bind %s failed (exit %d; see above)", plan->bind_rules[i], rc);
	return NULL;
}

static int start_joinable(void *(*fn)(void *), void *arg)
{
	int e = pthread_create(&threads[n_threads], NULL, fn, arg);

	if (e)
		return -e;
	n_threads++;
	return 0;
}

int services_start(const struct host_plan *p)
{
	int e;

	plan = p;
	opts = (struct fwd_opts){ .t = &p->t, .bindd = p->bindd, .on_report = on_report };
	stop_fd = eventfd(0, EFD_CLOEXEC);
	if (stop_fd < 0)
		return -errno;
	if (p->docker_sock) {
		docker = (struct unix_fwd){ p->docker_sock, p->docker_guest, 0600, (gid_t)-1 };
		if ((e = start_joinable(docker_run, NULL)) < 0)
			return e;
	}
	for (size_t i = 0; i < p->n_binds; i++)
		if ((e = start_joinable(bind_run, (void *)(uintptr_t)i)) < 0)
			return e;
	status_set_str(NULL, "publish", p->publish ? "on" : "off");
	return p->publish ? fwd_spawn(publish_run, NULL) : 0;
}

void services_stop(void)
{
	uint64_t one = 1;

	if (stop_fd < 0)
		return;
	if (write(stop_fd, &one, sizeof(one)) < 0)
		return;
	for (size_t i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	n_threads = 0;
}
