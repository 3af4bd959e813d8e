#!/usr/bin/env bash
# fsguard.sh: keel-fsguard's seccomp filter, as the ordinary user a file
# server runs as (tests/lib-user.sh): without the guard the user may set
# setuid/setgid bits on their own files (so the guard is what refuses);
# under it chmod/fchmod/fchmodat and creates with S_ISUID/S_ISGID fail with
# EPERM, device nodes too, while ordinary modes, FIFOs and plain creates
# still work; the filter is inherited by children; bad usage is a clear error.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-user.sh"
[ -x "$B/keel-fsguard" ] || { fail "fsguard: $B/keel-fsguard missing (make)"; exit 1; }
user_setup
G=$USER_TOP/build/keel-fsguard
W=$TMP/w
as_user mkdir "$W"

probe() {   # probe [GUARD]: one line per operation, "name ok|ERRNO"
	as_user "$@" python3 - "$W" <<'EOF'
import errno, os, stat, sys
os.chdir(sys.argv[1])
def t(name, f):
    try:
        f(); print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
def child():
    if os.system("chmod 4755 plain 2>/dev/null") != 0:
        raise OSError(errno.EPERM, "chmod failed")
open("plain", "w").close()
t("chmod-0750", lambda: os.chmod("plain", 0o750))
t("chmod-4755", lambda: os.chmod("plain", 0o4755))
t("chmod-2755", lambda: os.chmod("plain", 0o2755))
t("fchmod-4755", lambda: os.fchmod(os.open("plain", os.O_RDONLY), 0o4755))
os.makedirs("d", exist_ok=True)
t("fchmodat-dir-g+s", lambda: os.chmod("d", 0o2775))
t("create-4755", lambda: os.close(os.open("suid%d" % os.getpid(), os.O_CREAT | os.O_WRONLY, 0o4755)))
t("create-0644", lambda: os.close(os.open("new%d" % os.getpid(), os.O_CREAT | os.O_WRONLY, 0o644)))
t("mkfifo", lambda: os.mkfifo("fifo%d" % os.getpid()))
t("mknod-chr", lambda: os.mknod("chr%d" % os.getpid(), 0o644 | stat.S_IFCHR, os.makedev(1, 3)))
t("child-chmod-4755", child)
EOF
}

bare=$(probe env)
check "without the guard the user may chmod u+s their own file (the guard is what refuses)" \
	grep -qx 'chmod-4755 ok' <<< "$bare"
rm -rf "${W:?}"/*
guarded=$(probe "$G")
for want in chmod-0750:ok chmod-4755:EPERM chmod-2755:EPERM fchmod-4755:EPERM \
	fchmodat-dir-g+s:EPERM create-4755:EPERM create-0644:ok mkfifo:ok mknod-chr:EPERM \
	child-chmod-4755:EPERM; do
	check "under keel-fsguard: ${want%%:*} -> ${want#*:}" grep -qx "${want%%:*} ${want#*:}" <<< "$guarded"
done
check "under keel-fsguard: no setuid/setgid file and no device node was made" \
	test -z "$(find "$W" \( -perm /6000 -o -type c -o -type b \) -print)"
out=$("$G" 2>&1); rc=$?
check "keel-fsguard without a program: usage, exit 2 ($out)" bash -c '[ "$1" = 2 ] && [[ "$2" == usage:* ]]' _ "$rc" "$out"
out=$("$G" /nonexistent/prog 2>&1); rc=$?
check "keel-fsguard of a missing program: named, exit 127 ($out)" bash -c '[ "$1" = 127 ] && [[ "$2" == *"/nonexistent/prog"* ]]' _ "$rc" "$out"
