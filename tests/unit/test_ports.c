/* tests/unit/test_ports.c: the sock_diag reply parser, sorting and
 * deduplication, port_set_diff, and the /proc owner walk (on a fake /proc
 * tree and on the real one). */
#include "harness.h"
#include "agent/sockdiag.c"
#include "agent/port_owner.c"
#include "agent/ports.c"
#include "fd.h"
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[SOCKDIAG_BUF_SIZE] __attribute__((aligned(8)));
static size_t buflen;

/* Append one SOCK_DIAG_BY_FAMILY message to buf. */
static struct nlmsghdr *put_sock(int family, uint8_t state, const char *addr, uint16_t sport,
				 uint16_t dport, uint32_t inode)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + buflen);
	struct inet_diag_msg *m;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = (uint8_t)family;
	m->idiag_state = state;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	m->idiag_inode = inode;
	m->idiag_uid = 1000;
	inet_pton(family, addr, m->id.idiag_src);
	mnl_attr_put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
	buflen += nlh->nlmsg_len;
	return nlh;
}

static void put_done(int err)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + buflen);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(err)), &err, sizeof(err));
	buflen += nlh->nlmsg_len;
}

static int parse(enum port_transport t, int family, struct sockdiag_vec *v)
{
	struct sockdiag_ctx ctx = { .out = v, .transport = t, .family = family };

	return sockdiag_parse(buf, buflen, 0, 0, &ctx);
}

TEST(parse_tcp_listeners)
{
	struct sockdiag_vec v = { 0 };

	buflen = 0;
	put_sock(AF_INET, TCP_LISTEN, "0.0.0.0", 80, 0, 11);
	put_sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 80, 5555, 12);   /* not a listener */
	put_sock(AF_INET, TCP_LISTEN, "127.0.0.1", 8080, 0, 13);
	CHECK_EQ_INT(parse(PORT_TCP, AF_INET, &v), 1);   /* no DONE yet: read more */
	CHECK_EQ_INT(v.n, 2);
	if (v.n == 2) {
		CHECK_EQ_STR(v.v[0].address, "0.0.0.0");
		CHECK_EQ_INT(v.v[0].port, 80);
		CHECK_EQ_INT(v.v[0].inode, 11);
		CHECK_EQ_INT(v.v[0].uid, 1000);
		CHECK_EQ_INT(v.v[0].pid, 0);
		CHECK_EQ_INT(v.v[0].transport, PORT_TCP);
		CHECK_EQ_STR(v.v[1].address, "127.0.0.1");
	}
	buflen = 0;
	put_done(0);
	CHECK_EQ_INT(parse(PORT_TCP, AF_INET, &v), 0);
	sockdiag_vec_free(&v);
}

TEST(parse_udp_bound_only)
{
	struct sockdiag_vec v = { 0 };
	struct nlmsghdr *nlh;

	buflen = 0;
	put_sock(AF_INET6, TCP_CLOSE, "::", 53, 0, 21);
	put_sock(AF_INET6, TCP_CLOSE, "fe80::1", 5353, 0, 22);
	put_sock(AF_INET6, TCP_CLOSE, "::1", 4000, 53, 23);          /* connected */
	put_sock(AF_INET6, TCP_ESTABLISHED, "::1", 4001, 53, 24);    /* connected */
	put_sock(AF_INET6, TCP_CLOSE, "::", 0, 0, 25);               /* no port */
	nlh = put_sock(AF_INET6, TCP_CLOSE, "::1", 6000, 0, 26);
	mnl_attr_put_u8(nlh, INET_DIAG_SKV6ONLY, 1);
	buflen += MNL_ALIGN(sizeof(struct nlattr) + 1);
	put_done(0);
	CHECK_EQ_INT(parse(PORT_UDP, AF_INET6, &v), 0);
	CHECK_EQ_INT(v.n, 3);
	if (v.n == 3) {
		CHECK_EQ_STR(v.v[0].address, "::");
		CHECK_EQ_INT(v.v[0].v6only, 0);
		CHECK_EQ_STR(v.v[1].address, "fe80::1");
		CHECK_EQ_INT(v.v[2].port, 6000);
		CHECK_EQ_INT(v.v[2].v6only, 1);
		CHECK_EQ_INT(v.v[2].transport, PORT_UDP);
	}
	sockdiag_vec_free(&v);
}

TEST(parse_rejects_malformed)
{
	struct sockdiag_vec v = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *a;

	/* payload shorter than struct inet_diag_msg */
	buflen = 0;
	nlh = put_sock(AF_INET, TCP_LISTEN, "0.0.0.0", 80, 0, 1);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 8;
	buflen = nlh->nlmsg_len;
	CHECK_EQ_INT(parse(PORT_TCP, AF_INET, &v), -EBADMSG);
	CHECK_EQ_INT(v.n, 0);

	/* family other than the one asked for */
	buflen = 0;
	put_sock(AF_INET6, TCP_LISTEN, "::", 80, 0, 1);
	CHECK_EQ_INT(parse(PORT_TCP, AF_INET, &v), -EPROTO);

	/* an attribute too short for its type */
	buflen = 0;
	nlh = put_sock(AF_INET6, TCP_LISTEN, "::", 80, 0, 1);
	a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	a->nla_type = INET_DIAG_SKV6ONLY;
	a->nla_len = sizeof(*a);
	nlh->nlmsg_len += sizeof(*a);
	buflen = nlh->nlmsg_len;
	CHECK_EQ_INT(parse(PORT_TCP, AF_INET6, &v), -EBADMSG);
	CHECK_EQ_INT(v.n, 0);

	/* an attribute running past the message: ignored by mnl_attr_parse's
	 * bounds, never read */
	buflen = 0;
	nlh = put_sock(AF_INET, TCP_LISTEN, "0.0.0.0", 81, 0, 2);
	a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len - 8);
	a->nla_len = 200;
	CHECK(parse(PORT_TCP, AF_INET, &v) < 0 || v.n <= 1);

	/* kernel errors: NLMSG_ERROR and an error in NLMSG_DONE */
	buflen = 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	((struct nlmsgerr *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct nlmsgerr)))->error = -EPERM;
	buflen = nlh->nlmsg_len;
	CHECK_EQ_INT(parse(PORT_TCP, AF_INET, &v), -EPERM);
	buflen = 0;
	put_done(-ENOMEM);
	CHECK_EQ_INT(parse(PORT_TCP, AF_INET, &v), -ENOMEM);
	/* a truncated NLMSG_ERROR */
	buflen = 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	mnl_nlmsg_put_extra_header(nlh, 4);
	buflen = nlh->nlmsg_len;
	CHECK_EQ_INT(parse(PORT_TCP, AF_INET, &v), -EBADMSG);
	sockdiag_vec_free(&v);
}

static struct port_entry mk(enum port_transport t, const char *addr, uint16_t port, uint64_t inode)
{
	struct port_entry e = { .transport = t, .port = port, .inode = inode };

	snprintf(e.address, sizeof(e.address), "%s", addr);
	return e;
}

TEST(sort_and_dedup)
{
	struct port_entry in[] = {
		mk(PORT_UDP, "0.0.0.0", 53, 5), mk(PORT_TCP, "::", 443, 4),
		mk(PORT_TCP, "0.0.0.0", 443, 3), mk(PORT_TCP, "0.0.0.0", 443, 3),
		mk(PORT_TCP, "0.0.0.0", 22, 9), mk(PORT_TCP, "0.0.0.0", 443, 2),
	};
	struct sockdiag_vec v = { .n = 6, .cap = 6 };
	size_t i;

	v.v = malloc(sizeof(in));
	memcpy(v.v, in, sizeof(in));
	ports_sort_unique(&v);
	CHECK_EQ_INT(v.n, 5);
	for (i = 1; i < v.n; i++)
		CHECK(port_entry_cmp(&v.v[i - 1], &v.v[i]) < 0);
	CHECK_EQ_INT(v.v[0].port, 22);
	CHECK_EQ_INT(v.v[1].inode, 2);
	CHECK_EQ_INT(v.v[2].inode, 3);
	CHECK_EQ_STR(v.v[3].address, "::");
	CHECK_EQ_INT(v.v[4].transport, PORT_UDP);
	sockdiag_vec_free(&v);
}

struct diff_log {
	char s[512];
};

static void on_diff(void *ctx, enum port_change c, const struct port_entry *e)
{
	struct diff_log *d = ctx;
	size_t n = strlen(d->s);

	snprintf(d->s + n, sizeof(d->s) - n, "%c%s:%u/%llu ", c == PORT_ADDED ? '+' : '-',
		 e->transport == PORT_TCP ? "tcp" : "udp", e->port, (unsigned long long)e->inode);
}

TEST(diff_is_a_merge)
{
	struct port_entry a[] = {
		mk(PORT_TCP, "0.0.0.0", 22, 1), mk(PORT_TCP, "0.0.0.0", 80, 2),
		mk(PORT_TCP, "::", 80, 3), mk(PORT_UDP, "0.0.0.0", 53, 4),
	};
	struct port_entry b[] = {
		mk(PORT_TCP, "0.0.0.0", 22, 1), mk(PORT_TCP, "0.0.0.0", 80, 7),
		mk(PORT_TCP, "0.0.0.0", 8080, 8), mk(PORT_UDP, "0.0.0.0", 53, 4),
		mk(PORT_UDP, "0.0.0.0", 67, 9),
	};
	struct port_set pa = { a, 4 }, pb = { b, 5 }, empty = { NULL, 0 };
	struct diff_log d = { "" };

	b[0].pid = 42;     /* the owner is not part of a socket's identity */
	port_set_diff(&pa, &pb, on_diff, &d);
	CHECK_EQ_STR(d.s, "-tcp:80/2 +tcp:80/7 -tcp:80/3 +tcp:8080/8 +udp:67/9 ");
	d.s[0] = '\0';
	port_set_diff(&pa, &pa, on_diff, &d);
	CHECK_EQ_STR(d.s, "");
	port_set_diff(&empty, &pa, on_diff, &d);
	CHECK_EQ_STR(d.s, "+tcp:22/1 +tcp:80/2 +tcp:80/3 +udp:53/4 ");
	d.s[0] = '\0';
	port_set_diff(&pb, &empty, on_diff, &d);
	CHECK_EQ_STR(d.s, "-tcp:22/1 -tcp:80/7 -tcp:8080/8 -udp:53/4 -udp:67/9 ");
}

/* A fake /proc: pid 1 "alpha" holds socket 100, pid 2 is a kernel thread
 * (no exe) whose fd must not be read, pid 3 "beta" holds 200. */
static char fake[64];

static void mkfake(void)
{
	char p[256];

	snprintf(fake, sizeof(fake), "/tmp/keel-fakeproc.XXXXXX");
	CHECK(mkdtemp(fake) != NULL);
#define P(...) (snprintf(p, sizeof(p), __VA_ARGS__), p)
	mkdir(P("%s/1", fake), 0755);
	mkdir(P("%s/1/fd", fake), 0755);
	CHECK(symlink("/bin/alpha", P("%s/1/exe", fake)) == 0);
	CHECK(symlink("socket:[100]", P("%s/1/fd/3", fake)) == 0);
	CHECK(symlink("pipe:[100]", P("%s/1/fd/4", fake)) == 0);
	CHECK(symlink("socket:[100x]", P("%s/1/fd/5", fake)) == 0);
	CHECK(symlink("/dev/null", P("%s/1/fd/6", fake)) == 0);
	fd_write_file_atomic(P("%s/1/comm", fake), "alpha\n", 6, 0644);
	mkdir(P("%s/2", fake), 0755);
	mkdir(P("%s/2/fd", fake), 0755);
	CHECK(symlink("socket:[300]", P("%s/2/fd/3", fake)) == 0);
	fd_write_file_atomic(P("%s/2/comm", fake), "kthreadd\n", 9, 0644);
	mkdir(P("%s/3", fake), 0755);
	mkdir(P("%s/3/fd", fake), 0755);
	CHECK(symlink("/bin/beta", P("%s/3/exe", fake)) == 0);
	CHECK(symlink("socket:[200]", P("%s/3/fd/0", fake)) == 0);
	fd_write_file_atomic(P("%s/3/comm", fake), "a-very-long-command-name\n", 25, 0644);
	mkdir(P("%s/self", fake), 0755);
#undef P
}

TEST(owner_fake_proc)
{
	struct port_owner q[] = { { .inode = 100 }, { .inode = 200 }, { .inode = 300 } };
	struct port_owner_cursor cur = { 0, 0 };
	char cmd[128];

	mkfake();
	CHECK_EQ_INT(port_owner_resolve(fake, q, 3, 1000, &cur), 0);
	CHECK_EQ_INT(q[0].pid, 1);
	CHECK_EQ_STR(q[0].comm, "alpha");
	CHECK_EQ_INT(q[1].pid, 3);
	CHECK_EQ_STR(q[1].comm, "a-very-long-com");   /* 15 bytes, like comm */
	CHECK_EQ_INT(q[2].pid, 0);                     /* only a kernel thread has it */
	CHECK_EQ_INT(port_owner_resolve("/nonexistent", q, 3, 1000, &cur), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fake);
	CHECK(system(cmd) == 0);
}

TEST(owner_real_proc_bounded)
{
	struct port_owner q[6];
	struct port_owner_cursor cur = { 0, 0 };
	int fds[6], i, r = -EAGAIN, calls = 0, partial = 0;
	char comm[16] = "";
	struct stat st;
	FILE *f;

	for (i = 0; i < 6; i++) {
		fds[i] = socket(i % 2 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CHECK(fds[i] >= 0 && fstat(fds[i], &st) == 0);
		q[i] = (struct port_owner){ .inode = st.st_ino };
	}
	qsort(q, 6, sizeof(q[0]), ports_owner_cmp);
	f = fopen("/proc/self/comm", "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	/* Two fd links per call: the walk must make progress through the
	 * cursor and find all of ours in a bounded number of calls. */
	while (r == -EAGAIN && calls < 1000000) {
		r = port_owner_resolve("/proc", q, 6, 2, &cur);
		calls++;
		partial += r == -EAGAIN;
	}
	CHECK_EQ_INT(r, 0);
	CHECK(partial > 0);
	for (i = 0; i < 6; i++) {
		CHECK_EQ_INT(q[i].pid, getpid());
		CHECK_EQ_STR(q[i].comm, comm);
	}
	for (i = 0; i < 6; i++)
		close(fds[i]);
}

/* The fast path on the real /proc: the first probe of this process reads
 * its whole fd table; after that, with 200 sockets known, a socket opened
 * in place of a closed one and one opened on top are each found by reading
 * only the fds that can have changed (far fewer than the table). */
TEST(owner_probe_reads_only_changed_fds)
{
	struct port_fdmap fm = { .pid = (uint32_t)getpid() };
	struct port_owner q[1];
	uint64_t stable[200];
	int fds[200], i, nfd = 200, extra;
	size_t budget = 100000, before;
	struct stat st;

	for (i = 0; i < nfd; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CHECK(fds[i] >= 0 && fstat(fds[i], &st) == 0);
		stable[i] = st.st_ino;
	}
	qsort(stable, nfd, sizeof(stable[0]), ports_u64_cmp);
	q[0] = (struct port_owner){ .inode = 1 };   /* nobody's: builds the map */
	CHECK_EQ_INT(port_owner_probe("/proc", &fm, q, 1, stable, nfd, &budget), 0);
	CHECK(fm.valid && fm.n >= (size_t)nfd);
	CHECK(budget <= 100000 - (size_t)nfd);

	/* Reuse the number of a closed socket (lowest free fd). */
	fstat(fds[100], &st);
	for (i = 0; i < nfd; i++)
		if (stable[i] == st.st_ino)
			stable[i] = 0;                      /* gone from the listing */
	qsort(stable, nfd, sizeof(stable[0]), ports_u64_cmp);
	close(fds[100]);
	fds[100] = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fds[100] >= 0 && fstat(fds[100], &st) == 0);
	q[0] = (struct port_owner){ .inode = st.st_ino };
	before = budget;
	CHECK_EQ_INT(port_owner_probe("/proc", &fm, q, 1, stable, nfd, &budget), 1);
	CHECK_EQ_INT(q[0].pid, getpid());
	CHECK(before - budget < 100);

	/* A new fd above the others. */
	extra = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(extra >= 0 && fstat(extra, &st) == 0);
	q[0] = (struct port_owner){ .inode = st.st_ino };
	before = budget;
	CHECK_EQ_INT(port_owner_probe("/proc", &fm, q, 1, stable, nfd, &budget), 1);
	CHECK_EQ_INT(q[0].pid, getpid());
	CHECK(before - budget < 100);

	/* A process that is not there. */
	port_fdmap_free(&fm);
	fm.pid = 0x7ffffff0;
	CHECK_EQ_INT(port_owner_probe("/proc", &fm, q, 1, stable, nfd, &budget), -ESRCH);
	close(extra);
	for (i = 0; i < nfd; i++)
		close(fds[i]);
}

TEST(socket_link_syntax)
{
	uint64_t ino = 0;

	CHECK(port_owner_socket_inode("socket:[42]", 11, &ino) && ino == 42);
	CHECK(!port_owner_socket_inode("socket:[]", 9, &ino));
	CHECK(!port_owner_socket_inode("socket:[-1]", 11, &ino));
	CHECK(!port_owner_socket_inode("socket:[42", 10, &ino));
	CHECK(!port_owner_socket_inode("socket:[99999999999999999999]", 30, &ino));
	CHECK(!port_owner_socket_inode("anon_inode:[eventfd]", 20, &ino));
}

RUN_TESTS(RUN(parse_tcp_listeners); RUN(parse_udp_bound_only); RUN(parse_rejects_malformed);
	  RUN(sort_and_dedup); RUN(diff_is_a_merge); RUN(owner_fake_proc);
	  RUN(owner_real_proc_bounded); RUN(owner_probe_reads_only_changed_fds);
	  RUN(socket_link_syntax))
