/* tests/progs/fs-bench.c: file-system figures inside the VM for the share
 * benchmark (tests/bench/share_io.sh), static so the busybox test image can
 * carry it. Each prints one number, milliseconds on CLOCK_MONOTONIC.
 *
 *   fs-bench write FILE MIB     sequential 1 MiB writes, then fsync
 *   fs-bench read FILE          sequential 1 MiB reads to the end
 *   fs-bench small DIR N        create N empty files, then stat each
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static char buf[CHUNK];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int die(const char *what)
{
	fprintf(stderr, "fs-bench: %s: %s\n", what, strerror(errno));
	return 1;
}

static int do_write(const char *path, long mib)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	long i;

	if (fd < 0)
		return die(path);
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < mib; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return die("write");
	if (fsync(fd) < 0)
		return die("fsync");
	return close(fd) < 0 ? die("close") : 0;
}

static int do_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return die(path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		return die("read");
	return close(fd) < 0 ? die("close") : 0;
}

static int do_small(const char *dir, long count)
{
	char path[4096];
	struct stat sb;
	long i;
	int fd;

	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
			return die(path);
		close(fd);
	}
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		if (stat(path, &sb) < 0)
			return die(path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	double t0 = now_ms();
	int r;

	if (argc == 4 && !strcmp(argv[1], "write"))
		r = do_write(argv[2], atol(argv[3]));
	else if (argc == 3 && !strcmp(argv[1], "read"))
		r = do_read(argv[2]);
	else if (argc == 4 && !strcmp(argv[1], "small"))
		r = do_small(argv[2], atol(argv[3]));
	else {
		fprintf(stderr, "usage: fs-bench write FILE MIB | read FILE | small DIR N\n");
		return 2;
	}
	if (r == 0)
		printf("%.1f\n", now_ms() - t0);
	return r;
}
