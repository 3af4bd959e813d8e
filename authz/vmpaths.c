/* authz/vmpaths.c: see vmpaths.h. */
#include "vmpaths.h"
#include "mountpoint.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool tail_ok(const char *t)
{
	const char *c, *end;
	size_t len;

	if (!*t)
		return true;
	for (c = t + 1;; c = end + 1) {
		end = strchr(c, '/');
		len = end ? (size_t)(end - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && !strncmp(c, "..", 2)))
			return false;
		if (!end)
			return true;
	}
}

int vm_resolve(const char *path, char *out, size_t cap)
{
	char buf[PATH_MAX], real[PATH_MAX];
	size_t n = strlen(path), cut = n;
	struct stat st;
	char *slash;

	if (path[0] != '/' || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, n + 1);
	while (!realpath(buf, real)) {
		if (errno != ENOENT)
			return -errno;
		if (lstat(buf, &st) == 0)
			return -ELOOP;      /* a dangling symlink: where would it lead? */
		slash = strrchr(buf, '/');
		cut = (size_t)(slash - buf);
		if (slash == buf)
			strcpy(buf, "/");
		else
			*slash = '\0';
	}
	if (!tail_ok(path + cut))
		return -EINVAL;
	if ((size_t)snprintf(out, cap, "%s%s", strcmp(real, "/") || !path[cut] ? real : "",
			     path + cut) >= cap)
		return -ENAMETOOLONG;
	return 0;
}

static bool at_or_below(const char *path, const char *mnt)
{
	size_t n = strlen(mnt);

	if (!strcmp(mnt, "/"))
		return true;
	return !strncmp(path, mnt, n) && (path[n] == '\0' || path[n] == '/');
}

/* "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - virtiofs tag rw" */
static bool share_line(char *line, const char *path)
{
	char *mnt = NULL, *sep, *fstype, *save = NULL, *tok;
	int i;

	sep = strstr(line, " - ");
	if (!sep)
		return false;
	*sep = '\0';
	fstype = strtok_r(sep + 3, " ", &save);
	if (!fstype || (strcmp(fstype, "virtiofs") && strcmp(fstype, "9p")))
		return false;
	save = NULL;
	for (i = 0, tok = strtok_r(line, " ", &save); tok && i < 4; i++)
		tok = strtok_r(NULL, " ", &save);
	mnt = tok;
	if (!mnt)
		return false;
	mount_path_unescape(mnt);
	return at_or_below(path, mnt);
}

bool vm_on_share_in(const char *mountinfo, const char *path)
{
	char line[8192];
	bool found = false;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = share_line(line, path);
	fclose(f);
	return found;
}

bool vm_on_share(const char *path)
{
	return vm_on_share_in("/proc/self/mountinfo", path);
}
