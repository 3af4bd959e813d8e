/* host/keelctl/bind.c: see bind.h. The main thread owns the control
 * connection (whose life is the bind's), the stream listener and a signalfd;
 * each stream gets a detached thread that reads its BindConnect, dials the
 * host target and relays with relay_thread.c. */
#include "bind.h"
#include "clock.h"
#include "dgram.h"
#include "exitcodes.h"
#include "frame.h"
#include "relay_thread.h"
#include "hostaddr.h"
#include "vsock.h"
#include "json.h"
#include "rpc.h"
#include "show.h"
#include "unix_listen.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BIND_CONNECT_MAX 1024u       /* a BindConnect is a few dozen bytes */
#define BIND_CONNECT_WAIT_MS 5000    /* for all of it to arrive on a new stream */
#define BIND_STREAMS_MAX 1024        /* open streams; more are closed at once */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct binder {
	const struct target *t;
	bool json;
	const struct bind_spec *s;
	char target[300];                /* "HOST:PORT" for listings and logs */
	struct sockaddr_storage dst;
	socklen_t dst_len;
	unsigned host_port;
	char path[4200];                 /* unix listener: <socket>_<port> */
	struct unix_listener ul;
	int lfd;
	struct rpc ctl;                  /* ctl.fd < 0 while not bound */
	atomic_uint_fast64_t id;         /* the agent's id; 0 while not bound */
	atomic_int streams;
	/* Every BindConnect must carry it: anyone who can connect to our port
	 * (a guest process, another VM, another host user on vsock) cannot
	 * guess it, as they could guess the agent's bind id. Set at start. */
	struct secret token;
	bool bound_once;                 /* "bound" the first time, then "rebound" */
};

struct stream {
	struct binder *b;
	int fd;
};

bool bind_parse_addr_port(const char *s, char *addr, size_t alen, unsigned *port)
{
	const char *colon = strrchr(s, ':');
	unsigned long v;
	char *end;
	size_t n;

	errno = 0;
	v = strtoul(colon ? colon + 1 : s, &end, 10);
	if (*end || errno || v == 0 || v > 65535 || !(colon ? colon[1] : *s))
		return false;
	*port = (unsigned)v;
	if (!colon)
		return true;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	if (n == 0 || n >= alen)
		return false;
	memcpy(addr, s, n);
	addr[n] = 0;
	return true;
}

static const char *transport_name(const struct binder *b)
{
	return b->s->transport == KEEL__TRANSPORT__TRANSPORT_UDP ? "udp" : "tcp";
}

static int sock_type(const struct binder *b)
{
	return b->s->transport == KEEL__TRANSPORT__TRANSPORT_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

/* The host target, resolved once: a name that later resolves elsewhere does
 * not move a running bind. */
static int resolve_target(struct binder *b)
{
	struct addrinfo hints = { .ai_socktype = sock_type(b) }, *ai;
	char port[8];
	int e;

	snprintf(port, sizeof(port), "%u", b->s->target_port);
	e = getaddrinfo(b->s->target_host, port, &hints, &ai);
	if (e != 0) {
		fprintf(stderr, "keelctl: bind: host target %s: %s\n", b->s->target_host, gai_strerror(e));
		return -ENOENT;
	}
	memcpy(&b->dst, ai->ai_addr, ai->ai_addrlen);
	b->dst_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	snprintf(b->target, sizeof(b->target), strchr(b->s->target_host, ':') ? "[%s]:%u" : "%s:%u",
		 b->s->target_host, b->s->target_port);
	return 0;
}

/* --- the stream listener -------------------------------------------------- */

/* keel-vsock's (and Firecracker's) name for guest-initiated connections to
 * host port N is <socket>_N; the agent's --host-uds uses the same. */
static int listen_unix(struct binder *b, unsigned port)
{
	if (snprintf(b->path, sizeof(b->path), "%s_%u", b->t->path, port) >= (int)sizeof(b->path))
		return -ENAMETOOLONG;
	return unix_listen(b->path, 0600, (gid_t)-1, &b->ul);
}

static int listen_port(struct binder *b, unsigned port)
{
	int e;

	if (b->t->kind == CONN_VSOCK) {
		e = vsock_listen(port, 0, 512, &b->lfd);
		return e == -EADDRINUSE ? -EEXIST : e;
	}
	e = listen_unix(b, port);
	if (e == 0)
		b->lfd = b->ul.fd;
	return e;
}

/* The asked port, or the first free one from BIND_HOST_PORT_FIRST up (a
 * live socket there is someone else's; a stale one is replaced). */
static int open_listener(struct binder *b)
{
	int e = -EEXIST;

	if (b->s->host_port) {
		b->host_port = b->s->host_port;
		return listen_port(b, b->host_port);
	}
	for (unsigned p = BIND_HOST_PORT_FIRST; p <= 65535 && e == -EEXIST; p++) {
		b->host_port = p;
		e = listen_port(b, p);
	}
	return e;
}

static void close_listener(struct binder *b)
{
	if (b->t->kind == CONN_VSOCK)
		close(b->lfd);
	else
		unix_listen_close(&b->ul);
	b->lfd = -1;
}

/* --- one stream -------------------------------------------------------------- */

/* The stream's BindConnect, all of it within BIND_CONNECT_WAIT_MS (a peer
 * that trickles bytes cannot hold a thread); it must carry our token and
 * name our bind and transport. */
static int read_connect(struct binder *b, int fd, char *peer, size_t plen)
{
	Keel__BindConnect *c;
	uint8_t *body;
	uint32_t len;
	uint64_t want = atomic_load(&b->id);
	int e = frame_read_until(fd, BIND_CONNECT_MAX, mono_ms() + BIND_CONNECT_WAIT_MS, &body, &len);

	if (e < 0)
		return e;
	c = keel__bind_connect__unpack(NULL, len, body);
	free(body);
	if (!c)
		return -EPROTO;
	snprintf(peer, plen, "%s", *c->peer ? c->peer : "?");
	if (!secret_equal(&b->token, c->token.data, c->token.len))
		e = -EACCES;
	else if (c->bind_id != want || c->transport != b->s->transport)
		e = -ESRCH;
	keel__bind_connect__free_unpacked(c, NULL);
	return e;
}

/* A connected socket to the host target (UDP: connected, so only the
 * target's replies come back). */
static int dial_target(struct binder *b, int *out)
{
	struct timeval tv = { .tv_sec = b->t->timeout_ms / 1000,
			      .tv_usec = (b->t->timeout_ms % 1000) * 1000 };
	int fd = socket(b->dst.ss_family, sock_type(b) | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	/* Bounds connect to a target that drops SYNs. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&b->dst, b->dst_len) < 0) {
		e = errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		close(fd);
		return e;
	}
	tv = (struct timeval){ 0, 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*out = fd;
	return 0;
}

/* Framed datagrams on the stream <-> a connected UDP socket, until the
 * stream ends or the flow is idle for FWD_UDP_IDLE_S. */
static void dgram_relay(int stream, int sock)
{
	uint8_t buf[DGRAM_BUF];
	struct pollfd p[2] = { { stream, POLLIN, 0 }, { sock, POLLIN, 0 } };
	size_t n;
	ssize_t r;

	for (;;) {
		int k = poll(p, 2, FWD_UDP_IDLE_S * 1000);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		if (p[0].revents) {
			if (dgram_read(stream, buf, &n) < 0)
				return;
			send(sock, buf + DGRAM_HDR, n, MSG_DONTWAIT);
		}
		/* An error here is the ICMP of a target not (yet) listening:
		 * recv clears it and the flow stays for the next datagram. */
		if (p[1].revents) {
			r = recv(sock, buf + DGRAM_HDR, DGRAM_MAX, MSG_DONTWAIT);
			if (r >= 0 && dgram_write(stream, buf, (size_t)r) < 0)
				return;
		}
	}
}

static void *stream_run(void *arg)
{
	struct stream *st = arg;
	struct binder *b = st->b;
	char peer[128] = "?";
	int tfd = -1, e = read_connect(b, st->fd, peer, sizeof(peer));

	if (e < 0) {
		fprintf(stderr, "keelctl: bind %s -> %s: stream refused: %s\n", transport_name(b),
			b->target, e == -ESRCH ? "not for this bind" : e == -EPROTO ? "bad BindConnect" :
			e == -EACCES ? "wrong token" : strerror(-e));
	} else if ((e = dial_target(b, &tfd)) < 0) {
		fprintf(stderr, "keelctl: bind %s: guest %s: cannot reach %s: %s\n", transport_name(b),
			peer, b->target, strerror(-e));
	} else {
		if (b->s->transport == KEEL__TRANSPORT__TRANSPORT_UDP)
			dgram_relay(st->fd, tfd);
		else
			fwd_relay(st->fd, tfd);
		close(tfd);
	}
	close(st->fd);
	atomic_fetch_sub(&b->streams, 1);
	free(st);
	return NULL;
}

/* Vsock streams must come from the VM we talk to. */
static bool peer_allowed(const struct binder *b, const struct sockaddr_vm *sa, socklen_t len)
{
	return b->t->kind != CONN_VSOCK ||
	       (len >= sizeof(*sa) && sa->svm_family == AF_VSOCK && sa->svm_cid == b->t->cid);
}

static void accept_stream(struct binder *b)
{
	struct sockaddr_vm sa;
	socklen_t len = sizeof(sa);
	int fd = accept4(b->lfd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
	struct stream *st;

	if (fd < 0)
		return;
	if (!peer_allowed(b, &sa, len) || atomic_load(&b->streams) >= BIND_STREAMS_MAX ||
	    !(st = malloc(sizeof(*st)))) {
		close(fd);
		return;
	}
	*st = (struct stream){ b, fd };
	atomic_fetch_add(&b->streams, 1);
	if (fwd_spawn(stream_run, st) < 0) {
		atomic_fetch_sub(&b->streams, 1);
		close(fd);
		free(st);
	}
}

/* --- the control connection ------------------------------------------------- */

static void announce(const struct binder *b, const char *event, const Keel__Bind *bd)
{
	struct json j;

	if (!b->json) {
		show_bind_line(stdout, event, bd);
		return;
	}
	json_init(&j, stdout);
	json_obj(&j);
	json_key(&j, "event");
	json_str(&j, event);
	json_key(&j, "bind");
	show_bind_json(&j, bd);
	json_key(&j, "listening");
	if (b->t->kind == CONN_VSOCK)
		json_uint(&j, b->host_port);
	else
		json_str(&j, b->path);
	json_obj_end(&j);
	json_end(&j);
	fflush(stdout);
}

static void say_lost(const struct binder *b, const char *why)
{
	if (b->json)
		printf("{\"event\":\"disconnected\",\"reason\":\"%s\"}\n", why);
	else
		printf("disconnected: %s; re-binding\n", why);
	fflush(stdout);
}

/* The guest side as the user named it, for messages before the agent said. */
static void guest_text(const struct binder *b, char *out, size_t n)
{
	const char *a = *b->s->guest_addr ? b->s->guest_addr : KEEL_HOST_ADDRESS;

	snprintf(out, n, strchr(a, ':') ? "[%s]:%u" : "%s:%u", a, b->s->guest_port);
}

/* Open the control connection and make the bind. 0 and the agent's Bind in
 * *resp; -errno when the agent cannot be reached; 1 when it refused (the
 * Response, with its error, in *resp). */
static int make_bind(struct binder *b, Keel__Response **resp)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__BindRequest br = KEEL__BIND_REQUEST__INIT;
	int e;

	if ((e = rpc_open(&b->ctl, b->t)) < 0)
		goto fail;
	br.transport = b->s->transport;
	br.address = (char *)b->s->guest_addr;
	br.port = b->s->guest_port;
	br.host_port = b->host_port;
	br.host_target = b->target;
	br.token.data = b->token.b;
	br.token.len = b->token.len;
	req.body_case = KEEL__REQUEST__BODY_BIND;
	req.bind = &br;
	if ((e = rpc_call(&b->ctl, &req, resp)) < 0)
		goto fail;
	if ((*resp)->error || (*resp)->body_case != KEEL__RESPONSE__BODY_BIND) {
		rpc_close(&b->ctl);
		return 1;
	}
	rpc_wait_forever(&b->ctl);
	atomic_store(&b->id, (*resp)->bind->id);
	return 0;
fail:
	rpc_close(&b->ctl);
	return e;
}

static void print_refusal(const struct binder *b, const Keel__Response *resp)
{
	char g[128];
	const Keel__Error *er = resp->error;

	guest_text(b, g, sizeof(g));
	/* The agent's message says "bind: <strerror>: <detail>". */
	if (er && !strncmp(er->message, "bind: ", 6))
		fprintf(stderr, "keelctl: bind %s %s: %s\n", transport_name(b), g, er->message + 6);
	else if (er)
		fprintf(stderr, "keelctl: bind %s %s: %s: %s\n", transport_name(b), g,
			strerror(er->code > 0 ? er->code : EPROTO), er->message);
	else
		fprintf(stderr, "keelctl: bind %s %s: the agent's reply has no bind\n",
			transport_name(b), g);
}

/* A re-bind after the control connection was lost: false to retry later. */
static bool rebind(struct binder *b)
{
	Keel__Response *resp = NULL;
	int e = make_bind(b, &resp);

	if (e == 0) {
		announce(b, b->bound_once ? "rebound" : "bound", resp->bind);
		b->bound_once = true;
	} else if (e == 1) {
		print_refusal(b, resp);
	}
	if (resp)
		keel__response__free_unpacked(resp, NULL);
	return e == 0;
}

enum ctl_state { CTL_ALIVE, CTL_LOST, CTL_UNBOUND };

/* What the agent said on the control connection: its end is the bind's end
 * (re-bind); a bind_removed event for our bind means another client's
 * unbind (we stop). Anything else is ignored. */
static enum ctl_state control_read(struct binder *b)
{
	Keel__AgentMessage *m;
	enum ctl_state st = CTL_ALIVE;

	if (rpc_read(&b->ctl, &m) < 0)
		return CTL_LOST;
	if (m->kind_case == KEEL__AGENT_MESSAGE__KIND_EVENT &&
	    m->event->body_case == KEEL__EVENT__BODY_BIND_REMOVED &&
	    m->event->bind_removed->id == atomic_load(&b->id)) {
		announce(b, "unbound", m->event->bind_removed);
		st = CTL_UNBOUND;
	}
	keel__agent_message__free_unpacked(m, NULL);
	return st;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Accept streams; when the control connection drops, re-bind with backoff
 * (the listener stays, so the same host port is asked for again). Returns
 * on a signal, or when another client removed the bind. */
static void serve(struct binder *b, int sfd)
{
	unsigned backoff = BACKOFF_MIN_MS;
	long long retry_at = 0;

	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 }, { b->lfd, POLLIN, 0 }, { b->ctl.fd, POLLIN, 0 } };
		long long wait = retry_at - now_ms();
		int timeout = b->ctl.fd >= 0 ? -1 : wait < 0 ? 0 : (int)wait;
		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			return;
		if (p[0].revents)
			return;
		if (p[1].revents & POLLIN)
			accept_stream(b);
		enum ctl_state st = b->ctl.fd >= 0 && p[2].revents ? control_read(b) : CTL_ALIVE;
		if (st == CTL_UNBOUND)
			return;
		if (st == CTL_LOST) {
			rpc_close(&b->ctl);
			atomic_store(&b->id, 0);
			say_lost(b, "connection to the agent lost");
			backoff = BACKOFF_MIN_MS;
			retry_at = now_ms() + backoff;
		}
		if (b->ctl.fd < 0 && now_ms() >= retry_at) {
			if (rebind(b)) {
				backoff = BACKOFF_MIN_MS;
			} else {
				backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
				retry_at = now_ms() + backoff;
			}
		}
	}
}

/* Listener and first bind; an exit code, EXIT_OK when serving can start. */
static int start(struct binder *b)
{
	Keel__Response *resp = NULL;
	int e = open_listener(b);

	if (e < 0) {
		fprintf(stderr, "keelctl: bind: cannot listen for streams on %s port %u: %s\n",
			b->t->kind == CONN_VSOCK ? "vsock" : "unix", b->host_port,
			e == -EEXIST ? "in use" : strerror(-e));
		return EXIT_CONNECT;
	}
	e = make_bind(b, &resp);
	if (e < 0 && b->s->wait) {
		/* serve() binds once the agent answers */
		if (b->json)
			printf("{\"event\":\"waiting\",\"reason\":\"%s\"}\n", strerror(-e));
		else
			printf("waiting for the agent: %s\n", strerror(-e));
		fflush(stdout);
		e = 0;
	} else if (e < 0) {
		fprintf(stderr, "keelctl: cannot connect to the agent: %s\n", strerror(-e));
	} else if (e == 1) {
		print_refusal(b, resp);
	} else if (resp) {
		announce(b, "bound", resp->bind);
		b->bound_once = true;
	}
	if (resp)
		keel__response__free_unpacked(resp, NULL);
	if (e != 0)
		close_listener(b);
	return e < 0 ? EXIT_CONNECT : e == 1 ? EXIT_AGENT : EXIT_OK;
}

int bind_serve(const struct target *t, bool json, const struct bind_spec *s, int stop_fd)
{
	struct binder *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return EXIT_CONNECT;
	*b = (struct binder){ .t = t, .json = json, .s = s, .lfd = -1, .ctl = { .fd = -1 } };
	if ((rc = secret_random(b->token.b, SECRET_LEN)) < 0) {
		fprintf(stderr, "keelctl: bind: getrandom: %s\n", strerror(-rc));
		free(b);
		return EXIT_CONNECT;
	}
	b->token.len = SECRET_LEN;
	rc = resolve_target(b) < 0 ? EXIT_USAGE : start(b);
	if (rc == EXIT_OK) {
		serve(b, stop_fd);
		/* Closing the control connection is what drops the bind. */
		rpc_close(&b->ctl);
		close_listener(b);
	}
	/* Relay threads of this bind may still hold b: it stays (the process
	 * ends soon after a stop), unless none was ever started. */
	if (rc != EXIT_OK)
		free(b);
	return rc;
}

int cmd_bind_run(const struct target *t, bool json, const struct bind_spec *s)
{
	int sfd = fwd_exit_signalfd(), rc;

	if (sfd < 0) {
		fprintf(stderr, "keelctl: signalfd: %s\n", strerror(-sfd));
		return EXIT_CONNECT;
	}
	rc = bind_serve(t, json, s, sfd);
	close(sfd);
	return rc;
}
