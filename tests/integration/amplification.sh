#!/bin/bash
# amplification.sh - what a forged source address makes the server send.
#
# Two network namespaces joined by a veth pair (MTU 1500): tftpd on port 69
# in one; in the other, the victims, addresses that drop everything they
# receive (nftables, input), so that what the server sends them is never
# answered. nftables counters in the server's namespace count, per victim,
# the IP bytes it receives from it and sends to it, and the DATA, OACK and
# ERROR packets among the latter. forge.py plays the attacker, one victim
# and one fresh source port per scenario, all at once:
#   a     a bare read request for a large file (the first packet is DATA 1);
#   b     one with options (blksize 65464 windowsize 65535 tsize 0): the OACK;
#   c     the request of b, and one ACK 0 once the OACK went out (what a
#         forger can predict): the transfer goes to a child;
#   d1, d10, d1000  the same, with ACK 0 repeated at 1, 10 and 1000 per
#         second for 15 s.
# Each is measured until the server gave up (its result line) and the
# attacker is done. The bounds hold by design, with blocks of at most 1468
# bytes on this link: at most 3 DATA for a (DATA 1 and 2 resends), none and
# at most 2 OACKs for b, at most 4 + 2 DATA for c (a first round of
# --initial-window 4 packets, then 2 resends of block 1 for a client that
# never acknowledged data), 4 more for d (a repeated ACK 0 ends the
# server's silent hold once for such a client: block 1, its copy and 2
# resends), and the ratio out/in of d does not grow with the rate of
# forged ACKs. Neither a nor b may cost a child, and the monitor keeps
# exactly its capabilities (with CAP_NET_BIND_SERVICE for port 69).
#
# With UDP GSO a round of DATA leaves as one packet through the output
# hook, so DATA datagrams are counted from the bytes: each full block is
# blksize + 4 bytes of UDP payload, each GSO packet has one IP and one UDP
# header (the file is large: every block of a round is full).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd ip nft python3 timeout
run_alone

FORGE="$top_srcdir/tests/integration/forge.py"
SCENARIOS="a b c d1 d10 d1000"
plan 23

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/big" 8388608
OUT=$TMPBASE/out
mkdir "$OUT"

NS_SRV=cloister-amp-s$$
NS_CLI=cloister-amp-c$$
IF_SRV=clas$$
IF_CLI=clac$$
SRV_ADDR=10.213.80.1
CLI_ADDR=10.213.80.2
declare -A VICTIM=([a]=10.213.80.11 [b]=10.213.80.12 [c]=10.213.80.13
	[d1]=10.213.80.14 [d10]=10.213.80.15 [d1000]=10.213.80.16)
declare -A SPORT=([a]=41001 [b]=41002 [c]=41003 [d1]=41004 [d10]=41005 [d1000]=41006)
veth_pair
for s in $SCENARIOS; do
	ip -n "$NS_CLI" addr add "${VICTIM[$s]}/32" dev "$IF_CLI" ||
		bail "cannot add the victim address ${VICTIM[$s]}"
done

victims=$(for s in $SCENARIOS; do echo "${VICTIM[$s]}"; done | paste -sd, -)
on_exit "ip netns exec '$NS_CLI' nft delete table inet amp 2>/dev/null"
ip netns exec "$NS_CLI" nft -f - <<EOF || bail "cannot load the nftables rules in $NS_CLI"
table inet amp {
	chain in {
		type filter hook input priority 0;
		ip daddr { $victims } drop comment "victims never answer"
	}
}
EOF
{
	echo "table inet amp {"
	for s in $SCENARIOS; do
		for c in in out data oack error; do echo "	counter ${c}_$s { }"; done
	done
	echo "	chain in {"
	echo "		type filter hook input priority 0;"
	for s in $SCENARIOS; do echo "		ip saddr ${VICTIM[$s]} counter name in_$s"; done
	echo "	}"
	echo "	chain out {"
	echo "		type filter hook output priority 0;"
	for s in $SCENARIOS; do
		v=${VICTIM[$s]}
		echo "		ip daddr $v counter name out_$s"
		echo "		ip daddr $v udp sport 69 @th,64,16 3 counter name data_$s"
		echo "		ip daddr $v udp sport 69 @th,64,16 5 counter name error_$s"
		echo "		ip daddr $v udp sport 69 @th,64,16 6 counter name oack_$s"
	done
	echo "	}"
	echo "}"
} >"$OUT/server.nft"
on_exit "ip netns exec '$NS_SRV' nft delete table inet amp 2>/dev/null"
ip netns exec "$NS_SRV" nft -f "$OUT/server.nft" || bail "cannot load the nftables rules in $NS_SRV"

# counter NAME: "PACKETS BYTES" of a named counter in the server's namespace.
counter() {
	ip netns exec "$NS_SRV" nft list counter inet amp "$1" |
		sed -nE 's/.*packets ([0-9]+) bytes ([0-9]+).*/\1 \2/p'
}

TFTPD_PREFIX=(ip netns exec "$NS_SRV")
start_tftpd -v --listen="$SRV_ADDR:69" "$ROOT" || bail "tftpd did not start in $NS_SRV"
# shellcheck disable=SC2034 # read by start_tftpd
TFTPD_PREFIX=()
M=$TFTPD_PID

OPTS=(blksize 65464 windowsize 65535 tsize 0)
forge() {
	ip netns exec "$NS_CLI" timeout 60 python3 "$FORGE" "$@"
}

oack_sent() {
	[ "$(counter "oack_$1" | cut -d' ' -f1)" -ge 1 ]
}

# attack S: the scenario's attacker, in the background of the caller.
attack() {
	local s=$1 v=${VICTIM[$1]} p=${SPORT[$1]} rate
	case $s in
	a) forge rrq "$SRV_ADDR" 69 "$v" "$p" big ;;
	b) forge rrq "$SRV_ADDR" 69 "$v" "$p" big "${OPTS[@]}" ;;
	c | d*)
		forge rrq "$SRV_ADDR" 69 "$v" "$p" big "${OPTS[@]}" || return 1
		# Right after the OACK went out, as if the victim had answered.
		wait_for 10 oack_sent "$s" || return 1
		if [ "$s" = c ]; then
			forge acks "$SRV_ADDR" 69 "$v" "$p" 1 0
		else
			rate=${s#d}
			forge acks "$SRV_ADDR" 69 "$v" "$p" "$rate" 15
		fi
		;;
	esac
}

# result_line S: the server's result line for the scenario's victim.
result_line() {
	grep -E "transfer [0-9]+ RRQ client=${VICTIM[$1]//./\\.}:${SPORT[$1]} .*result=" \
		"$TFTPD_LOG" | tail -n1 | sed 's/^tftpd: //'
}

gave_up() {
	[ -n "$(result_line "$1")" ]
}

first_sent() {
	[ "$(counter "out_$1" | cut -d' ' -f1)" -ge 1 ]
}

# One request at a time: a request that comes while the monitor makes
# another's transfer socket can be lost (see flood.sh). Then all at once.
for s in $SCENARIOS; do
	attack "$s" >"$OUT/attack.$s" 2>&1 &
	eval "ATTACKER_$s=$!"
	wait_for 10 first_sent "$s" || diag "$s: nothing sent to the victim within 10 s"
done

# Sample the monitor's capabilities while the transfers are in flight.
sleep 1
CAPPRM_DURING=$(proc_field "$M" CapPrm)

declare -A GAVE_UP
for s in $SCENARIOS; do
	pid_var=ATTACKER_$s
	wait "${!pid_var}"
	echo "attacker exit $?" >>"$OUT/attack.$s"
	# The longest (d): OACK, round, resends, holds of 7 s: 40 s or so.
	if wait_for 90 gave_up "$s"; then
		GAVE_UP[$s]=1
	else
		GAVE_UP[$s]=0
	fi
done
# What answers the last forged ACKs (an ERROR from port 69) is out by now.
sleep 1

# Per scenario: bytes in, bytes out, ratio, DATA datagrams.
declare -A IN OUTB DATA_N OACK_N ERR_N RATIO
diag "scenario   in(B)  out(B)  ratio   DATA  OACK  ERROR  (nft packets: in/out/data)"
for s in $SCENARIOS; do
	read -r in_p in_b <<<"$(counter "in_$s")"
	read -r out_p out_b <<<"$(counter "out_$s")"
	read -r data_p data_b <<<"$(counter "data_$s")"
	read -r oack_p _ <<<"$(counter "oack_$s")"
	read -r err_p _ <<<"$(counter "error_$s")"
	# Full blocks: 516 bytes of UDP payload without options, 1472 with.
	[ "$s" = a ] && block=516 || block=1472
	data_n=$((((${data_b:-0} - 28 * ${data_p:-0}) + block - 1) / block))
	IN[$s]=${in_b:-0}
	OUTB[$s]=${out_b:-0}
	DATA_N[$s]=$data_n
	OACK_N[$s]=${oack_p:-0}
	ERR_N[$s]=${err_p:-0}
	RATIO[$s]=$(awk -v o="${out_b:-0}" -v i="${in_b:-0}" 'BEGIN { printf "%.2f", i ? o / i : 0 }')
	diag "$(printf '%-8s %7d %7d %6s %6d %5d %6d   (%d/%d/%d)' "$s" "${IN[$s]}" "${OUTB[$s]}" \
		"${RATIO[$s]}" "$data_n" "${OACK_N[$s]}" "${ERR_N[$s]}" "${in_p:-0}" "${out_p:-0}" \
		"${data_p:-0}")"
done
for s in $SCENARIOS; do
	diag "$s: $(grep -E '^(acks=|attacker exit)' "$OUT/attack.$s" | tr '\n' ' ')"
	diag "$s: server: $(result_line "$s")"
done

for s in $SCENARIOS; do
	check "$s: the server gave up on the forged client" test "${GAVE_UP[$s]}" -eq 1
done

# a: DATA 1, resent at most twice.
check "a: at most 3 DATA packets (${DATA_N[a]})" test "${DATA_N[a]}" -le 3
check "a: at most 3 packets of at most 544 bytes out (${OUTB[a]} bytes)" \
	test "${OUTB[a]}" -le $((3 * (20 + 8 + 4 + 512)))
# b: the OACK, resent once; each smaller than the request that asked.
check "b: no DATA, at most 2 OACKs (${DATA_N[b]} DATA, ${OACK_N[b]} OACK)" \
	test "${DATA_N[b]}" -eq 0 -a "${OACK_N[b]}" -le 2
check "b: at most twice the bytes of the request out (ratio ${RATIO[b]})" \
	test "${OUTB[b]}" -le $((2 * IN[b]))
# c, d: a first round and 2 resends of block 1, blocks of at most 1468.
check "c: at most 4 + 2 DATA packets (${DATA_N[c]})" test "${DATA_N[c]}" -le 6
# d: the same, and a repeated ACK 0 ends the hold of a client that never
# acknowledged data once (WAKES_UNVERIFIED_MAX): block 1, its copy, and
# 2 resends of it.
for s in d1 d10 d1000; do
	check "$s: at most 4 + 2 + 4 DATA packets (${DATA_N[$s]})" test "${DATA_N[$s]}" -le 10
done
check "c: at most 6 full blocks and 2 OACKs out (${OUTB[c]} bytes)" \
	test "${OUTB[c]}" -le $((6 * 1500 + 2 * 576))
ratio_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
check "d: the ratio does not grow from 1 to 10 ACK/s (${RATIO[d1]} -> ${RATIO[d10]})" \
	ratio_le "${RATIO[d10]}" "${RATIO[d1]}"
check "d: the ratio does not grow from 10 to 1000 ACK/s (${RATIO[d10]} -> ${RATIO[d1000]})" \
	ratio_le "${RATIO[d1000]}" "${RATIO[d10]}"

# Children: never for a forged request nobody answered; c's ACK 0 is what
# a forger can predict, so that one gets one.
for s in a b; do
	unlike "$(grep -E "transfer [0-9]+ start .*client=${VICTIM[$s]//./\\.}:" "$TFTPD_LOG")" . \
		"$s: no child was started"
done
like "$(grep -E "transfer [0-9]+ start .*client=${VICTIM[c]//./\\.}:" "$TFTPD_LOG")" . \
	"c: the forged ACK 0 took the transfer to a child"

# CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP and, for port 69,
# CAP_NET_BIND_SERVICE.
diag "monitor CapPrm during the transfers: $CAPPRM_DURING, after: $(proc_field "$M" CapPrm)"
is "$CAPPRM_DURING" 00000000000005e0 "the monitor's CapPrm during the transfers"
is "$(proc_field "$M" CapPrm)" 00000000000005e0 "the monitor's CapPrm after them"

check "the server is still running" proc_alive "$M"
stop_tftpd

finish
