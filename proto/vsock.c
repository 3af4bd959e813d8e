/* proto/vsock.c: see vsock.h. */
#include "vsock.h"
#include <errno.h>
#include <linux/vm_sockets.h>
#include <sys/socket.h>
#include <unistd.h>

int vsock_listen(unsigned port, int flags, int backlog, int *out)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | flags, 0), e;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}
