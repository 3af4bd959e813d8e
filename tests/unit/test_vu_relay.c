/* tests/unit/test_vu_relay.c: keel-host's vhost-user relay (vu_relay.h)
 * between a fake QEMU and two fake backends on real unix sockets: messages
 * pass both ways; when the first backend dies, the second gets the journal
 * in QEMU's order, a running ring's base is the guest's used index read from
 * the memory table's fd, the replay asks for no acks and its replies stay
 * with the relay, and what QEMU sent meanwhile follows. */
#include "harness.h"
#include "host/keel-host/vu_relay.c"
#include "host/keel-vsock/vu_wire.c"
#include "host/keelctl/conn.c"
#include "host/keelctl/unix_listen.c"
#include "proto/frame.c"
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>

#define UVA 0x70000000ull
#define USED_OFF 0x2000u

struct fixture {
	char dir[64], front[128], back[128];
	int ep, qemu, back_l, memfd;
	struct vu_relay r;
};

static int listen_at(const char *path)
{
	struct sockaddr_un su;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	unlink(path);
	if (fd < 0 || sockaddr_from_path(path, &su) < 0 ||
	    bind(fd, (struct sockaddr *)&su, sizeof(su)) < 0 || listen(fd, 4) < 0)
		return -1;
	return fd;
}

static void put(int sock, uint32_t req, uint32_t flags, const void *p, uint32_t size,
		const int *fds, unsigned nfds)
{
	struct vu_hdr h = { req, VU_VERSION | flags, size };

	CHECK_EQ_INT(vu_send(sock, &h, p, fds, nfds), 0);
}

static void put_state(int sock, uint32_t req, uint32_t idx, uint32_t num)
{
	uint32_t s[2] = { idx, num };

	put(sock, req, 0, s, sizeof(s), NULL, 0);
}

static void put_fd(int sock, uint32_t req, uint64_t idx)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	put(sock, req, 0, &idx, sizeof(idx), &fd, 1);
	close(fd);
}

/* Read one message on sock: its request, flags, payload and fd count. */
static uint32_t take(int sock, uint32_t *flags, uint8_t *p, unsigned *nfds)
{
	struct vu_hdr h = { 0 };
	int fds[VU_MAX_FDS];

	CHECK_EQ_INT(vu_recv(sock, &h, p, VU_RELAY_PAYLOAD_MAX, fds, nfds), 0);
	for (unsigned i = 0; i < *nfds; i++) {
		struct stat st;
		CHECK(fstat(fds[i], &st) == 0);
		close(fds[i]);
	}
	*flags = h.flags;
	return h.request;
}

static void setup(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/vu-relay-XXXXXX");
	CHECK(mkdtemp(f->dir) != NULL);
	snprintf(f->front, sizeof(f->front), "%s/front", f->dir);
	snprintf(f->back, sizeof(f->back), "%s/back", f->dir);
	f->ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(f->ep >= 0);
	f->back_l = listen_at(f->back);
	CHECK(f->back_l >= 0);
	CHECK_EQ_INT(vu_relay_open(&f->r, "test", f->front, f->back, f->ep), 0);
	CHECK_EQ_INT(conn_unix(f->front, &f->qemu), 0);
	/* guest memory: 64 KiB, the used ring of ring 0 at USED_OFF, idx 5 */
	f->memfd = memfd_create("guest", MFD_CLOEXEC);
	CHECK(f->memfd >= 0 && ftruncate(f->memfd, 65536) == 0);
	uint16_t used_idx = 5;
	CHECK(pwrite(f->memfd, &used_idx, 2, USED_OFF + 2) == 2);
}

/* QEMU sets the device and ring 0 up, its memory with SET_MEM_TABLE or (a
 * backend with memory slots) ADD_MEM_REG; each message reaches backend b. */
static void set_up_device(struct fixture *f, int b, bool slots)
{
	uint32_t want[] = { VU_SET_OWNER, VU_SET_FEATURES, slots ? VU_ADD_MEM_REG : VU_SET_MEM_TABLE,
			    VU_SET_VRING_NUM, VU_SET_VRING_BASE, VU_SET_VRING_ADDR,
			    VU_SET_VRING_CALL, VU_SET_VRING_KICK, VU_SET_VRING_ENABLE };
	uint64_t features = 1ull << 32, mem[5] = { 1, 0, 65536, UVA, 0 };
	uint64_t addr[5] = { 0, UVA, UVA + USED_OFF, UVA + 0x1000, 0 };
	uint8_t p[VU_RELAY_PAYLOAD_MAX];
	uint32_t flags;
	unsigned nfds;

	put(f->qemu, VU_SET_OWNER, 0, NULL, 0, NULL, 0);
	put(f->qemu, VU_SET_FEATURES, 0, &features, 8, NULL, 0);
	/* nregions 1, padding; gpa 0, size 64 KiB, uva, mmap offset 0 */
	mem[0] = slots ? 0 : 1;   /* ADD_MEM_REG: a u64 of padding first */
	put(f->qemu, slots ? VU_ADD_MEM_REG : VU_SET_MEM_TABLE, VU_FLAG_NEED_REPLY, mem, 40,
	    &f->memfd, 1);
	put_state(f->qemu, VU_SET_VRING_NUM, 0, 256);
	put_state(f->qemu, VU_SET_VRING_BASE, 0, 0);
	put(f->qemu, VU_SET_VRING_ADDR, 0, addr, 40, NULL, 0);
	put_fd(f->qemu, VU_SET_VRING_CALL, 0);
	put_fd(f->qemu, VU_SET_VRING_KICK, 0);
	put_state(f->qemu, VU_SET_VRING_ENABLE, 0, 1);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK(vu_relay_ready(&f->r, f->r.front));
		CHECK_EQ_INT(take(b, &flags, p, &nfds), want[i]);
	}
	CHECK(flags == VU_VERSION);
}

/* QEMU connects (the relay dials the backend: accepted here) and asks for
 * the features; the backend's answer reaches QEMU. The backend's fd. */
static int connect_and_ask_features(struct fixture *f)
{
	uint8_t p[VU_RELAY_PAYLOAD_MAX];
	uint64_t feat = 0x1234;
	uint32_t flags;
	unsigned nfds;
	int b;

	CHECK(vu_relay_ready(&f->r, f->r.lfd));
	CHECK((b = accept(f->back_l, NULL, NULL)) >= 0);
	put(f->qemu, VU_GET_FEATURES, 0, NULL, 0, NULL, 0);
	CHECK(vu_relay_ready(&f->r, f->r.front));
	CHECK_EQ_INT(take(b, &flags, p, &nfds), VU_GET_FEATURES);
	put(b, VU_GET_FEATURES, VU_FLAG_REPLY, &feat, 8, NULL, 0);
	CHECK(vu_relay_ready(&f->r, f->r.back));
	CHECK_EQ_INT(take(f->qemu, &flags, p, &nfds), VU_GET_FEATURES);
	CHECK(flags & VU_FLAG_REPLY);
	CHECK(memcmp(p, &feat, 8) == 0);
	return b;
}

TEST(relay_passes_messages_and_replies)
{
	struct fixture f;
	int b;

	setup(&f);
	b = connect_and_ask_features(&f);
	set_up_device(&f, b, false);
	CHECK(!vu_relay_ready(&f.r, 12345));          /* not its fd */
	close(b);
	close(f.qemu);
	CHECK(vu_relay_ready(&f.r, f.r.front));       /* QEMU gone: all closed */
	CHECK_EQ_INT(f.r.front, -1);
	CHECK_EQ_INT(f.r.back, -1);
	vu_relay_close(&f.r);
	close(f.back_l);
	close(f.memfd);
	close(f.ep);
	rmdir(f.dir);
}

/* A prime function's message comes between the device and the memory. */
static int prime_calls;
static int test_prime(struct vu_relay *r)
{
	uint32_t cfg[3] = { 0, 0, 0 };

	prime_calls++;
	return vu_relay_send(r, VU_SET_CONFIG, cfg, sizeof(cfg), NULL, 0);
}

static void replay_case(bool slots)
{
	/* the memory as one table either way; the prime's message before it */
	static const uint32_t order[] = { VU_SET_OWNER, VU_GET_FEATURES, VU_SET_FEATURES,
					  VU_SET_CONFIG, VU_SET_MEM_TABLE, VU_SET_VRING_NUM,
					  VU_SET_VRING_BASE, VU_SET_VRING_ADDR, VU_SET_VRING_CALL,
					  VU_SET_VRING_KICK, VU_SET_VRING_ENABLE, VU_GET_CONFIG };
	static const unsigned fds_of[] = { 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0 };
	struct fixture f;
	uint8_t p[VU_RELAY_PAYLOAD_MAX];
	uint32_t flags, cfg[3] = { 0, 8, 0 }, base[2];
	uint64_t feat = 0x1234;
	unsigned nfds;
	int b1, b2;

	setup(&f);
	f.r.prime = test_prime;
	prime_calls = 0;
	b1 = connect_and_ask_features(&f);
	CHECK_EQ_INT(prime_calls, 0);                 /* a first session is the guest's own */
	set_up_device(&f, b1, slots);

	/* the backend dies; QEMU asks something meanwhile */
	close(b1);
	CHECK(vu_relay_ready(&f.r, f.r.back));
	CHECK_EQ_INT(f.r.back, -1);
	put(f.qemu, VU_GET_CONFIG, 0, cfg, 12, NULL, 0);
	CHECK(vu_relay_ready(&f.r, f.r.front));
	CHECK_EQ_INT(f.r.n_pending, 1);

	/* the next backend: the relay dials it when its retry is due */
	close(f.back_l);
	f.back_l = listen_at(f.back);
	CHECK(f.back_l >= 0);
	usleep((RETRY_MS + 20) * 1000);
	CHECK_EQ_INT(vu_relay_timeout(&f.r), -1);
	CHECK(f.r.back >= 0);
	CHECK((b2 = accept(f.back_l, NULL, NULL)) >= 0);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		CHECK_MSG(take(b2, &flags, p, &nfds) == order[i], "message %zu", i);
		CHECK_MSG(nfds == fds_of[i], "message %zu: %u fds", i, nfds);
		CHECK_MSG(!(flags & VU_FLAG_NEED_REPLY), "message %zu asks for a reply", i);
		if (order[i] == VU_SET_MEM_TABLE) {
			uint64_t t[5];
			memcpy(t, p, sizeof(t));
			CHECK_MSG(t[0] == 1 && t[1] == 0 && t[2] == 65536 && t[3] == UVA,
				  "the table: %llu regions", (unsigned long long)t[0]);
		}
		if (order[i] == VU_SET_VRING_BASE) {
			memcpy(base, p, sizeof(base));
			CHECK_EQ_INT(base[0], 0);
			CHECK_EQ_INT(base[1], 5);   /* the guest's used index, not QEMU's 0 */
		}
	}
	/* the replay's reply stays with the relay; GET_CONFIG's goes to QEMU */
	put(b2, VU_GET_FEATURES, VU_FLAG_REPLY, &feat, 8, NULL, 0);
	CHECK(vu_relay_ready(&f.r, f.r.back));
	put(b2, VU_GET_CONFIG, VU_FLAG_REPLY, cfg, 12, NULL, 0);
	CHECK(vu_relay_ready(&f.r, f.r.back));
	CHECK_EQ_INT(take(f.qemu, &flags, p, &nfds), VU_GET_CONFIG);
	CHECK_EQ_INT(f.r.n_pending, 0);
	CHECK_EQ_INT(prime_calls, 1);

	/* a stopped ring (GET_VRING_BASE) is not started again by a replay */
	put_state(f.qemu, VU_GET_VRING_BASE, 0, 0);
	CHECK(vu_relay_ready(&f.r, f.r.front));
	CHECK_EQ_INT(take(b2, &flags, p, &nfds), VU_GET_VRING_BASE);
	CHECK(!f.r.ring[0][RING_KICK].used);
	CHECK_EQ_INT(f.r.n_mem, 1);                   /* the memory stays */

	close(b2);
	close(f.qemu);
	vu_relay_close(&f.r);
	close(f.back_l);
	close(f.memfd);
	close(f.ep);
	rmdir(f.dir);
}

/* The backend dies owing QEMU answers: a GET goes to the next backend, a
 * stopped ring's base and an ack the relay gives itself. */
TEST(relay_settles_what_a_dead_backend_owed)
{
	struct fixture f;
	uint8_t p[VU_RELAY_PAYLOAD_MAX];
	uint32_t flags, cfg[3] = { 0, 8, 0 }, st[2], num[2] = { 0, 256 };
	uint64_t pf = 1ull << 3, ack;   /* REPLY_ACK */
	unsigned nfds;
	int b1, b2;

	setup(&f);
	b1 = connect_and_ask_features(&f);
	put(f.qemu, VU_SET_PROTOCOL_FEATURES, 0, &pf, 8, NULL, 0);
	CHECK(vu_relay_ready(&f.r, f.r.front));
	CHECK_EQ_INT(take(b1, &flags, p, &nfds), VU_SET_PROTOCOL_FEATURES);
	set_up_device(&f, b1, false);

	/* asked, then the backend dies without answering */
	put(f.qemu, VU_GET_CONFIG, 0, cfg, 12, NULL, 0);
	CHECK(vu_relay_ready(&f.r, f.r.front));
	CHECK_EQ_INT(take(b1, &flags, p, &nfds), VU_GET_CONFIG);
	close(b1);
	CHECK(vu_relay_ready(&f.r, f.r.back));
	CHECK_EQ_INT(f.r.n_pending, 1);              /* for the next backend */

	/* meanwhile the device is stopped, and an acked set-up message comes */
	put_state(f.qemu, VU_GET_VRING_BASE, 0, 0);
	CHECK(vu_relay_ready(&f.r, f.r.front));
	CHECK_EQ_INT(take(f.qemu, &flags, p, &nfds), VU_GET_VRING_BASE);
	memcpy(st, p, sizeof(st));
	CHECK_EQ_INT(st[1], 5);                      /* the guest's used index */
	put(f.qemu, VU_SET_VRING_NUM, VU_FLAG_NEED_REPLY, num, sizeof(num), NULL, 0);
	CHECK(vu_relay_ready(&f.r, f.r.front));
	CHECK_EQ_INT(take(f.qemu, &flags, p, &nfds), VU_SET_VRING_NUM);
	memcpy(&ack, p, sizeof(ack));
	CHECK_EQ_INT(ack, 0);
	CHECK_EQ_INT(f.r.n_pending, 1);

	/* the next backend answers the GET after the replay */
	close(f.back_l);
	f.back_l = listen_at(f.back);
	usleep((RETRY_MS + 20) * 1000);
	vu_relay_timeout(&f.r);
	CHECK((b2 = accept(f.back_l, NULL, NULL)) >= 0);
	uint32_t req;
	unsigned replies = 0;
	while ((req = take(b2, &flags, p, &nfds)) != VU_GET_CONFIG)
		replies += vu_has_reply(req);            /* the replay's GET_FEATURES */
	for (unsigned i = 0; i < replies; i++) {
		put(b2, VU_GET_FEATURES, VU_FLAG_REPLY, &pf, 8, NULL, 0);
		CHECK(vu_relay_ready(&f.r, f.r.back));
	}
	put(b2, VU_GET_CONFIG, VU_FLAG_REPLY, cfg, 12, NULL, 0);
	CHECK(vu_relay_ready(&f.r, f.r.back));
	CHECK_EQ_INT(take(f.qemu, &flags, p, &nfds), VU_GET_CONFIG);
	CHECK(!f.r.owed.due);

	close(b2);
	close(f.qemu);
	vu_relay_close(&f.r);
	close(f.back_l);
	close(f.memfd);
	close(f.ep);
	rmdir(f.dir);
}

TEST(relay_replays_to_a_new_backend) { replay_case(false); }
TEST(relay_replays_memory_slots_as_one_table) { replay_case(true); }

RUN_TESTS(RUN(relay_passes_messages_and_replies); RUN(relay_replays_to_a_new_backend);
	  RUN(relay_replays_memory_slots_as_one_table); RUN(relay_settles_what_a_dead_backend_owed))
