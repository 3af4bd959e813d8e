#!/usr/bin/env python3
"""fd_leaks.py FDS_FILE KEEL_PIDS VICTIM_PIDS: find init/agent objects in
other processes. FDS_FILE is `fault_probe fds` output; KEEL_PIDS are init and
the agent (comma separated), VICTIM_PIDS dockerd, containerd and container
processes, each as PID or PID:FIRSTFD (fds below FIRSTFD are the stdio init
hands a service on purpose: its log pipe and /dev/null).

An object is a pipe or socket (by device and inode, both ends of a pipe
share it), a file under /run/keel, or a signalfd/timerfd. An epoll is
compared by the files it watches (fdinfo), since every epoll reads
anon_inode:[eventpoll].
Prints one line per leak and exits 1 if there is any."""
import re
import sys


def parse(path):
    fds, epoll = {}, {}
    for line in open(path):
        w = line.split(None, 4)
        if len(w) == 5 and w[0] == 'fd':
            fds.setdefault(w[1], {})[int(w[2])] = (w[3], w[4].strip())
        elif len(w) == 4 and w[0] == 'epoll-target':
            epoll.setdefault((w[1], int(w[2])), set()).add(w[3].strip())
    return fds, epoll


def inode(obj):
    """The device:inode of a pipe or socket, else None."""
    ident, target = obj
    return ident if re.fullmatch(r'(?:pipe|socket):\[\d+\]', target) else None


def main():
    fds, epoll = parse(sys.argv[1])
    keel = sys.argv[2].split(',')
    victims = [v.split(':') for v in sys.argv[3].split(',')]
    keel_inodes = {inode(t) for p in keel for t in fds.get(p, {}).values()} - {None}
    leaks = []
    for v in victims:
        pid, first = v[0], int(v[1]) if len(v) > 1 else 0
        if pid not in fds:
            leaks.append(f'{pid}: no fd listing')
            continue
        stdio = {inode(t) for n, t in fds[pid].items() if n < first} - {None}
        for n, obj in sorted(fds[pid].items()):
            t = obj[1]
            if n < first:
                continue
            if inode(obj) in keel_inodes:
                leaks.append(f'{pid} fd {n}: {t} is also open in init/agent')
            if t.startswith('/run/keel/'):
                leaks.append(f'{pid} fd {n}: {t}')
            if t in ('anon_inode:[signalfd]', 'anon_inode:[timerfd]'):
                leaks.append(f'{pid} fd {n}: {t}')
            watched = epoll.get((pid, n), set()) & (keel_inodes - stdio)
            if watched:
                leaks.append(f'{pid} fd {n}: epoll watching init/agent objects {sorted(watched)}')
    for l in leaks:
        print(l)
    return 1 if leaks else 0


sys.exit(main())
