/* host/keel-host/argvec.c: a growing vector of strings (argvec.h). */
#include "argvec.h"
#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push(struct argvec *a, char *s)
{
	if (!s || (a->n + 2 > a->cap &&
		   !(a->v = realloc(a->v, (a->cap = a->cap ? a->cap * 2 : 16) * sizeof(*a->v))))) {
		log_err("out of memory building a command line");
		exit(1);
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void argv_add(struct argvec *a, const char *s)
{
	push(a, strdup(s));
}

void argv_addf(struct argvec *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	push(a, s);
}

void argv_extend(struct argvec *a, const struct argvec *b)
{
	for (size_t i = 0; i < b->n; i++)
		argv_add(a, b->v[i]);
}

void argv_add_counted(struct argvec *a, const struct argvec *b)
{
	argv_addf(a, "%zu", b->n);
	argv_extend(a, b);
}

void argv_free(struct argvec *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	*a = (struct argvec){ 0 };
}
