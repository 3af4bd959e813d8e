#!/usr/bin/env bash
# tests/host/netconf_apply.sh: netconf applied for real, in a fresh network
# namespace, on a dummy interface (a veth when the kernel has no dummy):
# link up, address and default route as `ip -j` shows them, the address
# replaced on a second apply, IPv6, resolv.conf; and refused requests
# (unknown interface, unreachable gateway) reporting the kernel's message.
if [ -z "${KEEL_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "FAIL: netconf_apply: needs root (unshare --net)"; exit 0; }
	exec unshare --net env KEEL_NETNS=1 "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
APPLY=$B/tests/bin/netconf-apply
[ -x "$APPLY" ] || { fail "netconf_apply: build the helpers first (make)"; exit 0; }

IF=kt0
if ! ip link add "$IF" type dummy 2>/dev/null; then
	ip link add "$IF" type veth peer name kt1 || { fail "netconf_apply: cannot create an interface"; exit 0; }
fi

# json EXPR < JSON: EXPR (over d) is true.
json() { jget --test - "$1"; }
has_addr() {   # has_addr ADDR PREFIX
	ip -j addr show dev "$IF" | json "any(a['local']=='$1' and a['prefixlen']==$2 for i in d for a in i['addr_info'])"
}
link_up() { ip -j link show dev "$IF" | json "'UP' in d[0]['flags']"; }
default_via() {   # default_via GW [-6]
	ip -j $2 route show default | json "any(r.get('gateway')=='$1' and r.get('dev')=='$IF' for r in d)"
}

out=$("$APPLY" "10.77.0.2/24,gw=10.77.0.1,dns=10.77.0.53,dns=2001:db8::53,dev=$IF" "$TMP/resolv.conf")
check "netconf_apply: apply succeeds ($out)" test "$out" = ok
check "netconf_apply: link is up" link_up
check "netconf_apply: address 10.77.0.2/24 present" has_addr 10.77.0.2 24
check "netconf_apply: default route via 10.77.0.1" default_via 10.77.0.1
check "netconf_apply: resolv.conf written" grep -qx "nameserver 10.77.0.53" "$TMP/resolv.conf"
check "netconf_apply: resolv.conf has the IPv6 server" grep -qx "nameserver 2001:db8::53" "$TMP/resolv.conf"
check "netconf_apply: no temporary file left" test ! -e "$TMP/resolv.conf.tmp"

# Applying again replaces the address rather than adding a second one.
out=$("$APPLY" "10.77.0.3/24,gw=10.77.0.1,dev=$IF")
check "netconf_apply: second apply succeeds ($out)" test "$out" = ok
check "netconf_apply: new address present" has_addr 10.77.0.3 24
check "netconf_apply: old address removed" bash -c "! ip -j addr show dev $IF | grep -q '\"10.77.0.2\"'"
check "netconf_apply: default route still there" default_via 10.77.0.1
out=$("$APPLY" "10.77.0.3/24,gw=10.77.0.1,dev=$IF")
check "netconf_apply: applying the same again is fine ($out)" test "$out" = ok

out=$("$APPLY" "2001:db8:77::2/64,gw=2001:db8:77::1,dev=$IF")
check "netconf_apply: IPv6 apply succeeds ($out)" test "$out" = ok
check "netconf_apply: IPv6 address present" has_addr 2001:db8:77::2 64
check "netconf_apply: IPv6 default route" default_via 2001:db8:77::1 -6
check "netconf_apply: IPv4 address untouched by IPv6" has_addr 10.77.0.3 24

# Refused: unknown interface.
out=$("$APPLY" "10.77.0.9/24,dev=nope0"); rc=$?
check "netconf_apply: unknown interface refused ($out)" \
	bash -c "[ $rc = 1 ] && [[ '$out' == *'-19'*nope0*'No such device'* ]]"

# Refused by the kernel: a gateway outside every on-link prefix. The message
# must be the kernel's extended ack, the same text iproute2 prints.
kmsg=$(ip route replace default via 10.99.0.1 dev "$IF" 2>&1 | sed -n 's/^Error: \(.*\)\.$/\1/p')
out=$("$APPLY" "10.77.0.3/24,gw=10.99.0.1,dev=$IF"); rc=$?
if [ -z "$kmsg" ]; then
	fail "netconf_apply: iproute2 printed no extended ack to compare with"
elif [ "$rc" = 1 ] && [[ "$out" == *"-101: default route: $kmsg"* ]]; then
	pass "netconf_apply: unreachable gateway refused with the kernel's message ($kmsg)"
else
	fail "netconf_apply: unreachable gateway: rc=$rc '$out', expected the kernel's '$kmsg'"
fi
check "netconf_apply: refused route left the old default alone" default_via 10.77.0.1

out=$("$APPLY" "10.77.0.3/33,dev=$IF"); rc=$?
check "netconf_apply: malformed spec refused before the kernel" test "$rc" = 2
