/* host/keel-host/engine_files.c: dockerd settings from the host
 * (engine_files.h). */
#include "engine_files.h"
#include "errmsg.h"
#include "child.h"
#include "fd.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WARNING "keel-engine-settings: warning: "

/* Append the file at path to fd; 0 or -errno. */
static int copy_into(int fd, const char *path)
{
	char buf[65536];
	ssize_t n;
	int in = open(path, O_RDONLY | O_CLOEXEC), e = 0;

	if (in < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if ((e = fd_write_all(fd, buf, (size_t)n)) < 0)
			break;
	if (n < 0)
		e = -errno;
	close(in);
	return e;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* dir's *.crt files, then its *.pem files, in name order, into fd */
static int copy_certs(int fd, const char *dir)
{
	static const char *const kinds[] = { ".crt", ".pem" };
	char path[PATH_MAX];
	struct dirent **list;
	struct stat st;
	int n = scandir(dir, &list, NULL, by_name), e = 0;

	if (n < 0)
		return -errno;
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < n && e == 0; i++)
			if (ends_with(list[i]->d_name, kinds[k]) &&
			    snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name) < (int)sizeof(path) &&
			    stat(path, &st) == 0 && S_ISREG(st.st_mode))
				e = copy_into(fd, path);
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return e;
}

/* The copy at dst of the settings file or of the CA certificates; removed
 * when empty. true when there is one. */
static bool make_copy(const char *dst, const char *src, bool dir, int *e)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct stat st;

	if (fd < 0) {
		*e = -errno;
		return false;
	}
	*e = dir ? copy_certs(fd, src) : copy_into(fd, src);
	close(fd);
	if (*e == 0 && stat(dst, &st) == 0 && st.st_size > 0)
		return true;
	unlink(dst);
	return false;
}

/* The check's warnings name the copies: say the user's files instead. */
static void say_warnings(char *out, const char *copy, const char *src, const char *prefix, char *all,
			 size_t cap)
{
	all[0] = 0;
	for (char *save = NULL, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w = strstr(line, WARNING), *at, msg[1024];
		if (!w)
			continue;
		w += strlen(WARNING);
		if (src && (at = strstr(w, copy)))
			snprintf(msg, sizeof(msg), "%.*s%s%s", (int)(at - w), w, src, at + strlen(copy));
		else
			snprintf(msg, sizeof(msg), "%s", w);
		if (strlen(all) + strlen(msg) + 3 < cap)
			sprintf(all + strlen(all), "%s%s", all[0] ? "; " : "", msg);
		if (prefix)
			machine_say("%s%s", prefix, msg);
	}
}

static int check(struct machine *m, const char *settings, const char *ca, char *err, size_t n)
{
	char defaults[PATH_MAX], out_json[PATH_MAX], status_json[PATH_MAX], health[PATH_MAX],
	     ca_dir[PATH_MAX], out[16384], all[2048], prefix[PATH_MAX + 32];
	const char *src = m->c->engine_settings;
	int status = 0, e, rc;

	if (access(m->engine_bin, X_OK) < 0) {
		machine_say("warning: %s missing (make): engine settings not checked on the host", m->engine_bin);
		return 0;
	}
	snprintf(defaults, sizeof(defaults), "%s/rootfs/files/etc/docker/daemon.json", m->c->top);
	machine_path(m, "engine-check.json", out_json, sizeof(out_json));
	machine_path(m, "engine-status.json", status_json, sizeof(status_json));
	machine_path(m, "engine-status.pb", health, sizeof(health));
	machine_path(m, "engine-ca", ca_dir, sizeof(ca_dir));
	char *argv[] = { m->engine_bin, "--no-check", "--defaults", defaults, "--settings", (char *)settings,
			 "--ca", (char *)ca, "--out", out_json, "--status", status_json, "--health", health,
			 "--ca-dir", ca_dir, NULL };
	e = child_run(argv, out, sizeof(out), &status);
	unlink(out_json), unlink(health);
	for (DIR *d = opendir(ca_dir); d; d = NULL) {   /* the checked bundle, not needed */
		struct dirent *de;
		char p[PATH_MAX * 2];
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' && snprintf(p, sizeof(p), "%s/%s", ca_dir, de->d_name) > 0)
				unlink(p);
		closedir(d);
		rmdir(ca_dir);
	}
	if (e < 0)
		return errmsg(err, n, "engine settings: cannot run %s: %s", m->engine_bin, strerror(-e));
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	snprintf(prefix, sizeof(prefix), "engine settings %s: ", src ? src : "");
	say_warnings(out, settings, src, rc == 3 ? NULL : prefix, all, sizeof(all));
	if (rc == 3)
		return errmsg(err, n, "engine settings: %s", all);
	if (rc != 0 && rc != 1)
		return errmsg(err, n, "engine settings: %s failed (%d)", m->engine_bin, rc);
	return 0;
}

int engine_files(struct machine *m, char *err, size_t n)
{
	const char *src = m->c->engine_settings, *ca = m->c->engine_ca;
	char settings[PATH_MAX], bundle[PATH_MAX];
	bool have_settings = false, have_ca = false;
	struct stat st;
	int e = 0;

	if (!machine_path(m, "engine.json", settings, sizeof(settings)) ||
	    !machine_path(m, "engine-ca.pem", bundle, sizeof(bundle)))
		return errmsg(err, n, "state dir path too long");
	unlink(settings), unlink(bundle);
	if (src && (m->c->engine_settings_explicit || access(src, F_OK) == 0)) {
		if (stat(src, &st) < 0 || !S_ISREG(st.st_mode) || access(src, R_OK) < 0)
			return errmsg(err, n, "engine settings %s: not a readable file", src);
		have_settings = make_copy(settings, src, false, &e);
		if (e < 0)
			return errmsg(err, n, "engine settings %s: cannot copy it: %s", src, strerror(-e));
	}
	if (ca && stat(ca, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
		have_ca = make_copy(bundle, ca, S_ISDIR(st.st_mode), &e);
		if (e < 0)
			return errmsg(err, n, "engine CA certificates %s: cannot read them: %s", ca, strerror(-e));
	} else if (ca && m->c->engine_ca_explicit) {
		return errmsg(err, n, "engine CA certificates %s: no such file or directory", ca);
	}
	if (!have_settings && !have_ca)
		return 0;
	if (check(m, settings, bundle, err, n) < 0)
		return -1;
	if (have_settings) {
		argv_add(&m->qemu, "-fw_cfg"), argv_addf(&m->qemu, "name=opt/keel/engine,file=%s", settings);
		machine_say("engine settings from %s (the VM checks and merges them; health shows the result)", src);
	}
	if (have_ca) {
		argv_add(&m->qemu, "-fw_cfg"), argv_addf(&m->qemu, "name=opt/keel/ca,file=%s", bundle);
		machine_say("extra CA certificates from %s", ca);
	}
	return 0;
}
