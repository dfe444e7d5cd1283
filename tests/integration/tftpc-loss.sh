#!/bin/bash
# tftpc-loss.sh - tftpc over a link that loses 5 % of UDP each way.
#
# Two network namespaces joined by a veth pair (MTU 1500, so tftpc asks
# blksize 1468): our tftpd in one, tftpc in the other. nftables in the
# server's namespace drops 5 % of UDP on input and 5 % on output, the
# request and the first answer included: tftpc's handshake resends its
# request, and the engine repairs the rest. Every transfer must arrive
# whole on the first try: gets and puts of 4 MiB with the default window
# (64), and lock-step ones of 64 KiB (a lock-step get waits for the
# server's timer, 1 s as tftpc asks, for each loss).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd ip nft cmp timeout
TFTPC=$top_builddir/tftpc
[ -x "$TFTPC" ] || bail "$TFTPC not built"
run_alone

WIN_RUNS=6
LOCK_RUNS=2
PER_RUN=90
plan $((2 * WIN_RUNS + 2 * LOCK_RUNS + 1))

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/f4M" 4194304
make_file "$ROOT/f64K" 65536
mkdir "$ROOT/up" && chown nobody "$ROOT/up" || bail "upload directory"
OUT=$TMPBASE/out
mkdir "$OUT"

NS_SRV=cloister-tcl-s$$
NS_CLI=cloister-tcl-c$$
IF_SRV=tcls$$
IF_CLI=tclc$$
SRV_ADDR=10.98.0.1
CLI_ADDR=10.98.0.2
veth_pair
on_exit "ip netns exec '$NS_SRV' nft delete table inet loss 2>/dev/null"
ip netns exec "$NS_SRV" nft -f - <<'EOF2' || bail "cannot load the nftables rules"
table inet loss {
	chain in {
		type filter hook input priority 0;
		meta l4proto udp numgen random mod 100 < 5 counter drop
	}
	chain out {
		type filter hook output priority 0;
		meta l4proto udp numgen random mod 100 < 5 counter drop
	}
}
EOF2

TFTPD_PREFIX=(ip netns exec "$NS_SRV")
start_tftpd -v --create --overwrite --listen="$SRV_ADDR:69" "$ROOT" || bail "tftpd did not start"
TFTPD_PREFIX=()

# one OP FILE DESC [OPTION...]
one() {
	local op=$1 file=$2 desc=$3 rc t0=$SECONDS
	shift 3
	if [ "$op" = get ]; then
		rm -f "$OUT/got"
		timeout "$PER_RUN" ip netns exec "$NS_CLI" "$TFTPC" -q --stats "$@" get \
			"tftp://$SRV_ADDR/$file" "$OUT/got" >"$OUT/stats" 2>"$OUT/err"
		rc=$?
		[ "$rc" -eq 0 ] && cmp -s "$ROOT/$file" "$OUT/got"
	else
		timeout "$PER_RUN" ip netns exec "$NS_CLI" "$TFTPC" -q --stats "$@" put \
			"$ROOT/$file" "tftp://$SRV_ADDR/up/$file.$i" >"$OUT/stats" 2>"$OUT/err"
		rc=$?
		[ "$rc" -eq 0 ] && wait_for 5 cmp -s "$ROOT/$file" "$ROOT/up/$file.$i"
	fi
	if [ $? -eq 0 ]; then
		pass "$desc"
	else
		fail "$desc"
		diag "tftpc exited $rc: $(cat "$OUT/err")"
	fi
	diag "$((SECONDS - t0)) s: $(cat "$OUT/stats")"
	rm -f "$ROOT/up/$file.$i"
}

for ((i = 1; i <= WIN_RUNS; i++)); do
	one get f4M "get 4 MiB, window 64, run $i of $WIN_RUNS, is whole"
	one put f4M "put 4 MiB, window 64, run $i of $WIN_RUNS, is stored whole"
done
for ((i = 1; i <= LOCK_RUNS; i++)); do
	one get f64K "get 64 KiB lock-step, run $i of $LOCK_RUNS, is whole" -w 1
	one put f64K "put 64 KiB lock-step, run $i of $LOCK_RUNS, is stored whole" -w 1
done
drops=$(ip netns exec "$NS_SRV" nft list table inet loss | grep -Eo 'packets [0-9]+' |
	awk '{n += $2} END {print n + 0}')
check "the link lost packets meanwhile ($drops)" test "$drops" -gt 0
finish
