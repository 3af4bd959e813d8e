/* host/keel-host/errmsg.c: errors for the user (errmsg.h). */
#include "errmsg.h"
#include <stdarg.h>
#include <stdio.h>

int errmsg(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}
