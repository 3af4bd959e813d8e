#!/usr/bin/env bash
# keelctl forward-unix: a host unix socket (its mode and group as asked,
# removed on exit) whose every connection is its own forward stream to a
# guest unix socket; 20 clients at once each get their own bytes back.
. "$(dirname "$0")/lib-agent.sh"
start_agent
GUEST=$TMP/guest-echo.sock
HOST=$TMP/host.sock
# The guest-side server: a unix echo in the agent's namespaces. Its backlog
# must hold 20 connections at once: the agent's non-blocking unix connect
# takes a full backlog (EAGAIN) as a refusal, as dockerd's (4096) never is.
# (nsenter directly, not the in_guest function: then $! is socat itself.)
nsenter --net="/proc/$AGENT_PID/ns/net" socat UNIX-LISTEN:"$GUEST",fork,backlog=128 EXEC:cat >/dev/null 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_for 5 test -S "$GUEST" || { fail "guest echo server did not start"; exit 1; }

# Defaults: mode 0600, owned by the caller.
"${KC[@]}" forward-unix "$HOST:$GUEST" > "$TMP/fu.out" 2>"$TMP/fu.err" &
FU=$!
on_exit "kill $FU 2>/dev/null"
check "forward-unix: host socket appears" wait_for 5 test -S "$HOST"
check "forward-unix: announces the forward" grep -q "forwarding unix $HOST -> guest unix $GUEST" "$TMP/fu.out"
check "forward-unix: default mode 0600" test "$(stat -c %a "$HOST")" = 600
check "forward-unix: one round trip" sh -c "echo hello-guest | socat -t5 - UNIX-CONNECT:$HOST | grep -qx hello-guest"
if id nobody >/dev/null 2>&1; then
	chmod 711 "$TMP"
	check "forward-unix: another user cannot connect to a 0600 socket" \
		sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups socat -t2 /dev/null UNIX-CONNECT:$HOST 2>&1 | grep -qi 'permission denied'"
fi

# 20 clients at once, each 256 KiB of its own random bytes, compared by hash.
for i in $(seq 1 20); do head -c 262144 /dev/urandom > "$TMP/in.$i"; done
for i in $(seq 1 20); do
	socat -t10 - UNIX-CONNECT:"$HOST" < "$TMP/in.$i" > "$TMP/out.$i" 2>"$TMP/cl.$i" &
done
wait_clients() { local n=0; for i in $(seq 1 20); do cmp -s "$TMP/in.$i" "$TMP/out.$i" && n=$((n + 1)); done; echo "$n"; [ "$n" = 20 ]; }
check "forward-unix: 20 parallel clients each get their own 256 KiB back" wait_for 30 wait_clients
check "forward-unix: agent keeps its pid" kill -0 "$AGENT_PID"

# SIGTERM removes the socket.
kill "$FU"; wait "$FU" 2>/dev/null
check "forward-unix: socket removed on SIGTERM" test ! -e "$HOST"

# --mode and --group: the socket is created that way; a stale socket is replaced.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$HOST"
GRP=$(getent group daemon >/dev/null && echo daemon || echo "$(id -gn)")
"${KC[@]}" forward-unix "$HOST:$GUEST" --mode 0660 --group "$GRP" > "$TMP/fu2.out" 2>"$TMP/fu2.err" &
FU=$!
on_exit "kill $FU 2>/dev/null"
check "forward-unix: stale socket replaced" wait_for 5 grep -q forwarding "$TMP/fu2.out"
check "forward-unix: --mode 0660 --group $GRP" test "$(stat -c '%a %G' "$HOST")" = "660 $GRP"
check "forward-unix: works after replacing" sh -c "echo again | socat -t5 - UNIX-CONNECT:$HOST | grep -qx again"
# A live socket is not taken over.
check "forward-unix: refuses a path a live socket holds (exit 3, says why)" \
	sh -c "out=\$(timeout 5 ${KC[*]} forward-unix $HOST:$GUEST 2>&1); rc=\$?; echo \"\$out\"; test \$rc = 3 && echo \"\$out\" | grep -q 'already there'"
check "forward-unix: the live socket is still served" sh -c "echo still | socat -t5 - UNIX-CONNECT:$HOST | grep -qx still"
kill -INT "$FU"; wait "$FU" 2>/dev/null
check "forward-unix: socket removed on SIGINT" test ! -e "$HOST"
# A guest path nobody listens on: the client is closed, keelctl says why.
"${KC[@]}" forward-unix "$HOST:$TMP/nothing.sock" 2>"$TMP/fu3.err" >/dev/null &
FU=$!
on_exit "kill $FU 2>/dev/null"
wait_for 5 test -S "$HOST"
socat -t3 /dev/null UNIX-CONNECT:"$HOST" 2>/dev/null
check "forward-unix: a missing guest socket is reported" wait_for 5 grep -q "forward to guest $TMP/nothing.sock" "$TMP/fu3.err"
kill "$FU"
