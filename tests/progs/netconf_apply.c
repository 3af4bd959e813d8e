/* tests/progs/netconf_apply.c: drive netconf for the host tests.
 *   netconf-apply SPEC [RESOLV_PATH]
 * Parses SPEC ("ADDR/LEN,gw=GW,dns=DNS,dev=IF"), applies it, writes the
 * nameservers to RESOLV_PATH when given. Exit 0 on success; otherwise
 * prints "error: -ERRNO: MESSAGE" and exits 1 (2 for a malformed SPEC). */
#include "netconf.h"
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct netconf nc;
	char err[512] = "";
	int r;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: netconf-apply SPEC [RESOLV_PATH]\n");
		return 2;
	}
	r = netconf_parse(argv[1], &nc);
	if (r < 0) {
		printf("error: %d: malformed spec\n", r);
		return 2;
	}
	r = netconf_apply(&nc, err, sizeof(err));
	if (r == 0 && argc == 3) {
		struct resolv_conf rc = { .first = "" };

		snprintf(rc.path, sizeof(rc.path), "%s", argv[2]);
		r = netconf_write_resolv(&rc, &nc);
		if (r < 0)
			snprintf(err, sizeof(err), "resolv: %s", strerror(-r));
	}
	if (r < 0) {
		printf("error: %d: %s\n", r, err);
		return 1;
	}
	printf("ok\n");
	return 0;
}
