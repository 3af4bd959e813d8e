/* host/keel-host/argvec.h: a growing, NULL-terminated vector of strings,
 * for the command lines keel-host assembles (QEMU's, a file server's, its
 * own plan). Strings are copied; the vector owns them. Out of memory is
 * fatal (keel-host has not started anything when it builds these). */
#ifndef KEEL_HOST_ARGVEC_H
#define KEEL_HOST_ARGVEC_H
#include <stddef.h>

struct argvec {
	char **v;        /* v[n] is NULL once anything was added */
	size_t n, cap;
};

void argv_add(struct argvec *a, const char *s);
void argv_addf(struct argvec *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* every string of b, in order */
void argv_extend(struct argvec *a, const struct argvec *b);
/* a counted vector: "N" then b's N strings (plan.h's ARGC ARGV...) */
void argv_add_counted(struct argvec *a, const struct argvec *b);
void argv_free(struct argvec *a);
#endif
