/* keel-fsguard: run a file server under a seccomp filter that refuses to
 * create setuid/setgid files and device nodes on the host (filter.h).
 *
 *   keel-fsguard PROGRAM [ARGS...]
 *
 * scripts/run-vm starts virtiofsd (and QEMU when it serves 9p) through it.
 * The filter survives exec and applies to every thread and child. */
#include "filter.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int r;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: keel-fsguard PROGRAM [ARGS...]\n");
		return 2;
	}
	if ((r = fsguard_install()) < 0) {
		fprintf(stderr, "keel-fsguard: installing the seccomp filter: %s\n", strerror(-r));
		return 1;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "keel-fsguard: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
