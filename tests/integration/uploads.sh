#!/bin/bash
# uploads.sh - WRQ: refused unless enabled, never a partial or clobbered file.
#
# Without -c every upload is refused. With -c each client's upload arrives
# intact, an existing file is not replaced (ERROR 6) unless --overwrite, and
# then it is replaced whole. A transfer child killed mid-upload, a full disk
# (a 1 MiB tmpfs), a second upload to the same name and --max-upload-size
# leave no file, no temporary file and the old file intact. Stale temporary
# files are removed at start; temporary names cannot be read or written.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd tftp atftp curl busybox python3 cmp timeout mount umount

plan 64

ROOT=$(make_root) || bail "make_root"
UP=$ROOT/up
mkdir "$UP" && chown nobody "$UP" || bail "upload directory"
SRC=$TMPBASE/src
mkdir "$SRC"
make_file "$SRC/1M" 1048576
make_file "$SRC/1M+1" 1048577
make_file "$SRC/2M" 2097152
make_file "$SRC/4M" 4194304
make_file "$SRC/small" 3000
make_file "$SRC/slow" 15000 # 30 blocks of 512 bytes
make_file "$SRC/other" 15000
make_file "$SRC/old" 100000
OUT=$TMPBASE/out
mkdir "$OUT"
PORT=$(free_port) || bail "no free port"
q='"'

# The disk-full case: a 1 MiB tmpfs, mounted before the daemon starts.
FULL=$ROOT/full
mkdir "$FULL"
mount -t tmpfs -o size=1M,mode=0755,uid=65534 cloister-it "$FULL" || bail "cannot mount a tmpfs"
on_exit "umount '$FULL' 2>/dev/null || umount -l '$FULL'"

# temps DIR: temporary upload files left in DIR.
temps() {
	find "$1" -maxdepth 1 -name '.tftpd-upload.*' -printf '%f\n'
}
no_temps() {
	[ -z "$(temps "$1")" ]
}
# no_temps_within SECONDS DIR DESC
no_temps_within() {
	if wait_for "$1" no_temps "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "left: $(temps "$2" | tr '\n' ' ')"
	fi
}
# absent PATH DESC
absent() {
	if [ ! -e "$1" ]; then
		pass "$2"
	else
		fail "$2"
		diag "$(ls -l "$1")"
	fi
}
# put NAME FILE [MODE [OPT VAL]...]: rawclient upload, its output on stdout.
put() {
	timeout 120 "$RAWCLIENT" 127.0.0.1 "$PORT" put "$@"
}

# --- uploads disabled -------------------------------------------------------
start_tftpd -v --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"
like "$("$RAWCLIENT" 127.0.0.1 "$PORT" wrq up/new)" "^ERROR code=2 " "without -c a WRQ gets ERROR 2"
like "$(put up/new "$SRC/small")" "^ERROR code=2 " "... also with data ready to follow"
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/small" up/new >/dev/null 2>&1
absent "$UP/new" "... and tftp-hpa's put leaves no file"
check "the refusal is logged" log_has "refused WRQ client=127\.0\.0\.1:[0-9]+ file=${q}up/new$q error=2 "
stop_tftpd

# --- stale temporary files --------------------------------------------------
# Where the daemon can write, i.e. where it could have left them (the
# clean-up runs as the service user).
mkdir -p "$UP/sub/deeper"
for f in "$UP/.tftpd-upload.0123456789abcdef" "$UP/sub/deeper/.tftpd-upload.00000000000000ff"; do
	echo stale >"$f"
done
echo keep >"$UP/keep.txt"
chown -R nobody "$UP/sub"
start_tftpd -v -c --grace=1 --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd -c did not start"
if [ ! -e "$UP/.tftpd-upload.0123456789abcdef" ] &&
	[ ! -e "$UP/sub/deeper/.tftpd-upload.00000000000000ff" ]; then
	pass "with -c, stale temporary files are removed at start (also in subdirectories)"
else
	fail "with -c, stale temporary files are removed at start (also in subdirectories)"
	diag "$(find "$ROOT" -name '.tftpd-upload.*')"
fi
check "... and logged" log_has "removed 2 stale temporary upload files"
check "... and other files are kept" test -s "$UP/keep.txt"

# --- each client ------------------------------------------------------------
timeout 60 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/1M" up/hpa.bin >"$OUT/hpa.log" 2>&1
same_bytes "$SRC/1M" "$UP/hpa.bin" "tftp-hpa put arrives intact" "$OUT/hpa.log"
timeout 60 atftp -p -r up/atftp.bin -l "$SRC/1M" 127.0.0.1 "$PORT" >"$OUT/atftp.log" 2>&1
same_bytes "$SRC/1M" "$UP/atftp.bin" "atftp put arrives intact" "$OUT/atftp.log"
timeout 60 curl -sS -T "$SRC/1M" "tftp://127.0.0.1:$PORT/up/curl.bin" >"$OUT/curl.log" 2>&1
same_bytes "$SRC/1M" "$UP/curl.bin" "curl put arrives intact" "$OUT/curl.log"
timeout 60 busybox tftp -p -l "$SRC/1M" -r up/bb.bin 127.0.0.1 "$PORT" >"$OUT/bb.log" 2>&1
same_bytes "$SRC/1M" "$UP/bb.bin" "busybox put arrives intact" "$OUT/bb.log"
got=$(put up/raw.bin "$SRC/1M" octet blksize 1468 windowsize 16 tsize 1048576)
# No waiting: the last ACK comes only after the rename.
same_bytes "$SRC/1M" "$UP/raw.bin" "rawclient put (blksize 1468, windowsize 16) is in place at the last ACK"
like "$got" "^PUT bytes=1048576 blocks=715$" "... in 715 blocks"
got=$(put up/empty.bin /dev/null)
same_bytes /dev/null "$UP/empty.bin" "an empty upload gives an empty file"
is "$(stat -c %a "$UP/raw.bin")" 644 "uploads get mode 0644 (umask 022)"
is "$(log_count "transfer [0-9]+ WRQ .* result=ok ")" 6 "the log has six result=ok uploads"
no_temps_within 0 "$UP" "no temporary file is left by good uploads"

# --- an existing file, without --overwrite -----------------------------------
cp "$SRC/old" "$UP/exists" && chmod 644 "$UP/exists"
like "$(put up/exists "$SRC/small")" "^ERROR code=6 " "an upload over an existing file gets ERROR 6"
same_bytes "$SRC/old" "$UP/exists" "... and the old file is intact"
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/small" up/exists >/dev/null 2>&1
same_bytes "$SRC/old" "$UP/exists" "... also after tftp-hpa tried"

# --- temporary names ----------------------------------------------------------
echo "not for you" >"$UP/.tftpd-upload.00000000000000aa"
chmod 644 "$UP/.tftpd-upload.00000000000000aa"
like "$("$RAWCLIENT" 127.0.0.1 "$PORT" rrq up/.tftpd-upload.00000000000000aa)" "^ERROR code=[12] " \
	"a RRQ for a temporary upload name is refused"
like "$("$RAWCLIENT" 127.0.0.1 "$PORT" wrq up/.tftpd-upload.0000000000000abc)" "^ERROR code=[0-9]+ " \
	"a WRQ to a temporary upload name is refused"
absent "$UP/.tftpd-upload.0000000000000abc" "... and creates nothing"
rm -f "$UP/.tftpd-upload.00000000000000aa"

# --- the transfer child killed mid-upload -------------------------------------
# kill_mid_upload NAME: a stalled upload of NAME (5 blocks sent, then
# silence); SIGKILL to its transfer child. Output in $OUT/kill.NAME.
kill_mid_upload() {
	local out=$OUT/kill.$1 child
	"$RAWCLIENT" -s 5 -t 20000 127.0.0.1 "$PORT" put "up/$1" "$SRC/1M" >"$out" 2>&1 &
	local cpid=$!
	wait_for 5 grep -q '^STOPPED' "$out"
	wait_log 5 "transfer [0-9]+ start WRQ .*file=${q}up/$1$q"
	child=$(log_child "file=${q}up/$1$q")
	if [ -n "$child" ] && [ -n "$(temps "$UP")" ]; then
		pass "$1: upload in flight (child $child, a temporary file exists)"
	else
		fail "$1: upload in flight (child ${child:-?}, a temporary file exists)"
		diag "$(cat "$out")"
	fi
	[ -n "$child" ] && kill -KILL "$child"
	if wait_log 3 "transfer [0-9]+ WRQ .*file=${q}up/$1$q mode=octet result=killed signal=9"; then
		pass "$1: the log says result=killed signal=9"
	else
		fail "$1: the log says result=killed signal=9"
		diag_file "$TFTPD_LOG" 5
	fi
	no_temps_within 3 "$UP" "$1: no temporary file left within 3 s"
	wait_for 5 grep -q '^ERROR' "$out"
	like "$(cat "$out")" "^ERROR code=" "$1: the client is told (ERROR)"
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
}
kill_mid_upload killed
absent "$UP/killed" "killed: the target does not exist"

# --- two uploads to one name ---------------------------------------------------
timeout 60 "$RAWCLIENT" -d 100 127.0.0.1 "$PORT" put up/conc "$SRC/slow" >"$OUT/conc.1" 2>&1 &
first=$!
wait_log 5 "transfer [0-9]+ start WRQ .*file=${q}up/conc$q"
sleep 0.3
like "$(put up/conc "$SRC/other")" "^ERROR code=[0-9]+ " \
	"a second upload to a name being uploaded is refused"
wait "$first"
like "$(cat "$OUT/conc.1")" "^PUT bytes=15000 " "the first (slow) upload completes"
same_bytes "$SRC/slow" "$UP/conc" "the target is exactly the first upload"
no_temps_within 3 "$UP" "no temporary file is left"
stop_tftpd

# --- with --overwrite ------------------------------------------------------------
start_tftpd -v -c --overwrite --grace=1 --listen=127.0.0.1:"$PORT" "$ROOT" ||
	bail "tftpd --overwrite did not start"
got=$(put up/exists "$SRC/small")
like "$got" "^PUT bytes=3000 " "with --overwrite an upload over an existing file succeeds"
same_bytes "$SRC/small" "$UP/exists" "... and replaces it whole (no tail of the longer old file)"
is "$(stat -c %a "$UP/exists")" 644 "... with mode 0644"
# The one before is stored and only dallies: no longer an upload in flight.
got=$(put up/exists "$SRC/other")
like "$got" "^PUT bytes=" "an upload right after the last one of the same name is taken"
same_bytes "$SRC/other" "$UP/exists" "... and replaces it"
cp "$SRC/old" "$UP/killed" && chmod 644 "$UP/killed"
kill_mid_upload killed
same_bytes "$SRC/old" "$UP/killed" "killed while overwriting: the old file is intact"

timeout 60 "$RAWCLIENT" -d 100 127.0.0.1 "$PORT" put up/conc "$SRC/slow" >"$OUT/conc.2" 2>&1 &
first=$!
wait_log 5 "transfer [0-9]+ start WRQ .*file=${q}up/conc$q"
sleep 0.3
like "$(put up/conc "$SRC/other")" "^ERROR code=[0-9]+ " \
	"with --overwrite too, a second upload to a name being uploaded is refused"
wait "$first"
same_bytes "$SRC/slow" "$UP/conc" "... and the target is exactly the first upload"

# --- disk full ---------------------------------------------------------------------
before=$(df --output=used "$FULL" | tail -n1)
got=$(put full/big "$SRC/4M")
like "$got" "^ERROR code=3 " "a 4 MiB upload to a 1 MiB file system gets ERROR 3"
if wait_log 5 "transfer [0-9]+ WRQ .*file=${q}full/big$q mode=octet result=no-space "; then
	pass "the log says result=no-space"
else
	fail "the log says result=no-space"
	diag_file "$TFTPD_LOG" 5
fi
no_temps_within 3 "$FULL" "no temporary file is left on the full file system"
is "$(ls -A "$FULL")" "" "the full file system has nothing new"
# The blocks come back when the last descriptor of the removed temporary
# file is closed, which the child may do a moment after the monitor logs.
used=$(df --output=used "$FULL" | tail -n1)
for _ in $(seq 30); do
	[ "$used" = "$before" ] && break
	sleep 0.1
	used=$(df --output=used "$FULL" | tail -n1)
done
is "$used" "$before" "... and its space is free again"
timeout 60 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/4M" full/hpa >"$OUT/full.hpa" 2>&1
like "$(cat "$OUT/full.hpa")" "[Dd]isk full|rror code 3" "tftp-hpa is told the disk is full"
wait_for 3 test -z "$(ls -A "$FULL")"
is "$(ls -A "$FULL")" "" "... and leaves nothing on the file system"
got=$(put full/fits "$SRC/small")
same_bytes "$SRC/small" "$FULL/fits" "a small upload to that file system still works"
rm -f "$FULL/fits"
stop_tftpd

# --- --max-upload-size ------------------------------------------------------------
start_tftpd -v -c --max-upload-size=1M --grace=1 --listen=127.0.0.1:"$PORT" "$ROOT" ||
	bail "tftpd --max-upload-size did not start"
like "$("$RAWCLIENT" 127.0.0.1 "$PORT" wrq up/big octet tsize 2097152)" "^ERROR code=3 " \
	"--max-upload-size=1M: WRQ with tsize 2097152 gets ERROR 3 up front"
like "$("$RAWCLIENT" 127.0.0.1 "$PORT" wrq up/big octet tsize 1048577)" "^ERROR code=3 " \
	"... and so does tsize 1048577 (one byte over)"
got=$(put up/big "$SRC/2M")
like "$got" "^ERROR code=3 " "a 2 MiB upload without tsize is stopped with ERROR 3"
absent "$UP/big" "... and leaves no file"
no_temps_within 3 "$UP" "... and no temporary file within 3 s"
got=$(put up/big "$SRC/1M+1" octet blksize 1468 windowsize 16)
like "$got" "^ERROR code=3 " "one byte over the limit, in windows, is stopped too"
absent "$UP/big" "... and leaves no file"
timeout 60 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/2M" up/big >/dev/null 2>&1
absent "$UP/big" "tftp-hpa's 2 MiB put leaves no file"
no_temps_within 3 "$UP" "... and no temporary file within 3 s"
got=$(put up/exact "$SRC/1M" octet tsize 1048576)
same_bytes "$SRC/1M" "$UP/exact" "an upload of exactly 1 MiB (tsize 1048576) is accepted"
got=$(put up/exact2 "$SRC/1M")
same_bytes "$SRC/1M" "$UP/exact2" "... and without tsize too"
check "the server is still running" proc_alive "$TFTPD_PID"
stop_tftpd

finish
