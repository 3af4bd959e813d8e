/* engine/check.c: see settings.h. keel's rules check the shape of each key;
 * `dockerd --validate` (Engine 23 and later) then loads the merged file with
 * keel's own flags exactly as the real start will, so a combination dockerd
 * would refuse never reaches it: a bad settings file cannot keep dockerd
 * from starting. */
#include "settings.h"
#include "fd.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK_ARGV_MAX 64
#define CHECK_OUT_MAX 8192

/* The last non-empty line of out (dockerd's error), into msg. */
static void last_line(char *out, size_t n, char *msg, size_t len)
{
	char *end, *start, *file;

	out[n] = 0;
	end = out + n;
	while (end > out && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = 0;
	start = strrchr(out, '\n');
	start = start ? start + 1 : out;
	/* "unable to configure the Docker daemon with file PATH: WHY": the
	 * scratch path tells the user nothing */
	if ((file = strstr(start, " with file ")) && (file = strstr(file, ": ")))
		start = file + 2;
	snprintf(msg, len, "%s", *start ? start : "dockerd --validate failed without a message");
}

static void child(const char *const *argv, int out_fd)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

int check_dockerd(const char *const *dockerd_argv, const char *path, char *msg, size_t len)
{
	const char *argv[CHECK_ARGV_MAX + 3];
	char cfg[4096 + 16], out[CHECK_OUT_MAX + 1];
	size_t n = 0, i;
	int p[2], status;
	ssize_t r;
	pid_t pid;

	if (snprintf(cfg, sizeof(cfg), "--config-file=%s", path) >= (int)sizeof(cfg))
		return -ENAMETOOLONG;
	argv[n++] = dockerd_argv[0];
	argv[n++] = "--validate";
	argv[n++] = cfg;
	for (i = 1; dockerd_argv[i]; i++) {
		if (n == CHECK_ARGV_MAX + 2)
			return -E2BIG;
		argv[n++] = dockerd_argv[i];
	}
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0)
		child(argv, p[1]);
	close(p[1]);
	for (n = 0; n < CHECK_OUT_MAX; n += (size_t)r) {
		r = read(p[0], out + n, CHECK_OUT_MAX - n);
		if (r < 0 && errno == EINTR)
			r = 0;
		else if (r <= 0)
			break;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOEXEC;
	last_line(out, n, msg, len);
	return -EINVAL;
}

/* Write obj to scratch and ask dockerd; 0 also when dockerd cannot run (the
 * real start would fail the same way, and init reports that). */
static int verdict(json_t *obj, const char *const *argv, const char *scratch,
		   char *msg, size_t len)
{
	char *text = json_dumps(obj, JSON_INDENT(2));
	int r;

	if (!text)
		return 0;
	r = fd_write_file_atomic(scratch, text, strlen(text), 0644);
	free(text);
	if (r == 0)
		r = check_dockerd(argv, scratch, msg, len);
	unlink(scratch);
	return r == -EINVAL ? r : 0;
}

static json_t *checked(json_t *defaults, json_t *keys, json_t *notes,
		       const char *const *argv, const char *scratch, char *msg, size_t len)
{
	json_t *obj = merge_build(defaults, keys, notes);

	if (obj && argv && argv[0] && verdict(obj, argv, scratch, msg, len) < 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* Each key alone over the defaults: refuse those dockerd refuses. */
static void drop_failing(json_t *defaults, struct merge *m, const char *const *argv,
			 const char *scratch)
{
	char msg[REASON_MAX], why[REASON_MAX + 32];
	const char *key;
	json_t *value, *one, *obj;
	void *tmp;

	json_object_foreach_safe(m->accepted, tmp, key, value) {
		one = json_pack("{s:O}", key, value);
		obj = one ? checked(defaults, one, NULL, argv, scratch, msg, sizeof(msg)) : NULL;
		if (!obj && one) {
			snprintf(why, sizeof(why), "dockerd refuses it: %s", msg);
			merge_refuse(m, key, why);
			json_object_del(m->accepted, key);
		}
		json_decref(obj);
		json_decref(one);
	}
}

json_t *merge_decide(json_t *defaults, struct merge *m, const char *const *dockerd_argv,
		     const char *scratch)
{
	char msg[REASON_MAX], why[REASON_MAX + 64];
	const char *key;
	json_t *value, *obj;

	if (json_object_size(m->accepted) == 0)
		return merge_build(defaults, m->accepted, m->notes);
	obj = checked(defaults, m->accepted, NULL, dockerd_argv, scratch, msg, sizeof(msg));
	if (!obj) {
		drop_failing(defaults, m, dockerd_argv, scratch);
		obj = checked(defaults, m->accepted, NULL, dockerd_argv, scratch, msg, sizeof(msg));
	}
	if (!obj) {
		snprintf(why, sizeof(why), "dockerd refuses these keys together: %s", msg);
		json_object_foreach(m->accepted, key, value)
			merge_refuse(m, key, why);
		json_object_clear(m->accepted);
	}
	json_decref(obj);
	return merge_build(defaults, m->accepted, m->notes);
}
