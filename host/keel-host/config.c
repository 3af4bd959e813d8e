/* host/keel-host/config.c: the config file and the start options
 * (config.h). */
#include "config.h"
#include "errmsg.h"
#include "decimal.h"
#include "plan.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char config_usage[] =
"The defaults come from the config file; options override it.\n"
" --top DIR         keel's tree: build/ and rootfs/ (default: above build/keel-host)\n"
" --state-dir DIR   sockets, pids, logs (default $XDG_RUNTIME_DIR/keel, else\n"
"                   ~/.local/state/keel/run; KEEL_STATE_DIR); yours, mode 0700\n"
" --config FILE     (default ${XDG_CONFIG_HOME:-~/.config}/keel/keel.conf, or\n"
"                   KEEL_CONFIG; `key = value` lines, docs/host-daemon.md)\n"
" --kernel PATH     (build/bzImage)         --image PATH   (build/keel.img)\n"
" --data PATH       persistent data disk, created sparse on first use\n"
"                   (default ${KEEL_CACHE:-${XDG_CACHE_HOME:-~/.cache}/keel}/data.img)\n"
" --data-size SIZE  size of a new data disk (default 20G)\n"
" --no-data         no data disk: /var/lib is a tmpfs and nothing persists\n"
" --share DIR[:TAG][:ro][:9p]   share DIR in the VM at the same path, so that\n"
"                   `docker run -v \"$PWD\":/src` works below it (repeatable; TAG\n"
"                   names the virtio device, default DIR's base name). Without\n"
"                   --share: your home directory. docs/shares.md: who owns what.\n"
" --no-share        no share at all\n"
" --9p              serve shares with QEMU's 9p instead of virtiofsd (a fallback:\n"
"                   an ordinary user only, ids not translated; docs/shares.md)\n"
" --memory MB (2048)   --cpus N (2)   --accel kvm|tcg|auto (auto: scripts/qemu-accel)\n"
" --append ARGS     extra kernel command line\n"
" --eci             Enhanced Container Isolation: dockerd consults keel-authz,\n"
"                   which refuses --privileged, host namespaces, bind mounts of\n"
"                   VM paths ... (keel.eci=1; docs/eci.md). Off by default\n"
" --hostfwd RULE    a QEMU user-network port forward (repeatable), e.g.\n"
"                   tcp:127.0.0.1:8080-:80 (benchmarks compare it with keelctl forward)\n"
" --bind [udp:]GUESTPORT:HOSTADDR:HOSTPORT   containers reach HOSTADDR:HOSTPORT\n"
"                   on the host as host.keel.internal:GUESTPORT (repeatable;\n"
"                   served by keel-host, stopped with the VM),\n"
"                   e.g. --bind 5432:127.0.0.1:5432\n"
" --engine-settings FILE   dockerd settings, a daemon.json-shaped object\n"
"                   (default ${XDG_CONFIG_HOME:-~/.config}/keel/engine.json when\n"
"                   it exists): registry mirrors, proxies, log options...\n"
"                   merged over the image's in the VM; keel's own keys are\n"
"                   refused and health says why (docs/engine.md)\n"
" --engine-ca PATH  extra CA certificates for dockerd's pulls: a PEM file or a\n"
"                   directory of *.crt/*.pem (default ~/.config/keel/ca-certificates)\n"
" --no-engine-settings   neither of the two (the image's defaults only)\n"
" --no-docker-sock  do not serve the VM's dockerd on the host. By default\n"
"                   STATE/docker.sock (mode 0600) reaches /run/docker.sock in\n"
"                   the VM (served by keel-host, removed with the VM); start\n"
"                   prints the DOCKER_HOST line and, when a docker CLI is on\n"
"                   PATH, creates or updates the docker context \"keel\"\n"
" --no-publish      do not publish guest ports on the host's loopback (by\n"
"                   default every guest TCP listener and UDP socket is, as\n"
"                   `keelctl publish --auto` does)\n"
" --time-sync-interval S   periodic guest clock sync (default 60)\n";

static const char keys[] =
	"cpus memory accel data data-size share bind publish docker-sock time-sync-interval";

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

static char *joined(const char *a, const char *b)
{
	char *s;
	if (asprintf(&s, "%s%s", a, b) < 0)
		abort();
	return s;
}

/* "~/x" is $HOME/x, as a shell would have it */
static char *expand_home(const char *v)
{
	const char *home = getenv("HOME");
	return v[0] == '~' && (v[1] == '/' || !v[1]) && home ? joined(home, v + 1) : xstrdup(v);
}

static bool list_add(struct config_list *l, const char *v)
{
	if (l->n == CONFIG_LIST_MAX)
		return false;
	l->v[l->n++] = xstrdup(v);
	return true;
}

static void list_clear(struct config_list *l)
{
	while (l->n)
		free(l->v[--l->n]);
}

void config_defaults(struct vm_config *c, const char *top)
{
	const char *home = getenv("HOME") ? getenv("HOME") : "/";
	const char *e;
	char *cfg_dir, *cache;

	*c = (struct vm_config){ .top = xstrdup(top), .default_share = true, .cpus = 2,
				 .memory_mib = 2048, .docker_sock = true, .publish = true,
				 .sync_interval_s = 60, .data_size = xstrdup("20G") };
	cfg_dir = (e = getenv("XDG_CONFIG_HOME")) && *e ? joined(e, "/keel")
							 : joined(home, "/.config/keel");
	if ((e = getenv("KEEL_CACHE")) && *e)
		cache = xstrdup(e);
	else
		cache = (e = getenv("XDG_CACHE_HOME")) && *e ? joined(e, "/keel")
							     : joined(home, "/.cache/keel");
	if ((e = getenv("KEEL_CONFIG")) && *e)
		c->config_file = xstrdup(e), c->config_explicit = true;
	else
		c->config_file = joined(cfg_dir, "/keel.conf");
	/* never a shared /tmp path: another user could make it first */
	if ((e = getenv("KEEL_STATE_DIR")) && *e)
		c->state = xstrdup(e);
	else if ((e = getenv("XDG_RUNTIME_DIR")) && *e)
		c->state = joined(e, "/keel");
	else
		c->state = (e = getenv("XDG_STATE_HOME")) && *e ? joined(e, "/keel/run")
							    : joined(home, "/.local/state/keel/run");
	c->kernel = joined(top, "/build/bzImage");
	c->image = joined(top, "/build/keel.img");
	c->data = joined(cache, "/data.img");
	c->engine_settings = joined(cfg_dir, "/engine.json");
	c->engine_ca = joined(cfg_dir, "/ca-certificates");
	free(cfg_dir);
	free(cache);
}

static bool number_in(const char *v, unsigned long long min, unsigned long long max, unsigned *out)
{
	unsigned long long x;
	if (!parse_decimal(v, max, &x) || x < min)
		return false;
	*out = (unsigned)x;
	return true;
}

/* 0, 1, or -1 */
static int boolean(const char *v)
{
	static const char *const yes[] = { "on", "yes", "true", "1" }, *const no[] = { "off", "no", "false", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

static bool size_ok(const char *v)
{
	size_t n = strspn(v, "0123456789");
	return n > 0 && (!v[n] || (strchr("KMGT", v[n]) && !v[n + 1]));
}

static bool bind_ok(const char *v)
{
	struct bind_spec s;
	return plan_parse_bind(v, &s);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The settings both the file and the options have, by key. 0, 1 (unknown
 * key) or -1 with err (bad value); where prefixes the error. */
static int set_key(struct vm_config *c, const char *key, const char *v, const char *where,
		   char *err, size_t n)
{
	int b;

	if (strcmp(key, "cpus") == 0) {
		if (!number_in(v, 1, 64, &c->cpus))
			return errmsg(err, n, "%skey 'cpus': '%s' is not a number of CPUs (1-64)", where, v);
	} else if (strcmp(key, "memory") == 0) {
		if (!number_in(v, 256, 1u << 22, &c->memory_mib))
			return errmsg(err, n, "%skey 'memory': '%s' is not a size in MiB (at least 256)", where, v);
	} else if (strcmp(key, "accel") == 0) {
		if (strcmp(v, "kvm") && strcmp(v, "tcg") && strcmp(v, "auto"))
			return errmsg(err, n, "%skey 'accel': '%s' is not kvm, tcg or auto", where, v);
		free(c->accel);
		c->accel = strcmp(v, "auto") ? xstrdup(v) : NULL;
	} else if (strcmp(key, "data-size") == 0) {
		if (!size_ok(v))
			return errmsg(err, n, "%skey 'data-size': '%s' is not a size (e.g. 20G)", where, v);
		free(c->data_size);
		c->data_size = xstrdup(v);
	} else if (strcmp(key, "publish") == 0 || strcmp(key, "docker-sock") == 0) {
		if ((b = boolean(v)) < 0)
			return errmsg(err, n, "%skey '%s': '%s' is not on or off", where, key, v);
		*(key[0] == 'p' ? &c->publish : &c->docker_sock) = b;
	} else if (strcmp(key, "time-sync-interval") == 0) {
		if (!number_in(v, 1, 86400, &c->sync_interval_s))
			return errmsg(err, n, "%skey 'time-sync-interval': '%s' is not seconds (1-86400)", where, v);
	} else {
		return 1;
	}
	return 0;
}

/* data, share and bind: what differs between the file and the options */
static int set_file_key(struct vm_config *c, const char *key, const char *v, const char *where,
			char *err, size_t n)
{
	char *x;

	if (strcmp(key, "data") == 0) {
		free(c->data);
		c->data = strcmp(v, "none") ? expand_home(v) : NULL;
	} else if (strcmp(key, "share") == 0) {
		if (strcmp(v, "none") == 0) {
			list_clear(&c->shares);
			c->default_share = false;
			return 0;
		}
		x = expand_home(v);
		x[strcspn(x, ":")] = 0;
		bool dir = is_dir(x);
		free(x);
		if (!dir)
			return errmsg(err, n, "%skey 'share': %.*s is not a directory", where,
				    (int)strcspn(v, ":"), v);
		x = expand_home(v);
		bool added = list_add(&c->shares, x);
		free(x);
		if (!added)
			return errmsg(err, n, "%skey 'share': more than %d shares", where, CONFIG_LIST_MAX);
	} else if (strcmp(key, "bind") == 0) {
		if (!bind_ok(v) || !list_add(&c->binds, v))
			return errmsg(err, n, "%skey 'bind': '%s' is not [udp:]GUESTPORT:HOSTADDR:HOSTPORT", where, v);
	} else {
		return set_key(c, key, v, where, err, n);
	}
	return 0;
}

static char *trim(char *s)
{
	char *end;
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = 0;
	return s;
}

static int read_file(struct vm_config *c, char *err, size_t n)
{
	char line[4096], where[4200];
	unsigned lineno = 0;
	struct stat st;
	FILE *f;
	int rc = 0;

	if (stat(c->config_file, &st) < 0 && errno == ENOENT)
		return c->config_explicit ? errmsg(err, n, "config %s: no such file", c->config_file) : 0;
	if (!S_ISREG(st.st_mode) || !(f = fopen(c->config_file, "re")))
		return errmsg(err, n, "config %s: not a readable file", c->config_file);
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *l, *eq, *key, *value;
		lineno++;
		snprintf(where, sizeof(where), "%s:%u: ", c->config_file, lineno);
		line[strcspn(line, "#\n")] = 0;
		if (!*(l = trim(line)))
			continue;
		if (!(eq = strchr(l, '='))) {
			rc = errmsg(err, n, "%sexpected 'key = value', got '%s'", where, l);
			break;
		}
		*eq = 0;
		key = trim(l);
		value = trim(eq + 1);
		if (!*value)
			rc = errmsg(err, n, "%skey '%s' has no value", where, key);
		else if ((rc = set_file_key(c, key, value, where, err, n)) == 1)
			rc = errmsg(err, n, "%sunknown key '%s' (keys: %s)", where, key, keys);
	}
	fclose(f);
	return rc;
}

/* The options that name a config key take its checks; the error then names
 * the option instead of a file line. */
static int option(struct vm_config *c, const char *o, const char *v, bool *cli_shares,
		  bool *cli_binds, char *err, size_t n)
{
	char where[64];

	snprintf(where, sizeof(where), "%s: ", o);
	if (strcmp(o, "--state-dir") == 0)
		free(c->state), c->state = xstrdup(v);
	else if (strcmp(o, "--kernel") == 0)
		free(c->kernel), c->kernel = xstrdup(v);
	else if (strcmp(o, "--image") == 0)
		free(c->image), c->image = xstrdup(v);
	else if (strcmp(o, "--data") == 0)
		free(c->data), c->data = xstrdup(v);
	else if (strcmp(o, "--append") == 0)
		free(c->append), c->append = xstrdup(v);
	else if (strcmp(o, "--engine-settings") == 0)
		free(c->engine_settings), c->engine_settings = xstrdup(v), c->engine_settings_explicit = true;
	else if (strcmp(o, "--engine-ca") == 0)
		free(c->engine_ca), c->engine_ca = xstrdup(v), c->engine_ca_explicit = true;
	else if (strcmp(o, "--share") == 0) {
		if (!*cli_shares)
			list_clear(&c->shares), *cli_shares = true;
		if (!list_add(&c->shares, v))
			return errmsg(err, n, "--share: more than %d shares", CONFIG_LIST_MAX);
	} else if (strcmp(o, "--bind") == 0) {
		if (!*cli_binds)
			list_clear(&c->binds), *cli_binds = true;
		if (!bind_ok(v) || !list_add(&c->binds, v))
			return errmsg(err, n, "--bind %s: expected [udp:]GUESTPORT:HOSTADDR:HOSTPORT", v);
	} else if (strcmp(o, "--hostfwd") == 0) {
		if (strchr(v, ','))
			return errmsg(err, n, "--hostfwd: no commas in a rule");
		if (!list_add(&c->hostfwds, v))
			return errmsg(err, n, "--hostfwd: more than %d rules", CONFIG_LIST_MAX);
	} else {
		static const char *const keyed[][2] = { { "--memory", "memory" }, { "--cpus", "cpus" },
			{ "--accel", "accel" }, { "--data-size", "data-size" },
			{ "--time-sync-interval", "time-sync-interval" } };
		for (size_t k = 0; k < sizeof(keyed) / sizeof(keyed[0]); k++)
			if (strcmp(o, keyed[k][0]) == 0)
				return set_key(c, keyed[k][1], v, where, err, n);
		return errmsg(err, n, "unknown option %s", o);
	}
	return 0;
}

static int flag(struct vm_config *c, const char *o, bool *cli_shares)
{
	if (strcmp(o, "--no-data") == 0) {
		free(c->data), c->data = NULL;
	} else if (strcmp(o, "--no-share") == 0) {
		list_clear(&c->shares);
		c->default_share = false, *cli_shares = true;
	} else if (strcmp(o, "--9p") == 0) {
		c->force_9p = true;
	} else if (strcmp(o, "--eci") == 0) {
		c->eci = true;
	} else if (strcmp(o, "--no-docker-sock") == 0) {
		c->docker_sock = false;
	} else if (strcmp(o, "--no-publish") == 0) {
		c->publish = false;
	} else if (strcmp(o, "--no-engine-settings") == 0) {
		free(c->engine_settings), free(c->engine_ca);
		c->engine_settings = c->engine_ca = NULL;
	} else {
		return 1;
	}
	return 0;
}

int config_load(struct vm_config *c, int argc, char **argv, char *err, size_t n)
{
	bool cli_shares = false, cli_binds = false;
	int e;

	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], "--config") == 0) {
			free(c->config_file);
			c->config_file = xstrdup(argv[i + 1]);
			c->config_explicit = true;
		}
	/* the file's share and bind lists hold until the command line names its own */
	if (read_file(c, err, n) < 0)
		return -1;
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		if ((e = flag(c, o, &cli_shares)) == 0)
			continue;
		if (i + 1 >= argc)
			return strncmp(o, "--", 2) == 0 && o[2] ? errmsg(err, n, "%s needs a value", o)
								: errmsg(err, n, "unknown argument %s", o);
		/* --config and --top were taken first */
		if (strcmp(o, "--config") != 0 && strcmp(o, "--top") != 0 &&
		    option(c, o, argv[i + 1], &cli_shares, &cli_binds, err, n) < 0)
			return -1;
		i++;
	}
	return 0;
}
