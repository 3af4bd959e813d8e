/* tests/progs/init_svc.c: a configurable service for keel-init's host tests.
 * Appends "EVENT NAME MONO_MS PID" lines to --events FILE (one write each,
 * O_APPEND, so lines of several services interleave whole).
 *
 *   --name N           name used in events (default svc)
 *   --events FILE      where events go
 *   --report FILE      write SigBlk/SigIgn, the open fds, argv and env first
 *   --exit CODE        exit right after starting
 *   --ready-after MS   then write "ready\n" to $KEEL_READY_FD
 *   --listen PATH      bind and listen on a unix socket after --listen-after MS
 *   --ignore-term      log SIGTERM but keep running
 *   --term-delay MS    on SIGTERM wait this long before exiting
 *   --orphans N        make N double-forked orphans (each exits after 200 ms)
 *   --print TEXT       print TEXT on stdout and stderr at start
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *name = "svc", *events;
static volatile sig_atomic_t got_term;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void event(const char *what)
{
	char line[256];
	int fd, n;

	if (!events)
		return;
	n = snprintf(line, sizeof(line), "%s %s %lld %d\n", what, name, now_ms(), (int)getpid());
	fd = open(events, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			perror("write");
		close(fd);
	}
}

/* The fd list is taken first, before this program opens anything. */
extern char **environ;

static void report(const char *path, int argc, char **argv)
{
	char **e;
	char fds[512] = "fds:", line[256];
	size_t off = 4;
	FILE *in, *out;
	int fd;

	for (fd = 0; fd < 1024 && off < sizeof(fds) - 8; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			off += (size_t)snprintf(fds + off, sizeof(fds) - off, " %d", fd);
	in = fopen("/proc/self/status", "re");
	out = fopen(path, "we");
	if (!in || !out)
		exit(3);
	while (fgets(line, sizeof(line), in))
		if (!strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7))
			fputs(line, out);
	fclose(in);
	fprintf(out, "%s\n", fds);
	fputs("argv:", out);
	for (fd = 1; fd < argc; fd++)
		fprintf(out, " %s", argv[fd]);
	fputs("\n", out);
	for (e = environ; *e; e++)
		fprintf(out, "env: %s\n", *e);
	fclose(out);
}

static void orphans(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0) {
			perror("fork");
			exit(4);
		}
		if (p == 0) {
			if (fork() == 0) {
				usleep(200000);   /* outlive the middle process */
				_exit(0);
			}
			_exit(0);
		}
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
	}
	event("orphans");
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		perror("listen");
		exit(5);
	}
	return fd;
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

int main(int argc, char **argv)
{
	long long start, ready_at = -1, listen_at = -1, term_at = -1;
	int i, exit_code = -1, norphans = 0, ignore_term = 0, term_delay = 0;
	const char *listen_path = NULL, *report_path = NULL, *print = NULL;
	struct sigaction sa = { .sa_handler = on_term };
	int listen_after = 0, ready_after = -1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(a, "--ignore-term")) { ignore_term = 1; continue; }
		if (!strcmp(a, "--name")) name = v;
		else if (!strcmp(a, "--events")) events = v;
		else if (!strcmp(a, "--report")) report_path = v;
		else if (!strcmp(a, "--exit")) exit_code = atoi(v);
		else if (!strcmp(a, "--ready-after")) ready_after = atoi(v);
		else if (!strcmp(a, "--listen")) listen_path = v;
		else if (!strcmp(a, "--listen-after")) listen_after = atoi(v);
		else if (!strcmp(a, "--term-delay")) term_delay = atoi(v);
		else if (!strcmp(a, "--orphans")) norphans = atoi(v);
		else if (!strcmp(a, "--print")) print = v;
		else if (!strcmp(a, "--net")) (void)v;   /* what init adds for keel.ip */
		else { fprintf(stderr, "unknown option %s\n", a); return 2; }
		i++;
	}
	if (report_path)
		report(report_path, argc, argv);
	start = now_ms();
	event("start");
	if (print) {
		printf("%s (stdout)\n", print);
		fflush(stdout);
		fprintf(stderr, "%s (stderr)\n", print);
	}
	if (exit_code >= 0) {
		event("exit");
		return exit_code;
	}
	sigaction(SIGTERM, &sa, NULL);
	if (norphans)
		orphans(norphans);
	if (ready_after >= 0)
		ready_at = start + ready_after;
	if (listen_path)
		listen_at = start + listen_after;
	for (;;) {
		long long t = now_ms();
		if (ready_at >= 0 && t >= ready_at) {
			const char *fd = getenv("KEEL_READY_FD");
			event("ready");
			if (!fd || write(atoi(fd), "ready\n", 6) != 6)
				event("ready-failed");
			ready_at = -1;
		}
		if (listen_at >= 0 && t >= listen_at) {
			listen_unix(listen_path);
			event("ready");
			listen_at = -1;
		}
		if (got_term && term_at < 0) {
			event("term");
			got_term = 0;
			if (!ignore_term)
				term_at = t + term_delay;
		}
		if (term_at >= 0 && t >= term_at) {
			event("exit");
			return 0;
		}
		poll(NULL, 0, 5);
	}
}
