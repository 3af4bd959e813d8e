/* libFuzzer harness for init/cmdline.c: any byte string as a kernel command
 * line. Besides ASan/UBSan, it asserts what the parser promises: the config
 * it returns only holds well-formed values, and warnings are bounded,
 * printable single lines. */
#include "init/cmdline.c"
#include <stdint.h>
#include <stdlib.h>

static void check_warning(void *ctx, const char *msg)
{
	size_t i, n = strlen(msg);

	(void)ctx;
	if (n >= 256)
		abort();
	for (i = 0; i < n; i++)
		if (msg[i] < 0x20 || msg[i] == 0x7f)
			abort();
}

static bool has_dot_component(const char *p)
{
	const char *c = p;

	while ((c = strchr(c, '/'))) {
		c++;
		if ((c[0] == '.' && (c[1] == '/' || !c[1])) ||
		    (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2])) || c[0] == '/')
			return true;
	}
	return false;
}

static void check_config(const struct config *c)
{
	size_t i;

	if (c->nshares > CONFIG_MAX_SHARES)
		abort();
	for (i = 0; i < c->nshares; i++) {
		const struct share_cfg *s = &c->shares[i];
		if (!memchr(s->tag, 0, sizeof(s->tag)) || !memchr(s->path, 0, sizeof(s->path)))
			abort();
		if (!s->tag[0] || s->path[0] != '/' || has_dot_component(s->path) || strchr(s->path, ':'))
			abort();
	}
	if (!memchr(c->data_dev, 0, sizeof(c->data_dev)) || !memchr(c->hostname, 0, sizeof(c->hostname)) ||
	    !memchr(c->net, 0, sizeof(c->net)))
		abort();
	if (c->data_dev[0] && strncmp(c->data_dev, "/dev/", 5))
		abort();
	if (strchr(c->net, ' ') || strchr(c->hostname, ' '))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;

	cmdline_parse((const char *)data, size, &cfg, check_warning, NULL);
	check_config(&cfg);
	return 0;
}
