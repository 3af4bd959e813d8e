/* Unit tests of keel-init's status file format, disk classification, the
 * bounded service log, spawn's exec-error report and the timeline. */
#include "harness.h"
#include "init/status.c"
#include "init/storage.c"
#include "init/shares.c"
#include "init/services.c"
#include "init/spawn.c"
#include "init/svclog.c"
#include "init/timeline.c"
#include <stdlib.h>
#include <sys/stat.h>

static char dir[] = "/tmp/keel-unit.XXXXXX";

TEST(status_format_lines)
{
	static struct supervisor s;
	static const char *const argv[] = { "/bin/true", NULL };
	struct service_def d[2] = { { .name = "agent", .argv = argv }, { .name = "dockerd", .argv = argv } };
	struct data_state data = { .kind = DATA_ERROR, .device = "/dev/vdb",
				   .error = "e2fsck /dev/vdb exited 8: needs repair" };
	struct share_cfg sc = { .tag = "src", .path = "/mnt/host/src" };
	struct share_state sh = { .cfg = &sc, .fstype = "virtiofs", .mounted = false,
				  .message = "mount: No such device" };
	struct status_view v = { .pid = 1, .boot_ms = 812, .data = &data, .shares = &sh,
				 .nshares = 1, .sup = &s };
	char buf[2048];
	int n;

	services_init(&s, d, 2, -1, NULL, "", true, "");
	s.svcs[0].state = SVC_READY;
	s.svcs[0].pid = 42;
	s.svcs[0].restarts = 2;
	strcpy(s.svcs[0].last_exit, "signal:9");
	s.svcs[1].state = SVC_FAILED;
	strcpy(s.svcs[1].reason, "needs /var/lib");
	n = status_format(&v, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ_STR(buf,
		"init 1 812\n"
		"data error /dev/vdb\n"
		"data_error e2fsck_/dev/vdb_exited_8:_needs_repair\n"
		"share src /mnt/host/src virtiofs error mount:_No_such_device\n"
		"service agent ready 42 2 signal:9\n"
		"service dockerd failed 0 0 -\n"
		"service_error dockerd needs_/var/lib\n");
	CHECK_EQ_INT(status_format(&v, buf, 40), -ENOSPC);
	data.kind = DATA_EPHEMERAL;
	data.device[0] = '\0';
	v.nshares = 0;
	v.sup = NULL;
	status_format(&v, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "init 1 812\ndata ephemeral -\n");
}

TEST(classify)
{
	static unsigned char buf[DISK_PROBE_BYTES];

	memset(buf, 0, sizeof(buf));
	CHECK_EQ_INT(disk_classify(buf, sizeof(buf)), DISK_ZEROS);
	CHECK_EQ_INT(disk_classify(buf, 0), DISK_OTHER);
	buf[EXT4_MAGIC_OFFSET] = 0x53;
	buf[EXT4_MAGIC_OFFSET + 1] = 0xEF;
	CHECK_EQ_INT(disk_classify(buf, sizeof(buf)), DISK_EXT4);
	CHECK_EQ_INT(disk_classify(buf, EXT4_MAGIC_OFFSET + 1), DISK_OTHER);  /* short read */
	buf[EXT4_MAGIC_OFFSET + 1] = 0;
	CHECK_EQ_INT(disk_classify(buf, sizeof(buf)), DISK_OTHER);
	memset(buf, 0, sizeof(buf));
	buf[sizeof(buf) - 1] = 1;                /* data anywhere in the probe: not zero */
	CHECK_EQ_INT(disk_classify(buf, sizeof(buf)), DISK_OTHER);
}

/* Group 1's backup superblock as mke2fs writes it (dumpe2fs: "Backup
 * superblock at 8193" for 1 KiB blocks, 32768 for 4 KiB). */
TEST(ext4_backup)
{
	unsigned char sb[EXT4_SB_BYTES];
	unsigned log;

	CHECK_EQ_INT(ext4_backup_block(0), 8193);
	CHECK_EQ_INT(ext4_backup_block(1), 16384);
	CHECK_EQ_INT(ext4_backup_block(2), 32768);
	for (log = 0; log <= 2; log++) {
		uint32_t per_group = 8u * (1024u << log);

		memset(sb, 0, sizeof(sb));
		sb[24] = (unsigned char)log;
		memcpy(sb + 32, &per_group, 4);          /* little-endian host */
		sb[56] = 0x53, sb[57] = 0xEF, sb[90] = 1;
		CHECK(ext4_backup_valid(sb, sizeof(sb), log));
		CHECK(!ext4_backup_valid(sb, 91, log));          /* short read */
		CHECK(!ext4_backup_valid(sb, sizeof(sb), (log + 1) % 3)); /* other block size */
		sb[90] = 0;                              /* the primary, not group 1's copy */
		CHECK(!ext4_backup_valid(sb, sizeof(sb), log));
		sb[90] = 1, sb[57] = 0;
		CHECK(!ext4_backup_valid(sb, sizeof(sb), log));
	}
}

/* The probe helper's first line comes back printable and bounded; the rest
 * is read and dropped; the exit code is the tool's. */
TEST(capture_first_line)
{
	static const char *const two[] = { "/bin/sh", "-c", "echo 'btrfs (filesystem)'; echo more; exit 2", NULL };
	static const char *const ctl[] = { "/bin/sh", "-c", "printf 'ab\033[2Jcd'", NULL };
	static const char *const big[] = { "/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x", NULL };
	static const char *const none[] = { "/nonexistent/keel-blkid", NULL };
	char line[16];

	CHECK_EQ_INT(run_capture(two, line, sizeof(line)), 2);
	CHECK_EQ_STR(line, "btrfs (filesyst");
	CHECK_EQ_INT(run_capture(ctl, line, sizeof(line)), 0);
	CHECK_EQ_STR(line, "ab");
	CHECK_EQ_INT(run_capture(big, line, sizeof(line)), 0);   /* no deadlock on a full pipe */
	CHECK_EQ_STR(line, "xxxxxxxxxxxxxxx");
	CHECK_EQ_INT(run_capture(none, line, sizeof(line)), -ENOENT);
	CHECK_EQ_INT(signature("/nonexistent/keel-blkid", "/dev/null", line, sizeof(line)), -ENOENT);
}

TEST(log_rotation)
{
	struct svclog l;
	char path[128], line[100];
	struct stat st;
	int i;

	CHECK_EQ_INT(svclog_init(&l, dir, "svc", -1), 0);
	l.max_bytes = 1000;
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (i = 0; i < 25; i++)
		svclog_write(&l, line, sizeof(line));
	svclog_close(&l);
	snprintf(path, sizeof(path), "%s/svc.log", dir);
	CHECK(stat(path, &st) == 0 && st.st_size <= 1000 && st.st_size > 0);
	CHECK_EQ_INT(st.st_size, 500);     /* 25 lines: 10 in .1 (rotated twice), 5 here */
	snprintf(path, sizeof(path), "%s/svc.log.1", dir);
	CHECK(stat(path, &st) == 0 && st.st_size == 1000);
	/* A single chunk bigger than the limit keeps its tail only. */
	svclog_init(&l, dir, "big", -1);
	l.max_bytes = 100;
	{
		char chunk[300];
		memset(chunk, 'a', sizeof(chunk));
		chunk[299] = 'z';
		svclog_write(&l, chunk, sizeof(chunk));
	}
	svclog_close(&l);
	snprintf(path, sizeof(path), "%s/big.log", dir);
	CHECK(stat(path, &st) == 0 && st.st_size == 100);
}

TEST(spawn_reports)
{
	static const char *const ok[] = { "/bin/sh", "-c", "exit 7", NULL };
	static const char *const missing[] = { "/nonexistent/prog", NULL };
	static const char *const env[] = { NULL };
	struct spawn_opts o = { .argv = ok, .envp = env, .out_fd = -1, .ready_fd = -1, .pass_fd = -1 };
	int status = -1;
	pid_t pid;

	CHECK_EQ_INT(spawn_wait(&o, &status), 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	o.argv = missing;
	CHECK_EQ_INT(spawn(&o, &pid), -ENOENT);
	CHECK(pid > 0);
	waitpid(pid, NULL, 0);
}

TEST(timeline_marks)
{
	char buf[64], path[128];
	FILE *f;
	char name[64];
	unsigned long long ms;
	int i;

	timeline_mark("init");
	timeline_mark("with space");
	CHECK(timeline_get("init") > 0);
	CHECK(timeline_get("with_space") > 0);
	CHECK_EQ_INT(timeline_get("nope"), 0);
	for (i = 0; i < TIMELINE_MAX + 5; i++)
		timeline_mark("many");
	timeline_summary(buf, sizeof(buf));      /* cut at a mark boundary */
	CHECK(strncmp(buf, "init=", 5) == 0);
	CHECK(buf[strlen(buf) - 1] >= '0' && buf[strlen(buf) - 1] <= '9');
	snprintf(path, sizeof(path), "%s/timeline", dir);
	CHECK_EQ_INT(timeline_write(path), 0);
	f = fopen(path, "r");
	CHECK(f && fscanf(f, "%63s %llu", name, &ms) == 2);
	CHECK_EQ_STR(name, "init");
	if (f)
		fclose(f);
}

TEST(mkdir_parents)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c/", dir);
	CHECK_EQ_INT(mkdir_p(path, 0755), 0);
	CHECK_EQ_INT(mkdir_p(path, 0755), 0);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(status_format_lines); RUN(classify); RUN(ext4_backup); RUN(capture_first_line);
	RUN(log_rotation); RUN(spawn_reports);
	RUN(timeline_marks); RUN(mkdir_parents);
	{
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return harness_failed ? 1 : 0;
}
