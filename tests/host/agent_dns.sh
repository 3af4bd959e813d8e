#!/usr/bin/env bash
# tests/host/agent_dns.sh: the agent's DNS server in its own network and
# mount namespace (the VM's stand-in): the host and DNS addresses on lo,
# host.keel.internal / host.docker.internal resolved by glibc's resolver
# through the resolv.conf the agent wrote, other names forwarded to an
# upstream (a fixture nameserver inside the namespace) and answered, SERVFAIL
# without upstream or with the pending table full, malformed datagrams
# survived; forged replies (another question, another port) not delivered,
# queries from varying source ports, one source's share of the table and of
# the forwards per second bounded.
. "$(dirname "$0")/lib-agent.sh"
TOOL=$TOP/tests/progs/dns_tool.py
HOST=192.168.65.254
DNS=192.168.65.7
[ "$(id -u)" = 0 ] || { fail "agent_dns: needs root (namespaces)"; exit 0; }

start_agent --debug
# tool ARGS...: dns_tool.py inside the guest's network namespace.
tool() { in_guest python3 "$TOOL" "$@"; }
# resolve NAME: glibc's getent in the guest's network namespace, with the
# resolv.conf the agent wrote in place of /etc/resolv.conf (in a throwaway
# mount namespace, so nothing outside the test changes).
resolve() {
	in_guest unshare --mount --propagation private sh -c \
		'mount --bind "$1" /etc/resolv.conf && exec getent ahostsv4 "$2"' sh "$RUN/resolv.conf" "$1"
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

# (a) the addresses on lo
lo=$(in_guest ip -4 addr show lo)
check "agent_dns: $HOST/32 on lo" grep -q "inet $HOST/32" <<<"$lo"
check "agent_dns: $DNS/32 on lo" grep -q "inet $DNS/32" <<<"$lo"
check "agent_dns: agent log says the DNS server runs" grep -q "dns: serving on $DNS:53" "$TMP/agent.log"

# (f, start) no upstream known yet: only the agent's server is listed
wait_for 5 test -s "$RUN/resolv.conf"
check "agent_dns: resolv.conf lists only $DNS before any upstream is known" \
	test "$(grep '^nameserver' "$RUN/resolv.conf")" = "nameserver $DNS"

# (b) the host names, by glibc's resolver through that resolv.conf
for name in host.keel.internal host.docker.internal HOST.Keel.Internal host.docker.internal.; do
	out=$(resolve "$name" 2>&1)
	check "agent_dns: getent ahostsv4 $name -> $HOST" grep -q "^$HOST " <<<"$out"
done
out=$(tool query "$DNS" host.keel.internal AAAA)
check "agent_dns: AAAA host.keel.internal is NODATA, authoritative ($out)" \
	test "$(field rcode <<<"$out")/$(field an <<<"$out")/$(field aa <<<"$out")" = "0/0/1"

# (e) unknown name without upstream: SERVFAIL at once, not a timeout
out=$(tool query "$DNS" example.test)
ms=$(field ms <<<"$out"); ms=${ms%.*}
check "agent_dns: no upstream: example.test gets SERVFAIL ($out)" test "$(field rcode <<<"$out")" = 2
check "agent_dns: no upstream: SERVFAIL in under 1 s (${ms:-?} ms)" test "${ms:-9999}" -lt 1000

# An upstream inside the namespace, given by a NetConfig request.
# nsenter execs python3, so $! is the fixture itself and the kill reaches it.
nsenter --net="/proc/$AGENT_PID/ns/net" python3 "$TOOL" upstream 127.0.0.1 >"$TMP/upstream.out" 2>>"$TMP/upstream.log" &
UPID=$!
on_exit "kill $UPID 2>/dev/null; wait $UPID 2>/dev/null"
wait_for 5 sh -c "nsenter --net=/proc/$AGENT_PID/ns/net ss -Hlun | grep -q '127.0.0.1:53 '" ||
	fail "agent_dns: fixture upstream did not start: $(cat "$TMP/upstream.log")"
out=$("${KC[@]}" netconfig --interface lo --dns 127.0.0.1 2>&1)
check "agent_dns: NetConfig with dns=127.0.0.1 ($out)" test "$out" = configured

# (f) only the agent's server is a nameserver; the upstream a comment
ns=$(grep -E '^(nameserver|# upstream)' "$RUN/resolv.conf" | tr '\n' ' ')
check "agent_dns: resolv.conf names only '$DNS', the upstream as a comment ($ns)" \
	test "$ns" = "nameserver $DNS # upstream 127.0.0.1 "

# (c) forwarded, answered by the upstream, through glibc and raw
out=$(resolve example.test 2>&1)
check "agent_dns: getent ahostsv4 example.test -> 10.9.8.7 (forwarded)" grep -q "^10.9.8.7 " <<<"$out"
# TCP: big.test is truncated over UDP (TC); glibc retries over TCP to the
# agent, which relays the connection to the upstream: all 40 addresses.
out=$(resolve big.test 2>&1 | awk '{print $1}' | sort -u | grep -c '^10\.7\.0\.')
check "agent_dns: a truncated answer is fetched again over TCP through the agent (big.test: $out of 40 addresses)" \
	test "$out" = 40
out=$(tool query "$DNS" example.test)
check "agent_dns: raw example.test: upstream's answer, id restored ($out)" \
	test "$(field rcode <<<"$out")/$(field addrs <<<"$out")/$(field aa <<<"$out")" = "0/10.9.8.7/0"
out=$(tool query "$DNS" nosuch.test)
check "agent_dns: upstream's NXDOMAIN passed through ($out)" test "$(field rcode <<<"$out")" = 3
out=$(resolve host.keel.internal 2>&1)
check "agent_dns: host.keel.internal still local with an upstream" grep -q "^$HOST " <<<"$out"

# (g) forged replies: for two queries in flight the fixture first sends each
# the right id with another question, the right id and question to the other
# query's port, and the right id and question from a port other than 53.
# Only the real answer (10.9.8.7) may reach the clients.
out=$(tool spoof "$DNS")
check "agent_dns: forged replies (other question, other query's port, other source port) are not delivered ($out)" \
	test "$out" = "a=10.9.8.7 b=10.9.8.7"
# (h) every forward leaves from a port of its own, chosen by the kernel at random
for i in $(seq 1 20); do tool --from 127.0.0.10 query "$DNS" "vary$i.test" >/dev/null; done
ports=$(awk '$1 == "q" && $2 ~ /^vary[0-9]+\.test$/ {print $3}' "$TMP/upstream.out" | sort -u | wc -l)
check "agent_dns: 20 forwarded queries left from $ports different source ports (at least 18)" \
	test "$ports" -ge 18

# (d) malformed datagrams: a FORMERR where a header was readable, no crash
# (from a source of their own: they count against its queries per second)
out=$(tool --from 127.0.0.9 junk "$DNS")
check "agent_dns: label off the end of the datagram gets FORMERR ($out)" test "$out" = formerr=1
check "agent_dns: agent alive after 1003 malformed datagrams" kill -0 "$AGENT_PID"
out=$(tool query "$DNS" host.docker.internal)
check "agent_dns: still answers after the junk ($out)" test "$(field addrs <<<"$out")" = "$HOST"

# The pending table: 512 forwards in flight at most; beyond, SERVFAIL at
# once. The fixture never answers "drop*" names, so 600 fill it (from five
# sources, each below its own share of 128).
out=$(tool flood "$DNS" 600 5)
n=$(field servfail <<<"$out")
check "agent_dns: pending table full: queries beyond 512 get SERVFAIL ($out)" test "${n:-0}" -ge 1 -a "${n:-0}" -le 88
out=$(tool --from 127.0.0.11 query "$DNS" example.test)
check "agent_dns: table full: a new forward gets SERVFAIL ($out)" test "$(field rcode <<<"$out")" = 2
# Entries expire after 5 s (swept every 250 ms at most); forwards work again.
wait_for 9 sh -c "nsenter --net=/proc/$AGENT_PID/ns/net python3 '$TOOL' query '$DNS' example.test | grep -q rcode=0"
out=$(tool query "$DNS" example.test)
check "agent_dns: expired forwards freed the table ($out)" test "$(field rcode <<<"$out")" = 0

# One source holds at most 128 of the 512: its 200 unanswered queries get
# 72 SERVFAIL (fewer if the kernel dropped some), while another source's
# query is still forwarded.
out=$(tool --from 127.0.2.1 flood "$DNS" 200)
n=$(field servfail <<<"$out")
check "agent_dns: one source gets at most 128 forwards in flight, the rest SERVFAIL ($out, 72 expected)" \
	test "${n:-0}" -ge 40 -a "${n:-0}" -le 72
out=$(tool --from 127.0.2.2 query "$DNS" example.test)
check "agent_dns: meanwhile another source is forwarded ($out)" test "$(field rcode <<<"$out")" = 0

# Queries per second per source: a bucket of 1000 (2 x --dns-rate 500)
# refilled at 500/s. 4000 answerable queries from one source as fast as the
# agent takes them: at most 1000 + 500/s while they are sent (+64 slack) are
# answered; the rest dropped. Another source is answered right after.
out=$(tool --from 127.0.0.5 burst "$DNS" 4000)
got=$(field answered <<<"$out"); secs=$(field sent_s <<<"$out")
max=$(awk -v s="${secs:-0}" 'BEGIN { printf "%d", 1000 + 500 * s + 64 }')
check "agent_dns: one source flooding 4000 queries gets at most $max answered ($out)" \
	test "${got:-0}" -ge 200 -a "${got:-0}" -le "$max"
out=$(tool --from 127.0.0.6 query "$DNS" example.test)
check "agent_dns: another source is answered during that flood ($out)" test "$(field rcode <<<"$out")" = 0
check "agent_dns: the log names the source over its rate" grep -q "dns: 127.0.0.5 is over 500 queries/s" "$TMP/agent.log"

# A restarted agent keeps the upstream it had written to resolv.conf.
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
check "agent_dns: resolv.conf survives the agent" grep -q "# upstream 127.0.0.1" "$RUN/resolv.conf"
kill "$UPID" 2>/dev/null; wait "$UPID" 2>/dev/null
start_agent
ns=$(grep -E '^(nameserver|# upstream)' "$RUN/resolv.conf" | tr '\n' ' ')
check "agent_dns: restart keeps the upstream in resolv.conf ($ns)" \
	test "$ns" = "nameserver $DNS # upstream 127.0.0.1 "
