/* common/mountpoint.c: see mountpoint.h. */
#include "mountpoint.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define MP_PATH_MAX 4096

static const char *const system_trees[] = {
	"/proc", "/sys", "/dev", "/run", "/etc", "/usr", "/var", "/boot",
	"/bin", "/sbin", "/lib", "/lib64",
};

static bool canonical(const char *p)
{
	const char *c, *end;
	size_t len;

	if (p[0] != '/' || !p[1])
		return false;
	for (c = p + 1;; c = end + 1) {
		end = strchr(c, '/');
		len = end ? (size_t)(end - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!end)
			return true;
	}
}

static bool at_or_below(const char *path, const char *tree)
{
	size_t n = strlen(tree);

	return strncmp(path, tree, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool share_path_allowed(const char *path)
{
	size_t i;

	if (strlen(path) >= MP_PATH_MAX || !canonical(path))
		return false;
	for (i = 0; i < sizeof(system_trees) / sizeof(system_trees[0]); i++)
		if (at_or_below(path, system_trees[i]))
			return false;
	return true;
}

int mkdir_p(const char *path, unsigned mode)
{
	char tmp[MP_PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		if (i < n)
			tmp[i] = '/';
	}
	return 0;
}

/* 1 empty, 0 not, or -errno. */
static int dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* The deepest existing directory of path (a proper ancestor) into buf. */
static int existing_ancestor(const char *path, char *buf, size_t cap)
{
	struct stat sb;
	char *slash;
	size_t n = strlen(path);

	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (;;) {
		slash = strrchr(buf, '/');
		if (slash == buf) {
			buf[1] = '\0';
			return 0;         /* "/" always exists */
		}
		*slash = '\0';
		if (stat(buf, &sb) == 0)
			return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
		if (errno != ENOENT)
			return -errno;
	}
}

static bool read_only(const char *path)
{
	struct statvfs v;

	return statvfs(path, &v) == 0 && (v.f_flag & ST_RDONLY);
}

/* A tmpfs on an empty directory of the read-only image, with its mode (so
 * /root stays 0700), to make directories in. */
static int cover(const char *dir)
{
	char opts[32];
	struct stat sb;
	int r;

	if ((r = dir_empty(dir)) <= 0)
		return r < 0 ? r : -ENOTEMPTY;
	if (stat(dir, &sb) < 0)
		return -errno;
	snprintf(opts, sizeof(opts), "mode=%04o", (unsigned)(sb.st_mode & 07777));
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return -errno;
	return 0;
}

/* The existing path itself: only an empty directory may take a mount. */
static int check_existing(const char *path)
{
	struct stat sb;
	int r;

	if (lstat(path, &sb) < 0)
		return -errno;
	if (!S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	r = dir_empty(path);
	return r < 0 ? r : r ? 0 : -ENOTEMPTY;
}

int mountpoint_prepare(const char *path, char *covered, size_t cap)
{
	char anc[MP_PATH_MAX];
	int r;

	if (cap)
		covered[0] = '\0';
	if (!share_path_allowed(path))
		return -EINVAL;
	r = check_existing(path);
	if (r != -ENOENT)
		return r;
	if ((r = existing_ancestor(path, anc, sizeof(anc))) < 0)
		return r;
	if (read_only(anc)) {
		if (strcmp(anc, "/") == 0)
			return -EROFS;
		if ((r = cover(anc)) < 0)
			return r;
		if (cap && strlen(anc) < cap)
			strcpy(covered, anc);
	}
	return mkdir_p(path, 0755);
}

const char *mountpoint_error(int err)
{
	switch (err) {
	case -EINVAL: return "not a place for a share (a system directory, or not a canonical absolute path)";
	case -ENOTEMPTY: return "it, or the image directory it would be made in, has content";
	case -EROFS: return "the image has no empty directory to hold it (docs/shares.md lists them)";
	default: return strerror(-err);
	}
}

void mount_path_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}
