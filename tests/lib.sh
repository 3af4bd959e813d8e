# tests/lib.sh: sourced by shell tests. Results are lines the runner counts.
# shellcheck shell=bash
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$TOP/build

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
# check NAME CMD...: PASS when CMD succeeds, FAIL with its output otherwise.
check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name: ${out//$'\n'/ | }"; fi
}
# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds.
wait_for() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}
# jget [--test] SOURCE EXPR [ARG...]: the one JSON reader of the tests
# (tests/progs/jget.py): SOURCE is JSON text, - (the first JSON value on
# stdin) or @FILE; EXPR is Python over the parsed value d (ARG... in args),
# printed; --test prints nothing and succeeds when EXPR is true.
jget() { python3 "$TOP/tests/progs/jget.py" "$@"; }
# free_port: a TCP port on 127.0.0.1 that nobody listens on just now
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# A private scratch directory, removed when the test exits.
TMP=$(mktemp -d /tmp/keel-test.XXXXXX)
cleanup_hooks=()
on_exit() { cleanup_hooks+=("$*"); }
_run_cleanup() {
	local i
	for (( i=${#cleanup_hooks[@]}-1; i>=0; i-- )); do eval "${cleanup_hooks[i]}" || true; done
	rm -rf "$TMP"
}
trap _run_cleanup EXIT
# record_metric NAME NUMBER: one figure for build/bench/results.json, which
# `make bench` assembles from build/bench/metrics/* after the bench tier.
# A figure that is not a number (a failed measurement) is a FAIL, not a
# silently missing entry.
record_metric() {
	if [[ ! ${2:-} =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then
		fail "metric $1: not a number ('${2:-}')"
		return 1
	fi
	mkdir -p "$B/bench/metrics"
	echo "$2" > "$B/bench/metrics/$1"
	echo "metric $1 = $2"
}
