#!/bin/bash
# balancer.sh - scale-out behind an L4 balancer that hashes the 5-tuple,
# built from network namespaces and nftables only.
#
#   client ns ──veth── balancer ns ──veth── backend ns b1, b2, b3
#   10.77.0.2          10.77.0.1             10.77.N.2, each running tftpd
#                      10.77.N.1             on port 69 (single-port mode)
#
# The balancer DNATs the virtual address 10.77.100.1 port 69 to one of the
# three backends by jhash of (source address, source port) mod 3; conntrack
# keeps each transfer's later datagrams on the backend of its request, and
# turns the backend's replies (from its port 69) back into the virtual
# address's. 100 clients at once fetch a file through the virtual address:
# each one completes byte-exact, and the backends' logs show the spread.
# Then the drain: slow clients hold transfers on every backend; b1 is taken
# out of the hash (the rule is replaced in one nft transaction: new flows go
# to b2 and b3, flows already tracked stay where they are) and gets SIGTERM.
# Its transfers finish intact, its log says it drained and stopped cleanly,
# and the requests that follow all land on b2 and b3.
# Not covered: IPVS, keepalived, health checks, IPv6, real packet loss.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd ip nft cmp timeout
run_alone

plan 13

VIP=10.77.100.1
ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/boot.img" 262144 # 256 KiB: 512 blocks of 512
make_file "$ROOT/slow.img" 51200  # 100 blocks, each ACK 40 ms late: 4 s
NS=cloister-lb-$$
CLI=$NS-cli
LB=$NS-lb
OUT=$TMPBASE/out
mkdir -p "$OUT"

# ---------------------------------------------------------------------------
# The network

# link NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair between two namespaces,
# /24 addresses, both ends up.
link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" &&
		ip -n "$1" addr add "$3/24" dev "$2" && ip -n "$4" addr add "$6/24" dev "$5" &&
		ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up
}

netns() {
	ip netns add "$1" || bail "cannot create the network namespace $1"
	on_exit "ip netns del '$1' 2>/dev/null"
	ip -n "$1" link set lo up
}

netns "$CLI"
netns "$LB"
link "$CLI" c0 10.77.0.2 "$LB" l0 10.77.0.1 || bail "cannot link the client"
ip -n "$CLI" route add default via 10.77.0.1 || bail "no route from the client"
ip netns exec "$LB" sysctl -qw net.ipv4.ip_forward=1 || bail "cannot forward"
for b in 1 2 3; do
	netns "$NS-b$b"
	link "$LB" "l$b" "10.77.$b.1" "$NS-b$b" "b$b" "10.77.$b.2" || bail "cannot link backend $b"
	# Replies go back through the balancer, whose conntrack undoes the DNAT.
	ip -n "$NS-b$b" route add default via "10.77.$b.1" || bail "no route from backend $b"
done

# balance BACKEND...: the rule that spreads the virtual address over these
# backends (by their number), replacing the one before in one transaction.
balance() {
	local i=0 b map=
	for b in "$@"; do
		map="$map${map:+, }$i : 10.77.$b.2"
		i=$((i + 1))
	done
	ip netns exec "$LB" nft -f - <<NFT_EOF
table ip balancer
delete table ip balancer
table ip balancer {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP udp dport 69 dnat to jhash ip saddr . udp sport mod $# map { $map }
	}
}
NFT_EOF
}
check "nft takes a DNAT by jhash of the source over three backends" balance 1 2 3

# ---------------------------------------------------------------------------
# The backends: the same root; retransmissions no sooner than 300 ms, so that
# the slow clients' late ACKs cause none.

declare -A PID LOG
for b in 1 2 3; do
	TFTPD_PREFIX=(ip netns exec "$NS-b$b")
	start_tftpd --listen="10.77.$b.2:69" --retransmit-min=300 --grace=60 "$ROOT" ||
		bail "backend $b did not start"
	PID[$b]=$TFTPD_PID
	LOG[$b]=$TFTPD_LOG
done
TFTPD_PREFIX=()

oks() {
	grep -c ' result=ok ' "${LOG[$1]}"
}

# fetch N NAME [RAWCLIENT OPTION]...: N clients at once fetch NAME through
# the virtual address into $OUT/NAME.N.i; prints how many are byte-exact.
fetch() {
	local n=$1 name=$2 i pids=()
	shift 2
	for ((i = 1; i <= n; i++)); do
		ip netns exec "$CLI" timeout 60 "$RAWCLIENT" -t 3000 "$@" "$VIP" 69 get "$name" \
			"$OUT/$name.$n.$i" octet blksize 512 >/dev/null 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for ((i = 1; i <= n; i++)); do
		cmp -s "$OUT/$name.$n.$i" "$ROOT/$name" && echo ok
	done | grep -c ok
}

# ---------------------------------------------------------------------------
# 100 at once

is "$(fetch 100 boot.img)" 100 "100 concurrent clients through the virtual address: all byte-exact"
spread="$(oks 1) $(oks 2) $(oks 3)"
diag "transfers ok per backend (b1 b2 b3): $spread"
read -r n1 n2 n3 <<<"$spread"
is "$((n1 + n2 + n3))" 100 "the backends' logs hold 100 transfers ok between them"
check "every backend served some of them (at least 10 each)" \
	test "$n1" -ge 10 -a "$n2" -ge 10 -a "$n3" -ge 10
unlike "$(cat "${LOG[1]}" "${LOG[2]}" "${LOG[3]}")" 'result=(timeout|internal|killed)' \
	"no backend logged a failed transfer"

# ---------------------------------------------------------------------------
# Drain b1

# in_flight B: transfers backend B holds now: its sockets connected to a
# client (port 69 on its side), the monitor's or a child's.
in_flight() {
	ip netns exec "$NS-b$1" ss -Hun state established "sport = :69" 2>/dev/null | grep -c .
}

all_in_flight() {
	[ $(($(in_flight 1) + $(in_flight 2) + $(in_flight 3))) -ge "$1" ]
}

# 30 slow clients (each ACK 40 ms late) in the background; once every one
# holds a transfer, b1 leaves the hash and gets SIGTERM.
(fetch 30 slow.img -d 40 >"$OUT/slow.count") &
SLOW=$!
check "within 5 s, the 30 slow transfers are in flight" wait_for 5 all_in_flight 30
held=$(in_flight 1)
diag "slow transfers in flight on b1: $held"
boot1=$(grep -c 'file="boot.img" .*result=ok ' "${LOG[1]}")
balance 2 3 || fail "nft: b1 out of the hash"
kill -TERM "${PID[1]}"
check "b1 says it stops taking requests and lets its transfers finish" \
	wait_log 5 'SIGTERM: no new requests; [1-9][0-9]* transfers may finish' "${LOG[1]}"

# New clients from a second address: tuples conntrack has never seen.
ip -n "$CLI" addr add 10.77.0.3/24 dev c0 || bail "cannot add a client address"
is "$(fetch 30 boot.img -b 10.77.0.3)" 30 "while b1 drains, 30 new clients: all byte-exact"
is "$(grep -c 'file="boot.img" .*result=ok ' "${LOG[1]}")" "$boot1" \
	"none of the new requests went to b1"
boot23=$(cat "${LOG[2]}" "${LOG[3]}" | grep -c 'file="boot.img" .*result=ok ')
is "$((boot23 - n2 - n3))" 30 "b2 and b3 served the 30 new requests"
wait "$SLOW"
is "$(cat "$OUT/slow.count")" 30 "every slow transfer finished byte-exact, b1's too"
is "$(grep -c 'file="slow.img" .*result=ok ' "${LOG[1]}") $((held > 0))" "$held 1" \
	"b1's log has each transfer it held when it got SIGTERM (at least one), ok"
if wait_for 10 _pid_gone "${PID[1]}"; then
	wait "${PID[1]}"
	rc=$?
else
	rc=timeout
fi
is "$rc $(grep -c 'grace period over' "${LOG[1]}") $(grep -c ': stopped$' "${LOG[1]}")" "0 0 1" \
	"b1 exits 0 once drained: nothing ended by the grace period, then 'stopped'"

finish
