/* host/keelctl/relay_thread.c: see relay_thread.h. */
#include "relay_thread.h"
#include "relay.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>

static bool gone(const struct pollfd *p, const struct relay_dir *from)
{
	return p->revents & POLLHUP && p->events & POLLIN && !(p->revents & POLLIN) && !from->eof;
}

void fwd_relay(int a, int b)
{
	struct relay_dir up, down;
	struct pollfd p[2];

	relay_dir_init(&up);
	relay_dir_init(&down);
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
	fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
	if (relay_dir_setup_for(&up, a) < 0 || relay_dir_setup_for(&down, b) < 0)
		goto out;
	while (!(up.done && down.done)) {
		if (relay_pump(&up, a, b, 16) < 0 || relay_pump(&down, b, a, 16) < 0)
			break;
		if (up.done && down.done)
			break;
		p[0] = (struct pollfd){ a, (short)((relay_wants_in(&up) ? POLLIN : 0) |
						 (relay_wants_out(&down) ? POLLOUT : 0)), 0 };
		p[1] = (struct pollfd){ b, (short)((relay_wants_in(&down) ? POLLIN : 0) |
						 (relay_wants_out(&up) ? POLLOUT : 0)), 0 };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if ((p[0].revents | p[1].revents) & (POLLERR | POLLNVAL))
			break;
		/* HUP with nothing to read: that side is gone entirely. POLLIN
		 * is only reported when asked for: a side we are not reading
		 * (its bytes wait for the other side) may still hold data. */
		if (gone(&p[0], &up) || gone(&p[1], &down))
			break;
	}
out:
	relay_dir_free(&up);
	relay_dir_free(&down);
}

int fwd_spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	pthread_t th;
	int e;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 << 10);
	e = pthread_create(&th, &at, fn, arg);
	pthread_attr_destroy(&at);
	return -e;
}

int fwd_exit_signalfd(void)
{
	sigset_t sigs;
	int sfd;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	return sfd < 0 ? -errno : sfd;
}
