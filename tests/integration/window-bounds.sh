#!/bin/bash
# window-bounds.sh - the read engine keeps to RFC 7440's window, seen from
# outside.
#
# rawclient's window command downloads a file and checks every DATA block
# it receives against the ACKs it has sent: no block beyond the highest ACK
# + windowsize, ever. For windowsize 1, 4, 16 and 64 it acknowledges
#   normal     at each window's end and the last block, once on a gap;
#   alternate  with the ACK of every second window lost once;
#   stale      each ACK in a burst of older and duplicate ACKs;
#   withhold   the first window only, then listens while the server resends;
#   silent     ACK 0 of the OACK only, then listens.
# The first three must end with the file intact. With ACKs withheld after
# DATA 1, windowsize 1 is RFC 1350: only block 2 ever comes again, at most
# once per quick resend. A client that never acknowledged DATA gets its
# first round and at most two resends. The first round after the OACK is
# at most the initial window: 3 blocks and a copy of the first (or the
# whole window when that is smaller). Counts are upper bounds only: a
# loaded machine may add timer resends, never blocks past the window.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd cmp

WINDOWS="1 4 16 64"
COMPLETE="normal alternate stale"
# The server's own figures the bounds below follow (its defaults, spelled
# out): --initial-window=4 packets, --retries=6 quick resends.
INITIAL=4
RETRIES=6
LISTEN=4 # seconds withhold and silent listen after their last ACK
# 201 blocks of 512 bytes: enough rounds for a window of 64 to open fully.
SIZE=102477
# Per window: 3 patterns x 2, withhold 2 (+2 for windowsize 1), silent 2,
# normal's first round 1; then the rollover run 2 and the server 1.
plan $((4 * (3 * 2 + 2 + 2 + 1) + 2 + 2 + 1))

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/f" "$SIZE"
# 66000 blocks of 8 bytes: block numbers roll over 65535 -> 0 mid-file.
make_file "$ROOT/many" 528000
OUT=$TMPBASE/out
mkdir "$OUT"
PORT=$(free_port) || bail "no free port"

start_tftpd -v --initial-window="$INITIAL" --retries="$RETRIES" --grace=1 \
	--listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"

# check_window W PATTERN SECONDS [FILE [OPT VAL]...]: run the checker; its
# output in $got, its exit status in $rc.
check_window() {
	local w=$1 p=$2 secs=$3 file=${4:-f}
	shift 3
	[ $# -gt 0 ] && shift
	got=$(timeout $((secs + 30)) "$RAWCLIENT" 127.0.0.1 "$PORT" window "$file" \
		"$OUT/$file.$w.$p" "$w" "$p" "$secs" "$@" 2>&1)
	rc=$?
}

# no_beyond DESC: the summary came and no block was past the window.
no_beyond() {
	if printf '%s\n' "$got" | grep -q '^WINDOW .* beyond=0$' &&
		! printf '%s\n' "$got" | grep -q '^BEYOND '; then
		pass "$1"
	else
		fail "$1"
		diag "$(printf '%s\n' "$got" | grep -E '^(BEYOND|STRAY|WINDOW|ERROR|TIMEOUT|BADOACK)' | head -n 12)"
	fi
}

# field NAME: a number from the summary line.
field() {
	printf '%s\n' "$got" | sed -nE "s/^WINDOW .* $1=([0-9]+)( .*|$)/\1/p"
}

# min A B
min() {
	echo $(($1 < $2 ? $1 : $2))
}

for w in $WINDOWS; do
	for p in $COMPLETE; do
		check_window "$w" "$p" 60
		no_beyond "windowsize $w, $p ACKs: no block beyond the last ACK + $w"
		if [ "$rc" -eq 0 ] && cmp -s "$ROOT/f" "$OUT/f.$w.$p"; then
			pass "windowsize $w, $p ACKs: the download completes intact"
		else
			fail "windowsize $w, $p ACKs: the download completes intact"
			diag "rawclient exit $rc; $(printf '%s\n' "$got" | tail -n 2)"
		fi
		if [ "$p" = normal ]; then
			# 3 blocks and a copy of block 1, or a window that is smaller.
			want=$([ "$w" -le "$INITIAL" ] && echo "$w" || echo $((INITIAL - 1)))
			hi=$(field first_highest)
			if [ -n "$hi" ] && [ "$hi" -le "$want" ]; then
				pass "windowsize $w: the first round reaches block $hi, at most $want"
			else
				fail "windowsize $w: the first round reaches at most block $want"
				diag "$(printf '%s\n' "$got" | tail -n 1)"
			fi
			diag "windowsize $w, normal: $(printf '%s\n' "$got" | tail -n 1 | cut -d' ' -f3-)"
		fi
	done

	# withhold: ACK the first window, then nothing.
	check_window "$w" withhold "$LISTEN"
	no_beyond "windowsize $w, ACKs withheld after the first window: no block beyond it"
	resent=$(field resent)
	if [ "$rc" -eq 0 ] && [ "${resent:-0}" -ge 1 ]; then
		pass "windowsize $w, ACKs withheld: the server resends (resent=$resent) and the checker ends cleanly"
	else
		fail "windowsize $w, ACKs withheld: the server resends and the checker ends cleanly"
		diag "rawclient exit $rc; $(printf '%s\n' "$got" | tail -n 3)"
	fi
	diag "windowsize $w, withhold: $(printf '%s\n' "$got" | grep '^RECEIVED' | sed 's/^RECEIVED //' |
		tr '\n' ' ')"
	if [ "$w" -eq 1 ]; then
		# RFC 1350: after ACK 1, only block 2, once and on the timer only.
		received=$(printf '%s\n' "$got" | grep '^RECEIVED' | tr '\n' ';')
		like "$received" '^RECEIVED block=2 count=[0-9]+;$' \
			"windowsize 1, ACKs withheld after ACK 1: only block 2 is ever sent again"
		count=$(printf '%s\n' "$received" | sed -nE 's/.*count=([0-9]+).*/\1/p')
		if [ -n "$count" ] && [ "$count" -le $((1 + RETRIES)) ]; then
			pass "windowsize 1: block 2 came $count times, at most once + $RETRIES quick resends"
		else
			fail "windowsize 1: block 2 came at most once + $RETRIES quick resends"
			diag "got: ${received:-nothing}"
		fi
	fi

	# silent: only ACK 0, so the client never shows it is real.
	check_window "$w" silent "$LISTEN"
	no_beyond "windowsize $w, only ACK 0: no block beyond $w"
	packets=$(field packets)
	most=$(($(min "$w" "$INITIAL") + 2))
	if [ "$rc" -eq 0 ] && [ -n "$packets" ] && [ "$packets" -ge 1 ] && [ "$packets" -le "$most" ]; then
		pass "windowsize $w, only ACK 0: $packets DATA packets, at most the first round + 2 resends ($most)"
	else
		fail "windowsize $w, only ACK 0: at most the first round + 2 resends ($most DATA packets)"
		diag "rawclient exit $rc; $(printf '%s\n' "$got" | tail -n 4)"
	fi
done

# Past block 65535 the wire number rolls over to 0: the window with it.
check_window 16 normal 120 many blksize 8
no_beyond "windowsize 16 across the block-number rollover (66000 blocks): no block beyond"
if [ "$rc" -eq 0 ] && cmp -s "$ROOT/many" "$OUT/many.16.normal"; then
	pass "... and the download completes intact"
else
	fail "... and the download completes intact"
	diag "rawclient exit $rc; $(printf '%s\n' "$got" | tail -n 2)"
fi

check "the server is still running" proc_alive "$TFTPD_PID"
stop_tftpd

finish
