/* engine/rules.c: see settings.h. Two const tables: the keys keel keeps (with
 * the reason a user reads in Health) and the keys a host may set (with the
 * check of their value). Anything in neither is refused: dockerd itself
 * refuses to start on a key it does not know, and a key keel has not
 * considered is not passed on. */
#include "settings.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_MAX 64        /* elements of any array setting */
#define STRING_MAX 2048     /* any string setting */

struct reserved {
	const char *key;
	const char *why;
};

static const struct reserved reserved[] = {
	{ "userns-remap", "keel runs dockerd with --userns-remap=default (a container's root is uid 100000 of the VM, and shares rely on it); it cannot be changed or turned off" },
	{ "hosts", "dockerd listens only on /run/docker.sock in the VM; keel serves it on the host (STATE/docker.sock)" },
	{ "group", "keel serves the docker socket on the host itself, as the user's alone" },
	{ "tls", "dockerd has no TCP socket in keel: keel serves the unix socket on the host" },
	{ "tlsverify", "dockerd has no TCP socket in keel: keel serves the unix socket on the host" },
	{ "tlscacert", "dockerd has no TCP socket in keel: keel serves the unix socket on the host" },
	{ "tlscert", "dockerd has no TCP socket in keel: keel serves the unix socket on the host" },
	{ "tlskey", "dockerd has no TCP socket in keel: keel serves the unix socket on the host" },
	{ "data-root", "dockerd's state lives on the data disk at /var/lib/docker (the root image is read-only)" },
	{ "exec-root", "dockerd's runtime state is /run/docker, which keel's init expects" },
	{ "pidfile", "keel's init supervises dockerd; the pid file is /run/docker.pid" },
	{ "cgroup-parent", "keel puts every container under the VM's /containers cgroup" },
	{ "exec-opts", "the cgroup driver and runtime options are part of the image" },
	{ "storage-driver", "overlay2 on the data disk is the storage keel builds and tests" },
	{ "storage-opts", "overlay2 on the data disk is the storage keel builds and tests" },
	{ "containerd", "keel's init runs containerd at /run/containerd/containerd.sock" },
	{ "containerd-namespace", "keel's init runs containerd and its namespaces" },
	{ "containerd-plugins-namespace", "keel's init runs containerd and its namespaces" },
	{ "runtimes", "the VM's container runtime (runc through containerd) is part of the image" },
	{ "default-runtime", "the VM's container runtime (runc through containerd) is part of the image" },
	{ "authorization-plugins", "keel decides the authorization plugins (ECI mode installs its own); the host cannot remove or add one" },
	{ "iptables", "keel's networking (published ports, container egress) needs dockerd's NAT rules" },
	{ "ip-forward", "keel's networking (published ports, container egress) needs dockerd's NAT rules" },
	{ "ip-masq", "keel's networking (published ports, container egress) needs dockerd's NAT rules" },
	{ "userland-proxy", "keel finds published ports by the sockets docker-proxy listens on in the VM" },
	{ "userland-proxy-path", "keel finds published ports by the sockets docker-proxy listens on in the VM" },
	{ "host-gateway-ip", "host.docker.internal must be keel's host address, 192.168.65.254 (the agent's DNS and binds)" },
	{ "shutdown-timeout", "keel's init sets dockerd's shutdown timeout to match its own grace period" },
	{ "selinux-enabled", "the VM's kernel has no SELinux" },
	{ "seccomp-profile", "container isolation settings are part of keel's image" },
	{ "no-new-privileges", "container isolation settings are part of keel's image" },
	{ "default-cgroupns-mode", "container isolation settings are part of keel's image" },
	{ "cri-containerd", "keel's init runs containerd" },
	{ "config-file", "keel gives dockerd its merged configuration file" },
};

/* --- value checks ---------------------------------------------------- */

typedef int check_fn(json_t *v, char *why, size_t len);

/* The length of the valid UTF-8 sequence at s (of n bytes), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	size_t i;

	if (s[0] >= 0xf8 || len == 0 || len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void rules_sanitize(const char *in, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = strlen(in), o = 0, k;

	while (n > 0 && o + 4 < cap) {
		k = *s >= 0x80 ? utf8_len(s, n) : 1;
		if (k <= 1) {
			out[o++] = (*s < 0x20 || *s >= 0x7f) ? '?' : (char)*s;
			k = 1;
		} else {
			memcpy(out + o, s, k);
			o += k;
		}
		s += k;
		n -= k;
	}
	if (n > 0 && cap >= 4)
		memcpy(out + o, "...", 3), o += 3;
	if (cap > 0)
		out[o < cap ? o : cap - 1] = 0;
}

/* why = fmt with arg (outside data: cut short, no control bytes, valid UTF-8). */
static int bad(char *why, size_t len, const char *fmt, const char *arg)
{
	char safe[160];

	rules_sanitize(arg, safe, sizeof(safe));
	snprintf(why, len, fmt, safe);
	return -EINVAL;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A string without control characters (and with no space when word). */
static int string_ok(json_t *v, bool word, char *why, size_t len)
{
	const char *s = json_string_value(v);

	if (!json_is_string(v))
		return bad(why, len, "expected a string%s", "");
	if (!*s || json_string_length(v) > STRING_MAX || strlen(s) != json_string_length(v))
		return bad(why, len, "expected a non-empty string of at most %s bytes", "2048");
	if (!printable(s) || (word && strchr(s, ' ')))
		return bad(why, len, "\"%s\" has a space or control character (shown as ?)", s);
	return 0;
}

static int c_string(json_t *v, char *why, size_t len) { return string_ok(v, false, why, len); }
static int c_word(json_t *v, char *why, size_t len) { return string_ok(v, true, why, len); }

static int c_bool(json_t *v, char *why, size_t len)
{
	return json_is_boolean(v) ? 0 : bad(why, len, "expected true or false%s", "");
}

static int int_in(json_t *v, json_int_t lo, json_int_t hi, char *why, size_t len)
{
	char range[64];

	snprintf(range, sizeof(range), "%lld..%lld", (long long)lo, (long long)hi);
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad(why, len, "expected an integer in %s", range);
	return 0;
}

static int c_count(json_t *v, char *why, size_t len) { return int_in(v, 1, 1000, why, len); }
static int c_mtu(json_t *v, char *why, size_t len) { return int_in(v, 68, 65535, why, len); }

/* Every element of an array checked by each(); at most ARRAY_MAX. */
static int array_of(json_t *v, check_fn *each, char *why, size_t len)
{
	char inner[REASON_MAX], idx[24];
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > ARRAY_MAX)
		return bad(why, len, "expected an array of at most %s elements", "64");
	json_array_foreach(v, i, e) {
		if (each(e, inner, sizeof(inner)) == 0)
			continue;
		snprintf(idx, sizeof(idx), "%zu", i);
		snprintf(why, len, "element %s: %s", idx, inner);
		return -EINVAL;
	}
	return 0;
}

/* As dockerd's registry.ValidateMirror: http or https, a host, no query,
 * fragment or credentials. */
static int c_url(json_t *v, char *why, size_t len)
{
	const char *s = json_string_value(v), *host;
	size_t hostlen;

	if (c_word(v, why, len))
		return -EINVAL;
	if (!strncmp(s, "https://", 8))
		host = s + 8;
	else if (!strncmp(s, "http://", 7))
		host = s + 7;
	else
		return bad(why, len, "\"%s\" is not an http:// or https:// URL", s);
	hostlen = strcspn(host, "/");
	if (hostlen == 0 || memchr(host, '@', hostlen))
		return bad(why, len, "\"%s\" needs a host and no user name or password", s);
	if (strpbrk(s, "?#"))
		return bad(why, len, "\"%s\": no query or fragment in a mirror URL", s);
	return 0;
}

/* ADDR/LEN, IPv4 or IPv6; *bits gets the address width. */
static int cidr(const char *s, int *bits)
{
	char addr[64], *end;
	const char *slash = strchr(s, '/');
	unsigned char buf[16];
	long plen;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = 0;
	*bits = strchr(addr, ':') ? 128 : 32;
	if (inet_pton(*bits == 128 ? AF_INET6 : AF_INET, addr, buf) != 1)
		return -EINVAL;
	plen = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end || plen < 0 || plen > *bits)
		return -EINVAL;
	return (int)plen;
}

static int c_cidr(json_t *v, char *why, size_t len)
{
	int bits;

	if (c_word(v, why, len))
		return -EINVAL;
	if (cidr(json_string_value(v), &bits) < 0)
		return bad(why, len, "\"%s\" is not an address/prefix-length", json_string_value(v));
	return 0;
}

static int c_ip(json_t *v, char *why, size_t len)
{
	unsigned char buf[16];
	const char *s = json_string_value(v);

	if (c_word(v, why, len))
		return -EINVAL;
	if (inet_pton(AF_INET, s, buf) != 1 && inet_pton(AF_INET6, s, buf) != 1)
		return bad(why, len, "\"%s\" is not an IP address", s);
	return 0;
}

static int c_urls(json_t *v, char *why, size_t len) { return array_of(v, c_url, why, len); }
static int c_words(json_t *v, char *why, size_t len) { return array_of(v, c_word, why, len); }
static int c_ips(json_t *v, char *why, size_t len) { return array_of(v, c_ip, why, len); }

/* An object whose every value passes each(). */
static int object_of(json_t *v, check_fn *each, const char *what, char *why, size_t len)
{
	char inner[REASON_MAX], name[80];
	const char *k;
	json_t *e;

	if (!json_is_object(v) || json_object_size(v) > ARRAY_MAX)
		return bad(why, len, "expected an object of %s", what);
	json_object_foreach(v, k, e) {
		if (!*k || !printable(k))
			return bad(why, len, "an empty or unprintable name in an object of %s", what);
		if (each(e, inner, sizeof(inner)) == 0)
			continue;
		rules_sanitize(k, name, sizeof(name));
		snprintf(why, len, "\"%s\": %s", name, inner);
		return -EINVAL;
	}
	return 0;
}

/* log-opts values are strings in dockerd ("max-file": "3", not 3). */
static int c_log_opts(json_t *v, char *why, size_t len)
{
	return object_of(v, c_string, "strings (\"max-size\": \"10m\")", why, len);
}

static int c_features(json_t *v, char *why, size_t len)
{
	return object_of(v, c_bool, "true/false values", why, len);
}

static int c_object(json_t *v, char *why, size_t len)
{
	return json_is_object(v) ? 0 : bad(why, len, "expected an object%s", "");
}

static int c_log_level(json_t *v, char *why, size_t len)
{
	static const char *const levels[] = { "debug", "info", "warn", "error", "fatal" };
	size_t i;

	if (json_is_string(v))
		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (!strcmp(json_string_value(v), levels[i]))
				return 0;
	return bad(why, len, "expected one of debug, info, warn, error, fatal%s", "");
}

static int c_proxies(json_t *v, char *why, size_t len)
{
	char inner[REASON_MAX];
	const char *k;
	json_t *e;

	if (!json_is_object(v))
		return bad(why, len, "expected an object with http-proxy, https-proxy, no-proxy%s", "");
	json_object_foreach(v, k, e) {
		if (strcmp(k, "http-proxy") && strcmp(k, "https-proxy") && strcmp(k, "no-proxy"))
			return bad(why, len, "\"%s\": only http-proxy, https-proxy and no-proxy", k);
		if (c_word(e, inner, sizeof(inner)) == 0)
			continue;
		snprintf(why, len, "%s: %s", k, inner);
		return -EINVAL;
	}
	return 0;
}

/* [{"base": "10.10.0.0/16", "size": 24}, ...] */
static int c_pool(json_t *v, char *why, size_t len)
{
	json_t *base = json_object_get(v, "base"), *size = json_object_get(v, "size");
	int bits, plen;

	if (!json_is_object(v) || json_object_size(v) != 2 || !base || !size)
		return bad(why, len, "expected {\"base\": \"ADDR/LEN\", \"size\": N}%s", "");
	if (!json_is_string(base) || (plen = cidr(json_string_value(base), &bits)) < 0)
		return bad(why, len, "base: expected an address/prefix-length%s", "");
	if (!json_is_integer(size) || json_integer_value(size) < plen ||
	    json_integer_value(size) > bits)
		return bad(why, len, "size: expected a prefix length from base's (%s) to the address width",
			   strchr(json_string_value(base), '/') + 1);
	return 0;
}

static int c_pools(json_t *v, char *why, size_t len)
{
	if (json_is_array(v) && json_array_size(v) == 0)
		return bad(why, len, "expected at least one pool%s", "");
	return array_of(v, c_pool, why, len);
}

struct allowed {
	const char *key;
	check_fn *check;
};

static const struct allowed allowed[] = {
	{ "registry-mirrors", c_urls },
	{ "insecure-registries", c_words },
	{ "allow-nondistributable-artifacts", c_words },
	{ "proxies", c_proxies },
	{ "log-driver", c_word },
	{ "log-opts", c_log_opts },
	{ "log-level", c_log_level },
	{ "debug", c_bool },
	{ "experimental", c_bool },
	{ "features", c_features },
	{ "builder", c_object },
	{ "default-address-pools", c_pools },
	{ "bip", c_cidr },
	{ "fixed-cidr", c_cidr },
	{ "fixed-cidr-v6", c_cidr },
	{ "ipv6", c_bool },
	{ "ip6tables", c_bool },
	{ "mtu", c_mtu },
	{ "dns", c_ips },
	{ "dns-opts", c_words },
	{ "dns-search", c_words },
	{ "labels", c_words },
	{ "max-concurrent-downloads", c_count },
	{ "max-concurrent-uploads", c_count },
	{ "max-download-attempts", c_count },
	{ "default-shm-size", c_word },
	{ "default-ulimits", c_object },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char *rules_reserved(const char *key)
{
	size_t i;

	for (i = 0; i < N(reserved); i++)
		if (!strcmp(reserved[i].key, key))
			return reserved[i].why;
	return NULL;
}

/* dockerd flags whose daemon.json key is not the flag's own name. */
static const struct { const char *flag, *key; } flag_keys[] = {
	{ "host", "hosts" }, { "authorization-plugin", "authorization-plugins" },
	{ "registry-mirror", "registry-mirrors" }, { "insecure-registry", "insecure-registries" },
	{ "label", "labels" }, { "log-opt", "log-opts" }, { "storage-opt", "storage-opts" },
	{ "exec-opt", "exec-opts" }, { "add-runtime", "runtimes" },
	{ "default-address-pool", "default-address-pools" }, { "feature", "features" },
	{ "default-ulimit", "default-ulimits" }, { "dns-opt", "dns-opts" },
	{ "cdi-spec-dir", "cdi-spec-dirs" }, { "http-proxy", "proxies" },
	{ "https-proxy", "proxies" }, { "no-proxy", "proxies" },
};

int rules_flag_key(const char *arg, char *key, size_t len)
{
	size_t n, i;

	if (strncmp(arg, "--", 2) || !arg[2])
		return -EINVAL;
	arg += 2;
	n = strcspn(arg, "=");
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(key, arg, n);
	key[n] = 0;
	for (i = 0; i < N(flag_keys); i++)
		if (!strcmp(flag_keys[i].flag, key)) {
			snprintf(key, len, "%s", flag_keys[i].key);
			break;
		}
	return 0;
}

int rules_check(const char *key, json_t *value, char *why, size_t len)
{
	const char *r = rules_reserved(key);
	size_t i;

	if (r) {
		snprintf(why, len, "reserved by keel: %s", r);   /* our own text */
		return -EINVAL;
	}
	for (i = 0; i < N(allowed); i++)
		if (!strcmp(allowed[i].key, key))
			return allowed[i].check(value, why, len);
	return bad(why, len, "not a setting keel passes to dockerd (docs/engine.md lists the ones it does)%s", "");
}
