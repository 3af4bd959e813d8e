/* init/cmdline.c: the keel.* kernel parameters. The command line comes from
 * outside (bootloader, VM config), so every length is checked and nothing is
 * read past len; a bad parameter costs one warning, never the boot. */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_MAX 1024   /* longer parameters are rejected, not truncated */

struct param_handler {
	const char *name;
	bool takes_value;
	/* Returns NULL when accepted, else what was expected (for the warning). */
	const char *(*apply)(struct config *cfg, const char *value);
};

const char *share_fs_name(enum share_fs fs)
{
	switch (fs) {
	case SHARE_FS_VIRTIOFS: return "virtiofs";
	case SHARE_FS_9P: return "9p";
	default: return "auto";
	}
}

static bool is_tag_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static bool is_path_char(char c)
{
	return is_tag_char(c) || c == '/' || c == '+' || c == '@';
}

/* An absolute path without "." or ".." components and without "//". */
static bool path_ok(const char *p, size_t len)
{
	size_t i, start;

	if (len < 2 || p[0] != '/')
		return false;
	for (i = 0; i < len; i++)
		if (!is_path_char(p[i]))
			return false;
	for (start = 1; start <= len; start = i + 1) {
		for (i = start; i < len && p[i] != '/'; i++)
			;
		if (i == start && i != len)
			return false;                   /* "//" */
		if ((i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return false;
	}
	return true;
}

static const char *apply_share(struct config *cfg, const char *v)
{
	static const char expect[] = "expected TAG:/ABSOLUTE/PATH[:virtiofs|9p][:ro]";
	struct share_cfg sh = { .fs = SHARE_FS_AUTO };
	const char *colon = strchr(v, ':'), *p, *end;
	bool have_fs = false;
	size_t n, i;

	if (cfg->nshares >= CONFIG_MAX_SHARES)
		return "too many keel.share parameters (at most 16)";
	if (!colon || colon == v || (size_t)(colon - v) > SHARE_TAG_MAX)
		return expect;
	for (p = v; p < colon; p++)
		if (!is_tag_char(*p))
			return expect;
	memcpy(sh.tag, v, (size_t)(colon - v));
	p = colon + 1;
	end = strchr(p, ':');
	n = end ? (size_t)(end - p) : strlen(p);
	if (n >= sizeof(sh.path) || !path_ok(p, n))
		return expect;
	memcpy(sh.path, p, n);
	while (end) {
		p = end + 1;
		end = strchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && !memcmp(p, "ro", 2) && !sh.ro)
			sh.ro = true;
		else if (n == 8 && !memcmp(p, "virtiofs", 8) && !have_fs)
			sh.fs = SHARE_FS_VIRTIOFS, have_fs = true;
		else if (n == 2 && !memcmp(p, "9p", 2) && !have_fs)
			sh.fs = SHARE_FS_9P, have_fs = true;
		else
			return expect;
	}
	for (i = 0; i < cfg->nshares; i++) {
		if (!strcmp(cfg->shares[i].tag, sh.tag))
			return "duplicate share tag";
		if (!strcmp(cfg->shares[i].path, sh.path))
			return "duplicate share path";
	}
	cfg->shares[cfg->nshares++] = sh;
	return NULL;
}

static const char *apply_data(struct config *cfg, const char *v)
{
	size_t n = strlen(v);

	if (n < 6 || n >= sizeof(cfg->data_dev) || strncmp(v, "/dev/", 5) || !path_ok(v, n))
		return "expected a device path such as /dev/vdb";
	memcpy(cfg->data_dev, v, n + 1);
	return NULL;
}

/* The host side says it just created the disk (run-vm, after truncate):
 * all zero, it may be formatted without a signature probe. */
static const char *apply_data_new(struct config *cfg, const char *v)
{
	if (v)
		return "expected keel.data.new without a value";
	cfg->data_new = true;
	return NULL;
}

static const char *apply_hostname(struct config *cfg, const char *v)
{
	static const char expect[] = "expected a host name of 1-63 letters, digits and '-'";
	size_t n = strlen(v), i;

	if (n == 0 || n > HOSTNAME_MAX || v[0] == '-' || v[n - 1] == '-')
		return expect;
	for (i = 0; i < n; i++)
		if (!is_tag_char(v[i]) || v[i] == '_' || v[i] == '.')
			return expect;
	memcpy(cfg->hostname, v, n + 1);
	return NULL;
}

static bool is_net_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
	       c == '.' || c == ':' || c == '/';
}

/* keel.ip is checked for shape only (ADDR/LEN then gw=/dns= fields); the
 * agent parses it fully (agent/netconf.h) when it applies it. */
static const char *apply_ip(struct config *cfg, const char *v)
{
	static const char expect[] = "expected ADDR/LEN[,gw=GW][,dns=DNS]...";
	size_t n = strlen(v);
	const char *p = v, *end;
	bool first = true;

	if (n == 0 || n >= sizeof(cfg->net))
		return expect;
	for (; p; p = end ? end + 1 : NULL, first = false) {
		const char *q;
		end = strchr(p, ',');
		q = p;
		if (!first) {
			if (!strncmp(q, "gw=", 3))
				q += 3;
			else if (!strncmp(q, "dns=", 4))
				q += 4;
			else
				return expect;
		}
		if (q == (end ? end : p + strlen(p)))
			return expect;
		for (; q < (end ? end : p + strlen(p)); q++)
			if (!is_net_char(*q))
				return expect;
		if (first && !memchr(p, '/', (size_t)((end ? end : p + strlen(p)) - p)))
			return expect;
	}
	memcpy(cfg->net, v, n + 1);
	return NULL;
}

static const char *apply_debug(struct config *cfg, const char *v)
{
	if (v && strcmp(v, "1") && strcmp(v, "0"))
		return "expected keel.debug, keel.debug=1 or keel.debug=0";
	cfg->debug = !v || !strcmp(v, "1");
	return NULL;
}

/* Enhanced Container Isolation (docs/eci.md): off unless asked for. */
static const char *apply_eci(struct config *cfg, const char *v)
{
	if (strcmp(v, "1") && strcmp(v, "0"))
		return "expected keel.eci=1 or keel.eci=0";
	cfg->eci = !strcmp(v, "1");
	return NULL;
}

static const struct param_handler handlers[] = {
	{ "keel.share",    true,  apply_share },
	{ "keel.data",     true,  apply_data },
	{ "keel.data.new", false, apply_data_new },
	{ "keel.hostname", true,  apply_hostname },
	{ "keel.ip",       true,  apply_ip },
	{ "keel.debug",    false, apply_debug },
	{ "keel.eci",      true,  apply_eci },
};

void printable_copy(char *out, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < cap; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] && i + 4 >= cap) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

static void warn_param(cmdline_warn_fn warn, void *ctx, const char *tok, const char *why)
{
	char shown[80], msg[256];

	if (!warn)
		return;
	printable_copy(shown, sizeof(shown), tok);
	snprintf(msg, sizeof(msg), "ignoring kernel parameter '%s': %s", shown, why);
	warn(ctx, msg);
}

/* tok is one NUL-terminated parameter with its quotes removed. */
static bool apply_param(struct config *cfg, char *tok, cmdline_warn_fn warn, void *ctx)
{
	char *eq = strchr(tok, '='), *value = NULL;
	const char *why;
	size_t i;

	if (strncmp(tok, "keel.", 5))
		return true;
	if (eq) {
		*eq = '\0';
		value = eq + 1;
	}
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (strcmp(tok, handlers[i].name))
			continue;
		if (handlers[i].takes_value && !value)
			why = "missing value";
		else
			why = handlers[i].apply(cfg, value);
		if (eq)
			*eq = '=';
		if (why)
			warn_param(warn, ctx, tok, why);
		return !why;
	}
	if (eq)
		*eq = '=';
	warn_param(warn, ctx, tok, "unknown keel parameter");
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_parse(const char *buf, size_t len, struct config *cfg,
		  cmdline_warn_fn warn, void *ctx)
{
	char tok[TOKEN_MAX + 1];
	size_t i = 0, n;
	int bad = 0;

	memset(cfg, 0, sizeof(*cfg));
	while (i < len) {
		bool quoted = false, too_long = false, has_nul = false;

		while (i < len && is_space(buf[i]))
			i++;
		if (i >= len)
			break;
		/* Quotes group spaces into one parameter and are dropped, as the
		 * kernel does for param="a b". */
		for (n = 0; i < len && (quoted || !is_space(buf[i])); i++) {
			if (buf[i] == '"') {
				quoted = !quoted;
				continue;
			}
			if (buf[i] == '\0')
				has_nul = true;
			if (n < TOKEN_MAX)
				tok[n++] = buf[i];
			else
				too_long = true;
		}
		tok[n] = '\0';
		if (strncmp(tok, "keel.", 5))
			continue;
		if (too_long || has_nul || quoted) {
			warn_param(warn, ctx, tok, too_long ? "longer than 1024 bytes" :
				   has_nul ? "contains a NUL byte" : "unterminated quote");
			bad++;
		} else if (!apply_param(cfg, tok, warn, ctx)) {
			bad++;
		}
	}
	return bad;
}
