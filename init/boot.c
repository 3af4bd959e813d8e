/* init/boot.c: early boot as a const table of mounts, then the root
 * read-only check, the host name and the loopback interface. */
#include "init.h"
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct mount_step {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
};

#define NSE (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static const struct mount_step mount_steps[] = {
	{ "proc",     "/proc",          "proc",     NSE, NULL },
	{ "sysfs",    "/sys",           "sysfs",    NSE, NULL },
	{ "devtmpfs", "/dev",           "devtmpfs", MS_NOSUID, "mode=0755" },
	{ "devpts",   "/dev/pts",       "devpts",   MS_NOSUID | MS_NOEXEC,
	  "newinstance,ptmxmode=0666,mode=0620,gid=5" },
	{ "shm",      "/dev/shm",       "tmpfs",    MS_NOSUID | MS_NODEV, "mode=1777" },
	{ "mqueue",   "/dev/mqueue",    "mqueue",   NSE, NULL },
	{ "cgroup2",  "/sys/fs/cgroup", "cgroup2",  NSE, "nsdelegate" },
	{ "tmpfs",    "/run",           "tmpfs",    MS_NOSUID | MS_NODEV, "mode=0755" },
	{ "tmpfs",    "/tmp",           "tmpfs",    MS_NOSUID | MS_NODEV, "mode=1777" },
};

/* A directory on another device than its parent is already a mount point
 * (the kernel may have mounted devtmpfs itself). */
static bool is_mountpoint(const char *path)
{
	char parent[PATH_BUF];
	struct stat a, b;
	char *slash;

	if (strlen(path) >= sizeof(parent) || stat(path, &a) < 0)
		return false;
	strcpy(parent, path);
	slash = strrchr(parent, '/');
	if (!slash)
		return false;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static void mount_one(const struct mount_step *m)
{
	if (mkdir(m->target, 0755) < 0 && errno != EEXIST) {
		log_err("mkdir %s: %s", m->target, strerror(errno));
		return;
	}
	if (is_mountpoint(m->target)) {
		log_debug("%s already mounted", m->target);
		return;
	}
	if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0 && errno != EBUSY)
		log_err("mount %s on %s: %s", m->fstype, m->target, strerror(errno));
}

static void ensure_std_fds(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		/* Not CLOEXEC on purpose: these are 0-2. */
		if (open("/dev/console", O_RDWR | O_NOCTTY) != fd &&
		    open("/dev/null", O_RDWR) != fd)
			return;
	}
}

void boot_mounts(const struct init_ctx *c)
{
	struct statvfs sv;
	size_t i;

	/* On a host, these would hide the host's /dev, /sys, /run, /tmp. */
	if (c->test_mode) {
		log_info("test mode: early mounts and the read-only root check skipped");
		return;
	}
	for (i = 0; i < sizeof(mount_steps) / sizeof(mount_steps[0]); i++)
		mount_one(&mount_steps[i]);
	ensure_std_fds();
	if (statvfs("/", &sv) < 0)
		log_err("statvfs /: %s", strerror(errno));
	else if (!(sv.f_flag & ST_RDONLY))
		log_warn("root file system is writable; keel expects a read-only root");
}

static void loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		log_err("loopback: socket: %s", strerror(errno));
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		log_err("loopback: get flags: %s", strerror(errno));
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			log_err("loopback: up: %s", strerror(errno));
	}
	close(fd);
}

void boot_identity(const struct init_ctx *c)
{
	const char *name = c->cfg.hostname[0] ? c->cfg.hostname : "keel";

	/* Without --uts the test namespace shares the host's name. */
	if (!c->test_mode && sethostname(name, strlen(name)) < 0)
		log_err("sethostname %s: %s", name, strerror(errno));
	loopback_up();
}
