#!/bin/bash
# bigfile.sh - files past 4 GiB and past 65535 blocks, at full speed.
#
# A sparse file of 4 GiB + 123456 bytes, with non-zero bytes at offset 0,
# at 2^32 - 1 (the last byte below 4 GiB) and 10 bytes before the end,
# fetched with blksize 65464 and windowsize 64 (65610 blocks: the block
# number rolls over): size and SHA-256 must match. atftp cannot take
# 64 blocks of 64 KiB in a burst with its default socket buffer (it stalls
# in retransmissions), so rawclient fetches it, straight into a pipe that
# is hashed on the fly: nothing of the 4 GiB lands on disk. Then a 256 MiB
# file with blksize 1468 and windowsize 64 through atftp. Durations and
# throughput are diagnostics only.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd atftp python3 truncate cmp timeout mkfifo
run_alone

BIG=$((4 * 1024 * 1024 * 1024 + 123456))
MID=$((256 * 1024 * 1024))
# Room for the 256 MiB file and its copy (the big one is sparse).
avail_kb=$(df --output=avail -k "$TMPBASE" | tail -n1)
[ "$avail_kb" -gt $((3 * MID / 1024)) ] || skip_all "needs $((3 * MID / 1048576)) MiB free in $TMPBASE"

plan 10

ROOT=$(make_root) || bail "make_root"
OUT=$TMPBASE/out
mkdir "$OUT"
truncate -s "$BIG" "$ROOT/big" && chmod 644 "$ROOT/big" || bail "cannot create the sparse file"
python3 - "$ROOT/big" <<'EOF' || bail "cannot write into the sparse file"
import os, sys
with open(sys.argv[1], "r+b") as f:
    size = os.fstat(f.fileno()).st_size
    for off, data in ((0, b"\x01\x02\x03"), (2**32 - 1, b"\xaa"), (size - 10, b"\x55\x66")):
        f.seek(off)
        f.write(data)
EOF
make_file "$ROOT/m256" "$MID"

# hash_of FILE: "SIZE SHA256" (python's hashlib: several times faster than
# sha256sum where the CPU has SHA instructions). FILE may be a pipe.
HASHPY=$TMPBASE/hash.py
cat >"$HASHPY" <<'EOF'
import hashlib, sys
h, n = hashlib.sha256(), 0
with open(sys.argv[1], "rb", buffering=0) as f:
    while True:
        b = f.read(8 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
print(n, h.hexdigest())
EOF
hash_of() {
	python3 "$HASHPY" "$1"
}

# usec_now: wall clock in microseconds.
usec_now() {
	local t=$EPOCHREALTIME
	echo $((${t%.*} * 1000000 + 10#${t#*.}))
}

# rate BYTES USEC: MB/s (10^6 bytes) with one decimal.
rate() {
	awk -v b="$1" -v u="$2" 'BEGIN { printf "%.1f", (u > 0 ? b / u : 0) }'
}

want=$(hash_of "$ROOT/big")
is "${want%% *}" "$BIG" "the sparse file is 4 GiB + 123456 bytes"

PORT=$(free_port) || bail "no free port"
start_tftpd --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"
q='"'

# --- 4 GiB + 123456, blksize 65464, windowsize 64 ------------------------------
mkfifo "$OUT/pipe" || bail "mkfifo"
timeout 900 python3 "$HASHPY" "$OUT/pipe" >"$OUT/pipe.hash" &
hasher=$!
t0=$(usec_now)
got=$(timeout 900 "$RAWCLIENT" -t 5000 127.0.0.1 "$PORT" get big "$OUT/pipe" octet \
	blksize 65464 windowsize 64 tsize 0)
rc=$?
t=$(($(usec_now) - t0))
wait "$hasher"
got_hash=$(cat "$OUT/pipe.hash")
if [ "$rc" -eq 0 ]; then
	pass "rawclient fetched the 4 GiB file (exit 0)"
else
	fail "rawclient fetched the 4 GiB file (exit 0)"
	diag "rawclient exit $rc: $got"
fi
like "$got" "^OACK blksize=65464 windowsize=64 tsize=$BIG\$" \
	"blksize 65464, windowsize 64 and tsize $BIG granted"
like "$got" "^GOT bytes=$BIG blocks=65610\$" "65610 blocks (the block number rolled over)"
is "${got_hash%% *}" "$BIG" "the received size is $BIG"
is "${got_hash#* }" "${want#* }" "the received SHA-256 is the file's"
ok_re="transfer [0-9]+ RRQ client=127\.0\.0\.1:[0-9]+ file=${q}big$q mode=octet result=ok bytes=$BIG blocks=65610 "
if wait_log 5 "$ok_re"; then
	pass "the log has result=ok bytes=$BIG blocks=65610"
else
	fail "the log has result=ok bytes=$BIG blocks=65610"
	diag_file "$TFTPD_LOG" 3
fi
diag "4 GiB + 123456 bytes (rawclient, blksize 65464, windowsize 64): $((t / 1000)) ms, $(rate "$BIG" "$t") MB/s"
diag "server: $(grep -Eo "file=${q}big$q .*" "$TFTPD_LOG" | tail -n1)"

# --- 256 MiB, blksize 1468, windowsize 64, atftp -------------------------------
t0=$(usec_now)
timeout 300 atftp --option "blksize 1468" --option "windowsize 64" -g -r m256 -l "$OUT/m256" \
	127.0.0.1 "$PORT" >"$OUT/atftp.log" 2>&1
rc=$?
t=$(($(usec_now) - t0))
if cmp -s "$ROOT/m256" "$OUT/m256"; then
	pass "atftp fetched the 256 MiB file intact (blksize 1468, windowsize 64)"
else
	fail "atftp fetched the 256 MiB file intact (blksize 1468, windowsize 64)"
	diag "atftp exit $rc"
	diag_file "$OUT/atftp.log" 5
fi
rm -f "$OUT/m256"
ok_re="transfer [0-9]+ RRQ client=127\.0\.0\.1:[0-9]+ file=${q}m256$q mode=octet result=ok bytes=$MID blocks=182858 .* blksize=1468 windowsize=64 "
if wait_log 5 "$ok_re"; then
	pass "the log has result=ok bytes=$MID blocks=182858 blksize=1468 windowsize=64"
else
	fail "the log has result=ok bytes=$MID blocks=182858 blksize=1468 windowsize=64"
	diag_file "$TFTPD_LOG" 3
fi
diag "256 MiB (atftp, blksize 1468, windowsize 64): $((t / 1000)) ms, $(rate "$MID" "$t") MB/s"
diag "server: $(grep -Eo "file=${q}m256$q .*" "$TFTPD_LOG" | tail -n1)"

check "the server is still running" proc_alive "$TFTPD_PID"
stop_tftpd
rm -f "$ROOT/m256" "$ROOT/big"

finish
