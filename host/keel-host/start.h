/* host/keel-host/start.h: `keel-host start [OPTIONS]`: the VM of the
 * user's config file and the options (config.h) made into a plan
 * (machine.h), then keel-host exec'd with that plan in the background, in
 * its own session, logging to STATE/keel-host.log. Returns (the exit code)
 * once QEMU runs and the docker socket is served: 0; 1 when anything
 * failed, said on stderr. */
#ifndef KEEL_HOST_START_H
#define KEEL_HOST_START_H

/* argv[0] "keel-host", argv[1] "start", then the options */
int start_main(int argc, char **argv);
#endif
