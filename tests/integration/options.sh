#!/bin/bash
# options.sh - RFC 2347/2348/2349/7440 options and transfer modes.
#
# Real clients negotiate blksize, tsize and windowsize (atftp, curl,
# busybox) or none (tftp-hpa 5.2 has no option support), in octet and
# netascii mode, both ways: every file is compared byte for byte. rawclient
# checks the OACK itself: only options the client sent, values clamped or
# dropped as RFC 2348/7440 and our limits say, case-insensitive names,
# unknown options ignored, --refuse, the UEFI tsize probe (OACK, ERROR 8,
# then silence) and the modes.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd tftp atftp curl busybox python3 cmp timeout

plan 45

ROOT=$(make_root) || bail "make_root"
OUT=$TMPBASE/out
mkdir "$OUT"
mkdir "$ROOT/up" && chown nobody "$ROOT/up" || bail "upload directory"
make_file "$ROOT/f1M" 1048699
make_file "$ROOT/small" 3000
SIZE=1048699

# A text with LF, CR and CRLF line ends, and bytes placed so that on the
# wire (netascii) a CR ends block 1 (its NUL starts block 2) and a CRLF is
# split between blocks 2 and 3 (FreeBSD PR 178055); it ends with a bare CR.
python3 - "$ROOT/text.txt" "$TMPBASE/text.wire" <<'EOF'
import random, sys
rnd = random.Random(4711)
t = b"x" * 511 + b"\r" + b"y" * 510 + b"\r\n"
ends = [b"\n", b"\r\n", b"\r", b"\r\r\n", b"\n\n"]
while len(t) < 20000:
    line = bytes(rnd.choice(b"abc def\tXYZ\x00") for _ in range(rnd.randrange(0, 90)))
    t += line + rnd.choice(ends)
t += b"last line\r"
open(sys.argv[1], "wb").write(t)
# RFC 1350/764: CR -> CR NUL, LF -> CR LF.
open(sys.argv[2], "wb").write(t.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n"))
EOF
chmod 644 "$ROOT/text.txt"
# What a netascii client stores: CR LF -> LF, CR NUL -> CR (the inverse).
python3 - "$TMPBASE/text.wire" "$TMPBASE/text.local" <<'EOF'
import re, sys
w = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(re.sub(rb"\r(\n|\x00)", lambda m: b"\n" if m.group(1) == b"\n" else b"\r", w))
EOF

PORT=$(free_port) || bail "no free port"
# --grace=1: rawclient leaves some OACKs unanswered, stopping must not wait.
start_tftpd -v -c --grace=1 --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"
q='"'

# result_re OP FILE OPTIONS: a result=ok line with those negotiated options.
result_re() {
	echo "transfer [0-9]+ $1 client=127\.0\.0\.1:[0-9]+ file=$q$2$q mode=[a-z]+ result=ok .* $3 rtt_us="
}

# got_file DESC EXPECTED ACTUAL CLIENT_LOG: cmp decides (clients' exit
# statuses are not reliable).
got_file() {
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1"
		diag "$(cmp "$2" "$3" 2>&1)"
		[ -n "${4:-}" ] && diag_file "$4" 5
	fi
}

# wait_result OP FILE OPTIONS DESC: the log shows the transfer with those
# options (the monitor logs after the client got its last packet).
wait_result() {
	if wait_log 5 "$(result_re "$1" "$2" "$3")"; then
		pass "$4"
	else
		fail "$4"
		diag "want: $(result_re "$1" "$2" "$3")"
		diag_file "$TFTPD_LOG" 5
	fi
}

# --- tftp-hpa -------------------------------------------------------------
# tftp-hpa 5.2 (Debian 12) sends no options at all: no blksize, no tsize.
diag "$(tftp -V 2>&1 | head -n1 | cut -d, -f1) cannot negotiate blksize or tsize: plain RFC 1350"
timeout 60 tftp -m binary 127.0.0.1 "$PORT" -c get f1M "$OUT/hpa.bin" >"$OUT/hpa.log" 2>&1
got_file "tftp-hpa octet get is intact" "$ROOT/f1M" "$OUT/hpa.bin" "$OUT/hpa.log"
wait_result RRQ f1M "blksize=512 windowsize=1" \
	"without options the transfer is plain RFC 1350 (blksize=512 windowsize=1)"

timeout 60 tftp -m netascii 127.0.0.1 "$PORT" -c get text.txt "$OUT/hpa.txt" >"$OUT/hpa.txt.log" 2>&1
got_file "tftp-hpa netascii get gives the text with local line ends (LF, CR, CRLF kept)" \
	"$TMPBASE/text.local" "$OUT/hpa.txt" "$OUT/hpa.txt.log"
got=$("$RAWCLIENT" 127.0.0.1 "$PORT" get text.txt "$OUT/raw.wire" netascii)
got_file "on the wire netascii is CR LF / CR NUL, across block boundaries" \
	"$TMPBASE/text.wire" "$OUT/raw.wire"
[ "$(stat -c %s "$TMPBASE/text.wire")" -gt 1024 ] || diag "text.wire is too short to cross blocks"

timeout 60 tftp -m netascii 127.0.0.1 "$PORT" -c put "$ROOT/text.txt" up/hpa.txt >"$OUT/hpa.put.log" 2>&1
wait_for 5 test -e "$ROOT/up/hpa.txt"
got_file "tftp-hpa netascii put stores the text as it was" "$ROOT/text.txt" "$ROOT/up/hpa.txt" \
	"$OUT/hpa.put.log"
"$RAWCLIENT" 127.0.0.1 "$PORT" put up/raw.txt "$TMPBASE/text.wire" netascii >"$OUT/raw.put.log" 2>&1
got_file "a netascii upload of CR LF / CR NUL is stored with local line ends" \
	"$ROOT/text.txt" "$ROOT/up/raw.txt" "$OUT/raw.put.log"

# --- atftp ----------------------------------------------------------------
timeout 60 atftp --option "blksize 1468" --option "windowsize 16" -g -r f1M -l "$OUT/at16.bin" \
	127.0.0.1 "$PORT" >"$OUT/at16.log" 2>&1
got_file "atftp get with blksize 1468 + windowsize 16 is intact" "$ROOT/f1M" "$OUT/at16.bin" "$OUT/at16.log"
wait_result RRQ f1M "blksize=1468 windowsize=16" "the log shows blksize=1468 windowsize=16"

timeout 60 atftp --option "windowsize 64" -g -r f1M -l "$OUT/at64.bin" 127.0.0.1 "$PORT" \
	>"$OUT/at64.log" 2>&1
got_file "atftp get with windowsize 64 is intact" "$ROOT/f1M" "$OUT/at64.bin" "$OUT/at64.log"
wait_result RRQ f1M "blksize=512 windowsize=64" "the log shows windowsize=64"

timeout 60 atftp --option "windowsize 8" -p -r up/at8.bin -l "$ROOT/f1M" 127.0.0.1 "$PORT" \
	>"$OUT/at8.log" 2>&1
wait_for 5 test -e "$ROOT/up/at8.bin"
got_file "atftp put with windowsize 8 is intact" "$ROOT/f1M" "$ROOT/up/at8.bin" "$OUT/at8.log"
wait_result WRQ up/at8.bin "windowsize=8" "the log shows an upload with windowsize=8"

# --- curl -----------------------------------------------------------------
timeout 60 curl -sS --tftp-blksize 8192 -o "$OUT/curl.bin" "tftp://127.0.0.1:$PORT/f1M" \
	>"$OUT/curl.log" 2>&1
got_file "curl get with --tftp-blksize 8192 is intact" "$ROOT/f1M" "$OUT/curl.bin" "$OUT/curl.log"
wait_result RRQ f1M "blksize=8192 windowsize=1" "the log shows blksize=8192"

timeout 60 curl -sS -T "$ROOT/f1M" "tftp://127.0.0.1:$PORT/up/curl.bin" >"$OUT/curl.put.log" 2>&1
wait_for 5 test -e "$ROOT/up/curl.bin"
got_file "curl upload (-T) is intact" "$ROOT/f1M" "$ROOT/up/curl.bin" "$OUT/curl.put.log"

# --- busybox --------------------------------------------------------------
timeout 60 busybox tftp -b 1024 -g -l "$OUT/bb.bin" -r f1M 127.0.0.1 "$PORT" >"$OUT/bb.log" 2>&1
got_file "busybox get with -b 1024 is intact" "$ROOT/f1M" "$OUT/bb.bin" "$OUT/bb.log"
wait_result RRQ f1M "blksize=1024 windowsize=1" "the log shows blksize=1024"

timeout 60 busybox tftp -b 1024 -p -l "$ROOT/f1M" -r up/bb.bin 127.0.0.1 "$PORT" \
	>"$OUT/bb.put.log" 2>&1
wait_for 5 test -e "$ROOT/up/bb.bin"
got_file "busybox put with -b 1024 is intact" "$ROOT/f1M" "$ROOT/up/bb.bin" "$OUT/bb.put.log"
wait_result WRQ up/bb.bin "blksize=1024 windowsize=1" "the log shows an upload with blksize=1024"

# --- the OACK, through rawclient -------------------------------------------
# rrq_reply OPTION VALUE...: the first reply to an octet RRQ for f1M.
rrq_reply() {
	"$RAWCLIENT" -t 3000 127.0.0.1 "$PORT" rrq f1M octet "$@"
}
# sorted "OACK a=1 b=2" -> "OACK a=1 b=2" with the pairs in name order, names
# in lower case (RFC 2347 names are case-insensitive; the order is free).
oack_set() {
	local -a pairs
	local p
	read -ra pairs <<<"$1"
	printf '%s' "${pairs[0]}"
	while IFS= read -r p; do
		printf ' %s' "$p"
	done < <(printf '%s\n' "${pairs[@]:1}" | tr '[:upper:]' '[:lower:]' | sort)
	echo
}

is "$(rrq_reply blksize 65535)" "OACK blksize=65464" "blksize 65535 is clamped to 65464"
is "$(rrq_reply blksize 8)" "OACK blksize=8" "blksize 8 (the minimum) is granted"
is "$(rrq_reply blksize 7)" "DATA block=1 len=512" \
	"blksize 7 alone is dropped: plain DATA 1 of 512 bytes, no OACK"
is "$(rrq_reply timeout 0)" "DATA block=1 len=512" "timeout 0 alone is dropped"
is "$(rrq_reply windowsize 0)" "DATA block=1 len=512" "windowsize 0 alone is dropped"
is "$(rrq_reply blksize 7 timeout 0 windowsize 0 tsize 0)" "OACK tsize=$SIZE" \
	"invalid values are dropped, the valid tsize is answered with the file size"
is "$(rrq_reply windowsize 65535)" "OACK windowsize=64" "windowsize 65535 is clamped to 64"
is "$(oack_set "$(rrq_reply BLKSIZE 1024 TSIZE 0)")" "OACK blksize=1024 tsize=$SIZE" \
	"upper-case option names are accepted"
is "$(rrq_reply foo bar)" "DATA block=1 len=512" \
	"an unknown option alone is ignored: plain DATA 1, no OACK"
is "$(rrq_reply foo bar blksize 1024)" "OACK blksize=1024" \
	"an unknown option is never echoed in the OACK"
is "$(oack_set "$(rrq_reply blksize 8 tsize 0 timeout 3 windowsize 4 rollover 0 utimeout 100000)")" \
	"$(oack_set "OACK blksize=8 tsize=$SIZE timeout=3 windowsize=4 rollover=0 utimeout=100000")" \
	"blksize 8 plus every other option: a complete OACK (bigger than one block)"
got=$("$RAWCLIENT" 127.0.0.1 "$PORT" get small "$OUT/all.bin" octet blksize 8 tsize 0 timeout 3 \
	windowsize 4 rollover 0 utimeout 100000)
rc=$?
if [ "$rc" -eq 0 ] && cmp -s "$ROOT/small" "$OUT/all.bin"; then
	pass "a download with blksize 8 and every option completes intact"
else
	fail "a download with blksize 8 and every option completes intact"
	diag "$got"
fi
like "$got" "^GOT bytes=3000 blocks=376$" "... in 376 blocks of 8 bytes"

# The UEFI size probe (EDK II): RRQ with tsize 0, read the OACK, answer
# ERROR 8, then request the file again without tsize.
got=$("$RAWCLIENT" -t 3000 127.0.0.1 "$PORT" abort small 8 octet tsize 0)
is "$got" "OACK tsize=3000
SILENCE" "UEFI probe: OACK tsize=3000, then nothing for 3 s after ERROR 8"
probe_re="transfer [0-9]+ RRQ client=127\.0\.0\.1:[0-9]+ file=${q}small$q mode=octet result=probe .*peer_error=8"
if wait_log 5 "$probe_re"; then
	pass "the log says result=probe (peer_error=8)"
else
	fail "the log says result=probe (peer_error=8)"
	diag_file "$TFTPD_LOG" 5
fi
if "$RAWCLIENT" 127.0.0.1 "$PORT" get small "$OUT/after-probe.bin" >/dev/null &&
	cmp -s "$ROOT/small" "$OUT/after-probe.bin"; then
	pass "the request after the probe is served"
else
	fail "the request after the probe is served"
fi

like "$("$RAWCLIENT" 127.0.0.1 "$PORT" rrq f1M mail)" "^ERROR code=4 " "mode mail gets ERROR 4"
is "$("$RAWCLIENT" 127.0.0.1 "$PORT" rrq text.txt NETASCII)" "DATA block=1 len=512" \
	"mode NETASCII in capitals is accepted"
got=$("$RAWCLIENT" 127.0.0.1 "$PORT" get text.txt "$OUT/upper.wire" NeTaScIi)
got_file "... and converts like netascii (mode NeTaScIi)" "$TMPBASE/text.wire" "$OUT/upper.wire"

check "the server is still running" proc_alive "$TFTPD_PID"
stop_tftpd

# --- limits from the command line ------------------------------------------
start_tftpd --grace=1 --blksize-max=1024 --windowsize-max=8 --refuse=tsize \
	--listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd (limits) did not start"
is "$(rrq_reply blksize 65535)" "OACK blksize=1024" "--blksize-max=1024 clamps blksize 65535 to 1024"
is "$(rrq_reply windowsize 16)" "OACK windowsize=8" "--windowsize-max=8 clamps windowsize 16 to 8"
is "$(rrq_reply tsize 0)" "DATA block=1 len=512" "--refuse=tsize: tsize alone is ignored (no OACK)"
is "$(rrq_reply tsize 0 blksize 1500)" "OACK blksize=1024" "--refuse=tsize: tsize is left out of the OACK"
timeout 60 atftp --option "blksize 1468" --option "windowsize 16" -g -r f1M -l "$OUT/clamped.bin" \
	127.0.0.1 "$PORT" >"$OUT/clamped.log" 2>&1
got_file "atftp asking for more than the limits still gets the file intact" "$ROOT/f1M" \
	"$OUT/clamped.bin" "$OUT/clamped.log"
wait_result RRQ f1M "blksize=1024 windowsize=8" "... with blksize=1024 windowsize=8"
stop_tftpd

finish
