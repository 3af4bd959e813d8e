/* tests/progs/agent_fwd.c: drives keel-agent's forward port for the host
 * tests and benchmarks. Run it in the agent's network namespace (targets
 * are on 127.0.0.1 there); FWD is the agent's forward unix socket.
 *
 *   agent_fwd bulk FWD MIB        MIB each way at once, half-close, sha256
 *   agent_fwd die FWD             target SIGKILLed mid-stream: ms to close
 *   agent_fwd many FWD N          N forwards open at once, each echoes
 *   agent_fwd udp FWD             datagrams through the 2-byte framing
 *   agent_fwd unix FWD            a unix-socket target
 *   agent_fwd refused FWD         a closed port gives ok=false, ECONNREFUSED
 *   agent_fwd hold FWD N SECS     N idle forwards held open (RSS benchmark)
 *   agent_fwd sink MIB [FWD|socat] one-way MIB to a sink: prints MB/s, through
 *                                 the agent (FWD), through socat relaying a
 *                                 unix socket to TCP, or raw TCP loopback
 * Prints PASS/FAIL lines (or numbers for sink). */
#include "fd.h"
#include "frame.h"
#include "keel.pb-c.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *fwd_path;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int tcp_server(int type, unsigned *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (type == SOCK_STREAM && listen(fd, 1024) < 0)) {
		perror("server");
		exit(1);
	}
	getsockname(fd, (struct sockaddr *)&sa, &l);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A forward stream: -errno from the agent's answer, or the fd. */
static int fwd_open(Keel__Transport tr, unsigned port, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	Keel__ForwardRequest rq = KEEL__FORWARD_REQUEST__INIT;
	Keel__ForwardResponse *rs;
	uint8_t *body;
	uint32_t len;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fwd_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	rq.transport = tr;
	rq.port = port;
	rq.path = (char *)(path ? path : "");
	if (frame_write_msg(fd, &rq.base) < 0 || frame_read_blocking(fd, 4096, &body, &len) < 0) {
		close(fd);
		return -EPROTO;
	}
	rs = keel__forward_response__unpack(NULL, len, body);
	free(body);
	r = !rs ? -EPROTO : rs->ok ? fd : -rs->code;
	if (rs)
		keel__forward_response__free_unpacked(rs, NULL);
	if (r < 0)
		close(fd);
	return r;
}

/* --- bulk: both directions at once, hashed ------------------------------ */
struct pump { int fd; size_t bytes; unsigned seed; unsigned char md[32]; int shut; };

static void *sender(void *arg)
{
	struct pump *p = arg;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	static __thread unsigned char buf[65536];
	unsigned s = p->seed;
	size_t left = p->bytes;

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	while (left) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf);
		for (size_t i = 0; i < n; i += 4) {
			s = s * 1103515245u + 12345u;
			memcpy(buf + i, &s, 4);
		}
		EVP_DigestUpdate(c, buf, n);
		for (size_t off = 0; off < n; ) {
			ssize_t w = write(p->fd, buf + off, n - off);
			if (w <= 0) {
				perror("send");
				exit(1);
			}
			off += (size_t)w;
		}
		left -= n;
	}
	EVP_DigestFinal_ex(c, p->md, NULL);
	EVP_MD_CTX_free(c);
	if (p->shut)
		shutdown(p->fd, SHUT_WR);
	return NULL;
}

static void *receiver(void *arg)
{
	struct pump *p = arg;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	static __thread unsigned char buf[65536];
	ssize_t n;

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	p->bytes = 0;
	while ((n = read(p->fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(c, buf, (size_t)n);
		p->bytes += (size_t)n;
	}
	EVP_DigestFinal_ex(c, p->md, NULL);
	EVP_MD_CTX_free(c);
	return NULL;
}

static int bulk(size_t mib)
{
	unsigned port;
	int lfd = tcp_server(SOCK_STREAM, &port), cfd, sfd;
	size_t n = mib << 20;
	struct pump cs = { .bytes = n, .seed = 1, .shut = 1 }, cr = { 0 };
	struct pump ss = { .bytes = n, .seed = 2, .shut = 1 }, sr = { 0 };
	pthread_t t[4];
	double t0 = now_s();

	cfd = fwd_open(KEEL__TRANSPORT__TRANSPORT_TCP, port, NULL);
	if (cfd < 0) {
		printf("FAIL: forward bulk: open: %s\n", strerror(-cfd));
		return 1;
	}
	sfd = accept(lfd, NULL, NULL);
	cs.fd = cr.fd = cfd;
	ss.fd = sr.fd = sfd;
	pthread_create(&t[0], NULL, sender, &cs);
	pthread_create(&t[1], NULL, receiver, &cr);
	pthread_create(&t[2], NULL, sender, &ss);
	pthread_create(&t[3], NULL, receiver, &sr);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("%s: forward %zu MiB host->target: sha256 %s (%zu bytes)\n",
	       sr.bytes == n && !memcmp(cs.md, sr.md, 32) ? "PASS" : "FAIL", mib,
	       !memcmp(cs.md, sr.md, 32) ? "matches" : "differs", sr.bytes);
	printf("%s: forward %zu MiB target->host: sha256 %s (%zu bytes)\n",
	       cr.bytes == n && !memcmp(ss.md, cr.md, 32) ? "PASS" : "FAIL", mib,
	       !memcmp(ss.md, cr.md, 32) ? "matches" : "differs", cr.bytes);
	fprintf(stderr, "bulk: %.2f s\n", now_s() - t0);
	return 0;
}

/* --- die: the target is killed while it streams ---------------------------- */
static int die(void)
{
	unsigned port;
	int lfd = tcp_server(SOCK_STREAM, &port), cfd;
	char buf[65536];
	pid_t child = fork();
	double t0;
	ssize_t n;
	size_t got = 0;

	if (child == 0) {
		int s = accept(lfd, NULL, NULL);
		memset(buf, 'x', sizeof(buf));
		for (;;)
			if (write(s, buf, sizeof(buf)) < 0)
				_exit(0);
	}
	close(lfd);
	cfd = fwd_open(KEEL__TRANSPORT__TRANSPORT_TCP, port, NULL);
	if (cfd < 0) {
		printf("FAIL: forward die: open: %s\n", strerror(-cfd));
		kill(child, SIGKILL);
		return 1;
	}
	while (got < (4u << 20) && (n = read(cfd, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	t0 = now_s();
	struct pollfd p = { cfd, POLLIN, 0 };
	for (;;) {
		if (poll(&p, 1, 3000) <= 0)
			break;
		n = read(cfd, buf, sizeof(buf));
		if (n <= 0)
			break;
	}
	double ms = (now_s() - t0) * 1000;
	printf("%s: forward: target killed mid-stream closes the client in %.0f ms (limit 1000)\n",
	       ms < 1000 ? "PASS" : "FAIL", ms);
	return 0;
}

/* --- many: N concurrent forwards to an echo server -------------------------- */
static void echo_server(int lfd, int n)
{
	struct pollfd *p = calloc((size_t)n + 1, sizeof(*p));
	int open_ = 0, accepted = 0;
	char buf[4096];

	p[0] = (struct pollfd){ lfd, POLLIN, 0 };
	for (int i = 1; i <= n; i++)
		p[i].fd = -1;
	while (accepted < n || open_ > 0) {
		if (poll(p, (nfds_t)n + 1, 10000) <= 0)
			_exit(1);
		if (p[0].revents & POLLIN && accepted < n) {
			p[++accepted] = (struct pollfd){ accept(lfd, NULL, NULL), POLLIN, 0 };
			open_++;
		}
		for (int i = 1; i <= accepted; i++) {
			ssize_t r;
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			r = read(p[i].fd, buf, sizeof(buf));
			if (r <= 0 || write(p[i].fd, buf, (size_t)r) != r) {
				close(p[i].fd);
				p[i].fd = -1;
				open_--;
			}
		}
	}
	_exit(0);
}

static int many(int n)
{
	unsigned port;
	int lfd = tcp_server(SOCK_STREAM, &port), ok = 0, opened = 0;
	int *fds = calloc((size_t)n, sizeof(int));
	pid_t child = fork();
	char msg[64], back[64];

	if (child == 0)
		echo_server(lfd, n);
	close(lfd);
	for (int i = 0; i < n; i++) {
		fds[i] = fwd_open(KEEL__TRANSPORT__TRANSPORT_TCP, port, NULL);
		opened += fds[i] >= 0;
	}
	/* All open at once; now each one talks. */
	for (int i = 0; i < n; i++) {
		int l = snprintf(msg, sizeof(msg), "hello %d", i);
		if (fds[i] < 0 || write(fds[i], msg, (size_t)l) != l)
			continue;
		if (read(fds[i], back, sizeof(back)) == l && !memcmp(msg, back, (size_t)l))
			ok++;
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	waitpid(child, NULL, 0);
	printf("%s: forward: %d concurrent forwards opened %d, echoed %d\n",
	       ok == n ? "PASS" : "FAIL", n, opened, ok);
	return 0;
}

/* --- udp, unix, refused ---------------------------------------------------- */
static int udp(void)
{
	unsigned port;
	int ufd = tcp_server(SOCK_DGRAM, &port), cfd, good = 0;
	pid_t child = fork();

	if (child == 0) {
		char b[2048];
		struct sockaddr_storage ss;
		for (int i = 0; i < 3; i++) {
			socklen_t l = sizeof(ss);
			ssize_t n = recvfrom(ufd, b, sizeof(b), 0, (struct sockaddr *)&ss, &l);
			if (n >= 0)
				sendto(ufd, b, (size_t)n, 0, (struct sockaddr *)&ss, l);
		}
		_exit(0);
	}
	cfd = fwd_open(KEEL__TRANSPORT__TRANSPORT_UDP, port, NULL);
	if (cfd < 0) {
		printf("FAIL: forward udp: %s\n", strerror(-cfd));
		kill(child, SIGKILL);
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		uint8_t out[1100], in[1100];
		size_t len = 100 + (size_t)i * 450;   /* 100, 550, 1000 bytes */
		out[0] = (uint8_t)(len >> 8);
		out[1] = (uint8_t)len;
		memset(out + 2, 'a' + i, len);
		if (write(cfd, out, len + 2) != (ssize_t)(len + 2))
			break;
		if (fd_read_exact(cfd, in, 2) < 0 || ((size_t)in[0] << 8 | in[1]) != len ||
		    fd_read_exact(cfd, in + 2, len) < 0 || memcmp(in, out, len + 2))
			break;
		good++;
	}
	close(cfd);
	waitpid(child, NULL, 0);
	printf("%s: forward udp: %d/3 datagrams echoed with 2-byte framing\n", good == 3 ? "PASS" : "FAIL", good);
	return 0;
}

static int unix_target(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[108], buf[8];
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), cfd, sfd;

	snprintf(path, sizeof(path), "/tmp/agent_fwd.%d.sock", (int)getpid());
	strcpy(sa.sun_path, path);
	unlink(path);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0)
		return 1;
	cfd = fwd_open(KEEL__TRANSPORT__TRANSPORT_UNIX, 0, path);
	sfd = cfd >= 0 ? accept(lfd, NULL, NULL) : -1;
	bool ok = cfd >= 0 && write(cfd, "ping", 4) == 4 && read(sfd, buf, 4) == 4 &&
		  write(sfd, "pong", 4) == 4 && read(cfd, buf, 4) == 4 && !memcmp(buf, "pong", 4);
	printf("%s: forward to a unix socket target\n", ok ? "PASS" : "FAIL");
	unlink(path);
	return 0;
}

static int refused(void)
{
	unsigned port;
	int lfd = tcp_server(SOCK_STREAM, &port), r;

	close(lfd);  /* nothing listens there now */
	r = fwd_open(KEEL__TRANSPORT__TRANSPORT_TCP, port, NULL);
	printf("%s: forward to a closed port: ok=false, code %d (ECONNREFUSED %d)\n",
	       r == -ECONNREFUSED ? "PASS" : "FAIL", -r, ECONNREFUSED);
	r = fwd_open(KEEL__TRANSPORT__TRANSPORT_TCP, 0, NULL);
	printf("%s: forward to port 0: ok=false, EINVAL\n", r == -EINVAL ? "PASS" : "FAIL");
	return 0;
}

static int hold(int n, int secs)
{
	unsigned port;
	int lfd = tcp_server(SOCK_STREAM, &port), opened = 0;

	for (int i = 0; i < n; i++) {
		int fd = fwd_open(KEEL__TRANSPORT__TRANSPORT_TCP, port, NULL);
		opened += fd >= 0;
		if (fd >= 0)
			accept(lfd, NULL, NULL);
	}
	printf("held %d\n", opened);
	fflush(stdout);
	sleep((unsigned)secs);
	return 0;
}

/* socat relaying a unix socket to the sink: the reference relay. */
static int socat_dial(unsigned port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char listen_[160], target[64];
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/agent_fwd.socat.%d", (int)getpid());
	snprintf(listen_, sizeof(listen_), "UNIX-LISTEN:%s", sa.sun_path);
	snprintf(target, sizeof(target), "TCP:127.0.0.1:%u", port);
	unlink(sa.sun_path);
	if (fork() == 0) {
		execlp("socat", "socat", "-b65536", listen_, target, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			unlink(sa.sun_path);
			return fd;
		}
		close(fd);
		usleep(10000);
	}
	return -1;
}

/* One way, MIB mebibytes into a sink; prints MB/s. */
static int sink(size_t mib, bool through_agent, bool socat)
{
	unsigned port;
	int lfd = tcp_server(SOCK_STREAM, &port), cfd;
	pid_t child = fork();
	static char buf[1 << 17];
	size_t left = mib << 20;
	double t0;

	if (child == 0) {
		int s = accept(lfd, NULL, NULL);
		while (read(s, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	close(lfd);
	if (socat) {
		cfd = socat_dial(port);
	} else if (through_agent) {
		cfd = fwd_open(KEEL__TRANSPORT__TRANSPORT_TCP, port, NULL);
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		cfd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			cfd = -1;
	}
	if (cfd < 0)
		return 1;
	memset(buf, 'b', sizeof(buf));
	t0 = now_s();
	while (left) {
		ssize_t w = write(cfd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (w <= 0)
			return 1;
		left -= (size_t)w;
	}
	shutdown(cfd, SHUT_WR);
	waitpid(child, NULL, 0);   /* the sink has read everything */
	if (socat)
		while (wait(NULL) > 0)
			;
	printf("%.1f\n", (double)(mib << 20) / (now_s() - t0) / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;

	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (argc < 2)
		return 2;
	fwd_path = argc > 2 ? argv[2] : "";
	if (!strcmp(argv[1], "bulk") && argc == 4)
		return bulk(strtoul(argv[3], NULL, 10));
	if (!strcmp(argv[1], "die"))
		return die();
	if (!strcmp(argv[1], "many") && argc == 4)
		return many(atoi(argv[3]));
	if (!strcmp(argv[1], "udp"))
		return udp();
	if (!strcmp(argv[1], "unix"))
		return unix_target();
	if (!strcmp(argv[1], "refused"))
		return refused();
	if (!strcmp(argv[1], "hold") && argc == 5)
		return hold(atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(argv[1], "sink") && argc >= 3) {
		bool socat = argc > 3 && !strcmp(argv[3], "socat");
		fwd_path = argc > 3 ? argv[3] : NULL;
		return sink(strtoul(argv[2], NULL, 10), fwd_path != NULL, socat);
	}
	fprintf(stderr, "usage: see the comment at the top of agent_fwd.c\n");
	return 2;
}
