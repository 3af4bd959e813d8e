#include "log.h"
#include "clock.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_prog = "keel";
static bool log_debug_on;

void log_init(const char *prog, bool debug)
{
	log_prog = prog;
	log_debug_on = debug;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	char line[1024];
	uint64_t ms = mono_ms();
	va_list ap;
	int n, m;

	if (level == LOG_DEBUG && !log_debug_on)
		return;
	n = snprintf(line, sizeof(line), "[%5llu.%03llu] %s: %s",
		     (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000),
		     log_prog, tag[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + m;
	line[n++] = '\n';
	/* One write per line so lines of concurrent writers do not interleave. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
