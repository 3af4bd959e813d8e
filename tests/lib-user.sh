# tests/lib-user.sh: the host side as an ordinary desktop user runs it. CI
# runs as root; a test that boots the VM with run-vm runs it (and so QEMU,
# keel-vsock, the file servers and keelctl's helpers) as this user instead.
# Source after tests/lib.sh.
# shellcheck shell=bash
#
#   user_setup      make the test user (once per machine: useradd), give it
#                   $TMP, and find a tree it can run (USER_TOP: $TOP itself
#                   when it can read it, else a copy of what run-vm needs)
#   as_user CMD...  CMD as that user, with its own HOME and no XDG dirs of root
#
# After user_setup: TEST_USER, TEST_UID, TEST_GID, TEST_HOME, USER_TOP, AS_USER.
# Run as an ordinary user already, the tests use that user as it is.

TEST_USER=${KEEL_TEST_USER:-keel-test}

# AS_USER: the same as a command prefix, for a background job whose $! must
# be the program itself (setpriv and env exec it): "${AS_USER[@]}" CMD &
as_user() { "${AS_USER[@]}" "$@"; }

# What scripts/run-vm reads from its tree, and the docker CLI tests hand it
# as DOCKER_CLI.
_user_top_files=(scripts rootfs/files/etc/subuid rootfs/files/etc/subgid
	rootfs/files/etc/docker/daemon.json build/keel-engine-settings build/keel-host
	build/bzImage build/keel.img build/keelctl build/keel-vsock build/keel-fsguard
	build/virtiofsd build/tests/bin/docker)

_user_stage_top() {
	local f
	USER_TOP=$TMP/top
	for f in "${_user_top_files[@]}"; do
		[ -e "$TOP/$f" ] || continue
		mkdir -p "$USER_TOP/$(dirname "$f")"
		cp -a "$TOP/$f" "$USER_TOP/$f"
	done
	chmod -R a+rX "$USER_TOP"
}

user_setup() {
	if [ "$(id -u)" != 0 ]; then
		TEST_USER=$(id -un) TEST_UID=$(id -u) TEST_GID=$(id -g) TEST_HOME=$HOME USER_TOP=$TOP
		AS_USER=(env)
		return 0
	fi
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		useradd --create-home --user-group --shell /bin/bash "$TEST_USER" ||
			{ fail "could not create the test user $TEST_USER"; exit 1; }
	fi
	TEST_UID=$(id -u "$TEST_USER") TEST_GID=$(id -g "$TEST_USER")
	TEST_HOME=$(getent passwd "$TEST_USER" | cut -d: -f6)
	AS_USER=(setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --init-groups
		env -u XDG_RUNTIME_DIR -u XDG_CACHE_HOME -u XDG_CONFIG_HOME -u XDG_STATE_HOME
		-u KEEL_CACHE -u KEEL_STATE_DIR
		HOME="$TEST_HOME" USER="$TEST_USER" LOGNAME="$TEST_USER")
	# the scratch directory is the user's; root (the test) writes in it too
	chown "$TEST_UID:$TEST_GID" "$TMP" && chmod 755 "$TMP"
	USER_TOP=$TOP
	as_user test -r "$TOP/build/keel.img" -a -x "$TOP/scripts/run-vm" -a -r "$TOP/rootfs/files/etc/subuid" ||
		_user_stage_top
}
