/* init/timeline.c: the boot timeline, kept in a fixed table. */
#include "timeline.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include <stdio.h>
#include <string.h>

struct mark {
	char name[TIMELINE_NAME_MAX];
	uint64_t ms;
};

static struct mark marks[TIMELINE_MAX];
static size_t nmarks;

uint64_t timeline_mark(const char *name)
{
	uint64_t ms = mono_ms();
	size_t i;

	log_info("timeline: %s %llu", name, (unsigned long long)ms);
	if (nmarks >= TIMELINE_MAX)
		return ms;
	for (i = 0; name[i] && i + 1 < TIMELINE_NAME_MAX; i++)
		marks[nmarks].name[i] = name[i] == ' ' ? '_' : name[i];
	marks[nmarks].name[i] = '\0';
	marks[nmarks++].ms = ms;
	return ms;
}

uint64_t timeline_get(const char *name)
{
	size_t i;

	for (i = 0; i < nmarks; i++)
		if (!strcmp(marks[i].name, name))
			return marks[i].ms;
	return 0;
}

void timeline_summary(char *buf, size_t cap)
{
	size_t i, off = 0;
	int n;

	if (cap == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < nmarks; i++) {
		n = snprintf(buf + off, cap - off, "%s%s=%llu", i ? " " : "",
			     marks[i].name, (unsigned long long)marks[i].ms);
		if (n < 0 || (size_t)n >= cap - off) {
			buf[off] = '\0';    /* drop the mark that did not fit */
			return;
		}
		off += (size_t)n;
	}
}

int timeline_write(const char *path)
{
	char buf[TIMELINE_MAX * (TIMELINE_NAME_MAX + 24)];
	size_t i, off = 0;

	for (i = 0; i < nmarks; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s %llu\n",
					marks[i].name, (unsigned long long)marks[i].ms);
	return fd_write_file_atomic(path, buf, off, 0644);
}
