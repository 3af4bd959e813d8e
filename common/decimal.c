/* common/decimal.c: see decimal.h. */
#include "decimal.h"

bool parse_decimal(const char *s, unsigned long long max, unsigned long long *v)
{
	unsigned long long n = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || *s > '9' || d > max || n > (max - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*v = n;
	return true;
}
