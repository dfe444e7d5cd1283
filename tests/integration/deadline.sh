#!/bin/bash
# deadline.sh - limits the monitor enforces on its children.
#
# The deadline: a transfer child that cannot keep its own deadline (here it
# is stopped with SIGSTOP) is killed by the monitor 5 s past it. The log
# says "past the deadline: killed" and result=deadline for that transfer,
# the client gets an ERROR, and the monitor goes on serving.
#
# --max-upload-size: every child of the monitor, spare or busy, runs with
# RLIMIT_FSIZE at that size (soft and hard).
#
# ICMP: a client that acknowledges DATA 1 and closes its socket ends its
# transfer at once (result=unreachable), not after the server's resends and
# hold.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd cmp timeout

plan 17

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/big.bin" 1048576
make_file "$ROOT/icmp.bin" 1048576
make_file "$ROOT/a.bin" 5000
UP=$ROOT/up
mkdir "$UP" && chown nobody "$UP" || bail "upload directory"
make_file "$TMPBASE/2M" 2097152
OUT=$TMPBASE/out
mkdir "$OUT"
PORT=$(free_port) || bail "no free port"
HOLD=$TMPBASE/hold.out
q='"'

# get_ok NAME: a download right now succeeds and is intact.
n_get=0
get_ok() {
	n_get=$((n_get + 1))
	timeout 30 "$RAWCLIENT" 127.0.0.1 "$PORT" get "$1" "$OUT/$1.$n_get" >/dev/null &&
		cmp -s "$ROOT/$1" "$OUT/$1.$n_get"
}

# usec_now: a monotonic-enough clock in microseconds.
usec_now() {
	local t=$EPOCHREALTIME
	echo $((${t%.*} * 1000000 + 10#${t#*.}))
}

# --- the monitor's own deadline ---------------------------------------------
start_tftpd -v --deadline=2 --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"
M=$TFTPD_PID

"$RAWCLIENT" -t 3000 -a 1 127.0.0.1 "$PORT" hold big.bin 20 >"$HOLD" &
HOLD_PID=$!
t0=$(usec_now)
start_re="transfer [0-9]+ start RRQ client=127\.0\.0\.1:[0-9]+ file=${q}big\.bin$q mode=octet child=[0-9]+"
wait_log 5 "$start_re"
line=$(grep -Eo "$start_re" "$TFTPD_LOG" | tail -n1)
ID=$(printf '%s\n' "$line" | sed -E 's/^transfer ([0-9]+) .*/\1/')
CHILD=$(printf '%s\n' "$line" | sed 's/.*child=//')
# Stopped before its own deadline (2 s), the child can keep it no more.
[ -n "$CHILD" ] && kill -STOP "$CHILD" 2>/dev/null
diag "transfer ${ID:-?} is run by child ${CHILD:-?}, stopped $((($(usec_now) - t0) / 1000)) ms after the request"
like " $(tftpd_children "$M" | tr '\n' ' ') " " ${CHILD:-none} " \
	"the log names the busy child, a child of the monitor"
like "$(proc_field "${CHILD:-0}" State)" '^T' "the child is stopped (SIGSTOP)"

killed_re="transfer ${ID:-none}: child ${CHILD:-none} is past the deadline: killed"
if wait_log 10 "$killed_re"; then
	pass "within 10 s the monitor kills the stopped child: past the deadline"
	diag "killed $((($(usec_now) - t0) / 1000)) ms after the request (deadline 2 s + 5 s)"
else
	fail "within 10 s the monitor kills the stopped child: past the deadline"
	diag_file "$TFTPD_LOG" 5
fi
deadline_re="transfer ${ID:-none} RRQ client=127\.0\.0\.1:[0-9]+ file=${q}big\.bin$q mode=octet result=deadline( |$)"
if wait_log 3 "$deadline_re"; then
	pass "the log says result=deadline for that transfer"
else
	fail "the log says result=deadline for that transfer"
	diag_file "$TFTPD_LOG" 5
fi
is "$(log_count "transfer ${ID:-none} RRQ .*result=")" 1 "the transfer has exactly one result line"
if [ -n "$CHILD" ] && wait_for 3 test ! -e "/proc/$CHILD"; then
	pass "the killed child is reaped"
else
	fail "the killed child is reaped"
fi
if wait_for 3 grep -q '^ERROR ' "$HOLD"; then
	pass "the held client receives an ERROR"
else
	fail "the held client receives an ERROR"
fi
like "$(grep -m1 '^ERROR ' "$HOLD")" '^ERROR code=0 msg=Transfer took too long$' \
	"... ERROR 0 \"Transfer took too long\""
diag "what the held client received: $(uniq -c "$HOLD" | sed 's/^ *//' | tr '\n' ';')"
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null

check "the monitor is still running" proc_alive "$M"
check "a download after the kill succeeds and is intact" get_ok a.bin
stop_tftpd

# --- RLIMIT_FSIZE with --max-upload-size ---------------------------------------
start_tftpd -v --create --max-upload-size=1M --listen=127.0.0.1:"$PORT" "$ROOT" ||
	bail "tftpd (uploads) did not start"
M=$TFTPD_PID
wait_for 5 children_at_least 2
# A busy child too: an upload that stalls after two blocks.
STALL=$TMPBASE/stall.out
"$RAWCLIENT" -t 8000 -s 2 127.0.0.1 "$PORT" put up/stall.bin "$TMPBASE/2M" >"$STALL" &
STALL_PID=$!
wait_log 5 "transfer [0-9]+ start WRQ .*file=${q}up/stall\.bin$q"
UPCHILD=$(log_child "file=${q}up/stall\.bin$q")

# fsize PID: "SOFT HARD" of its "Max file size" in /proc/PID/limits.
fsize() {
	sed -nE 's/^Max file size +([^ ]+) +([^ ]+) .*/\1 \2/p' "/proc/$1/limits" 2>/dev/null
}
children=$(tftpd_children "$M" | tr '\n' ' ')
diag "children: $children(busy with the upload: ${UPCHILD:-?}); monitor: $(fsize "$M")"
bad=
n=0
for c in $children; do
	n=$((n + 1))
	[ "$(fsize "$c")" = "1048576 1048576" ] || bad="$bad $c:$(fsize "$c" | tr ' ' /)"
done
if [ "$n" -ge 2 ] && [ -z "$bad" ]; then
	pass "every child of the monitor ($n) has Max file size 1048576 1048576"
else
	fail "every child of the monitor has Max file size 1048576 1048576"
	diag "children: ${children:-none}; wrong:${bad:- none}"
fi
like " $children" " ${UPCHILD:-none} " "... the one running the upload among them"
is "$(fsize "${UPCHILD:-0}")" "1048576 1048576" "the upload's child: soft and hard limit 1048576"
kill "$STALL_PID" 2>/dev/null
wait "$STALL_PID" 2>/dev/null

# --- ICMP: the client's port closed ---------------------------------------------
# hold with -a 1 and 0 seconds: ACK 1, then the socket is closed at once.
"$RAWCLIENT" -t 3000 -a 1 127.0.0.1 "$PORT" hold icmp.bin 0 >"$OUT/icmp.out" 2>&1
t0=$(usec_now)
unreach_re="transfer [0-9]+ RRQ client=127\.0\.0\.1:[0-9]+ file=${q}icmp\.bin$q mode=octet result=unreachable( |$)"
if wait_log 5 "$unreach_re"; then
	pass "a client whose port closed after ACK 1: result=unreachable within 5 s"
	diag "logged $((($(usec_now) - t0) / 1000)) ms after the client closed its socket"
else
	fail "a client whose port closed after ACK 1: result=unreachable within 5 s"
	diag "client: $(tr '\n' ';' <"$OUT/icmp.out")"
	diag_file "$TFTPD_LOG" 5
fi
# The server's own figure: well short of its first hold interval (7 s).
usec=$(grep -E "$unreach_re" "$TFTPD_LOG" | tail -n1 | sed -nE 's/.* usec=([0-9]+).*/\1/p')
if [ -n "$usec" ] && [ "$usec" -lt 7000000 ]; then
	pass "... the transfer lasted ${usec} us: it ended on the ICMP error, not after the hold"
else
	fail "... the transfer ended on the ICMP error, not after the hold"
	diag "usec=${usec:-none}"
fi
is "$(log_count "file=${q}icmp\.bin$q mode=octet result=")" 1 "... and has exactly one result line"

check "the monitor is still running at the end" proc_alive "$M"
stop_tftpd

finish
