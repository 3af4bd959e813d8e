/* host/keelctl/publish.h: `publish --auto`. */
#ifndef KEELCTL_PUBLISH_H
#define KEELCTL_PUBLISH_H
#include "forward.h"

/* Follow WatchPorts and publish guest TCP listeners and UDP sockets on
 * bind_addr (o->bindd, o->on_report). */
int cmd_publish_run(const struct fwd_opts *o, const char *bind_addr);
#endif
