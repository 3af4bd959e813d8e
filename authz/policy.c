/* authz/policy.c: see policy.h. The request is read the way dockerd reads
 * it, so that what the plugin checks is what dockerd will do:
 *   - the path is percent-decoded (gorilla/mux routes on the decoded path)
 *     and must be canonical (mux answers any other with a redirect);
 *   - JSON object keys match case-insensitively, with Go's folds of
 *     U+017F to 's' and U+212A to 'k' (encoding/json), and a key given
 *     twice in any spelling is refused: Go would take the last one;
 *   - anything that does not parse, or a body that dockerd did not send
 *     (empty, chunked before Engine 26.1.5, not application/json, over
 *     1 MiB), is refused where the body decides. */
#include "policy.h"
#include "mountpoint.h"
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define URI_MAX 8192
#define SUFFIX " is not allowed in ECI mode (keel.eci=1)"
#define DOCKER_SOCKET "/run/docker.sock"

struct verdict {
	char *msg;
	size_t cap;
};

static bool deny(struct verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool deny(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->msg, v->cap, fmt, ap);
	va_end(ap);
	return false;
}

/* --- the request line ------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes of s into out (NUL-terminated); '+' becomes a
 * space when plus is set (query strings). -EINVAL on a bad escape or NUL. */
static int unescape(const char *s, size_t n, bool plus, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -EINVAL;
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == '\0' || o + 1 >= cap)
			return -EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* "/v1.45/containers/create" -> "/containers/create" (mux's /v{version:[0-9.]+}). */
static const char *strip_version(const char *path)
{
	const char *p = path + 2;

	if (strncmp(path, "/v", 2))
		return path;
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	return p > path + 2 && *p == '/' ? p : path;
}

static bool canonical_path(const char *p)
{
	if (p[0] != '/')
		return false;
	if (!p[1])
		return true;
	return !strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../") &&
	       p[strlen(p) - 1] != '/' && strcmp(p + strlen(p) - 2, "/.") &&
	       (strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/.."));
}

/* Does query (raw, may be NULL) hold key=value (decoded, value compared
 * exactly)? Every occurrence counts: Go takes the first, we refuse any. */
static int query_has(const char *query, const char *key, const char *value, bool *found)
{
	char k[256], val[1024];
	const char *p = query, *amp, *eq;

	*found = false;
	while (p && *p) {
		amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', n);
		size_t kn = eq ? (size_t)(eq - p) : n;

		if (unescape(p, kn, true, k, sizeof(k)) < 0)
			return -EINVAL;
		if (!strcmp(k, key)) {
			if (!eq || unescape(eq + 1, n - kn - 1, true, val, sizeof(val)) < 0)
				val[0] = '\0';
			if (!strcmp(val, value))
				*found = true;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

/* --- JSON as Go's encoding/json matches it --------------------------- */

/* Does key (UTF-8) fold to name (lower-case ASCII)? */
static bool key_folds_to(const char *key, const char *name)
{
	const unsigned char *k = (const unsigned char *)key;

	for (; *name; name++) {
		if (*k < 0x80) {
			unsigned char c = *k++;

			if (c >= 'A' && c <= 'Z')
				c |= 0x20;
			if (c != (unsigned char)*name)
				return false;
		} else if (*name == 's' && k[0] == 0xc5 && k[1] == 0xbf) {
			k += 2;                              /* U+017F LATIN SMALL LETTER LONG S */
		} else if (*name == 'k' && k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa) {
			k += 3;                              /* U+212A KELVIN SIGN */
		} else {
			return false;
		}
	}
	return *k == '\0';
}

/* The member of obj whose key folds to name (lower case), or NULL; -EINVAL
 * when obj is not an object or two keys fold to name. */
static int field(json_t *obj, const char *name, json_t **out)
{
	const char *key;
	json_t *v;

	*out = NULL;
	if (!json_is_object(obj))
		return -EINVAL;
	json_object_foreach(obj, key, v) {
		if (!key_folds_to(key, name))
			continue;
		if (*out)
			return -EINVAL;
		*out = v;
	}
	return 0;
}

/* A string member ("" when absent or null); -EINVAL for another type. */
static int field_str(json_t *obj, const char *name, const char **out)
{
	json_t *v;
	int r = field(obj, name, &v);

	*out = "";
	if (r < 0 || !v || json_is_null(v))
		return r;
	if (!json_is_string(v))
		return -EINVAL;
	*out = json_string_value(v);
	return 0;
}

static int field_bool(json_t *obj, const char *name, bool *out)
{
	json_t *v;
	int r = field(obj, name, &v);

	*out = false;
	if (r < 0 || !v || json_is_null(v))
		return r;
	if (!json_is_boolean(v))
		return -EINVAL;
	*out = json_is_true(v);
	return 0;
}

/* An array member (NULL when absent or null); -EINVAL for another type. */
static int field_array(json_t *obj, const char *name, json_t **out)
{
	int r = field(obj, name, out);

	if (r < 0 || !*out || json_is_null(*out)) {
		*out = NULL;
		return r;
	}
	return json_is_array(*out) ? 0 : -EINVAL;
}

static bool malformed(struct verdict *v, const char *what)
{
	return deny(v, "ECI mode (keel.eci=1) refuses a request it cannot read: %s", what);
}

/* --- the checks ------------------------------------------------------ */

struct flag_rule {
	const char *field;    /* folded (lower case) */
	const char *flag;
};

static const struct flag_rule host_modes[] = {
	{ "usernsmode",   "--userns=host" },
	{ "pidmode",      "--pid=host" },
	{ "networkmode",  "--network=host" },
	{ "ipcmode",      "--ipc=host" },
	{ "utsmode",      "--uts=host" },
	{ "cgroupnsmode", "--cgroupns=host" },
};

/* Resources (HostConfig on create, the body of update) that reach devices. */
static const struct flag_rule device_fields[] = {
	{ "devices",           "--device" },
	{ "devicecgrouprules", "--device-cgroup-rule" },
	{ "devicerequests",    "--gpus" },
};

/* The capabilities docker grants by default (oci/caps/defaults.go). */
static const char *const default_caps[] = {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
	"SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
	"AUDIT_WRITE",
};

static bool check_caps(json_t *hc, struct verdict *v)
{
	json_t *caps, *c;
	size_t i, j;

	if (field_array(hc, "capadd", &caps) < 0)
		return malformed(v, "HostConfig.CapAdd");
	json_array_foreach(caps, i, c) {
		const char *name = json_string_value(c);
		bool ok = false;

		if (!name)
			return malformed(v, "HostConfig.CapAdd");
		if (!strncasecmp(name, "CAP_", 4))
			name += 4;
		for (j = 0; j < sizeof(default_caps) / sizeof(default_caps[0]); j++)
			ok = ok || !strcasecmp(name, default_caps[j]);
		if (!ok)
			return deny(v, "--cap-add %.64s" SUFFIX, json_string_value(c));
	}
	return true;
}

/* --security-opt: what cannot widen the container's reach is allowed. */
static bool check_security_opt(const char *opt, struct verdict *v)
{
	size_t kn = strcspn(opt, "=:");
	const char *val = opt[kn] ? opt + kn + 1 : "";

	if (kn == 17 && !strncmp(opt, "no-new-privileges", kn))
		return true;
	if (kn == 5 && !strncmp(opt, "label", kn) && strcmp(val, "disable"))
		return true;           /* no SELinux in the VM: labels change nothing */
	if (kn == 8 && !strncmp(opt, "apparmor", kn) && strcmp(val, "unconfined"))
		return true;
	if (kn == 7 && !strncmp(opt, "seccomp", kn) && strcmp(val, "unconfined"))
		return deny(v, "--security-opt seccomp=PROFILE" SUFFIX
			    ": a custom profile may allow what the default one denies");
	return deny(v, "--security-opt %.64s" SUFFIX, opt);
}

static bool check_security_opts(json_t *hc, struct verdict *v)
{
	json_t *opts, *o;
	size_t i;

	if (field_array(hc, "securityopt", &opts) < 0)
		return malformed(v, "HostConfig.SecurityOpt");
	json_array_foreach(opts, i, o) {
		if (!json_is_string(o))
			return malformed(v, "HostConfig.SecurityOpt");
		if (!check_security_opt(json_string_value(o), v))
			return false;
	}
	return true;
}

/* A bind mount's source: only a path on a share, and never a VM path. */
static bool check_bind_source(const char *src, const char *flag,
			      const struct policy_env *env, struct verdict *v)
{
	char real[POLICY_PATH_MAX];

	if (src[0] != '/')
		return deny(v, "%s%.64s" SUFFIX ": the source must be an absolute path", flag, src);
	if (env->resolve(src, real, sizeof(real)) < 0)
		return deny(v, "%s%.64s" SUFFIX ": the path cannot be resolved", flag, src);
	if (!strcmp(real, DOCKER_SOCKET))
		return deny(v, "%s%.64s" SUFFIX ": it is the docker socket", flag, src);
	if (!share_path_allowed(real))
		return deny(v, "%s%.64s" SUFFIX ": %.64s is a path of the VM itself", flag, src, real);
	if (!env->on_share(real))
		return deny(v, "%s%.64s" SUFFIX ": only shared host folders may be bind-mounted",
			    flag, src);
	return true;
}

static bool check_binds(json_t *hc, const struct policy_env *env, struct verdict *v)
{
	json_t *binds, *b;
	char src[POLICY_PATH_MAX];
	size_t i, n;

	if (field_array(hc, "binds", &binds) < 0)
		return malformed(v, "HostConfig.Binds");
	json_array_foreach(binds, i, b) {
		const char *spec = json_string_value(b);

		if (!spec)
			return malformed(v, "HostConfig.Binds");
		n = strcspn(spec, ":");
		if (n == 0 || n >= sizeof(src))
			return malformed(v, "HostConfig.Binds");
		memcpy(src, spec, n);
		src[n] = '\0';
		/* a name is a volume; a path is a bind mount */
		if (src[0] == '/' && !check_bind_source(src, "-v ", env, v))
			return false;
	}
	return true;
}

/* The local driver mounts `device` with `o`: a VM path or o=bind is a bind
 * mount in disguise (docker volume create --opt, --mount volume-opt=). */
static bool check_volume_opts(json_t *opts, const char *flag, struct verdict *v)
{
	const char *key;
	json_t *val;

	if (!opts || json_is_null(opts))
		return true;
	if (!json_is_object(opts))
		return malformed(v, "volume driver options");
	json_object_foreach(opts, key, val) {
		const char *s = json_string_value(val);

		if (!s)
			return malformed(v, "volume driver options");
		if ((key_folds_to(key, "device") && s[0] == '/') ||
		    (key_folds_to(key, "o") && strstr(s, "bind")))
			return deny(v, "%s %.32s=%.64s" SUFFIX ": it binds a VM path", flag, key, s);
	}
	return true;
}

static bool check_mount(json_t *m, const struct policy_env *env, struct verdict *v)
{
	const char *type, *src;
	json_t *vo, *dc, *opts;

	if (field_str(m, "type", &type) < 0 || field_str(m, "source", &src) < 0)
		return malformed(v, "HostConfig.Mounts");
	if (!strcmp(type, "bind"))
		return check_bind_source(src, "--mount type=bind,source=", env, v);
	if (strcmp(type, "volume"))
		return true;
	if (field(m, "volumeoptions", &vo) < 0)
		return malformed(v, "HostConfig.Mounts");
	if (!vo || json_is_null(vo))
		return true;
	if (field(vo, "driverconfig", &dc) < 0)
		return malformed(v, "HostConfig.Mounts");
	if (!dc || json_is_null(dc))
		return true;
	if (field(dc, "options", &opts) < 0)
		return malformed(v, "HostConfig.Mounts");
	return check_volume_opts(opts, "--mount volume-opt", v);
}

static bool check_mounts(json_t *hc, const struct policy_env *env, struct verdict *v)
{
	json_t *mounts, *m;
	size_t i;

	if (field_array(hc, "mounts", &mounts) < 0)
		return malformed(v, "HostConfig.Mounts");
	json_array_foreach(mounts, i, m)
		if (!check_mount(m, env, v))
			return false;
	return true;
}

static bool check_devices(json_t *res, struct verdict *v)
{
	json_t *a;
	size_t i;

	for (i = 0; i < sizeof(device_fields) / sizeof(device_fields[0]); i++) {
		if (field_array(res, device_fields[i].field, &a) < 0)
			return malformed(v, device_fields[i].field);
		if (a && json_array_size(a))
			return deny(v, "%s" SUFFIX, device_fields[i].flag);
	}
	return true;
}

static bool check_host_config(json_t *hc, const struct policy_env *env, struct verdict *v)
{
	const char *s;
	json_t *p;
	bool b;
	size_t i;

	if (!hc || json_is_null(hc))
		return true;
	if (field_bool(hc, "privileged", &b) < 0)
		return malformed(v, "HostConfig.Privileged");
	if (b)
		return deny(v, "--privileged" SUFFIX);
	for (i = 0; i < sizeof(host_modes) / sizeof(host_modes[0]); i++) {
		if (field_str(hc, host_modes[i].field, &s) < 0)
			return malformed(v, host_modes[i].field);
		if (!strcmp(s, "host"))
			return deny(v, "%s" SUFFIX, host_modes[i].flag);
	}
	/* the CLI turns systempaths=unconfined into empty lists of these */
	if (field(hc, "maskedpaths", &p) < 0 || (p && !json_is_null(p)) ||
	    field(hc, "readonlypaths", &p) < 0 || (p && !json_is_null(p)))
		return deny(v, "--security-opt systempaths=unconfined" SUFFIX);
	if (field_str(hc, "cgroupparent", &s) < 0)
		return malformed(v, "HostConfig.CgroupParent");
	if (*s)
		return deny(v, "--cgroup-parent" SUFFIX ": containers stay below /containers");
	return check_devices(hc, v) && check_caps(hc, v) && check_security_opts(hc, v) &&
	       check_binds(hc, env, v) && check_mounts(hc, env, v);
}

/* NetworkingConfig.EndpointsConfig names networks to join: never "host". */
static bool check_endpoints(json_t *body, struct verdict *v)
{
	json_t *nc, *eps;
	const char *name;
	json_t *ep;

	if (field(body, "networkingconfig", &nc) < 0 ||
	    (nc && !json_is_null(nc) && field(nc, "endpointsconfig", &eps) < 0))
		return malformed(v, "NetworkingConfig");
	if (!nc || json_is_null(nc) || !eps || json_is_null(eps))
		return true;
	if (!json_is_object(eps))
		return malformed(v, "NetworkingConfig.EndpointsConfig");
	json_object_foreach(eps, name, ep)
		if (!strcmp(name, "host"))
			return deny(v, "--network=host" SUFFIX);
	return true;
}

/* --- routes ---------------------------------------------------------- */

static json_t *load_body(const struct policy_req *req, struct verdict *v)
{
	json_error_t err;
	json_t *root;

	if (!req->body || !req->body_len) {
		malformed(v, "dockerd sent no body to inspect (empty, not application/json, or over 1 MiB)");
		return NULL;
	}
	root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(root)) {
		json_decref(root);
		malformed(v, "the body is not a JSON object");
		return NULL;
	}
	return root;
}

enum route { R_OTHER, R_CREATE, R_EXEC, R_UPDATE, R_START, R_BUILD, R_VOLUME,
	     R_PLUGIN, R_SWARM, R_SERVICE };

/* path has no version prefix; segments are compared exactly (mux does). */
static enum route route_of(const char *method, const char *path)
{
	static const char *const plugin_verbs[] = { "upgrade", "enable", "set" };
	char seg[4][256];
	int n = 0;
	const char *p = path + 1, *end;
	size_t i;

	if (strcmp(method, "POST"))
		return R_OTHER;
	while (*p && n < 4) {
		end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(seg[0]))
			return R_OTHER;
		memcpy(seg[n], p, len);
		seg[n++][len] = '\0';
		p = end ? end + 1 : p + len;
	}
	if (*p)
		return R_OTHER;
	if (n == 2 && !strcmp(seg[0], "containers") && !strcmp(seg[1], "create"))
		return R_CREATE;
	if (n == 3 && !strcmp(seg[0], "containers")) {
		if (!strcmp(seg[2], "exec"))
			return R_EXEC;
		if (!strcmp(seg[2], "update"))
			return R_UPDATE;
		if (!strcmp(seg[2], "start"))
			return R_START;
	}
	if (n == 1 && !strcmp(seg[0], "build"))
		return R_BUILD;
	if (n == 2 && !strcmp(seg[0], "volumes") && !strcmp(seg[1], "create"))
		return R_VOLUME;
	if (n == 2 && !strcmp(seg[0], "plugins") &&
	    (!strcmp(seg[1], "pull") || !strcmp(seg[1], "create")))
		return R_PLUGIN;
	if (n == 3 && !strcmp(seg[0], "plugins"))
		for (i = 0; i < sizeof(plugin_verbs) / sizeof(plugin_verbs[0]); i++)
			if (!strcmp(seg[2], plugin_verbs[i]))
				return R_PLUGIN;
	if (n == 2 && !strcmp(seg[0], "swarm") && (!strcmp(seg[1], "init") || !strcmp(seg[1], "join")))
		return R_SWARM;
	if ((n == 2 && !strcmp(seg[0], "services") && !strcmp(seg[1], "create")) ||
	    (n == 3 && !strcmp(seg[0], "services") && !strcmp(seg[2], "update")))
		return R_SERVICE;
	return R_OTHER;
}

static bool check_body(enum route r, json_t *body, const struct policy_env *env,
		       struct verdict *v)
{
	json_t *hc, *opts;
	bool b;

	switch (r) {
	case R_CREATE:
		if (field(body, "hostconfig", &hc) < 0)
			return malformed(v, "HostConfig");
		return check_endpoints(body, v) && check_host_config(hc, env, v);
	case R_EXEC:
		if (field_bool(body, "privileged", &b) < 0)
			return malformed(v, "Privileged");
		return b ? deny(v, "docker exec --privileged" SUFFIX) : true;
	case R_UPDATE:
		return check_devices(body, v);
	case R_VOLUME:
		if (field(body, "driveropts", &opts) < 0)
			return malformed(v, "DriverOpts");
		return check_volume_opts(opts, "docker volume create --opt", v);
	default:
		return true;
	}
}

static bool check_route(enum route r, const char *query, const struct policy_req *req,
			const struct policy_env *env, struct verdict *v)
{
	json_t *body;
	bool found, ok;

	switch (r) {
	case R_OTHER:
		return true;
	case R_START:
		/* API < 1.24 took a HostConfig here; dockerd 26 refuses a body */
		return req->body_len ? deny(v, "a HostConfig in docker start" SUFFIX) : true;
	case R_BUILD:
		if (query_has(query, "networkmode", "host", &found) < 0)
			return malformed(v, "the query string");
		return found ? deny(v, "docker build --network=host" SUFFIX) : true;
	case R_PLUGIN:
		return deny(v, "docker plugin install/upgrade/enable/set" SUFFIX
			    ": a plugin runs with privilege in the VM");
	case R_SWARM:
		return deny(v, "docker swarm init/join" SUFFIX
			    ": a service's containers bypass this check");
	case R_SERVICE:
		return deny(v, "docker service create/update" SUFFIX
			    ": a service's containers bypass this check");
	default:
		break;
	}
	if (!(body = load_body(req, v)))
		return false;
	ok = check_body(r, body, env, v);
	json_decref(body);
	return ok;
}

bool policy_allows(const struct policy_req *req, const struct policy_env *env,
		   char *msg, size_t cap)
{
	char path[URI_MAX];
	struct verdict v = { msg, cap };
	const char *q, *p;
	size_t n;

	msg[0] = '\0';
	if (!req->method || !req->uri || req->uri[0] != '/')
		return malformed(&v, "no method or request URI");
	q = strchr(req->uri, '?');
	n = q ? (size_t)(q - req->uri) : strlen(req->uri);
	if (unescape(req->uri, n, false, path, sizeof(path)) < 0)
		return malformed(&v, "the request path");
	p = strip_version(path);
	if (!canonical_path(p))
		return malformed(&v, "the request path is not canonical");
	return check_route(route_of(req->method, p), q ? q + 1 : NULL, req, env, &v);
}
