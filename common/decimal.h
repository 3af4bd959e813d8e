/* common/decimal.h: the one parser of numbers from outside (command lines,
 * services files): strict decimal, so "5x", " 5", "+5", "-1" and "" are
 * refused instead of read as 5 or as a huge unsigned value. */
#ifndef KEEL_DECIMAL_H
#define KEEL_DECIMAL_H
#include <stdbool.h>

/* Digits only, at most max (no overflow); true and *v, or false. */
bool parse_decimal(const char *s, unsigned long long max, unsigned long long *v);
#endif
