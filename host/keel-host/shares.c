/* host/keel-host/shares.c: shares and their file servers (shares.h). */
#include "shares.h"
#include "errmsg.h"
#include "child.h"
#include "mountpoint.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ID_MAX 4294967294ul   /* the last id virtiofsd translates */

/* The working directory as the user's shell names it: $PWD when it is
 * this directory, else the physical path. */
static bool cwd(char *buf, size_t cap)
{
	const char *pwd = getenv("PWD");
	struct stat a, b;

	if (pwd && pwd[0] == '/' && strlen(pwd) < cap && stat(pwd, &a) == 0 && stat(".", &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		strcpy(buf, pwd);
		return true;
	}
	return getcwd(buf, cap) != NULL;
}

/* dir made absolute and rid of ".", ".." and repeated slashes, lexically
 * (as `cd DIR && pwd` does), into out. */
static bool absolute(const char *dir, char *out, size_t cap)
{
	char in[PATH_MAX * 2];
	size_t len = 0;

	if (dir[0] == '/')
		snprintf(in, sizeof(in), "%s", dir);
	else if (!cwd(in, PATH_MAX) || snprintf(in + strlen(in), sizeof(in) - strlen(in), "/%s", dir) < 0)
		return false;
	for (char *save = NULL, *part = strtok_r(in, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			while (len > 0 && out[--len] != '/')
				;
			continue;
		}
		if (len + strlen(part) + 2 > cap)
			return false;
		len += (size_t)sprintf(out + len, "/%s", part);
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = 0;
	return true;
}

static bool passable(const char *dir)
{
	return dir[0] == '/' && dir[1] &&
	       strspn(dir, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+@/-") == strlen(dir);
}

static void make_tag(char *tag, const char *from)
{
	size_t i;
	for (i = 0; from[i] && i < SHARE_TAG_MAX; i++)
		tag[i] = strchr("._-", from[i]) || (from[i] >= '0' && from[i] <= '9') ||
			 ((from[i] | 0x20) >= 'a' && (from[i] | 0x20) <= 'z') ? from[i] : '_';
	tag[i] = 0;
}

int share_parse(const char *spec, bool force_9p, struct share *s, char *err, size_t n)
{
	char rest[PATH_MAX], dir[PATH_MAX], *colon;
	struct stat st;
	size_t dlen = strcspn(spec, ":");

	*s = (struct share){ .p9 = force_9p };
	if (dlen >= sizeof(dir) || strlen(spec) >= sizeof(rest))
		return errmsg(err, n, "share: %s: path too long", spec);
	memcpy(dir, spec, dlen);
	dir[dlen] = 0;
	snprintf(rest, sizeof(rest), "%s", spec[dlen] ? spec + dlen + 1 : "");
	/* flags from the end; what is left is the tag */
	for (;;) {
		char *last = (colon = strrchr(rest, ':')) ? colon + 1 : rest;
		if (strcmp(last, "ro") == 0)
			s->ro = true;
		else if (strcmp(last, "9p") == 0)
			s->p9 = true;
		else
			break;
		*(colon ? colon : rest) = 0;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return errmsg(err, n, "share: %s is not a directory", dir);
	if (!absolute(dir, s->dir, sizeof(s->dir)))
		return errmsg(err, n, "share: %s: cannot make it an absolute path", dir);
	/* the kernel command line splits on ' ', keel.share on ':', QEMU's and
	 * virtiofsd's option strings on ','; keel-init takes these characters */
	if (!passable(s->dir))
		return errmsg(err, n, "share: %s: only letters, digits and ._+@-/ can be passed to the VM", s->dir);
	if (!share_path_allowed(s->dir))
		return errmsg(err, n, "share: %s is at or below a directory the VM's own system uses", s->dir);
	make_tag(s->tag, rest[0] ? rest : strrchr(s->dir, '/') + 1);
	if (!s->tag[0])
		return errmsg(err, n, "share: empty tag for %s", s->dir);
	return 0;
}

static bool below(const char *path, const char *top)
{
	size_t t = strlen(top);
	return strncmp(path, top, t) == 0 && (path[t] == '/' || path[t] == 0);
}

static bool tag_taken(const struct share *s, size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].tag, tag) == 0)
			return true;
	return false;
}

/* The home directory when no share is configured, or nothing, with a note
 * saying why. */
static size_t default_share(const struct vm_config *c, struct share *out)
{
	const char *home = getenv("HOME");
	char why[PATH_MAX + 128];
	struct stat st;

	if (c->shares.n || !c->default_share || !home)
		return 0;
	if (getuid() == 0 && stat(home, &st) == 0 && st.st_uid == 0) {
		machine_say("not sharing %s: as root, a root-owned directory would be served as nobody (--share DIR shares one)", home);
		return 0;
	}
	if (share_parse(home, c->force_9p, out, why, sizeof(why)) < 0) {
		machine_say("not sharing your home directory: %s", why);
		return 0;
	}
	return 1;
}

int shares_collect(const struct vm_config *c, struct share *out, size_t cap, size_t *n,
		   char *err, size_t errlen)
{
	*n = default_share(c, out);
	for (size_t i = 0; i < c->shares.n; i++) {
		struct share *s = &out[*n];
		if (*n == cap)
			return errmsg(err, errlen, "share: more than %zu shares", cap);
		if (share_parse(c->shares.v[i], c->force_9p, s, err, errlen) < 0)
			return -1;
		if (tag_taken(out, *n, s->tag)) {
			char t[SHARE_TAG_MAX + 24];
			snprintf(t, sizeof(t), "%s-%zu", s->tag, i);
			make_tag(s->tag, t);
		}
		for (size_t j = 0; j < *n; j++) {
			if (below(s->dir, out[j].dir))
				return errmsg(err, errlen, "share: %s is inside the share %s", s->dir, out[j].dir);
			if (below(out[j].dir, s->dir))
				return errmsg(err, errlen, "share: %s is inside the share %s", out[j].dir, s->dir);
		}
		(*n)++;
	}
	return 0;
}

/* A served share: its line in STATE/shares (run-vm shares, status) and a
 * word to the user. */
static void listed(struct machine *m, const struct share *s, const char *server)
{
	const char *ro = s->ro ? ", read-only" : "";
	char *old = m->shares_list;

	if (asprintf(&m->shares_list, "%s%s\t%s\t%s%s\n", old ? old : "", s->dir, s->tag, server, ro) < 0)
		abort();
	free(old);
	machine_say("share %s (same path in the VM; %s%s)", s->dir, server, ro);
}

/* The uid and gid a file server runs as (shares.h). */
static void file_server_ids(const char *dir, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;
	struct stat st;

	*uid = getuid(), *gid = getgid();
	if (*uid != 0 || stat(dir, &st) < 0)
		return;
	*uid = st.st_uid;
	if (*uid == 0)
		*uid = (pw = getpwnam("nobody")) ? pw->pw_uid : 65534;
	*gid = (pw = getpwuid(*uid)) ? pw->pw_gid : st.st_gid;
	if (*gid == 0)
		*gid = (gr = getgrnam("nogroup")) ? gr->gr_gid : 65534;
}

/* The VM id that is root in a default (remapped) container: dockremap's
 * first subordinate id in the image's /etc/subuid or subgid. */
static bool remap_root(const struct machine *m, const char *file, unsigned long *id)
{
	char path[PATH_MAX], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/rootfs/files/etc/%s", m->c->top, file);
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "dockremap:%lu:", id) == 1;
	fclose(f);
	return found;
}

/* virtiofsd's id translation: the VM's container-root id <-> the host id,
 * and every other VM id -> the host id, so all that the VM creates is the
 * user's. Host ids other than the user's are not mapped into virtiofsd's
 * user namespace: the VM sees them as 65534, and the host kernel checks
 * access against the user's own rights. */
static void translate(struct argvec *a, const char *kind, unsigned long host, unsigned long vm)
{
	/* TYPE:SOURCE_BASE:TARGET_BASE:COUNT; squash-guest maps COUNT guest
	 * ids from SOURCE_BASE all to the one host id TARGET_BASE */
	argv_addf(a, "--translate-%s", kind), argv_addf(a, "map:%lu:%lu:1", vm, host);
	argv_addf(a, "--translate-%s", kind), argv_addf(a, "squash-guest:0:%lu:%lu", host, vm);
	argv_addf(a, "--translate-%s", kind);
	argv_addf(a, "squash-guest:%lu:%lu:%lu", vm + 1, host, ID_MAX - vm);
}

/* true when uid:gid may run both programs (the drop prefix, then test -x) */
static bool drop_can_run(const struct argvec *drop, const char *a, const char *b)
{
	struct argvec t = { 0 };
	char out[256];
	int status = -1, e;

	argv_extend(&t, drop);
	argv_add(&t, "test"), argv_add(&t, "-x"), argv_add(&t, a), argv_add(&t, "-a");
	argv_add(&t, "-x"), argv_add(&t, b);
	e = child_run(t.v, out, sizeof(out), &status);
	argv_free(&t);
	return e == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Under root the file server runs as the share's owner, who cannot enter
 * root's 0700 state dir: it gets the socket's directory as an open fd (3)
 * and binds through /proc/self/fd/3, a path only it can use. */
static int serve_virtiofsd(struct machine *m, size_t i, const struct share *s, char *err, size_t n)
{
	char sock_dir[PATH_MAX], sock[PATH_MAX + 32], name[32], front[PATH_MAX];
	struct argvec drop = { 0 }, cmd = { 0 };
	unsigned long sub_uid, sub_gid;
	uid_t uid;
	gid_t gid;

	file_server_ids(s->dir, &uid, &gid);
	snprintf(name, sizeof(name), "fs-%zu", i);
	snprintf(sock, sizeof(sock), "%s.sock", name);
	if (!machine_path(m, name, sock_dir, sizeof(sock_dir)) || !machine_path(m, sock, front, sizeof(front)))
		return errmsg(err, n, "state dir path too long");
	if (!remap_root(m, "subuid", &sub_uid) || !remap_root(m, "subgid", &sub_gid))
		return errmsg(err, n, "share %s: no dockremap ids in %s/rootfs/files/etc/subuid, subgid",
			    s->dir, m->c->top);
	if (mkdir(sock_dir, 0700) < 0 && errno != EEXIST)
		return errmsg(err, n, "share %s: cannot make %s: %s", s->dir, sock_dir, strerror(errno));
	snprintf(sock, sizeof(sock), "%s/virtiofsd.sock", sock_dir);
	unlink(sock);
	if (m->root) {
		if (chown(sock_dir, uid, gid) < 0)
			return errmsg(err, n, "share %s: cannot chown %s: %s", s->dir, sock_dir, strerror(errno));
		argv_add(&drop, "setpriv");
		argv_addf(&drop, "--reuid=%u", (unsigned)uid);
		argv_addf(&drop, "--regid=%u", (unsigned)gid);
		argv_add(&drop, getpwuid(uid) ? "--init-groups" : "--clear-groups");
		/* keep keel-host's death signal across the change of
		 * credentials, which would clear it (prctl(2)) */
		argv_add(&drop, "--pdeathsig"), argv_add(&drop, "keep");
		if (!drop_can_run(&drop, m->virtiofsd_bin, m->fsguard_bin)) {
			argv_free(&drop);
			return errmsg(err, n, "share %s: its file server runs as uid %u, who cannot run %s and %s (install keel where that user can read it)",
				    s->dir, (unsigned)uid, m->virtiofsd_bin, m->fsguard_bin);
		}
	}
	argv_extend(&cmd, &drop);
	argv_add(&cmd, m->fsguard_bin), argv_add(&cmd, m->virtiofsd_bin);
	argv_add(&cmd, "--shared-dir"), argv_add(&cmd, s->dir);
	argv_add(&cmd, "--socket-path");
	argv_add(&cmd, m->root ? "/proc/self/fd/3/virtiofsd.sock" : sock);
	argv_add(&cmd, "--sandbox"), argv_add(&cmd, "namespace");
	argv_add(&cmd, "--cache"), argv_add(&cmd, "auto");
	argv_add(&cmd, "--log-level"), argv_add(&cmd, "warn");
	translate(&cmd, "uid", uid, sub_uid);
	translate(&cmd, "gid", gid, sub_gid);
	if (s->ro)
		argv_add(&cmd, "--readonly");
	machine_helper(m, name, sock, m->root ? sock_dir : NULL, &cmd);
	/* QEMU connects to keel-host, which relays to virtiofsd and gives a
	 * restarted one QEMU's session and a new FUSE session */
	argv_add(&m->plan, "--relay-fs"), argv_add(&m->plan, name), argv_add(&m->plan, front);
	argv_add(&m->qemu, "-chardev"), argv_addf(&m->qemu, "socket,id=fs%zu,path=%s", i, front);
	argv_add(&m->qemu, "-device"), argv_addf(&m->qemu, "vhost-user-fs-pci,chardev=fs%zu,tag=%s", i, s->tag);
	machine_append(m, " keel.share=%s:%s:virtiofs%s", s->tag, s->dir, s->ro ? ":ro" : "");
	snprintf(sock, sizeof(sock), "virtiofsd as uid %u", (unsigned)uid);
	listed(m, s, sock);
	argv_free(&drop);
	argv_free(&cmd);
	return 0;
}

int share_serve(struct machine *m, size_t i, const struct share *s, char *err, size_t n)
{
	if (!s->p9 && access(m->virtiofsd_bin, X_OK) == 0)
		return serve_virtiofsd(m, i, s, err, n);
	if (m->root)
		return errmsg(err, n, "share %s: 9p would serve it with root's access; as root, keel serves shares only through virtiofsd (make, or drop --9p)", s->dir);
	if (!s->p9)
		machine_say("warning: %s missing (make): serving %s over 9p, ids not translated",
			    m->virtiofsd_bin, s->dir);
	/* security_model=none: files are created as the user, with the mode
	 * asked for, and chown is not attempted */
	argv_add(&m->qemu, "-virtfs");
	argv_addf(&m->qemu, "local,path=%s,mount_tag=%s,security_model=none,id=fs%zu%s", s->dir, s->tag, i,
		  s->ro ? ",readonly=on" : "");
	if (m->guard.n == 0)
		argv_add(&m->guard, m->fsguard_bin);
	machine_append(m, " keel.share=%s:%s:9p%s", s->tag, s->dir, s->ro ? ":ro" : "");
	listed(m, s, "9p (QEMU)");
	return 0;
}
