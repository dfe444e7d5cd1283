#!/bin/bash
# loss.sh - downloads and uploads over a lossy link arrive intact.
#
# Two network namespaces joined by a veth pair: tftpd (default
# retransmission settings, uploads allowed) in one, the clients in the
# other. nftables in both namespaces drops 5% of UDP on input and 5% on
# output, so about 10% of the packets each way are lost. 20 downloads of a
# 4 MiB file with atftp, windowsize 16 and blksize 1468, must all arrive
# intact, without any retry by the test; then the same link carries
# uploads, each of which must be stored byte for byte: atftp (4 MiB,
# windowsize 16, blksize 1468), tftp-hpa's lock-step put (12 KiB: its 5 s
# timer is what repairs a lost block) and rawclient (1 MiB, windowsize 16).
# The median and longest transfer times are diagnostics only.
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
#
# For the uploads, two more, for the clients' sake:
# - tftp-hpa 5.2 gives up when a send fails, and a drop in the output hook
#   fails the send (EPERM): for the uploads the client's 5% is dropped as
#   its packets leave its end of the veth pair (netdev egress), where no
#   sender sees it; its input and both of the server's hooks stay as they
#   are;
# - an upload's DATA 1, from the client: atftp 0.8.0 never sends a window
#   again on its timer (it goes on with the next one), and the monitor,
#   which takes an upload's first block itself, answers a first window
#   without DATA 1 with nothing but its OACK again, 7 s later, so that such
#   an upload times out.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd ip nft atftp tftp cmp timeout
run_alone

RUNS=20
SIZE=4194304
UP_RUNS=5        # uploads per client
# atftp restarts its own 5 s timer on every packet it receives, duplicates
# included, and answers a resent window only once: when that answer is lost
# too, the server's resend on its own timer (from the last ACK, RFC 7440)
# or, failing that, the client's timer ends the stall. Most downloads take about a second; the
# budget allows for a few stalls of several seconds. tftp-hpa waits 5 s for
# each block lost on its way to the server, and rawclient, which ignores a
# repeated ACK (RFC 1123), its own timer whenever a repair is lost too.
BUDGET=540       # seconds for all the transfers, downloads then uploads
UP_BUDGET=200    # of which the uploads keep this much
PER_RUN=90       # one transfer
plan $((RUNS + 2 + 3 * UP_RUNS + 1))

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/f4M" "$SIZE"
OUT=$TMPBASE/out
mkdir "$OUT"
# Uploads go to a directory of the service user's (tftp, else nobody); the
# root stays read-only to it.
up_user=tftp
getent passwd tftp >/dev/null || up_user=nobody
mkdir "$ROOT/up" && chown "$up_user" "$ROOT/up" || bail "upload directory"
make_file "$TMPBASE/up1M" 1048576
# 24 blocks of 512 bytes and an empty last one.
make_file "$TMPBASE/up12K" 12288

# Names unique to this run; addresses exist only inside the namespaces.
NS_SRV=cloister-loss-s$$
NS_CLI=cloister-loss-c$$
IF_SRV=clls$$
IF_CLI=cllc$$
SRV_ADDR=10.99.0.1
CLI_ADDR=10.99.0.2
veth_pair

on_exit "ip netns exec '$NS_CLI' nft delete table netdev loss 2>/dev/null"
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
start_tftpd -v --create --listen="$SRV_ADDR:69" "$ROOT" || bail "tftpd did not start in $NS_SRV"
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
	left=$((BUDGET - UP_BUDGET - ($(usec_now) - start_all) / 1000000))
	if [ "$left" -le 0 ]; then
		fail "$desc"
		diag "not run: the time budget of $((BUDGET - UP_BUDGET)) s for the downloads is used up"
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

# --- uploads over the same link ----------------------------------------------
# The client's output drops move to its veth's egress (see the top), and an
# upload's DATA 1 passes.
ip netns exec "$NS_CLI" nft flush chain inet loss out &&
	ip netns exec "$NS_CLI" nft -f - <<EOF &&
table netdev loss {
	chain out {
		type filter hook egress device "$IF_CLI" priority 0;
		udp dport 69 @th,64,32 0x00030001 accept comment "upload DATA 1, see above"
		meta l4proto udp numgen random mod 100 < 5 counter drop
	}
}
EOF
	ip netns exec "$NS_SRV" nft insert rule inet loss in \
		udp dport 69 @th,64,32 0x00030001 accept comment '"upload DATA 1, see above"' ||
	bail "cannot load the nftables rules for the uploads"
# nft_drops: packets the loss rules in both namespaces dropped so far.
nft_drops() {
	local ns n sum=0
	for ns in "$NS_SRV" "$NS_CLI"; do
		for n in $(ip netns exec "$ns" nft list ruleset |
			sed -nE 's/.*counter packets ([0-9]+) .*/\1/p'); do
			sum=$((sum + n))
		done
	done
	echo "$sum"
}
drops_before=$(nft_drops)

# upload CLIENT NAME SRC COMMAND...: COMMAND, run in the client's
# namespace, uploads SRC as up/NAME; passes when the served root has it
# byte for byte (clients' exit statuses are not reliable). Its time goes
# into up_times_CLIENT.
up_failed=0
upload() {
	local client=$1 name=$2 src=$3 desc left results t0 t rc server id
	shift 3
	desc="$client upload $name over the lossy link is stored intact"
	left=$((BUDGET - ($(usec_now) - start_all) / 1000000))
	if [ "$left" -le 0 ]; then
		fail "$desc"
		diag "not run: the time budget of $BUDGET s is used up"
		up_failed=$((up_failed + 1))
		return
	fi
	[ "$left" -gt "$PER_RUN" ] && left=$PER_RUN
	results=$(log_count 'WRQ .*result=')
	t0=$(usec_now)
	timeout "$left" ip netns exec "$NS_CLI" "$@" >"$OUT/up.log" 2>&1
	rc=$?
	t=$(($(usec_now) - t0))
	eval "up_times_$client+=($t)"
	# The monitor renames the file into place before its final ACK, and
	# logs the transfer then.
	wait_for 2 test "$(log_count 'WRQ .*result=')" -gt "$results"
	server=$(grep -E 'WRQ .*result=' "$TFTPD_LOG" | tail -n "+$((results + 1))" |
		sed 's/^tftpd: //')
	if cmp -s "$src" "$ROOT/up/$name"; then
		pass "$desc"
		# A slow one shows the server's figures.
		if [ "$t" -gt 5000000 ]; then
			diag "$client upload $name took $((t / 1000)) ms (exit $rc); server: ${server:-no result within 2 s}"
		fi
	else
		fail "$desc"
		up_failed=$((up_failed + 1))
		diag "$client exit $rc after $((t / 1000)) ms; stored $(stat -c %s "$ROOT/up/$name" 2>/dev/null || echo no) bytes"
		diag_file "$OUT/up.log" 3
		diag "server: ${server:-no result within 2 s}"
		# Everything the monitor said about that transfer.
		id=$(printf '%s\n' "$server" | sed -nE 's/^transfer ([0-9]+) .*/\1/p' | head -n1)
		[ -n "$id" ] && diag "$(grep -E "transfer $id[ :]" "$TFTPD_LOG" | sed 's/^tftpd: //')"
	fi
}

# times_summary WHAT TIME...: the median and the longest, as diagnostics.
times_summary() {
	local what=$1 sorted n median max
	shift
	[ $# -gt 0 ] || return 0
	sorted=$(printf '%s\n' "$@" | sort -n)
	n=$#
	median=$(printf '%s\n' "$sorted" | sed -n "$(((n + 1) / 2))p")
	max=$(printf '%s\n' "$sorted" | tail -n1)
	diag "$what: median $((median / 1000)) ms, max $((max / 1000)) ms"
}

up_times_atftp=()
up_times_tftp_hpa=()
up_times_rawclient=()
for ((i = 1; i <= UP_RUNS; i++)); do
	upload atftp "atftp.$i" "$ROOT/f4M" atftp --option "windowsize 16" --option "blksize 1468" \
		-p -r "up/atftp.$i" -l "$ROOT/f4M" "$SRV_ADDR" 69
done
# tftp-hpa gives up on a block after 25 s by default ("timeout"): five of
# its 5 s resends. Over this link one upload in about thirty went that
# long without an ACK reaching it; 60 s keeps the test on what is stored,
# while the 90 s per transfer still bounds a stall.
for ((i = 1; i <= UP_RUNS; i++)); do
	upload tftp_hpa "hpa.$i" "$TMPBASE/up12K" sh -c \
		"printf 'timeout 60\\nput %s %s\\nquit\\n' '$TMPBASE/up12K' 'up/hpa.$i' |
		 tftp -m binary $SRV_ADDR 69"
done
# -t 300: rawclient's own timer, which it waits out when a repair is lost.
for ((i = 1; i <= UP_RUNS; i++)); do
	upload rawclient "raw.$i" "$TMPBASE/up1M" "$RAWCLIENT" -t 300 "$SRV_ADDR" 69 \
		put "up/raw.$i" "$TMPBASE/up1M" octet windowsize 16 blksize 1468
done

up_drops=$(($(nft_drops) - drops_before))
diag "nftables dropped $up_drops UDP packets during the uploads"
check "the loss rules did drop packets during the uploads" test "$up_drops" -gt 0
times_summary "$UP_RUNS uploads of 4 MiB with atftp (windowsize 16, blksize 1468)" \
	"${up_times_atftp[@]}"
times_summary "$UP_RUNS uploads of 12 KiB with tftp-hpa (lock-step)" "${up_times_tftp_hpa[@]}"
times_summary "$UP_RUNS uploads of 1 MiB with rawclient (windowsize 16, blksize 1468)" \
	"${up_times_rawclient[@]}"
diag "$((3 * UP_RUNS)) uploads, $up_failed failed"
diag "server retransmits per upload: $(grep -Eo 'WRQ .*result=[a-z-]+ .*retransmits=[0-9]+' "$TFTPD_LOG" |
	sed -E 's/.*result=([a-z-]+) .*retransmits=([0-9]+)/\2(\1)/' | tr '\n' ' ')"

check "the server is still running" proc_alive "$TFTPD_PID"
stop_tftpd

finish
