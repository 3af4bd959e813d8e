/* common/log.h: one line per event, to stderr (the console for init and its
 * services), prefixed with the program name and the monotonic time in
 * seconds so lines from init, agent and kernel can be put in one order.
 * Only programs log; library code returns -errno and lets the caller decide. */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H
#include <stdbool.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_init(const char *prog, bool debug);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#endif
