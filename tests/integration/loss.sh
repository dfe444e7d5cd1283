#!/bin/bash
# loss.sh - downloads over a lossy link arrive intact.
#
# Two network namespaces joined by a veth pair: tftpd (default
# retransmission settings) in one, atftp in the other. nftables in both
# namespaces drops 5% of UDP on input and 5% on output, so about 10% of the
# packets each way are lost. 20 downloads of a 4 MiB file with
# windowsize 16 and blksize 1468 must all arrive intact, without any retry
# by the test. The median and longest transfer times are diagnostics only.
#
# Two exceptions, for atftp 0.8.0's sake (client bugs, tftp_file.c):
# - ACK 0, the answer to the OACK: when the server has lost it and resends
#   its OACK, as RFC 2347 asks, atftp aborts ("tftp: unexpected OACK");
# - the client's RRQ on output: a send that the output hook drops fails
#   with EPERM, and atftp aborts when sending its request fails (it still
#   may be lost on the server's input, and then atftp sends it again).
#
# With UDP GSO a whole window leaves as one packet through the output
# hook, so an output drop takes a train of blocks at once.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd ip nft atftp cmp timeout

RUNS=20
SIZE=4194304
# atftp restarts its own 5 s timer on every packet it receives, duplicates
# included, and answers a resent window only once: when that answer is lost
# too, the server's probe ahead (transfer-read.c) or, failing that, the
# client's timer ends the stall. Most downloads take about a second; the
# budget allows for a few stalls of several seconds.
BUDGET=600       # seconds for all the downloads
PER_RUN=90       # one download
plan $((RUNS + 2))

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/f4M" "$SIZE"
OUT=$TMPBASE/out
mkdir "$OUT"

# Names unique to this run; addresses exist only inside the namespaces.
NS_SRV=cloister-loss-s$$
NS_CLI=cloister-loss-c$$
IF_SRV=clls$$
IF_CLI=cllc$$
SRV_ADDR=10.99.0.1
CLI_ADDR=10.99.0.2
ip netns add "$NS_SRV" || bail "cannot create a network namespace"
on_exit "ip netns del '$NS_SRV' 2>/dev/null"
ip netns add "$NS_CLI" || bail "cannot create a network namespace"
on_exit "ip netns del '$NS_CLI' 2>/dev/null"
ip link add "$IF_SRV" netns "$NS_SRV" type veth peer name "$IF_CLI" netns "$NS_CLI" ||
	bail "cannot create a veth pair"
ip -n "$NS_SRV" addr add "$SRV_ADDR/24" dev "$IF_SRV" &&
	ip -n "$NS_CLI" addr add "$CLI_ADDR/24" dev "$IF_CLI" &&
	ip -n "$NS_SRV" link set lo up && ip -n "$NS_CLI" link set lo up &&
	ip -n "$NS_SRV" link set "$IF_SRV" up && ip -n "$NS_CLI" link set "$IF_CLI" up ||
	bail "cannot configure the veth pair"

for ns in "$NS_SRV" "$NS_CLI"; do
	on_exit "ip netns exec '$ns' nft delete table inet loss 2>/dev/null"
	ip netns exec "$ns" nft -f - <<'EOF' || bail "cannot load the nftables rules in $ns"
table inet loss {
	chain in {
		type filter hook input priority 0;
		udp length 12 @th,64,32 0x00040000 accept comment "ACK 0, see above"
		meta l4proto udp numgen random mod 100 < 5 counter drop
	}
	chain out {
		type filter hook output priority 0;
		udp length 12 @th,64,32 0x00040000 accept comment "ACK 0, see above"
		udp dport 69 @th,64,16 1 accept comment "RRQ, see above"
		meta l4proto udp numgen random mod 100 < 5 counter drop
	}
}
EOF
done

TFTPD_PREFIX=(ip netns exec "$NS_SRV")
start_tftpd -v --listen="$SRV_ADDR:69" "$ROOT" || bail "tftpd did not start in $NS_SRV"
# shellcheck disable=SC2034 # read by start_tftpd
TFTPD_PREFIX=()

# usec_now: a monotonic-enough clock in microseconds.
usec_now() {
	local t=$EPOCHREALTIME
	echo $((${t%.*} * 1000000 + 10#${t#*.}))
}

start_all=$(usec_now)
times=()
failed=0
for ((i = 1; i <= RUNS; i++)); do
	desc="download $i of $RUNS over the lossy link is intact"
	left=$((BUDGET - ($(usec_now) - start_all) / 1000000))
	if [ "$left" -le 0 ]; then
		fail "$desc"
		diag "not run: the time budget of $BUDGET s is used up"
		failed=$((failed + 1))
		continue
	fi
	[ "$left" -gt "$PER_RUN" ] && left=$PER_RUN
	rm -f "$OUT/f4M" "$OUT/atftp.log"
	results=$(log_count 'RRQ .*result=')
	t0=$(usec_now)
	timeout "$left" ip netns exec "$NS_CLI" atftp --option "blksize 1468" \
		--option "windowsize 16" -g -r f4M -l "$OUT/f4M" "$SRV_ADDR" 69 \
		>"$OUT/atftp.log" 2>&1
	rc=$?
	t=$(($(usec_now) - t0))
	times+=("$t")
	if cmp -s "$ROOT/f4M" "$OUT/f4M"; then
		pass "$desc"
		# A slow one shows the server's figures, if its transfer ended
		# (it holds on when the client's last ACK was lost).
		if [ "$t" -gt 5000000 ]; then
			wait_for 2 test "$(log_count 'RRQ .*result=')" -gt "$results"
			server=$(grep -E 'RRQ .*result=' "$TFTPD_LOG" | tail -n "+$((results + 1))" |
				sed 's/^tftpd: //')
			diag "download $i took $((t / 1000)) ms; server: ${server:-no result within 2 s}"
		fi
	else
		fail "$desc"
		failed=$((failed + 1))
		diag "atftp exit $rc after $((t / 1000)) ms; got $(stat -c %s "$OUT/f4M" 2>/dev/null || echo 0) bytes"
		diag_file "$OUT/atftp.log" 3
		# The server's side of it: the result lines logged since.
		wait_for 2 test "$(log_count 'RRQ .*result=')" -gt "$results"
		diag "server: $(grep -E 'RRQ .*result=' "$TFTPD_LOG" | tail -n "+$((results + 1))" |
			sed 's/^tftpd: //')"
	fi
done

drops=0
for ns in "$NS_SRV" "$NS_CLI"; do
	for n in $(ip netns exec "$ns" nft list table inet loss | sed -nE 's/.*counter packets ([0-9]+) .*/\1/p'); do
		drops=$((drops + n))
	done
done
diag "nftables dropped $drops UDP packets in all"
check "the loss rules did drop packets" test "$drops" -gt 0

if [ "${#times[@]}" -gt 0 ]; then
	sorted=$(printf '%s\n' "${times[@]}" | sort -n)
	n=${#times[@]}
	median=$(printf '%s\n' "$sorted" | sed -n "$(((n + 1) / 2))p")
	max=$(printf '%s\n' "$sorted" | tail -n1)
	diag "$n downloads of 4 MiB, $failed failed: median $((median / 1000)) ms, max $((max / 1000)) ms"
fi
diag "server retransmits per download: $(grep -Eo 'RRQ .*result=[a-z-]+ .*retransmits=[0-9]+' "$TFTPD_LOG" |
	sed -E 's/.*result=([a-z-]+) .*retransmits=([0-9]+)/\2(\1)/' | tr '\n' ' ')"

check "the server is still running" proc_alive "$TFTPD_PID"
stop_tftpd

finish
