/* tests/progs/agent_badinput.c: hostile input on keel-agent's control port.
 *   agent_badinput CTL_SOCK AGENT_PID MAX_FRAME CAP READ_TIMEOUT_MS
 * The agent must run with --max-frame MAX_FRAME --max-control CAP
 * --read-timeout READ_TIMEOUT_MS, in its own mount and net namespace, with
 * a harmless --init-pid and without CAP_SYS_TIME (mutated frames may decode
 * as any request). Prints PASS/FAIL lines. */
#include "fd.h"
#include "frame.h"
#include "keel.pb-c.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

static const char *ctl;
static int agent_pid;
static uint32_t max_frame;
static int failures;

#define RESULT(ok, ...) do { \
	bool ok_ = (ok); \
	printf("%s: ", ok_ ? "PASS" : "FAIL"); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	failures += !ok_; \
	fflush(stdout); \
} while (0)

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait up to ms for a reply: 1 and *m, 0 on EOF/reset, -1 on timeout. */
static int reply(int fd, int ms, Keel__AgentMessage **m)
{
	struct pollfd p = { fd, POLLIN, 0 };
	uint8_t *body;
	uint32_t len;

	*m = NULL;
	if (poll(&p, 1, ms) <= 0)
		return -1;
	if (frame_read_blocking(fd, 16u << 20, &body, &len) < 0)
		return 0;
	*m = keel__agent_message__unpack(NULL, len, body);
	free(body);
	return *m ? 1 : 0;
}

static bool closed_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char b[64];

	while (poll(&p, 1, ms) > 0) {
		ssize_t n = read(fd, b, sizeof(b));
		if (n <= 0)
			return true;
	}
	return false;
}

static void send_raw(int fd, const void *b, size_t n)
{
	if (fd_write_all(fd, b, n) < 0) { /* the agent may have closed: fine */ }
}

static void send_frame(int fd, const uint8_t *body, uint32_t len)
{
	uint8_t h[4];
	frame_put_len(h, len);
	send_raw(fd, h, 4);
	send_raw(fd, body, len);
}

static size_t pack_req(Keel__Request *r, uint8_t *out) { return keel__request__pack(r, out); }

static size_t health_req(uint64_t id, uint8_t *out)
{
	Keel__Request r = KEEL__REQUEST__INIT;
	Keel__HealthRequest h = KEEL__HEALTH_REQUEST__INIT;
	r.id = id;
	r.body_case = KEEL__REQUEST__BODY_HEALTH;
	r.health = &h;
	return pack_req(&r, out);
}

static bool health_ok(void)
{
	uint8_t b[64];
	Keel__AgentMessage *m;
	int fd = dial(), r;
	bool ok;

	if (fd < 0)
		return false;
	send_frame(fd, b, (uint32_t)health_req(77, b));
	r = reply(fd, 5000, &m);
	ok = r == 1 && m->kind_case == KEEL__AGENT_MESSAGE__KIND_RESPONSE && m->response->id == 77 &&
	     m->response->body_case == KEEL__RESPONSE__BODY_HEALTH;
	if (m)
		keel__agent_message__free_unpacked(m, NULL);
	close(fd);
	return ok;
}

static bool is_error(Keel__AgentMessage *m, uint64_t id, int code)
{
	return m && m->kind_case == KEEL__AGENT_MESSAGE__KIND_RESPONSE && m->response->id == id &&
	       m->response->error && m->response->error->code == code;
}

static long rss_kib(void)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", agent_pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int fd_count(void)
{
	char path[64];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", agent_pid);
	if (!(dir = opendir(path)))
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

static void check_lengths(void)
{
	Keel__AgentMessage *m;
	uint8_t hdr[4], *big;
	int fd, r;

	/* Length 0: an empty Request, answered "empty request". */
	fd = dial();
	send_raw(fd, "\0\0\0\0", 4);
	r = reply(fd, 3000, &m);
	RESULT(r == 1 && is_error(m, 0, EINVAL), "length 0: error response id 0 (empty request)");
	if (m) keel__agent_message__free_unpacked(m, NULL);
	close(fd);

	/* Exactly max: a Health request padded with an unknown field. */
	big = calloc(1, max_frame + 16);
	size_t n = health_req(5, big);
	size_t pad = max_frame - n;          /* tag(1) + varint len(3) + bytes */
	big[n] = (uint8_t)(((99 << 3 | 2) & 0x7f) | 0x80);
	big[n + 1] = 99 >> 4;                 /* tag 99, wire type 2, as a 2-byte varint */
	size_t plen = pad - 2 - 3;
	big[n + 2] = (uint8_t)(plen | 0x80);
	big[n + 3] = (uint8_t)((plen >> 7) | 0x80);
	big[n + 4] = (uint8_t)(plen >> 14);
	fd = dial();
	send_frame(fd, big, max_frame);
	r = reply(fd, 5000, &m);
	RESULT(r == 1 && m->response && m->response->id == 5 && m->response->body_case == KEEL__RESPONSE__BODY_HEALTH,
	       "length = max (%u) with an unknown field: answered", max_frame);
	if (m) keel__agent_message__free_unpacked(m, NULL);
	close(fd);
	free(big);

	uint32_t over[] = { max_frame + 1, 0xFFFFFFFFu };
	for (int i = 0; i < 2; i++) {
		fd = dial();
		frame_put_len(hdr, over[i]);
		send_raw(fd, hdr, 4);
		r = reply(fd, 3000, &m);
		RESULT(r == 1 && is_error(m, 0, EMSGSIZE) && closed_within(fd, 3000),
		       "length 0x%x: EMSGSIZE error id 0, then closed", over[i]);
		if (m) keel__agent_message__free_unpacked(m, NULL);
		close(fd);
	}
}

static void check_truncated(void)
{
	Keel__AgentMessage *m;
	uint8_t b[64];
	int fd;

	fd = dial();
	send_raw(fd, "\0\0", 2);
	shutdown(fd, SHUT_WR);
	RESULT(reply(fd, 3000, &m) == 0, "truncated header then EOF: closed, no reply");
	close(fd);
	fd = dial();
	size_t n = health_req(3, b);
	frame_put_len(b + 32, (uint32_t)n + 10);
	send_raw(fd, b + 32, 4);
	send_raw(fd, b, n);
	shutdown(fd, SHUT_WR);
	RESULT(reply(fd, 3000, &m) == 0, "truncated body then EOF: closed, no reply");
	close(fd);
}

static void check_garbage(void)
{
	Keel__AgentMessage *m;
	int fd, r;
	/* id 42, then a field with an impossible wire type. */
	static const uint8_t with_id[] = { 0x08, 42, 0x0f, 0xff, 0xff };
	static const uint8_t no_id[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	/* Request{id 9, version{major 1, unknown field 15 = 7}, unknown field 99 = "zz"} */
	static const uint8_t unknown[] = { 0x08, 9, 0x52, 4, 0x08, 1, 0x78, 7, 0x9a, 0x06, 2, 'z', 'z' };

	fd = dial();
	send_frame(fd, with_id, sizeof(with_id));
	r = reply(fd, 3000, &m);
	RESULT(r == 1 && is_error(m, 42, EINVAL), "garbage protobuf with an id: EINVAL for id 42");
	if (m) keel__agent_message__free_unpacked(m, NULL);
	close(fd);
	fd = dial();
	send_frame(fd, no_id, sizeof(no_id));
	RESULT(reply(fd, 3000, &m) == 0, "garbage protobuf without an id: connection closed");
	close(fd);
	fd = dial();
	send_frame(fd, unknown, sizeof(unknown));
	r = reply(fd, 3000, &m);
	RESULT(r == 1 && m->response && m->response->id == 9 && !m->response->error &&
	       m->response->body_case == KEEL__RESPONSE__BODY_VERSION,
	       "unknown fields are ignored: Version answered");
	if (m) keel__agent_message__free_unpacked(m, NULL);
	close(fd);
}

/* Valid requests of every kind (not SyncTime, and with harmless values),
 * then mutated: bit flips, byte changes, truncation, insertion. */
static size_t seed_frame(int k, uint8_t *out)
{
	Keel__Request r = KEEL__REQUEST__INIT;
	Keel__VersionRequest v = KEEL__VERSION_REQUEST__INIT;
	Keel__HealthRequest h = KEEL__HEALTH_REQUEST__INIT;
	Keel__ListPortsRequest l = KEEL__LIST_PORTS_REQUEST__INIT;
	Keel__MountRequest mo = KEEL__MOUNT_REQUEST__INIT;
	Keel__UnmountRequest u = KEEL__UNMOUNT_REQUEST__INIT;
	Keel__NetConfigRequest nc = KEEL__NET_CONFIG_REQUEST__INIT;
	char *dns[] = { (char *)"10.0.0.1" };

	r.id = 1000 + (uint64_t)k;
	switch (k % 6) {
	case 0: v.major = 1; v.client = (char *)"fuzz"; r.body_case = KEEL__REQUEST__BODY_VERSION; r.version = &v; break;
	case 1: r.body_case = KEEL__REQUEST__BODY_HEALTH; r.health = &h; break;
	case 2: r.body_case = KEEL__REQUEST__BODY_LIST_PORTS; r.list_ports = &l; break;
	case 3: mo.tag = (char *)"t"; mo.path = (char *)"/mnt/host/x"; r.body_case = KEEL__REQUEST__BODY_MOUNT; r.mount = &mo; break;
	case 4: u.path = (char *)"/mnt/host/x"; r.body_case = KEEL__REQUEST__BODY_UNMOUNT; r.unmount = &u; break;
	default: nc.interface = (char *)"lo"; nc.address = (char *)"127.0.0.9/8"; nc.n_dns = 1; nc.dns = dns;
		r.body_case = KEEL__REQUEST__BODY_NET_CONFIG; r.net_config = &nc; break;
	}
	return pack_req(&r, out);
}

static size_t mutate(uint8_t *b, size_t n, size_t cap, unsigned *s)
{
	int ops = 1 + (int)(rand_r(s) % 4);

	for (int i = 0; i < ops; i++) {
		switch (rand_r(s) % 5) {
		case 0: if (n) b[rand_r(s) % n] ^= (uint8_t)(1u << (rand_r(s) % 8)); break;
		case 1: if (n) b[rand_r(s) % n] = (uint8_t)rand_r(s); break;
		case 2: if (n) n = rand_r(s) % n; break;
		case 3: if (n < cap) { size_t at = n ? rand_r(s) % n : 0; memmove(b + at + 1, b + at, n - at); b[at] = (uint8_t)rand_r(s); n++; } break;
		default: if (n) b[rand_r(s) % n] = (uint8_t[]){ 0x00, 0x80, 0xff, 0x7f, 0x0a, 0x12 }[rand_r(s) % 6]; break;
		}
	}
	return n;
}

static void check_mutated(void)
{
	uint8_t b[512];
	unsigned s = 12345;
	int fd = dial(), answered = 0, closed = 0, silent = 0, health_fail = 0;
	long rss0 = 0, rss1;
	int fds0 = fd_count(), fds1;
	Keel__AgentMessage *m;

	for (int i = 0; i < 10000; i++) {
		size_t n = seed_frame(i, b);
		n = mutate(b, n, sizeof(b), &s);
		if (fd < 0)
			fd = dial();
		send_frame(fd, b, (uint32_t)n);
		int r = reply(fd, 3000, &m);
		if (r == 1)
			answered++;
		else if (r == 0) {
			closed++;     /* undecodable without an id: the agent hung up */
			close(fd);
			fd = -1;
		} else
			silent++;
		if (m)
			keel__agent_message__free_unpacked(m, NULL);
		if (i % 100 == 99 && !health_ok())
			health_fail++;
		if (i == 999)
			rss0 = rss_kib();   /* after warm-up: allocator arenas settled */
	}
	if (fd >= 0)
		close(fd);
	usleep(300000);
	rss1 = rss_kib();
	fds1 = fd_count();
	RESULT(silent == 0 && health_fail == 0 && kill(agent_pid, 0) == 0,
	       "10000 mutated frames: %d answered, %d closed (no id), %d unanswered; 100 Health calls, %d failed; agent alive",
	       answered, closed, silent, health_fail);
	RESULT(rss1 - rss0 < 1024, "RSS growth over 9000 mutated frames %ld KiB (< 1024)", rss1 - rss0);
	RESULT(fds1 <= fds0, "fd count back to baseline (%d -> %d)", fds0, fds1);
}

static void check_half_sent(int timeout_ms)
{
	int fds[256], closed = 0;
	uint8_t part[14];
	double t0;

	frame_put_len(part, 100);
	memset(part + 4, 0x08, 10);
	for (int i = 0; i < 256; i++) {
		fds[i] = dial();
		send_raw(fds[i], part, sizeof(part));
	}
	t0 = now_ms();
	RESULT(health_ok(), "Health answers while 256 half-sent frames are pending");
	for (int i = 0; i < 256; i++)
		closed += closed_within(fds[i], (int)(timeout_ms * 2.5 + 1000 - (now_ms() - t0)) > 0 ?
				       (int)(timeout_ms * 2.5 + 1000 - (now_ms() - t0)) : 1);
	double el = now_ms() - t0;
	RESULT(closed == 256, "256 half-sent frames dropped after the read deadline (%d closed in %.0f ms, deadline %d ms)",
	       closed, el, timeout_ms);
	RESULT(el >= timeout_ms * 0.9, "not dropped before the deadline (%.0f >= %d ms)", el, timeout_ms);
	for (int i = 0; i < 256; i++)
		close(fds[i]);
}

static void check_cap(int cap)
{
	int *fds = calloc((size_t)cap, sizeof(int)), extra, ok = 0;
	double t0;

	usleep(200000);   /* let the agent reap connections of the earlier checks */
	for (int i = 0; i < cap; i++)
		fds[i] = dial();
	/* The cap is reached when every one of ours is accepted: Version on each. */
	for (int i = 0; i < cap; i++) {
		uint8_t b[32];
		Keel__AgentMessage *m;
		Keel__Request r = KEEL__REQUEST__INIT;
		Keel__VersionRequest v = KEEL__VERSION_REQUEST__INIT;
		r.id = 1; r.body_case = KEEL__REQUEST__BODY_VERSION; r.version = &v;
		send_frame(fds[i], b, (uint32_t)pack_req(&r, b));
		ok += reply(fds[i], 3000, &m) == 1;
		if (m) keel__agent_message__free_unpacked(m, NULL);
	}
	extra = dial();
	t0 = now_ms();
	bool refused = extra < 0 || closed_within(extra, 1000);
	double el = now_ms() - t0;
	RESULT(ok == cap && refused && el < 500, "connection %d past the cap (%d) closed at once (%.0f ms)",
	       cap + 1, cap, el);
	if (extra >= 0)
		close(extra);
	close(fds[0]);
	usleep(100000);
	RESULT(health_ok(), "below the cap again: a new connection is served");
	for (int i = 1; i < cap; i++)
		close(fds[i]);
	free(fds);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: agent_badinput CTL PID MAX_FRAME CAP READ_TIMEOUT_MS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ctl = argv[1];
	agent_pid = atoi(argv[2]);
	max_frame = (uint32_t)strtoul(argv[3], NULL, 10);
	check_lengths();
	check_truncated();
	check_garbage();
	check_mutated();
	check_half_sent(atoi(argv[5]));
	check_cap(atoi(argv[4]));
	RESULT(kill(agent_pid, 0) == 0, "same agent process alive at the end");
	return 0;
}
