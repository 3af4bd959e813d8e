/* Unit tests: common/decimal.c, the strict decimal parser. */
#include "decimal.h"
#include <stdint.h>
#include "harness.h"

TEST(accepted)
{
	unsigned long long v = 1;

	CHECK(parse_decimal("0", 0, &v) && v == 0);
	CHECK(parse_decimal("65535", 65535, &v) && v == 65535);
	CHECK(parse_decimal("0042", 100, &v) && v == 42);
	CHECK(parse_decimal("18446744073709551615", UINT64_MAX, &v) && v == UINT64_MAX);
}

TEST(refused)
{
	static const char *const bad[] = { "", " 5", "5 ", "+5", "-1", "5x", "0x10", "1e3", "65536",
					   "99999999999999999999999" };
	unsigned long long v = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(!parse_decimal(bad[i], 65535, &v), "accepted: \"%s\"", bad[i]);
	CHECK(!parse_decimal("18446744073709551616", UINT64_MAX, &v));   /* 2^64 */
	CHECK(!parse_decimal("5", 0, &v));                                 /* above a max of 0 */
	CHECK(!parse_decimal(NULL, 10, &v));
	CHECK_EQ_INT(v, 7);                                                /* untouched */
}

RUN_TESTS(RUN(accepted); RUN(refused))
