/* host/keelctl/bind_cmd.h: the commands `bind`, `binds` and `unbind`
 * (main.c's command table has their --help texts). Each takes its argv
 * (argv[0] the command's name) and returns an exit code. */
#ifndef KEELCTL_BIND_CMD_H
#define KEELCTL_BIND_CMD_H

int cmd_bind(int argc, char **argv);
int cmd_binds(int argc, char **argv);
int cmd_unbind(int argc, char **argv);
#endif
