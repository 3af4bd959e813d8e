/* keel-vsock: a vhost-user-vsock device backend for QEMU that maps guest
 * vsock streams to host unix sockets (the hybrid scheme of Firecracker and
 * Cloud Hypervisor), so the host reaches the guest without /dev/vhost-vsock
 * and without privilege. docs/vsock.md describes the protocol and choices. */
#include "backend.h"
#include "decimal.h"
#include "log.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fputs("usage: keel-vsock --socket VHOST_USER_SOCK --uds HYBRID_PATH [options]\n"
	      "  --socket PATH         vhost-user socket to listen on (QEMU connects:\n"
	      "                        -chardev socket,id=c,path=PATH\n"
	      "                        -device vhost-user-vsock-pci,chardev=c)\n"
	      "  --uds PATH            host side: connect and write \"CONNECT <port>\\n\",\n"
	      "                        read \"OK <hostport>\\n\" or \"ERR <reason>\\n\";\n"
	      "                        a guest connection to host port P goes to PATH_P\n"
	      "  --guest-cid N         the guest's CID (default 3)\n"
	      "  --connect-timeout MS  how long a CONNECT waits for the guest (default 10000)\n"
	      "  --keep-listening      serve the next QEMU after one disconnects\n"
	      "  --debug               log more\n", f);
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	return parse_decimal(s, max, out) ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "uds", required_argument, NULL, 'u' },
		{ "guest-cid", required_argument, NULL, 'c' },
		{ "connect-timeout", required_argument, NULL, 't' },
		{ "keep-listening", no_argument, NULL, 'k' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct backend_opts o = { .guest_cid = 3, .connect_timeout_ms = 10000 };
	unsigned long long v;
	bool debug = false;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': o.vu_path = optarg; break;
		case 'u': o.uds_path = optarg; break;
		case 'c':
			/* 0-2 are reserved (hypervisor, local, host); -1U is "any" */
			if (parse_u64(optarg, 0xfffffffeull, &v) < 0 || v < 3) {
				fprintf(stderr, "keel-vsock: --guest-cid: 3..4294967294\n");
				return 2;
			}
			o.guest_cid = v;
			break;
		case 't':
			if (parse_u64(optarg, 3600000, &v) < 0 || v == 0) {
				fprintf(stderr, "keel-vsock: --connect-timeout: 1..3600000 ms\n");
				return 2;
			}
			o.connect_timeout_ms = (unsigned)v;
			break;
		case 'k': o.keep_listening = true; break;
		case 'd': debug = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.vu_path || !o.uds_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("keel-vsock", debug);
	r = backend_run(&o);
	if (r < 0) {
		log_err("%s", strerror(-r));
		return 1;
	}
	return 0;
}
