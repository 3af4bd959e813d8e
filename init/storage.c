/* init/storage.c: see storage.h. */
#include "storage.h"
#include "shares.h"
#include "spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MKFS_PATH "/sbin/mkfs.ext4"
#define FSCK_PATH "/sbin/e2fsck"
#define DEVICE_POLL_MS 50

static const char *const tool_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

const char *data_kind_name(enum data_kind k)
{
	switch (k) {
	case DATA_DISK: return "disk";
	case DATA_ERROR: return "error";
	case DATA_PENDING: return "pending";
	default: return "ephemeral";
	}
}

enum disk_content disk_classify(const unsigned char *buf, size_t len)
{
	size_t i;

	if (len >= EXT4_MAGIC_OFFSET + 2 &&
	    buf[EXT4_MAGIC_OFFSET] == 0x53 && buf[EXT4_MAGIC_OFFSET + 1] == 0xEF)
		return DISK_EXT4;
	if (len == 0)
		return DISK_OTHER;        /* nothing read: cannot call it blank */
	for (i = 0; i < len; i++)
		if (buf[i])
			return DISK_OTHER;
	return DISK_BLANK;
}

static int fail(struct data_state *st, int err, const char *fmt, const char *arg)
{
	st->kind = DATA_ERROR;
	snprintf(st->error, sizeof(st->error), fmt, arg, strerror(err));
	return -err;
}

/* virtio disks can appear after init starts: poll briefly (bounded). */
static int wait_for_device(const char *dev)
{
	struct timespec ts = { 0, DEVICE_POLL_MS * 1000000L };
	struct stat sb;
	int waited;

	for (waited = 0;; waited += DEVICE_POLL_MS) {
		if (stat(dev, &sb) == 0)
			return S_ISBLK(sb.st_mode) ? 0 : -ENOTBLK;
		if (errno != ENOENT || waited >= DEVICE_WAIT_MS)
			return -errno;
		nanosleep(&ts, NULL);
	}
}

static int probe(const char *dev, enum disk_content *out)
{
	static unsigned char buf[DISK_PROBE_BYTES];
	size_t len = 0;
	ssize_t n;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < sizeof(buf)) {
		n = pread(fd, buf + len, sizeof(buf) - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*out = disk_classify(buf, len);
	return 0;
}

/* Run a tool; returns its exit code, or -errno when it could not run. */
static int run_tool(const char *const *argv)
{
	struct spawn_opts o = { .argv = argv, .envp = tool_env, .out_fd = STDERR_FILENO,
				.ready_fd = -1 };
	int status, r = spawn_wait(&o, &status);

	if (r < 0)
		return r;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int prepare_disk(const char *dev, struct data_state *st)
{
	const char *const mkfs[] = { MKFS_PATH, "-q", "-L", "keel-data", dev, NULL };
	const char *const fsck[] = { FSCK_PATH, "-p", dev, NULL };
	enum disk_content c = DISK_OTHER;
	char code[16];
	int r;

	if ((r = probe(dev, &c)) < 0)
		return fail(st, -r, "cannot read %s: %s", dev);
	switch (c) {
	case DISK_BLANK:
		r = run_tool(mkfs);
		if (r < 0)
			return fail(st, -r, "cannot run " MKFS_PATH " on %s: %s", dev);
		if (r != 0) {
			snprintf(code, sizeof(code), "%d", r);
			st->kind = DATA_ERROR;
			snprintf(st->error, sizeof(st->error), "mkfs.ext4 %s exited %s", dev, code);
			return -EIO;
		}
		st->action = "formatted";
		return 0;
	case DISK_EXT4:
		r = run_tool(fsck);
		if (r < 0)
			return fail(st, -r, "cannot run " FSCK_PATH " on %s: %s", dev);
		if (r >= 4) {    /* 1 and 2: errors corrected */
			st->kind = DATA_ERROR;
			snprintf(st->error, sizeof(st->error),
				 "e2fsck %s exited %d: needs manual repair", dev, r);
			return -EIO;
		}
		st->action = r ? "checked, errors corrected" : "checked";
		return 0;
	default:
		st->kind = DATA_ERROR;
		snprintf(st->error, sizeof(st->error),
			 "%s holds something that is not ext4; not formatting it", dev);
		return -EMEDIUMTYPE;
	}
}

int storage_setup(const char *device, const char *data_dir, struct data_state *st)
{
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = mkdir_p(data_dir, 0755)) < 0)
		return fail(st, -r, "cannot create %s: %s", data_dir);
	if (!device[0]) {
		st->kind = DATA_EPHEMERAL;
		if (mount("tmpfs", data_dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
			return fail(st, errno, "tmpfs on %s: %s", data_dir);
		return 0;
	}
	snprintf(st->device, sizeof(st->device), "%s", device);
	if ((r = wait_for_device(device)) < 0)
		return fail(st, -r, "data disk %s: %s", device);
	if ((r = prepare_disk(device, st)) < 0)
		return r;
	if (mount(device, data_dir, "ext4", MS_NOATIME, "") < 0)
		return fail(st, errno, "mount %s: %s", device);
	st->kind = DATA_DISK;
	return 0;
}
