#!/usr/bin/env bash
# Hostile input on the control port (tests/progs/agent_badinput.c): lengths
# 0, max, max+1, 0xFFFFFFFF, truncated header and body, garbage, unknown
# fields, 10,000 mutated frames with Health every 100 (RSS, fds, same pid),
# 256 half-sent frames dropped at the read deadline, the connection cap.
# The agent runs without CAP_SYS_TIME and with a dummy init: mutated frames
# may decode as any request.
. "$(dirname "$0")/lib-agent.sh"
sleep 600 & DUMMY=$!
on_exit "kill $DUMMY 2>/dev/null"
AGENT_SAVED=$AGENT
AGENT=$TMP/agent-nosystime
printf '#!/bin/sh\nexec setpriv --bounding-set -sys_time "%s" "$@"\n' "$AGENT_SAVED" > "$AGENT"
chmod +x "$AGENT"
start_agent --init-pid "$DUMMY" --max-control 300 --read-timeout 1000
"$B/tests/bin/agent_badinput" "$CTL" "$AGENT_PID" 1048576 300 1000
