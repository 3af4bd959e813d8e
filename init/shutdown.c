/* init/shutdown.c: the part of shutdown after the services have stopped
 * (loop.c stops them in reverse order): everyone else gets SIGTERM, then
 * SIGKILL, everything is reaped, synced and unmounted, and reboot(2) ends the
 * machine (or, in a PID namespace, the namespace). */
#include "init.h"
#include "clock.h"
#include "log.h"
#include "mountpoint.h"
#include "timeline.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REAP_POLL_MS 10
#define SUBMOUNT_MAX 4096      /* bound on the submount loop below */

/* Reap until no child is left or the deadline passes; true when none left. */
static bool reap_until(uint64_t deadline)
{
	struct timespec ts = { 0, REAP_POLL_MS * 1000000L };
	pid_t pid;

	for (;;) {
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			return true;
		if (mono_ms() >= deadline)
			return false;
		nanosleep(&ts, NULL);
	}
}

static void kill_rest(void)
{
	if (kill(-1, SIGTERM) == 0 && !reap_until(mono_ms() + TERM_WAIT_MS)) {
		log_warn("processes left after SIGTERM, sending SIGKILL");
		kill(-1, SIGKILL);
		if (!reap_until(mono_ms() + KILL_WAIT_MS))
			log_err("processes survive SIGKILL");
	}
}

/* Unmount, or at least stop writes to it: remount read-only, then detach.
 * Each outcome is logged: the console is the evidence that the data disk was
 * unmounted cleanly, and after the services stopped. */
static void unmount_one(const char *path)
{
	if (umount2(path, 0) == 0) {
		log_info("unmounted %s", path);
		return;
	}
	if (errno == EINVAL || errno == ENOENT)
		return;
	log_warn("unmount %s: %s; remounting read-only and detaching", path, strerror(errno));
	mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY, NULL);
	umount2(path, MNT_DETACH);
}

/* The last (topmost) mount strictly below dir in /proc/self/mounts into out;
 * false when there is none. Lines are read whole (getline): overlay's
 * options run to kilobytes. */
static bool last_mount_below(const char *dir, char *out, size_t n)
{
	char *line = NULL, *mp, *end;
	size_t cap = 0, dl = strlen(dir), ml;
	bool found = false;
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		/* fields: source mountpoint fstype ... */
		mp = strchr(line, ' ');
		if (!mp || !(end = strchr(++mp, ' ')))
			continue;
		*end = 0;
		mount_path_unescape(mp);
		ml = strlen(mp);
		if (ml > dl && ml < n && strncmp(mp, dir, dl) == 0 && mp[dl] == '/') {
			memcpy(out, mp, ml + 1);
			found = true;
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* What dockerd leaves mounted below /var/lib when it dies without cleaning
 * up (overlay2 merged dirs, container shm, netns files) keeps the data disk
 * busy: take those off first, topmost first. Every process is gone by now,
 * so nothing should hold them; MNT_DETACH makes sure the loop progresses. */
static void unmount_below(const char *dir)
{
	char path[PATH_BUF];
	unsigned n = 0;

	while (n < SUBMOUNT_MAX && last_mount_below(dir, path, sizeof(path))) {
		if (umount2(path, 0) < 0 && umount2(path, MNT_DETACH) < 0) {
			log_warn("unmount %s: %s", path, strerror(errno));
			break;
		}
		n++;
	}
	if (n)
		log_info("unmounted %u mounts below %s", n, dir);
}

static void unmount_all(const struct init_ctx *c)
{
	size_t i;

	for (i = c->nshares; i-- > 0;)
		if (c->shares[i].mounted)
			unmount_one(c->shares[i].cfg->path);
	if (c->data.kind != DATA_ERROR) {
		unmount_below(c->data_dir);
		unmount_one(c->data_dir);
	}
	/* On a host the mount namespace shares the root's superblock:
	 * remounting it read-only would hit the host. */
	if (!c->test_mode && mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 &&
	    errno != EROFS)
		log_err("remount / read-only: %s", strerror(errno));
}

void shutdown_finish(struct init_ctx *c)
{
	int how = c->shutdown == SHUTDOWN_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF;

	log_info("services stopped; stopping remaining processes");
	kill_rest();
	sync();
	unmount_all(c);
	sync();
	timeline_mark("shutdown");
	log_info("%s", how == RB_AUTOBOOT ? "rebooting" : "powering off");
	reboot(how);
	log_err("reboot(2): %s", strerror(errno));
	reap_forever();
}
