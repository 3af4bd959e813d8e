/* tests/unit/harness.h: the unit-test harness. A test file #includes the .c
 * it tests (to reach its statics), defines test functions with TEST(), and
 * ends with RUN_TESTS(...). Each CHECK prints PASS/FAIL lines for tests/run. */
#ifndef KEEL_HARNESS_H
#define KEEL_HARNESS_H
#include <stdio.h>
#include <string.h>

static int harness_failed;
static int harness_checks;   /* CHECKs evaluated: a TEST that runs none fails */
static const char *harness_test;

#define TEST(name) static void name(void)

#define CHECK(cond) do { \
	harness_checks++; \
	if (!(cond)) { \
		printf("FAIL: %s: %s:%d: %s\n", harness_test, __FILE__, __LINE__, #cond); \
		harness_failed++; \
	} \
} while (0)

/* CHECK with a printf-style detail, for checks in a loop over cases */
#define CHECK_MSG(cond, ...) do { \
	harness_checks++; \
	if (!(cond)) { \
		printf("FAIL: %s: %s:%d: ", harness_test, __FILE__, __LINE__); \
		printf(__VA_ARGS__); \
		putchar('\n'); \
		harness_failed++; \
	} \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
	harness_checks++; \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { \
		printf("FAIL: %s: %s:%d: %s == %lld, expected %lld\n", harness_test, \
		       __FILE__, __LINE__, #a, _a, _b); \
		harness_failed++; \
	} \
} while (0)

#define CHECK_EQ_STR(a, b) do { \
	harness_checks++; \
	const char *_a = (a), *_b = (b); \
	if (!_a || !_b || strcmp(_a, _b) != 0) { \
		printf("FAIL: %s: %s:%d: %s == \"%s\", expected \"%s\"\n", harness_test, \
		       __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
		harness_failed++; \
	} \
} while (0)

static inline void harness_run(const char *name, void (*fn)(void))
{
	int before = harness_failed, checks = harness_checks;
	harness_test = name;
	fn();
	if (harness_checks == checks) {
		printf("FAIL: %s: ran no CHECK\n", name);
		harness_failed++;
	} else if (harness_failed == before) {
		printf("PASS: %s\n", name);
	}
}

#define RUN(fn) harness_run(#fn, fn)
#define RUN_TESTS(...) \
	int main(void) { __VA_ARGS__; return harness_failed ? 1 : 0; }
#endif
