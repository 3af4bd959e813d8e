#!/usr/bin/env bash
# keel-authz (ECI mode's authorization plugin, docs/eci.md) as dockerd sees
# it: the plugin protocol over its unix socket with curl, bodies sent whole,
# chunked, empty, malformed and oversized; every one it cannot read is
# refused, and it keeps answering. Then dockerd's ECI daemon.json and a
# clean stop. The policy itself has its unit test (test_authz_policy).
. "$(dirname "$0")/../lib.sh"
AUTHZ=$B/keel-authz
SOCK=$TMP/plugins/keel-eci.sock
CFG=$TMP/eci/daemon.json

"$AUTHZ" --socket "$SOCK" --daemon-config "$TOP/rootfs/files/etc/docker/daemon.json" "$CFG" \
	2> "$TMP/authz.log" &
PID=$!
on_exit "kill $PID 2>/dev/null"
check "listens on its socket" wait_for 5 test -S "$SOCK"
check "socket mode 0600" test "$(stat -c %a "$SOCK")" = 600

post() {   # post PATH [curl args...] -> body
	local path=$1; shift
	curl -s --max-time 5 --unix-socket "$SOCK" -X POST "http://plugin$path" "$@"
}
authz() {  # authz METHOD URI [BODY]: an AuthZReq like dockerd's
	local body=
	[ $# -ge 3 ] && body=",\"RequestBody\":\"$(printf '%s' "$3" | base64 -w0)\""
	printf '{"User":"","UserAuthNMethod":"","RequestMethod":"%s","RequestUri":"%s"%s,"RequestHeaders":{"Content-Type":"application/json"}}' \
		"$1" "$2" "$body"
}
expect() {  # expect NAME ALLOW MSG-SUBSTRING REPLY
	if [[ $4 == *"\"Allow\":$2"* && $4 == *"$3"* ]]; then pass "$1"; else fail "$1: got '$4'"; fi
}

out=$(curl -s -D "$TMP/hdr" --unix-socket "$SOCK" -X POST http://plugin/Plugin.Activate \
	-H 'Accept: application/vnd.docker.plugins.v1.2+json')
check "Plugin.Activate implements authz" test "$out" = '{"Implements":["authz"]}'
check "replies in the plugin content type" grep -qi '^Content-Type: application/vnd.docker.plugins.v1+json' "$TMP/hdr"

authz POST /v1.45/containers/create '{"Image":"busybox","HostConfig":{"Privileged":true}}' > "$TMP/priv.json"
authz POST /v1.45/containers/create '{"Image":"busybox","HostConfig":{"Binds":["vol:/data"]}}' > "$TMP/ok.json"
expect "privileged create refused" false "--privileged is not allowed in ECI mode" \
	"$(post /AuthZPlugin.AuthZReq --data-binary @"$TMP/priv.json")"
expect "ordinary create allowed" true '' "$(post /AuthZPlugin.AuthZReq --data-binary @"$TMP/ok.json")"
expect "chunked request body read whole: refused" false "--privileged" \
	"$(post /AuthZPlugin.AuthZReq -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/priv.json")"
expect "chunked request body read whole: allowed" true '' \
	"$(post /AuthZPlugin.AuthZReq -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/ok.json")"
expect "empty body refused" false "cannot read" "$(post /AuthZPlugin.AuthZReq)"
expect "empty chunked body refused" false "cannot read" \
	"$(post /AuthZPlugin.AuthZReq -H 'Transfer-Encoding: chunked' --data-binary '')"
expect "malformed JSON refused" false "cannot read" "$(post /AuthZPlugin.AuthZReq --data-binary '{"RequestMethod":')"
expect "create without RequestBody refused" false "no body to inspect" \
	"$(post /AuthZPlugin.AuthZReq --data-binary "$(authz POST /v1.45/containers/create)")"
expect "RequestBody not base64 refused" false "not base64" \
	"$(post /AuthZPlugin.AuthZReq --data-binary '{"RequestMethod":"POST","RequestUri":"/containers/create","RequestBody":"!!!!"}')"
head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' ' ' > "$TMP/big"
expect "3 MiB body refused" false "cannot read" "$(post /AuthZPlugin.AuthZReq --data-binary @"$TMP/big")"
expect "3 MiB chunked body refused" false "cannot read" \
	"$(post /AuthZPlugin.AuthZReq -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big")"
expect "AuthZRes allowed (responses are not filtered)" true '' \
	"$(post /AuthZPlugin.AuthZRes --data-binary "$(authz GET /v1.45/info)")"
check "unknown method 404" test "$(post /Nope -o /dev/null -w '%{http_code}')" = 404
check "GET 405" test "$(curl -s --unix-socket "$SOCK" http://plugin/Plugin.Activate -o /dev/null -w '%{http_code}')" = 405

# 500 decisions in a row, 4 clients at once: the same process, no fd growth
fds=$(ls /proc/$PID/fd | wc -l)
for i in $(seq 1 125); do
	for f in priv ok priv ok; do post /AuthZPlugin.AuthZReq --data-binary @"$TMP/$f.json" -o /dev/null & done
	wait $(jobs -p | grep -v "^$PID$") 2>/dev/null
done
expect "still answering after 500 requests" false "--privileged" \
	"$(post /AuthZPlugin.AuthZReq --data-binary @"$TMP/priv.json")"
check "no fd leak ($fds fds before)" test "$(ls /proc/$PID/fd | wc -l)" -le "$fds"
check "refusals logged with the API request" grep -q 'refused /v1.45/containers/create: --privileged' "$TMP/authz.log"

check "daemon.json: network-host entitlement off" \
	jget --test @"$CFG" 'd["builder"]["entitlements"]["network-host"] is False and d["builder"]["entitlements"]["security-insecure"] is False'
check "daemon.json: ECI's own engine state" grep -q '"data-root": "/var/lib/docker-eci"' "$CFG"
check "daemon.json: the image's other settings kept" grep -q '"exec-root": "/run/docker"' "$CFG"

kill -TERM $PID
wait $PID; rc=$?
check "SIGTERM: exits 0" test "$rc" = 0
check "socket removed at exit" test ! -e "$SOCK"
check "unwritable daemon.json: exits 1 before listening" \
	bash -c "! '$AUTHZ' --socket '$TMP/s2.sock' --daemon-config /nonexistent.json '$TMP/x.json' 2>/dev/null && test ! -e '$TMP/s2.sock'"
