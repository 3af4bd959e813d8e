#!/usr/bin/env bash
# 1,000 double-forked orphans (reparented to keel-init, which is PID 1 of the
# namespace) leave zero zombies 5 s later.
. "$(dirname "$0")/lib-init.sh"
init_require init_reap
cat > "$TMP/services" <<EOS
service orphaner
exec $SVC --name orphaner --events $EV --orphans 1000
EOS
init_start
if ! wait_for 60 has_event orphans orphaner; then
	fail "init_reap: the orphaner did not finish forking"; cat "$LOG"; exit 0
fi
sleep 5
zombies=0 children=0
for s in /proc/[0-9]*/status; do
	ppid=$(awk '/^PPid:/ { print $2 }' "$s" 2>/dev/null)
	[ "$ppid" = "$INIT_PID" ] || continue
	children=$((children + 1))
	grep -q '^State:.*Z' "$s" 2>/dev/null && zombies=$((zombies + 1))
done
# A zombie's status can still name its parent: also ask ps for the namespace.
nszombies=$(ps -e -o stat=,ppid= | awk -v p="$INIT_PID" '$1 ~ /^Z/ && $2 == p' | wc -l)
echo "children of init: $children, zombies: $zombies/$nszombies"
[ "$zombies" -eq 0 ] && [ "$nszombies" -eq 0 ] && pass "init_reap: 1000 orphans, no zombie after 5 s" ||
	fail "init_reap: $zombies zombies left"
[ "$children" -eq 1 ] && pass "init_reap: only the service is left under init" ||
	fail "init_reap: $children children of init, expected 1"
state_is orphaner ready && pass "init_reap: the service keeps running" || fail "init_reap: orphaner is $(status_of orphaner)"
