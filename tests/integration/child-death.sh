#!/bin/bash
# child-death.sh - a transfer child killed by SIGKILL costs only that child.
#
# The monitor logs the transfer as result=killed signal=9, keeps running,
# refills its pool and serves the next request; the same for a spare child
# killed while idle.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd python3 cmp

plan 14

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/big.bin" 1048576
make_file "$ROOT/a.bin" 5000
PORT=$(free_port) || bail "no free port"
HOLD=$TMPBASE/hold.out
OUT=$TMPBASE/out
mkdir "$OUT"
q='"'

# Many retries: the held transfer must not end on its own during the test.
start_tftpd -v --retries=30 --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"
M=$TFTPD_PID
wait_for 5 children_at_least 1
sleep 0.5
POOL=$(tftpd_children "$M" | wc -l)
diag "idle pool: $POOL children"

"$RAWCLIENT" -t 3000 -a 1 127.0.0.1 "$PORT" hold big.bin 20 >"$HOLD" &
HOLD_PID=$!
wait_for 5 test -s "$HOLD"
is "$(head -n1 "$HOLD")" "DATA block=1 len=512" "a transfer is in flight (DATA 1, never acknowledged)"

start_re="transfer [0-9]+ start RRQ client=127\.0\.0\.1:[0-9]+ file=${q}big\.bin$q mode=octet child=[0-9]+"
wait_log 5 "$start_re"
line=$(grep -Eo "$start_re" "$TFTPD_LOG" | tail -n1)
ID=$(printf '%s\n' "$line" | sed -E 's/^transfer ([0-9]+) .*/\1/')
CHILD=$(printf '%s\n' "$line" | sed 's/.*child=//')
diag "transfer ${ID:-?} is run by child ${CHILD:-?}"
like " $(tftpd_children "$M" | tr '\n' ' ') " " ${CHILD:-none} " \
	"the log names the busy child, a child of the monitor"

[ -n "$CHILD" ] && kill -KILL "$CHILD" 2>/dev/null
killed_re="transfer ${ID:-none} RRQ client=127\.0\.0\.1:[0-9]+ file=${q}big\.bin$q mode=octet result=killed signal=9( |$)"
if wait_log 3 "$killed_re"; then
	pass "the log says result=killed signal=9 for that transfer within 3 s"
else
	fail "the log says result=killed signal=9 for that transfer within 3 s"
	diag_file "$TFTPD_LOG" 5
fi
is "$(log_count "transfer ${ID:-none} RRQ .*result=")" 1 "the transfer has exactly one result line"
sleep 0.5
check "the monitor is still running" proc_alive "$M"
# reaped: not even a zombie is left.
if [ -n "$CHILD" ] && wait_for 3 test ! -e "/proc/$CHILD"; then
	pass "the killed child is reaped within 3 s"
else
	fail "the killed child is reaped within 3 s"
fi
if wait_for 3 children_at_least "$POOL"; then
	pass "the pool is back to its idle size ($POOL)"
else
	fail "the pool is back to its idle size ($POOL)"
	diag "children now: $(tftpd_children "$M" | tr '\n' ' ')"
fi
diag "what the held client received: $(tr '\n' ';' <"$HOLD")"
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null

# get_ok NAME: a download right now succeeds and is intact.
n_get=0
get_ok() {
	n_get=$((n_get + 1))
	timeout 30 "$RAWCLIENT" 127.0.0.1 "$PORT" get "$1" "$OUT/$1.$n_get" >/dev/null &&
		cmp -s "$ROOT/$1" "$OUT/$1.$n_get"
}
check "a download after the kill succeeds and is intact" get_ok a.bin
check "the log says result=ok for it" \
	wait_log 5 "file=${q}a\.bin$q mode=octet result=ok bytes=5000 "

# A spare killed while idle: a child that ran none of the transfers in the
# log (the one that ran a.bin stays for its client's next request).
wait_for 3 children_at_least 1
before=$(tftpd_children "$M" | tr '\n' ' ')
SPARE=
for c in $before; do
	grep -q " child=$c\$" "$TFTPD_LOG" || { SPARE=$c; break; }
done
diag "children before: $before; killing spare ${SPARE:-none}"
[ -n "$SPARE" ] && kill -KILL "$SPARE" 2>/dev/null
sleep 0.5
check "the monitor survives the death of an idle spare" proc_alive "$M"
spare_replaced() {
	[ ! -e "/proc/$SPARE" ] &&
		[ "$(tftpd_children "$M" | wc -l)" -ge "$(echo $before | wc -w)" ]
}
if [ -n "$SPARE" ] && wait_for 3 spare_replaced; then
	pass "the killed spare is reaped and replaced within 3 s"
else
	fail "the killed spare is reaped and replaced within 3 s"
	diag "children now: $(tftpd_children "$M" | tr '\n' ' ')"
fi
check "a download after the spare's death succeeds and is intact" get_ok a.bin
check "a 1 MiB download succeeds and is intact" get_ok big.bin
check "the monitor is still running at the end" proc_alive "$M"

finish
