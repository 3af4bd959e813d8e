/* init/data_step.c: the data disk step (storage.c: e2fsck or mkfs, then the
 * mount) runs in a child process, so the services that do not need /var/lib
 * (the agent) start at once instead of waiting a second or more for e2fsck.
 * The child mounts in init's own mount namespace and sends its data_state
 * back through a pipe; the loop reads it (WATCH_DATA), and only then do the
 * services that need data (containerd, dockerd) start. A child that dies
 * without an answer is a data error like any other. */
#include "init.h"
#include "fd.h"
#include "log.h"
#include "timeline.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static void report(struct init_ctx *c)
{
	const struct data_state *d = &c->data;

	if (d->kind == DATA_ERROR)
		log_err("data: %s", d->error);
	else
		log_info("data: %s %s%s%s%s at %s", data_kind_name(d->kind),
			 d->device[0] ? d->device : "tmpfs", d->action ? " (" : "",
			 d->action ? d->action : "", d->action ? ")" : "", c->data_dir);
	timeline_mark("data");
}

static struct storage_cfg storage_cfg_of(const struct init_ctx *c)
{
	return (struct storage_cfg){ .device = c->cfg.data_dev, .fresh = c->cfg.data_new,
				     .data_dir = c->data_dir, .blkid = c->blkid_path };
}

/* In the child: the step, its result down the pipe, exit. */
static __attribute__((noreturn)) void run_child(struct init_ctx *c, int wfd)
{
	struct storage_cfg cfg = storage_cfg_of(c);
	struct data_state st;

	storage_setup(&cfg, &st);
	_exit(fd_write_all(wfd, &st, sizeof(st)) < 0 ? 1 : 0);
}

static void run_here(struct init_ctx *c)
{
	struct storage_cfg cfg = storage_cfg_of(c);

	storage_setup(&cfg, &c->data);
	report(c);
}

void data_step_start(struct init_ctx *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->w_data };
	int p[2];
	pid_t pid;

	c->data_fd = -1;
	c->w_data = (struct watch){ WATCH_DATA, NULL };
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("data step: pipe: %s; running it in line", strerror(errno));
		run_here(c);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		run_child(c, p[1]);
	}
	close(p[1]);
	if (pid < 0 || epoll_ctl(c->epfd, EPOLL_CTL_ADD, p[0], &ev) < 0) {
		log_warn("data step: %s; running it in line", strerror(errno));
		close(p[0]);
		run_here(c);
		return;
	}
	c->data_fd = p[0];
	c->data = (struct data_state){ .kind = DATA_PENDING };
}

void data_step_finish(struct init_ctx *c)
{
	struct data_state st;
	ssize_t n = read(c->data_fd, &st, sizeof(st));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->data_fd, NULL);
	fd_close(&c->data_fd);
	if (n == (ssize_t)sizeof(st) && st.kind != DATA_PENDING) {
		c->data = st;
	} else {
		c->data = (struct data_state){ .kind = DATA_ERROR };
		strcpy(c->data.error, "the data disk step ended without a result");
	}
	report(c);
	services_set_data(&c->sup, c->data.kind != DATA_ERROR, c->data.error);
}
