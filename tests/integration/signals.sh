#!/bin/bash
# signals.sh - SIGTERM/SIGINT drain, the grace period, a second SIGTERM,
# and SIGHUP, which reloads the configuration and must not kill the daemon.
#
# A slow client (Python, lock-step, a pause before each ACK) keeps a
# transfer in flight for seconds. On SIGTERM the monitor stops taking
# requests, lets that transfer finish intact and exits 0; a second SIGTERM,
# or the end of --grace, ends it at once (the transfer is logged as killed
# and the client gets an ERROR). SIGHUP reads the configuration again
# (policy.sh tests what it changes) and disturbs no transfer.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd python3

plan 31

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 3000
make_file "$ROOT/big.bin" 102400 # 200 blocks of 512
PORT=$(free_port) || bail "no free port"
LISTEN=--listen=127.0.0.1:$PORT

# slow_get FILE DELAY: download FILE in the background, pausing DELAY
# seconds before each ACK. Sets SLOW_PID, SLOW_OUT (what it prints:
# "GOT N" or "ERROR code=N msg=TEXT") and SLOW_FILE (the copy).
slow_get() {
	SLOW_OUT=$(mktemp "$TMPBASE/slow.XXXXXX")
	SLOW_FILE="$SLOW_OUT.data"
	python3 -c '
import socket, sys, time
port, name, out, delay = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(15)
s.sendto(b"\x00\x01" + name.encode() + b"\x00octet\x00", ("127.0.0.1", port))
data, want, server = bytearray(), 1, None
while True:
    try:
        pkt, addr = s.recvfrom(65536)
    except socket.timeout:
        print("TIMEOUT", flush=True)
        sys.exit(1)
    server = server or addr
    op = int.from_bytes(pkt[:2], "big")
    if op == 5:
        print("ERROR code=%d msg=%s" % (int.from_bytes(pkt[2:4], "big"),
                                        pkt[4:].rstrip(b"\0").decode()), flush=True)
        sys.exit(1)
    if addr != server or op != 3:
        continue
    block = int.from_bytes(pkt[2:4], "big")
    if block == want:
        data += pkt[4:]
        time.sleep(delay)
        want += 1
    # Always acknowledge what came: a resent block gets its ACK again.
    s.sendto(b"\x00\x04" + pkt[2:4], server)
    if block == want - 1 and len(pkt) < 516:
        break
open(out, "wb").write(data)
print("GOT %d" % len(data), flush=True)
' "$PORT" "$1" "$SLOW_FILE" "$2" >"$SLOW_OUT" 2>&1 &
	SLOW_PID=$!
	_started_pids+=("$SLOW_PID")
}

# in_flight: the slow transfer has started (needs -v).
in_flight() {
	wait_log 5 'transfer [0-9]+ start RRQ .*file="big\.bin"'
}

# gone_within SECONDS PID: the process ended within SECONDS.
gone_within() {
	wait_for "$1" _pid_gone "$2"
}

# ---------------------------------------------------------------------------
# SIGTERM drains: the transfer in flight completes, then exit 0.

start_tftpd -v --grace=30 "$LISTEN" "$ROOT" || bail "tftpd did not start"
slow_get big.bin 0.015 # 200 blocks: about 3 s
check "a slow transfer is in flight" in_flight
kill -TERM "$TFTPD_PID"
check "SIGTERM is logged with the transfers left to finish" \
	wait_log 3 'SIGTERM: no new requests; 1 transfers may finish within 30 s'
sleep 0.5
check "the monitor is still running 0.5 s after SIGTERM (draining)" proc_alive "$TFTPD_PID"
out=$("$RAWCLIENT" -t 1000 127.0.0.1 "$PORT" rrq a.bin 2>&1)
is "$out" TIMEOUT "a new request while draining gets no answer"
if gone_within 20 "$SLOW_PID"; then
	pass "the slow client finishes"
else
	fail "the slow client finishes"
fi
is "$(cat "$SLOW_OUT")" "GOT 102400" "it got all 102400 bytes"
check "the copy is identical" cmp -s "$ROOT/big.bin" "$SLOW_FILE"
check "the transfer is logged with result=ok bytes=102400" \
	wait_log 3 'file="big\.bin" mode=octet result=ok bytes=102400 '
if gone_within 5 "$TFTPD_PID"; then
	pass "the monitor exits once the transfer is done"
else
	fail "the monitor exits once the transfer is done"
fi
stop_tftpd
is "$TFTPD_STATUS" 0 "exit status 0 after a drained SIGTERM"
check "'stopped' is logged" log_has '(^|: )stopped$'

# ---------------------------------------------------------------------------
# A second SIGTERM ends the transfers at once.

start_tftpd -v --grace=30 "$LISTEN" "$ROOT" || bail "tftpd did not start"
slow_get big.bin 0.05 # about 10 s
check "a slow transfer is in flight" in_flight
kill -TERM "$TFTPD_PID"
wait_log 3 'SIGTERM: no new requests'
kill -TERM "$TFTPD_PID"
if gone_within 3 "$TFTPD_PID"; then
	pass "a second SIGTERM ends the monitor within 3 s"
else
	fail "a second SIGTERM ends the monitor within 3 s"
fi
stop_tftpd
is "$TFTPD_STATUS" 0 "exit status 0"
check "the second SIGTERM is logged" log_has 'SIGTERM again: ending transfers now'
check "the transfer is logged as killed by signal 9" \
	log_has 'file="big\.bin" mode=octet result=killed signal=9'
gone_within 5 "$SLOW_PID"
like "$(cat "$SLOW_OUT")" '^ERROR code=0 ' "the client is told with an ERROR, not left to time out"

# ---------------------------------------------------------------------------
# The grace period ends a transfer that takes too long.

start_tftpd -v --grace=1 "$LISTEN" "$ROOT" || bail "tftpd did not start"
slow_get big.bin 0.05
check "a slow transfer is in flight" in_flight
t0=$(date +%s%N)
kill -TERM "$TFTPD_PID"
if gone_within 5 "$TFTPD_PID"; then
	pass "with --grace=1, SIGTERM ends the monitor within 5 s"
else
	fail "with --grace=1, SIGTERM ends the monitor within 5 s"
fi
ms=$((($(date +%s%N) - t0) / 1000000))
check "... but not before the grace second is over (${ms} ms)" test "$ms" -ge 900
stop_tftpd
is "$TFTPD_STATUS" 0 "exit status 0"
check "the end of the grace period is logged" log_has 'grace period over: ending 1 transfers'
check "the transfer is logged as killed" log_has 'file="big\.bin" mode=octet result=killed signal=9'

# ---------------------------------------------------------------------------
# SIGINT is SIGTERM.

start_tftpd "$LISTEN" "$ROOT" || bail "tftpd did not start"
kill -INT "$TFTPD_PID"
if gone_within 5 "$TFTPD_PID"; then
	pass "SIGINT ends an idle monitor"
else
	fail "SIGINT ends an idle monitor"
fi
stop_tftpd
is "$TFTPD_STATUS" 0 "exit status 0 after SIGINT"
check "SIGINT is logged" log_has 'SIGINT: no new requests'

# ---------------------------------------------------------------------------
# SIGHUP: a reload, logged; transfers in flight go on.

start_tftpd -v "$LISTEN" "$ROOT" || bail "tftpd did not start"
slow_get big.bin 0.01
check "a slow transfer is in flight" in_flight
kill -HUP "$TFTPD_PID"
check "SIGHUP is logged as a reload" wait_log 3 'reload: configuration read again'
sleep 0.3
check "the monitor is still running after SIGHUP" proc_alive "$TFTPD_PID"
gone_within 20 "$SLOW_PID"
check "the transfer in flight during SIGHUP completes intact" cmp -s "$ROOT/big.bin" "$SLOW_FILE"
got=$(mktemp "$TMPBASE/got.XXXXXX")
out=$("$RAWCLIENT" -t 3000 127.0.0.1 "$PORT" get a.bin "$got" 2>&1)
like "$out" 'GOT bytes=3000 ' "a new request after SIGHUP is served"
stop_tftpd

finish
