#!/bin/bash
# node-tftp.sh - downloads and uploads with node-tftp (the npm package tftp).
#
# node-tftp's ntftp command needs a terminal, so node-tftp.js drives its
# library. For get and put, every combination of blksize 512, 1468 and
# 65464 with windowsize 1, 4 and 16 moves a 3 MiB file (6144 blocks of 512
# bytes: the empty final block starts a window of its own); blksize 512
# with windowsize 4 also moves files of 0, 511, 512, 513 and 2048 bytes
# (2048: one full window, then the empty block). Each arrives byte for
# byte: a download as the served file, an upload in the served root.
#
# The module is found in $CLOISTER_NODE_PREFIX/node_modules (default
# /var/cache/cloister-node, where scripts/install-deps.sh puts it) or on
# NODE_PATH.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd node python3 cmp timeout
# node-tftp's windowed reader survives no loss at all (see below), and
# loopback drops datagrams when another test keeps both cores busy.
run_alone

NODE_PREFIX=${CLOISTER_NODE_PREFIX:-/var/cache/cloister-node}
export NODE_PATH="$NODE_PREFIX/node_modules${NODE_PATH:+:$NODE_PATH}"
DRIVER=$top_srcdir/tests/integration/node-tftp.js
if ! version=$(node -p 'require("tftp/package.json").version' 2>/dev/null); then
	# Like require_cmd: under CI a missing client is a failure.
	[ -n "${CI:-}" ] && bail "node module 'tftp' is missing (NODE_PATH=$NODE_PATH; CI is set, so this is a failure)"
	skip_all "node module 'tftp' is missing (NODE_PATH=$NODE_PATH; see scripts/install-deps.sh)"
fi

BLKSIZES="512 1468 65464"
WINDOWS="1 4 16"
BIG=3145728
EDGES="0 511 512 513 2048"
plan 32
diag "node $(node --version), tftp $version"

ROOT=$(make_root) || bail "make_root"
UP=$ROOT/up
mkdir "$UP" && chown nobody "$UP" || bail "upload directory"
SRC=$TMPBASE/src
OUT=$TMPBASE/out
mkdir "$SRC" "$OUT"
for s in $BIG $EDGES; do
	make_file "$ROOT/f$s" "$s"
	cp "$ROOT/f$s" "$SRC/f$s"
done
PORT=$(free_port) || bail "no free port"

# node-tftp acknowledges only whole windows, counted from block 1, and
# ignores a copy of a block it has (lib/protocol/reader.js); when a window
# stays short it answers after its own 3 s timer, and its window is broken
# from then on (it moves the window's start, not its end). So slow start,
# whose first rounds are shorter than a window of 16, cannot serve it: the
# initial window must be the whole window, as tftpd(8) says.
# Its reader has two more faults that make any lost block fatal: it never
# sorts a window (the test `this._windowsSize > 1` names a field that does
# not exist), so a block that fills a hole after its successors is written
# after them and the file is corrupt although every block was acknowledged;
# and the recovery on its own timer moves the window's start but not its
# end, after which it refuses every later block and times out.
start_tftpd -v --grace=1 --initial-window=16 --listen=127.0.0.1:"$PORT" --create --overwrite \
	"$ROOT" || bail "tftpd did not start"

# transfer get|put SIZE BLKSIZE WINDOWSIZE: one node-tftp transfer of the
# SIZE-byte file, one test line. Every upload has a name of its own, so
# that one that failed (and may still be running) cannot refuse the next.
transfer() {
	local op=$1 size=$2 blk=$3 win=$4 remote lfile want got rc logged
	local tag="$op.$size.$blk.$win"
	local desc="node-tftp $op, blksize $blk, windowsize $win: a $size-byte file arrives intact"

	if [ "$op" = get ]; then
		remote=f$size
		lfile=$OUT/$tag
		want=$ROOT/f$size
		got=$lfile
	else
		remote=up/$tag
		lfile=$SRC/f$size
		want=$lfile
		got=$ROOT/$remote
	fi
	logged=$(wc -l <"$TFTPD_LOG")
	# The driver gives up after 60 s; this is only a backstop.
	timeout 90 node "$DRIVER" "$op" 127.0.0.1 "$PORT" "$remote" "$lfile" "$blk" "$win" \
		>"$OUT/$tag.log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && cmp -s "$want" "$got"; then
		pass "$desc"
		return
	fi
	fail "$desc"
	diag "node-tftp.js exit status $rc"
	diag_file "$OUT/$tag.log" 5
	if [ -e "$got" ]; then
		diag "$(cmp "$want" "$got" 2>&1)"
	else
		diag "$got: missing"
	fi
	# The server may still be waiting for the client: no result line yet.
	diag "tftpd's log since the transfer began:"
	diag "$(tail -n +$((logged + 1)) "$TFTPD_LOG" | grep -F "file=\"$remote\"")"
}

for op in get put; do
	for blk in $BLKSIZES; do
		for win in $WINDOWS; do
			transfer "$op" "$BIG" "$blk" "$win"
		done
	done
done
for op in get put; do
	for s in $EDGES; do
		transfer "$op" "$s" 512 4
	done
done

# A lock-step put whose sender stops three times for 300 ms (SIGSTOP), as
# a busy machine stops it: node-tftp takes a duplicate ACK for a request
# to resend and then goes on without the ACK it waits for, so the server
# must not repeat its ACK while the sender is only slow (tftpd(8),
# uploads). With a window it must, soon, to recover a window lost whole
# (loss.sh), and node-tftp's windowed writer cannot be paused.
paused_put() {
	local win=$1 remote=up/paused.$1 lfile=$SRC/paused pid pauses=0 i rc
	local desc="node-tftp put, windowsize $win, paused three times: a 16 MiB file arrives intact"
	[ -e "$lfile" ] || make_file "$lfile" $((16 * 1024 * 1024))
	logged=$(wc -l <"$TFTPD_LOG")
	node "$DRIVER" put 127.0.0.1 "$PORT" "$remote" "$lfile" 1468 "$win" >"$OUT/paused.log" 2>&1 &
	pid=$!
	wait_log 20 "start WRQ .*file=\"$remote\"" || diag "no start line for $remote"
	for i in 1 2 3; do
		sleep 0.1
		kill -STOP "$pid" 2>/dev/null || break
		sleep 0.3
		kill -CONT "$pid"
		pauses=$((pauses + 1))
	done
	wait "$pid"
	rc=$?
	is "$pauses" 3 "windowsize $win: the sender was stopped three times while it sent"
	if [ "$rc" -eq 0 ] && cmp -s "$lfile" "$ROOT/$remote"; then
		pass "$desc"
	else
		fail "$desc"
		diag "node-tftp.js exit status $rc"
		diag_file "$OUT/paused.log" 5
	fi
	like "$(tail -n +$((logged + 1)) "$TFTPD_LOG" | grep -F "file=\"$remote\"" | grep result=)" \
		"retransmits=0 " "windowsize $win: the server repeated no ACK to the paused sender"
}
paused_put 1

check "the server is still running" proc_alive "$TFTPD_PID"
stop_tftpd

finish
