/* keel-bindd: binds TCP/UDP ports 1..1023 for allowed local peers and hands
 * the bound socket back over a unix socket (SCM_RIGHTS). The only keel piece
 * that may hold privilege, so it does one thing: see docs/bindd.md.
 *
 * One epoll loop: the listening unix socket, a signalfd, and up to MAX_CONNS
 * connections, each with a deadline. One request per connection. */
#include "bind.h"
#include "sockaddr.h"
#include "peer.h"
#include "request.h"
#include "../bindd-client/bindd_proto.h"
#include "accept.h"
#include "clock.h"
#include "log.h"
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONNS	32
#define DEADLINE_MS	2000	/* a whole request must arrive within this */
#define ID_LISTEN	(MAX_CONNS + 1)
#define ID_SIGNAL	(MAX_CONNS + 2)

struct conn {
	int fd;			/* -1: slot free */
	uint64_t deadline;
	struct ucred cred;
	int peer;		/* bindd_peer_check() result */
	size_t len;
	char buf[BINDD_LINE_MAX + 1];	/* one more byte to see "too long" */
};

struct bindd {
	const char *path;
	const char *group_name;
	bool have_group;
	gid_t group;
	bool allow_any;
	struct stat path_st;	/* our socket file, to unlink only it */
	int lfd, sfd, epfd;
	bool listening;		/* listener in the epoll interest set */
	uint64_t accept_pause_until;
	int nconns;
	struct conn conns[MAX_CONNS];
};

static void usage(FILE *f)
{
	fprintf(f, "usage: keel-bindd --socket PATH [--group NAME|GID] [--allow-any-address] [--debug]\n"
		   "  Binds TCP/UDP ports 1-1023 for root and members of --group and passes\n"
		   "  the socket back over PATH (mode 0660, group NAME). See docs/bindd.md.\n");
}

static int parse_args(struct bindd *d, int argc, char **argv, bool *debug)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "allow-any-address", no_argument, NULL, 'a' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': d->path = optarg; break;
		case 'g': d->group_name = optarg; break;
		case 'a': d->allow_any = true; break;
		case 'd': *debug = true; break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	return optind == argc && d->path ? 0 : -EINVAL;
}

/* --group takes a name or a number; looked up once, before serving. */
static int resolve_group(struct bindd *d)
{
	struct group *gr;
	char *end;
	unsigned long v;

	if (!d->group_name)
		return 0;
	errno = 0;
	gr = getgrnam(d->group_name);
	if (gr) {
		d->group = gr->gr_gid;
	} else {
		v = strtoul(d->group_name, &end, 10);
		if (*d->group_name == '\0' || *end != '\0' || v >= (gid_t)-1)
			return errno ? -errno : -ENOENT;
		d->group = (gid_t)v;
	}
	d->have_group = true;
	return 0;
}

/* A socket file left by a daemon that died is removed; one that answers
 * belongs to a running daemon and is left alone. */
static int clear_stale_socket(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, r;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ? -EADDRINUSE : -errno;
	close(fd);
	if (r != -ECONNREFUSED)
		return r;
	return unlink(sun->sun_path) < 0 ? -errno : 0;
}

/* The socket file is created 0660 (umask at bind time, so there is no moment
 * it is wider) and given the allowed group before listen(), so no peer can
 * connect while the group is still the daemon's own. */
static int open_listener(struct bindd *d)
{
	struct sockaddr_un sun;
	mode_t old;
	int r;

	if ((r = sockaddr_from_path(d->path, &sun)) < 0)
		return r;
	if ((r = clear_stale_socket(&sun)) < 0)
		return r;
	d->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->lfd < 0)
		return -errno;
	old = umask(0117);
	r = bind(d->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old);
	if (r < 0)
		return r;
	if (lstat(d->path, &d->path_st) < 0)
		r = -errno;
	else if (d->have_group && lchown(d->path, (uid_t)-1, d->group) < 0)
		r = -errno;
	else if (listen(d->lfd, MAX_CONNS) < 0)
		r = -errno;
	if (r < 0)
		unlink(d->path);
	return r;
}

static void remove_socket_file(const struct bindd *d)
{
	struct stat st;

	if (lstat(d->path, &st) == 0 && st.st_dev == d->path_st.st_dev &&
	    st.st_ino == d->path_st.st_ino)
		unlink(d->path);
}

static int open_signalfd(struct bindd *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sfd < 0 ? -errno : 0;
}

static int epoll_add(int epfd, int fd, uint32_t id)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = id };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Watch the listener only while a slot is free (and not in an fd-shortage
 * pause): the kernel's backlog holds the rest, and a level-triggered
 * listener that cannot be accepted from would spin the loop. */
static void update_listener(struct bindd *d, uint64_t now)
{
	bool want = d->nconns < MAX_CONNS && now >= d->accept_pause_until;
	struct epoll_event ev = { .events = want ? EPOLLIN : 0, .data.u32 = ID_LISTEN };

	if (want != d->listening && epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->lfd, &ev) == 0)
		d->listening = want;
}

static void conn_close(struct bindd *d, struct conn *c)
{
	close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	d->nconns--;
}

/* "ERR NAME why\n", cut to fit BINDD_LINE_MAX. */
static void format_err(char *out, int err, const char *why)
{
	int n = snprintf(out, BINDD_LINE_MAX, "ERR %s %s", bindd_errno_name(-err), why);

	if (n < 0 || n > BINDD_LINE_MAX - 2)
		n = BINDD_LINE_MAX - 2;
	out[n] = '\n';
	out[n + 1] = '\0';
}

/* Decide, answer and log one connection, then close it. timed_out: the
 * deadline passed before a whole line arrived. */
static void conn_finish(struct bindd *d, struct conn *c, bool timed_out)
{
	struct bindd_req req = { 0 };
	char target[64] = "-", reply[BINDD_LINE_MAX + 1], why_buf[96];
	const char *why, *tname = "-";
	int r, fd = -1;

	if (timed_out) {
		r = -ETIMEDOUT;
		why = "no complete request line within 2 s";
	} else if ((r = bindd_parse_request(c->buf, c->len, &req, &why)) == 0) {
		tname = bindd_transport_name(req.transport);
		bindd_format_target(&req, target, sizeof(target));
	}
	/* A peer that may not ask learns nothing about its request. */
	if (c->peer < 0) {
		r = c->peer;
		if (r == -EACCES)
			snprintf(why_buf, sizeof(why_buf), "uid %u is neither root nor in group %s",
				 (unsigned)c->cred.uid, d->have_group ? d->group_name : "(none)");
		else
			snprintf(why_buf, sizeof(why_buf), "cannot read peer credentials: %s",
				 strerror(-r));
		why = why_buf;
	}
	if (r == 0)
		r = bindd_check_policy(&req, d->allow_any, &why);
	if (r == 0 && (r = bindd_open_socket(&req, &fd)) < 0)
		why = strerror(-r);
	if (r == 0)
		strcpy(reply, "OK\n");
	else
		format_err(reply, r, why);
	int s = bindd_send_reply(c->fd, reply, fd);
	if (r == 0 && s == 0)
		log_info("grant pid=%d uid=%u gid=%u %s %s", (int)c->cred.pid,
			 (unsigned)c->cred.uid, (unsigned)c->cred.gid, tname, target);
	else if (r == 0)
		log_info("refuse pid=%d uid=%u gid=%u %s %s: reply not delivered: %s",
			 (int)c->cred.pid, (unsigned)c->cred.uid, (unsigned)c->cred.gid,
			 tname, target, strerror(-s));
	else
		log_info("refuse pid=%d uid=%u gid=%u %s %s: %s %s", (int)c->cred.pid,
			 (unsigned)c->cred.uid, (unsigned)c->cred.gid, tname, target,
			 bindd_errno_name(-r), why);
	if (fd >= 0)
		close(fd);
	conn_close(d, c);
}

/* Read what the peer sent; finish once a newline, EOF, or more than a line's
 * worth has arrived. */
static void conn_read(struct bindd *d, struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			log_debug("read from pid %d: %s", (int)c->cred.pid, strerror(errno));
			conn_close(d, c);
			return;
		}
		c->len += (size_t)n;
		if (n == 0 || c->len == sizeof(c->buf) || memchr(c->buf, '\n', c->len)) {
			conn_finish(d, c, false);
			return;
		}
	}
}

static void accept_conns(struct bindd *d, uint64_t now)
{
	while (d->nconns < MAX_CONNS) {
		int fd = accept_nb(d->lfd, NULL, NULL);
		if (fd < 0) {
			/* Out of fds or memory: see common/accept.h. */
			if (fd != -EAGAIN) {
				log_warn("accept: %s; pausing %d ms", strerror(-fd), ACCEPT_PAUSE_MS);
				d->accept_pause_until = now + ACCEPT_PAUSE_MS;
			}
			return;
		}
		struct conn *c = d->conns;
		while (c->fd >= 0)
			c++;	/* nconns < MAX_CONNS: a free slot exists */
		c->fd = fd;
		c->len = 0;
		c->deadline = now + DEADLINE_MS;
		c->peer = bindd_peer_check(fd, d->have_group, d->group, &c->cred);
		d->nconns++;
		if (epoll_add(d->epfd, fd, (uint32_t)(c - d->conns)) < 0) {
			log_warn("epoll_ctl: %s", strerror(errno));
			conn_close(d, c);
		}
	}
}

/* Milliseconds until the next deadline or accept pause ends; -1: none. */
static int next_timeout(const struct bindd *d, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < MAX_CONNS; i++)
		if (d->conns[i].fd >= 0 && d->conns[i].deadline < next)
			next = d->conns[i].deadline;
	if (!d->listening && d->nconns < MAX_CONNS && d->accept_pause_until < next)
		next = d->accept_pause_until;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

static void expire_conns(struct bindd *d, uint64_t now)
{
	for (int i = 0; i < MAX_CONNS; i++)
		if (d->conns[i].fd >= 0 && d->conns[i].deadline <= now)
			conn_finish(d, &d->conns[i], true);
}

static int serve(struct bindd *d)
{
	struct epoll_event ev[16];
	struct signalfd_siginfo si;

	for (;;) {
		uint64_t now = mono_ms();
		update_listener(d, now);
		int n = epoll_wait(d->epfd, ev, 16, next_timeout(d, now));
		if (n < 0 && errno != EINTR)
			return -errno;
		now = mono_ms();
		for (int i = 0; i < n; i++) {
			uint32_t id = ev[i].data.u32;
			if (id == ID_SIGNAL) {
				if (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
					log_info("signal %u: exiting", si.ssi_signo);
					return 0;
				}
			} else if (id == ID_LISTEN) {
				accept_conns(d, now);
			} else if (id < MAX_CONNS && d->conns[id].fd >= 0) {
				conn_read(d, &d->conns[id]);
			}
		}
		expire_conns(d, mono_ms());
	}
}

int main(int argc, char **argv)
{
	static struct bindd d = { .lfd = -1, .sfd = -1, .epfd = -1 };
	bool debug = false;
	int r;

	if (parse_args(&d, argc, argv, &debug) < 0) {
		usage(stderr);
		return 2;
	}
	log_init("keel-bindd", debug);
	for (int i = 0; i < MAX_CONNS; i++)
		d.conns[i].fd = -1;
	/* Nothing it runs should ever gain privilege; it runs nothing anyway. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if ((r = resolve_group(&d)) < 0) {
		log_err("group %s: %s", d.group_name, r == -ENOENT ? "no such group" : strerror(-r));
		return 1;
	}
	if ((r = open_signalfd(&d)) < 0 ||
	    (d.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		log_err("setup: %s", strerror(r < 0 ? -r : errno));
		return 1;
	}
	if ((r = open_listener(&d)) < 0) {
		log_err("socket %s: %s", d.path, strerror(-r));
		return 1;
	}
	if (epoll_add(d.epfd, d.sfd, ID_SIGNAL) < 0 || epoll_add(d.epfd, d.lfd, ID_LISTEN) < 0) {
		log_err("epoll: %s", strerror(errno));
		remove_socket_file(&d);
		return 1;
	}
	d.listening = true;
	log_info("listening on %s (group %s, %s addresses, pid %d uid %u)", d.path,
		 d.have_group ? d.group_name : "none: root only",
		 d.allow_any ? "any" : "loopback", (int)getpid(), (unsigned)geteuid());
	r = serve(&d);
	if (r < 0)
		log_err("epoll_wait: %s", strerror(-r));
	remove_socket_file(&d);
	return r < 0 ? 1 : 0;
}
