/* init/storage.c: see storage.h. */
#include "storage.h"
#include "shares.h"
#include "fd.h"
#include "spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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
		return DISK_OTHER;        /* nothing read: cannot call it zero */
	for (i = 0; i < len; i++)
		if (buf[i])
			return DISK_OTHER;
	return DISK_ZEROS;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t ext4_backup_block(unsigned log_block_size)
{
	uint64_t bs = 1024u << log_block_size;

	/* 1 KiB blocks: block 0 is the boot block, group 0 starts at block 1 */
	return 8 * bs + (log_block_size == 0);
}

/* The fields that say "group 1's copy, of a file system with these blocks":
 * s_log_block_size (24), s_blocks_per_group (32), s_magic (56),
 * s_block_group_nr (90). A false match only keeps a disk from mkfs. */
bool ext4_backup_valid(const unsigned char *sb, size_t len, unsigned log_block_size)
{
	return len >= 92 && sb[56] == 0x53 && sb[57] == 0xEF &&
	       le32(sb + 24) == log_block_size && le32(sb + 32) == 8u * (1024u << log_block_size) &&
	       sb[90] == 1 && sb[91] == 0;
}

static int fail(struct data_state *st, int err, const char *fmt, const char *arg)
{
	st->kind = DATA_ERROR;
	snprintf(st->error, sizeof(st->error), fmt, arg, strerror(err));
	return -err;
}

/* The disk is not formatted, and Health says why. */
static int refuse(struct data_state *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct data_state *st, int err, const char *fmt, ...)
{
	va_list ap;

	st->kind = DATA_ERROR;
	va_start(ap, fmt);
	vsnprintf(st->error, sizeof(st->error), fmt, ap);
	va_end(ap);
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

struct disk_probe {
	enum disk_content head;     /* the first 64 KiB */
	uint64_t ext4_backup;       /* block of an ext4 backup superblock, 0: none */
};

/* An ext4 whose first blocks were zeroed or overwritten still has its
 * backups: look for group 1's at each block size mke2fs picks. */
static int find_ext4_backup(int fd, uint64_t *block)
{
	unsigned char sb[EXT4_SB_BYTES];
	unsigned log;
	ssize_t n;

	*block = 0;
	for (log = 0; log <= 2; log++) {
		n = fd_pread_full(fd, (off_t)(ext4_backup_block(log) << (10 + log)), sb, sizeof(sb));
		if (n < 0)
			return (int)n;
		if (ext4_backup_valid(sb, (size_t)n, log)) {
			*block = ext4_backup_block(log);
			return 0;
		}
	}
	return 0;
}

static int probe(const char *dev, struct disk_probe *p)
{
	static unsigned char buf[DISK_PROBE_BYTES];
	ssize_t n;
	int r = 0, fd = open(dev, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = fd_pread_full(fd, 0, buf, sizeof(buf));
	if (n < 0)
		r = (int)n;
	else
		p->head = disk_classify(buf, (size_t)n);
	if (r == 0 && p->head != DISK_EXT4)
		r = find_ext4_backup(fd, &p->ext4_backup);
	close(fd);
	return r;
}

/* A wait status as a shell would show it. */
static int exit_code(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Run a tool; returns its exit code, or -errno when it could not run. */
static int run_tool(const char *const *argv)
{
	struct spawn_opts o = { .argv = argv, .envp = tool_env, .out_fd = STDERR_FILENO,
				.ready_fd = -1, .pass_fd = -1 };
	int status, r = spawn_wait(&o, &status);

	return r < 0 ? r : exit_code(status);
}

/* Run a tool and keep the first line of its output (printable, cut to cap);
 * returns its exit code, or -errno when it could not run. */
static int run_capture(const char *const *argv, char *line, size_t cap)
{
	struct spawn_opts o = { .argv = argv, .envp = tool_env, .ready_fd = -1, .pass_fd = -1 };
	char chunk[256];
	size_t len = 0;
	bool eol = false;
	int p[2], r, status = 0;
	ssize_t n, i;
	pid_t pid;

	line[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	o.out_fd = p[1];
	r = spawn(&o, &pid);
	close(p[1]);
	/* Read to EOF (the rest is dropped), so the tool never blocks on a
	 * full pipe; then reap it. */
	while ((n = read(p[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n && !eol; i++) {
			/* a newline or any other control or non-ASCII byte ends it */
			eol = chunk[i] < 0x20 || chunk[i] > 0x7e;
			if (!eol && len + 1 < cap)
				line[len++] = chunk[i];
		}
	}
	line[len] = '\0';
	close(p[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return r < 0 ? r : exit_code(status);
}

/* libblkid's verdict on dev (keel-blkid): 1 a signature, what names it; 0
 * none; < 0 the probe failed, what says why. */
static int signature(const char *blkid, const char *dev, char *what, size_t cap)
{
	const char *const argv[] = { blkid, dev, NULL };
	int r = run_capture(argv, what, cap);

	if (r < 0) {
		snprintf(what, cap, "cannot run %s: %s", blkid, strerror(-r));
		return r;
	}
	if (r == 0 || r == 2)
		return r == 0;
	if (!what[0])
		snprintf(what, cap, "%s exited %d", blkid, r);
	return -EIO;
}

static int format_disk(const char *dev, struct data_state *st, const char *action)
{
	const char *const mkfs[] = { MKFS_PATH, "-q", "-L", "keel-data", dev, NULL };
	int r = run_tool(mkfs);

	if (r < 0)
		return fail(st, -r, "cannot run " MKFS_PATH " on %s: %s", dev);
	if (r != 0)
		return refuse(st, EIO, "mkfs.ext4 %s exited %d", dev, r);
	st->action = action;
	return 0;
}

static int check_disk(const char *dev, struct data_state *st)
{
	const char *const fsck[] = { FSCK_PATH, "-p", dev, NULL };
	int r = run_tool(fsck);

	if (r < 0)
		return fail(st, -r, "cannot run " FSCK_PATH " on %s: %s", dev);
	if (r >= 4)      /* 1 and 2: errors corrected */
		return refuse(st, EIO, "e2fsck %s exited %d: needs manual repair", dev, r);
	st->action = r ? "checked, errors corrected" : "checked";
	return 0;
}

/* What to do with a disk: e2fsck an ext4; format only what is known to be
 * empty; refuse everything else with the reason. */
static int prepare_disk(const struct storage_cfg *cfg, struct data_state *st)
{
	const char *dev = cfg->device;
	struct disk_probe p = { DISK_OTHER, 0 };
	char what[96];
	int r;

	if ((r = probe(dev, &p)) < 0)
		return fail(st, -r, "cannot read %s: %s", dev);
	if (p.head == DISK_EXT4)
		return check_disk(dev, st);
	if (p.ext4_backup)
		return refuse(st, EMEDIUMTYPE, "%s: ext4 without its primary superblock; not "
			      "formatting it (e2fsck -b %llu repairs it)", dev,
			      (unsigned long long)p.ext4_backup);
	if (p.head == DISK_ZEROS && cfg->fresh)
		return format_disk(dev, st, "formatted, new from the host");
	r = signature(cfg->blkid, dev, what, sizeof(what));
	if (r > 0)
		return refuse(st, EMEDIUMTYPE, "%s holds %s; not formatting it", dev, what);
	if (p.head != DISK_ZEROS)
		return refuse(st, EMEDIUMTYPE, "%s holds something that is not ext4; not "
			      "formatting it", dev);
	if (r < 0)
		return refuse(st, EMEDIUMTYPE, "%s: no probe (%s); not formatting it", dev, what);
	return format_disk(dev, st, "formatted, no signature found");
}

int storage_setup(const struct storage_cfg *cfg, struct data_state *st)
{
	const char *device = cfg->device, *data_dir = cfg->data_dir;
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
	if ((r = prepare_disk(cfg, st)) < 0)
		return r;
	if (mount(device, data_dir, "ext4", MS_NOATIME, "") < 0)
		return fail(st, errno, "mount %s: %s", device);
	st->kind = DATA_DISK;
	return 0;
}
