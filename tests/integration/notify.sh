#!/bin/bash
# notify.sh - systemd service notification (Type=notify) from a chrooted
# monitor.
#
# A Python stand-in for systemd binds the notification socket (a path, and
# an abstract name) and writes down every datagram. tftpd runs as root, so
# it is chrooted when it sends: READY=1, STATUS= after a transfer, and
# STOPPING=1 on SIGTERM must all arrive, in that order, over the socket
# it connected before the chroot; WATCHDOG=1 every WATCHDOG_USEC/2 when
# WATCHDOG_USEC is set, and not when WATCHDOG_PID names another process.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd python3

plan 16

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 3000
PORT=$(free_port) || bail "no free port"

# fake_systemd ADDRESS LOG: receive notifications on ADDRESS (a path, or
# @name for an abstract socket) and append each to LOG on one line, its
# newlines shown as '|'. Sets FAKE_PID; returns once the socket is bound.
fake_systemd() {
	: >"$2"
	python3 -c '
import socket, sys
addr, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
with open(log, "a", buffering=1) as out:
    out.write("BOUND\n")
    while True:
        out.write(s.recv(4096).decode(errors="replace").replace("\n", "|") + "\n")
' "$1" "$2" &
	FAKE_PID=$!
	_started_pids+=("$FAKE_PID")
	wait_for 5 log_has '^BOUND$' "$2"
}

# line_of ERE LOG: the number of the first line matching ERE, or 0.
line_of() {
	local n
	n=$(grep -nE -- "$1" "$2" | head -n1 | cut -d: -f1)
	echo "${n:-0}"
}

# ---------------------------------------------------------------------------
# A socket path: READY, STATUS, STOPPING, in order.

NLOG="$TMPBASE/notify.log"
fake_systemd "$TMPBASE/notify.sock" "$NLOG" || bail "the fake notification socket did not come up"

NOTIFY_SOCKET="$TMPBASE/notify.sock" start_tftpd --listen="127.0.0.1:$PORT" "$ROOT" ||
	bail "tftpd did not start"
is "$(proc_root "$TFTPD_PID")" "$ROOT" "the monitor is chrooted into ROOT"
if wait_for 5 log_has '^READY=1' "$NLOG"; then
	pass "READY=1 arrives from the chrooted monitor"
else
	fail "READY=1 arrives from the chrooted monitor"
	diag_file "$NLOG"
fi
like "$(grep -m1 '^READY=1' "$NLOG")" '\|STATUS=Serving' "READY=1 comes with a STATUS= line"
is "$(log_count '^READY=1' "$NLOG")" 1 "READY=1 is sent once"

got=$(mktemp "$TMPBASE/got.XXXXXX")
"$RAWCLIENT" -t 3000 127.0.0.1 "$PORT" get a.bin "$got" >/dev/null
if wait_for 5 log_has '^STATUS=.* 1 finished' "$NLOG"; then
	pass "after a transfer, STATUS= says 1 finished (sent within the 1 s rate limit)"
else
	fail "after a transfer, STATUS= says 1 finished (sent within the 1 s rate limit)"
	diag_file "$NLOG"
fi
like "$(grep '^STATUS=.* 1 finished' "$NLOG" | tail -n1)" '0 transfers active' \
	"the STATUS= line counts active transfers too (0 now)"
like "$(grep '^STATUS=.* 1 finished' "$NLOG" | tail -n1)" \
	'\(ok=1 failed=0 refused=0 bytes=3000 retransmits=[0-9]+\)$' \
	"the STATUS= line carries the counters of tftpd --status"

kill -TERM "$TFTPD_PID"
if wait_for 5 log_has '^STOPPING=1' "$NLOG"; then
	pass "SIGTERM: STOPPING=1 arrives"
else
	fail "SIGTERM: STOPPING=1 arrives"
	diag_file "$NLOG"
fi
r=$(line_of '^READY=1' "$NLOG")
st=$(line_of '^STATUS=.* 1 finished' "$NLOG")
sp=$(line_of '^STOPPING=1' "$NLOG")
check "the order is READY=1, then STATUS=, then STOPPING=1 (lines $r, $st, $sp)" \
	test "$r" -gt 0 -a "$r" -lt "$st" -a "$st" -lt "$sp"
stop_tftpd
is "$TFTPD_STATUS" 0 "tftpd exits 0"
is "$(log_count '^WATCHDOG=' "$NLOG")" 0 "no WATCHDOG=1 without WATCHDOG_USEC"

# ---------------------------------------------------------------------------
# An abstract socket name.

ALOG="$TMPBASE/abstract.log"
fake_systemd "@cloister-notify-$$" "$ALOG" || bail "the fake abstract socket did not come up"
NOTIFY_SOCKET="@cloister-notify-$$" start_tftpd --listen="127.0.0.1:$PORT" "$ROOT" ||
	bail "tftpd did not start"
check "an abstract NOTIFY_SOCKET (@name) gets READY=1" wait_for 5 log_has '^READY=1' "$ALOG"
stop_tftpd
check "... and STOPPING=1" log_has '^STOPPING=1' "$ALOG"

# ---------------------------------------------------------------------------
# The watchdog: WATCHDOG_USEC=400000 asks for a ping at least every 0.4 s.

WLOG="$TMPBASE/watchdog.log"
fake_systemd "$TMPBASE/watchdog.sock" "$WLOG" || bail "the fake watchdog socket did not come up"
NOTIFY_SOCKET="$TMPBASE/watchdog.sock" WATCHDOG_USEC=400000 \
	start_tftpd --listen="127.0.0.1:$PORT" "$ROOT" || bail "tftpd did not start"
wait_for 5 log_has '^READY=1' "$WLOG"
sleep 2
n=$(log_count '^WATCHDOG=1$' "$WLOG")
# Every 0.2 s: about 10 in 2 s; at least 6 leaves room for a slow host.
check "WATCHDOG=1 every WATCHDOG_USEC/2: $n pings in 2 s (at least 6)" test "$n" -ge 6
check "... and not a flood (at most 15)" test "$n" -le 15
stop_tftpd

# WATCHDOG_PID names another process: the watchdog is not ours.
PLOG="$TMPBASE/otherpid.log"
fake_systemd "$TMPBASE/otherpid.sock" "$PLOG" || bail "the fake socket did not come up"
NOTIFY_SOCKET="$TMPBASE/otherpid.sock" WATCHDOG_USEC=400000 WATCHDOG_PID=1 \
	start_tftpd --listen="127.0.0.1:$PORT" "$ROOT" || bail "tftpd did not start"
wait_for 5 log_has '^READY=1' "$PLOG"
sleep 1
is "$(log_count '^WATCHDOG=' "$PLOG")" 0 "WATCHDOG_PID of another process: no WATCHDOG=1"
stop_tftpd

finish
