/* Unit tests of init/cmdline.c: the keel.* kernel parameters, malformed
 * input included. Inputs are copied into exact-size heap buffers so ASan
 * catches any read past len. */
#include "harness.h"
#include "init/cmdline.c"
#include <stdlib.h>

static char warnings[32][256];
static int nwarn;

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	if (nwarn < 32)
		snprintf(warnings[nwarn], sizeof(warnings[0]), "%s", msg);
	nwarn++;
}

static int parse(const char *s, struct config *cfg)
{
	size_t len = strlen(s);
	char *buf = malloc(len ? len : 1);
	int r;

	memcpy(buf, s, len);            /* no NUL: the parser must not need one */
	nwarn = 0;
	r = cmdline_parse(buf, len, cfg, collect, NULL);
	free(buf);
	return r;
}

static struct config cfg;

TEST(empty_and_foreign)
{
	CHECK_EQ_INT(parse("", &cfg), 0);
	CHECK_EQ_INT(parse("   \n", &cfg), 0);
	CHECK_EQ_INT(parse("root=/dev/vda ro console=ttyS0 quiet init=/sbin/keel-init\n", &cfg), 0);
	CHECK_EQ_INT(nwarn, 0);
	CHECK_EQ_INT(cfg.nshares, 0);
	CHECK_EQ_STR(cfg.data_dev, "");
}

TEST(all_valid)
{
	CHECK_EQ_INT(parse("console=ttyS0 keel.share=src:/mnt/host/src keel.share=ro1:/mnt/host/r:ro:9p "
			   "keel.data=/dev/vdb keel.hostname=keel-vm1 "
			   "keel.ip=10.0.2.15/24,gw=10.0.2.2,dns=10.0.2.3 keel.debug\n", &cfg), 0);
	CHECK_EQ_INT(nwarn, 0);
	CHECK_EQ_INT(cfg.nshares, 2);
	CHECK_EQ_STR(cfg.shares[0].tag, "src");
	CHECK_EQ_STR(cfg.shares[0].path, "/mnt/host/src");
	CHECK_EQ_INT(cfg.shares[0].fs, SHARE_FS_AUTO);
	CHECK(!cfg.shares[0].ro);
	CHECK_EQ_INT(cfg.shares[1].fs, SHARE_FS_9P);
	CHECK(cfg.shares[1].ro);
	CHECK_EQ_STR(cfg.data_dev, "/dev/vdb");
	CHECK_EQ_STR(cfg.hostname, "keel-vm1");
	CHECK_EQ_STR(cfg.net, "10.0.2.15/24,gw=10.0.2.2,dns=10.0.2.3");
	CHECK(cfg.debug);
}

TEST(share_forms)
{
	CHECK_EQ_INT(parse("keel.share=a:/x:virtiofs:ro keel.share=b:/y:ro:virtiofs", &cfg), 0);
	CHECK_EQ_INT(cfg.shares[0].fs, SHARE_FS_VIRTIOFS);
	CHECK(cfg.shares[0].ro && cfg.shares[1].ro);
	static const char *const bad[] = {
		"keel.share=", "keel.share=nocolon", "keel.share=:/x", "keel.share=t:",
		"keel.share=t:relative", "keel.share=t:/a/../b", "keel.share=t:/a/./b",
		"keel.share=t://a", "keel.share=t:/x:ro:ro", "keel.share=t:/x:9p:virtiofs",
		"keel.share=t:/x:nfs", "keel.share=t:/x:", "keel.share=t/x:/x",
		"keel.share=\"t:/x y\"", "keel.share=t:/a:b", "keel.share=t:/x\x01",
		"keel.share=0123456789012345678901234567890123456:/x",   /* 37-byte tag */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i], &cfg);
		CHECK_MSG(r == 1 && nwarn == 1 && cfg.nshares == 0, "accepted or misreported: %s", bad[i]);
	}
	CHECK_EQ_INT(parse("keel.share=012345678901234567890123456789012345:/x", &cfg), 0);
}

TEST(share_limits)
{
	char buf[4096];
	size_t off = 0;
	int i;

	for (i = 0; i < CONFIG_MAX_SHARES + 2; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "keel.share=t%d:/m/%d ", i, i);
	CHECK_EQ_INT(parse(buf, &cfg), 2);
	CHECK_EQ_INT(cfg.nshares, CONFIG_MAX_SHARES);
	CHECK(strstr(warnings[0], "too many") != NULL);
	CHECK_EQ_INT(parse("keel.share=a:/x keel.share=a:/y keel.share=b:/x", &cfg), 2);
	CHECK_EQ_INT(cfg.nshares, 1);
	CHECK(strstr(warnings[0], "duplicate share tag") != NULL);
	CHECK(strstr(warnings[1], "duplicate share path") != NULL);
}

TEST(unknown_and_missing)
{
	CHECK_EQ_INT(parse("keel.bogus=1 keel. keel.data keel.hostname keelx=1", &cfg), 4);
	CHECK_EQ_INT(nwarn, 4);
	CHECK(strstr(warnings[0], "'keel.bogus=1': unknown keel parameter") != NULL);
	CHECK(strstr(warnings[2], "'keel.data': missing value") != NULL);
}

TEST(values)
{
	static const char *const bad[] = {
		"keel.data=vdb", "keel.data=/dev/", "keel.data=/etc/passwd", "keel.data=/dev/../etc",
		"keel.hostname=", "keel.hostname=-a", "keel.hostname=a-", "keel.hostname=a.b",
		"keel.hostname=a_b", "keel.hostname=0123456789012345678901234567890123456789012345678901234567890123",
		"keel.ip=", "keel.ip=10.0.2.15", "keel.ip=10.0.2.15/24,", "keel.ip=10.0.2.15/24,gw=",
		"keel.ip=10.0.2.15/24,foo=1", "keel.ip=10.0.2.15/24;reboot", "keel.ip=,gw=1.2.3.4",
		"keel.debug=yes", "keel.debug=",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i], &cfg);
		CHECK_MSG(r == 1 && nwarn == 1, "accepted or misreported: %s", bad[i]);
	}
	CHECK_EQ_INT(parse("keel.ip=fd00::2/64,gw=fd00::1,dns=fd00::3,dns=1.1.1.1 keel.debug=0", &cfg), 0);
	CHECK_EQ_STR(cfg.net, "fd00::2/64,gw=fd00::1,dns=fd00::3,dns=1.1.1.1");
	CHECK(!cfg.debug);
	CHECK(!cfg.data_new);
	CHECK_EQ_INT(parse("keel.data=/dev/vdb keel.data.new", &cfg), 0);
	CHECK(cfg.data_new);
	CHECK_EQ_INT(parse("keel.data.new=1", &cfg), 1);   /* a flag, no value */
	CHECK(!cfg.data_new);
	CHECK_EQ_INT(parse("keel.hostname=a keel.hostname=b", &cfg), 0);
	CHECK_EQ_STR(cfg.hostname, "b");   /* last one wins, as in the kernel */
}

TEST(quotes)
{
	CHECK_EQ_INT(parse("keel.hostname=\"box\" \"keel.data=/dev/vdc\"", &cfg), 0);
	CHECK_EQ_STR(cfg.hostname, "box");
	CHECK_EQ_STR(cfg.data_dev, "/dev/vdc");
	/* A quoted space keeps one parameter together, which is then invalid. */
	CHECK_EQ_INT(parse("keel.hostname=\"a b\" quiet", &cfg), 1);
	CHECK_EQ_STR(cfg.hostname, "");
	CHECK_EQ_INT(parse("keel.hostname=\"abc", &cfg), 1);
	CHECK(strstr(warnings[0], "unterminated quote") != NULL);
	/* A quoted non-keel value may hide keel.* text: it is not a parameter. */
	CHECK_EQ_INT(parse("foo=\"x keel.data=/dev/vdb\"", &cfg), 0);
	CHECK_EQ_STR(cfg.data_dev, "");
}

TEST(hostile)
{
	static char big[5001];
	char nul[] = "keel.hostname=ab\0cd quiet";

	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "keel.hostname=", 14);
	CHECK_EQ_INT(parse(big, &cfg), 0 + 1);
	CHECK(strstr(warnings[0], "longer than 1024") != NULL);
	CHECK(strlen(warnings[0]) < 200);          /* the shown value is cut */
	nwarn = 0;
	CHECK_EQ_INT(cmdline_parse(nul, sizeof(nul) - 1, &cfg, collect, NULL), 1);
	CHECK(strstr(warnings[0], "NUL") != NULL);
	CHECK_EQ_INT(parse("keel.bogus=\x1b[2J\x07", &cfg), 1);
	CHECK(strchr(warnings[0], '\x1b') == NULL);   /* no terminal escapes in logs */
	CHECK_EQ_INT(cmdline_parse("keel.debug", 4, &cfg, NULL, NULL), 0);   /* "keel" only */
	CHECK(!cfg.debug);
	CHECK_EQ_INT(cmdline_parse(NULL, 0, &cfg, NULL, NULL), 0);
}

RUN_TESTS(RUN(empty_and_foreign); RUN(all_valid); RUN(share_forms); RUN(share_limits);
	  RUN(unknown_and_missing); RUN(values); RUN(quotes); RUN(hostile))
