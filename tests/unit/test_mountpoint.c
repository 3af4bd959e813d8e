/* Unit tests: common/mountpoint.c, where a share may go and how its mount
 * point is made (the read-only-root case runs in the VM: tests/vm/share_user.sh). */
#include "mountpoint.h"
#include <errno.h>
#include "harness.h"
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/keel-unit-mp-XXXXXX";

TEST(allowed_paths)
{
	CHECK(share_path_allowed("/home/alice/src"));
	CHECK(share_path_allowed("/root/project"));
	CHECK(share_path_allowed("/tmp/x"));
	CHECK(share_path_allowed("/mnt/host/work"));
	CHECK(share_path_allowed("/Users/bob"));
	CHECK(share_path_allowed("/work/main"));
	CHECK(share_path_allowed("/variable"));         /* not /var */
	CHECK(share_path_allowed("/usrdata/x"));        /* not /usr */
}

TEST(refused_paths)
{
	static const char *const bad[] = {
		"/", "", "relative/path", "/home//a", "/home/./a", "/home/../etc", "/home/a/",
		"/proc", "/proc/1", "/sys/fs", "/dev/shm/x", "/run/keel", "/etc", "/etc/docker",
		"/usr/local/src", "/var/lib/docker", "/var", "/boot/x", "/bin", "/lib64/x",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(!share_path_allowed(bad[i]), "%s allowed", bad[i]);
}

TEST(prepare_on_writable_fs)
{
	char p[512], covered[64] = "x", f[600], g[512];

	snprintf(p, sizeof(p), "%s/a/b/c", dir);
	CHECK_EQ_INT(mountpoint_prepare(p, covered, sizeof(covered)), 0);
	CHECK_EQ_STR(covered, "");                /* /tmp is writable: nothing covered */
	CHECK(access(p, F_OK) == 0);
	CHECK_EQ_INT(mountpoint_prepare(p, covered, sizeof(covered)), 0);   /* empty: fine again */
	snprintf(f, sizeof(f), "%s/file", p);
	CHECK(fclose(fopen(f, "w")) == 0);
	CHECK_EQ_INT(mountpoint_prepare(p, covered, sizeof(covered)), -ENOTEMPTY);
	CHECK_EQ_INT(mountpoint_prepare(f, covered, sizeof(covered)), -ENOTDIR);
	snprintf(g, sizeof(g), "%s/a/b/c/file/below", dir);
	CHECK_EQ_INT(mountpoint_prepare(g, covered, sizeof(covered)), -ENOTDIR);
	CHECK_EQ_INT(mountpoint_prepare("/etc/keel-share", covered, sizeof(covered)), -EINVAL);
	CHECK(strstr(mountpoint_error(-EROFS), "docs/shares.md") != NULL);
}

static void setup(void)
{
	if (!mkdtemp(dir))
		abort();
}

static void teardown(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
}

RUN_TESTS(setup(); RUN(allowed_paths); RUN(refused_paths); RUN(prepare_on_writable_fs); teardown())
