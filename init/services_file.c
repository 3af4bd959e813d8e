/* init/services_file.c: the service table as a text file, for tests and
 * experiments (docs/init.md has the format). Strings live in the table's own
 * arena; every limit is checked. */
#include "services.h"
#include "decimal.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_LEN 1024
#define WORDS_MAX (SERVICE_ARGV_MAX + 1)

struct parse {
	struct service_table *t;
	struct service_def *cur;
	unsigned lineno;
	char *err;
	size_t errlen;
};

static int fail(struct parse *p, const char *why)
{
	snprintf(p->err, p->errlen, "line %u: %s", p->lineno, why);
	return -EINVAL;
}

static const char *intern(struct service_table *t, const char *s)
{
	size_t n = strlen(s) + 1;
	char *out;

	if (n > sizeof(t->strings) - t->used)
		return NULL;
	out = t->strings + t->used;
	memcpy(out, s, n);
	t->used += n;
	return out;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	unsigned long long v;

	if (!parse_decimal(s, max, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

static int new_service(struct parse *p, char **w, size_t nw)
{
	struct service_table *t = p->t;
	struct service_def *d;

	if (nw != 2)
		return fail(p, "expected: service NAME");
	if (t->n >= SERVICES_MAX)
		return fail(p, "too many services");
	d = &t->defs[t->n];
	memset(d, 0, sizeof(*d));
	d->name = intern(t, w[1]);
	d->argv = t->argv[t->n];
	d->env = t->env[t->n];
	d->ready = READY_EXEC;
	d->grace_ms = 2000;
	d->backoff_min_ms = 100;
	d->backoff_max_ms = 5000;
	d->restart_limit = 5;
	d->restart_window_ms = 60000;
	t->argv[t->n][0] = NULL;
	t->env[t->n][0] = NULL;
	p->cur = d;
	t->n++;
	return d->name ? 0 : fail(p, "table too large");
}

static int set_list(struct parse *p, const char **list, size_t cap, char **w, size_t nw)
{
	size_t have = 0, i;

	while (list[have])
		have++;
	if (have + nw > cap)
		return fail(p, "too many words");
	for (i = 0; i < nw; i++)
		if (!(list[have + i] = intern(p->t, w[i])))
			return fail(p, "table too large");
	list[have + nw] = NULL;
	return 0;
}

static int key_value(struct parse *p, char **w, size_t nw)
{
	struct service_def *d = p->cur;
	size_t idx = (size_t)(d - p->t->defs);
	unsigned v;

	if (!strcmp(w[0], "exec")) {
		if (nw < 2 || p->t->argv[idx][0])
			return fail(p, "expected one line: exec /PATH [ARG]...");
		return set_list(p, p->t->argv[idx], SERVICE_ARGV_MAX, w + 1, nw - 1);
	}
	if (!strcmp(w[0], "env")) {
		if (nw != 2 || !strchr(w[1], '=') || w[1][0] == '=')
			return fail(p, "expected: env KEY=VALUE");
		return set_list(p, p->t->env[idx], SERVICE_ENV_MAX, w + 1, 1);
	}
	if (!strcmp(w[0], "ready")) {
		if (nw == 2 && !strcmp(w[1], "exec"))
			d->ready = READY_EXEC;
		else if (nw == 2 && !strcmp(w[1], "notify"))
			d->ready = READY_NOTIFY;
		else if (nw == 3 && !strcmp(w[1], "socket") && w[2][0] == '/' &&
			 (d->ready_path = intern(p->t, w[2])))
			d->ready = READY_SOCKET;
		else
			return fail(p, "expected: ready exec|notify|socket /PATH");
		return 0;
	}
	if (!strcmp(w[0], "after")) {
		if (nw != 2 || !(d->after = intern(p->t, w[1])))
			return fail(p, "expected: after NAME");
		return 0;
	}
	if (!strcmp(w[0], "needs-data") && nw == 1)
		return d->needs_data = true, 0;
	if (!strcmp(w[0], "net") && nw == 1)
		return d->pass_net = true, 0;
	if (!strcmp(w[0], "secret") && nw == 1)
		return d->pass_secret = true, 0;
	if (!strcmp(w[0], "grace")) {
		if (nw != 2 || !parse_uint(w[1], 600000, &d->grace_ms))
			return fail(p, "expected: grace MS (<= 600000)");
		return 0;
	}
	if (!strcmp(w[0], "oom")) {
		bool neg = nw == 2 && w[1][0] == '-';
		if (nw != 2 || !parse_uint(w[1] + neg, 1000, &v))
			return fail(p, "expected: oom -1000..1000");
		d->oom_score_adj = neg ? -(int)v : (int)v;
		return 0;
	}
	if (!strcmp(w[0], "restart")) {
		if (nw != 5 || !parse_uint(w[1], 600000, &d->backoff_min_ms) ||
		    !parse_uint(w[2], 600000, &d->backoff_max_ms) ||
		    !parse_uint(w[3], RESTART_HISTORY, &d->restart_limit) ||
		    !parse_uint(w[4], 86400000, &d->restart_window_ms) ||
		    d->backoff_min_ms == 0 || d->backoff_max_ms < d->backoff_min_ms)
			return fail(p, "expected: restart MIN_MS MAX_MS LIMIT(<=16) WINDOW_MS");
		return 0;
	}
	return fail(p, "unknown keyword");
}

static int parse_line(struct parse *p, char *line)
{
	char *w[WORDS_MAX + 1], *save = NULL, *tok;
	size_t nw = 0;

	for (tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
		if (tok[0] == '#')
			break;
		if (nw == WORDS_MAX)
			return fail(p, "too many words");
		w[nw++] = tok;
	}
	if (nw == 0)
		return 0;
	if (!strcmp(w[0], "service"))
		return new_service(p, w, nw);
	if (!p->cur)
		return fail(p, "expected: service NAME first");
	return key_value(p, w, nw);
}

int services_file_parse(const char *text, size_t len, struct service_table *t,
			char *err, size_t errlen)
{
	struct parse p = { .t = t, .err = err, .errlen = errlen };
	char line[LINE_MAX_LEN + 1];
	size_t i = 0, n;
	int r;

	memset(t, 0, sizeof(*t));
	while (i < len) {
		p.lineno++;
		for (n = 0; i < len && text[i] != '\n'; i++, n++) {
			if (n == LINE_MAX_LEN)
				return fail(&p, "line too long");
			if (text[i] == '\0')
				return fail(&p, "NUL byte");
			line[n] = text[i];
		}
		i++;                     /* the newline */
		line[n] = '\0';
		if ((r = parse_line(&p, line)) < 0)
			return r;
	}
	return services_validate(t->defs, t->n, err, errlen);
}

int services_file_load(const char *path, struct service_table *t, char *err, size_t errlen)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			snprintf(err, errlen, "%s: %s", path, strerror(e));
			return -e;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == sizeof(buf)) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, sizeof(buf) - 1);
		return -EFBIG;
	}
	return services_file_parse(buf, len, t, err, errlen);
}

static bool name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_'))
			return false;
	return i > 0 && i < SERVICE_NAME_MAX;
}

static const struct service_def *find_def(const struct service_def *defs, size_t n,
					  const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(defs[i].name, name))
			return &defs[i];
	return NULL;
}

int services_validate(const struct service_def *defs, size_t n, char *err, size_t errlen)
{
	size_t i;

	if (n > SERVICES_MAX) {
		snprintf(err, errlen, "more than %d services", SERVICES_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		const struct service_def *d = &defs[i];
		const char *why = NULL;

		if (!d->name || !name_ok(d->name))
			why = "name must be 1-31 of [a-z0-9_-]";
		else if (find_def(defs, i, d->name))
			why = "duplicate name";
		else if (!d->argv || !d->argv[0] || d->argv[0][0] != '/')
			why = "exec needs an absolute path";
		else if (d->ready == READY_SOCKET && (!d->ready_path || d->ready_path[0] != '/'))
			why = "ready socket needs an absolute path";
		else if (d->restart_limit > RESTART_HISTORY || d->backoff_min_ms == 0)
			why = "bad restart policy";
		/* Only earlier services may be waited for: no cycles possible. */
		else if (d->after && !find_def(defs, i, d->after))
			why = "'after' must name an earlier service";
		if (why) {
			snprintf(err, errlen, "service %s: %s",
				 d->name ? d->name : "?", why);
			return -EINVAL;
		}
	}
	return 0;
}
