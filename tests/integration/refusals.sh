#!/bin/bash
# refusals.sh - every request the server must refuse, and how.
#
# Traversal, absolute names, symlinks out of the root, FIFOs, directories,
# unreadable files, uploads, malformed requests and stray DATA/ACK each get
# exactly one ERROR packet with the right code and never a byte of data; the
# refusals are logged with the client's name escaped; the server keeps
# serving afterwards; a request sent twice starts one transfer.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd tftp python3 cmp timeout mkfifo

plan 37

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 1000
make_file "$ROOT/dup.bin" 3000
make_file "$ROOT/secret" 100
chmod 0600 "$ROOT/secret"
make_file "$ROOT/mine" 100
chmod 0600 "$ROOT/mine"
mkfifo -m 0644 "$ROOT/fifo"
mkdir -m 0755 "$ROOT/dir"
# Bait next to the root: a traversal that worked would find it.
make_file "$TMPBASE/x" 100
ln -s /etc/passwd "$ROOT/link-abs"
ln -s ../../../../../../../../../../etc/passwd "$ROOT/link-rel"
ln -s /etc "$ROOT/link-dir"
ln -s .. "$ROOT/link-up"
PORT=$(free_port) || bail "no free port"
OUT=$TMPBASE/out
mkdir "$OUT"

start_tftpd -v --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"
MONITOR_UID=$(proc_field "$TFTPD_PID" Uid | cut -d' ' -f1)
diag "monitor uid: $MONITOR_UID"
# Readable by the monitor's own user, but not by the world: still refused.
chown "$MONITOR_UID" "$ROOT/mine"

# send_all HEX...: every reply within 1 s of silence, one line each.
send_all() {
	"$RAWCLIENT" -t 1000 127.0.0.1 "$PORT" send "$@"
}

# refused DESCRIPTION CODES HEX: the only reply is one ERROR with a code
# matching the ERE CODES (so in particular, no DATA).
refused() {
	local out
	out=$(send_all "$3")
	if printf '%s\n' "$out" | grep -Eq "^ERROR code=($2) msg=" &&
		[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
		pass "$1"
	else
		fail "$1"
		diag "want exactly one 'ERROR code=($2)'; got:"
		diag "$out"
	fi
}

rrq() {
	req_hex 1 "$1" "${2:-octet}"
}

# Sanity: the same path gets data, so the refusals below are not an accident.
is "$("$RAWCLIENT" -t 2000 127.0.0.1 "$PORT" rrq a.bin)" "DATA block=1 len=512" \
	"control: a.bin is served"

refused "missing file: ERROR 1" 1 "$(rrq nope)"
rm -f "$OUT/hpa.nope"
hpa=$(timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c get nope "$OUT/hpa.nope" 2>&1)
like "$hpa" 'Error code 1' "tftp-hpa reports 'Error code 1' for a missing file"
if [ ! -s "$OUT/hpa.nope" ]; then
	pass "tftp-hpa gets no data for a missing file"
else
	fail "tftp-hpa gets no data for a missing file"
fi

refused "../x: ERROR 2, no data" 2 "$(rrq ../x)"
refused "a/../../x: ERROR 2, no data" 2 "$(rrq a/../../x)"
refused '..\x (backslashes): ERROR 1 or 2, no data' '1|2' "$(rrq '..\x')"
refused "/etc/passwd (looked up in ROOT, absent): ERROR 1, no data" 1 "$(rrq /etc/passwd)"
refused "symlink to /etc/passwd: ERROR 1 or 2, no data" '1|2' "$(rrq link-abs)"
refused "symlink to ../../../etc/passwd: ERROR 1 or 2, no data" '1|2' "$(rrq link-rel)"
refused "through a symlink to /etc: ERROR 1 or 2, no data" '1|2' "$(rrq link-dir/passwd)"
refused "through a symlink to ..: ERROR 1 or 2, no data" '1|2' "$(rrq link-up/x)"
refused "0600 file owned by root: ERROR 2" 2 "$(rrq secret)"
refused "0600 file owned by the monitor's user: ERROR 2" 2 "$(rrq mine)"

# A FIFO must not hang the monitor (no blocking open), nor may a directory.
for what in fifo dir; do
	t0=$(date +%s%N)
	out=$("$RAWCLIENT" -t 3000 127.0.0.1 "$PORT" rrq "$what")
	ms=$((($(date +%s%N) - t0) / 1000000))
	like "$out" '^ERROR code=(1|2) ' "$what: refused with ERROR 1 or 2"
	if [ "$ms" -lt 2000 ]; then
		pass "$what: the ERROR arrives within 2 s (${ms} ms)"
	else
		fail "$what: the ERROR arrives within 2 s (${ms} ms)"
	fi
	rm -f "$OUT/after.$what"
	if timeout 30 "$RAWCLIENT" 127.0.0.1 "$PORT" get a.bin "$OUT/after.$what" >/dev/null &&
		cmp -s "$ROOT/a.bin" "$OUT/after.$what"; then
		pass "$what: a normal download right after succeeds"
	else
		fail "$what: a normal download right after succeeds"
	fi
done

refused "WRQ (uploads disabled): ERROR 2" 2 "$(req_hex 2 upload.bin octet)"
if [ ! -e "$ROOT/upload.bin" ]; then
	pass "the refused upload created no file"
else
	fail "the refused upload created no file"
fi

# Malformed requests: ERROR 4.
refused "request without NUL at the end: ERROR 4" 4 "$(req_hex 1 a.bin)$(str_hex octet)"
refused "request without mode: ERROR 4" 4 "$(req_hex 1 a.bin)"
refused "mode 'mail': ERROR 4" 4 "$(rrq a.bin mail)"
refused "mode 'foo': ERROR 4" 4 "$(rrq a.bin foo)"
refused "option without value: ERROR 4" 4 "$(req_hex 1 a.bin octet blksize)"

# DATA and ACK from a client with no transfer: unknown transfer ID.
refused "DATA from an unknown client: ERROR 5" 5 "0003 0001 $(str_hex hello)"
refused "ACK from an unknown client: ERROR 5" 5 "0004 0001"

# The log.
q='"'
check "the log has a refused line for ../x with error=2" \
	log_has "refused RRQ client=127\.0\.0\.1:[0-9]+ file=$q\.\./x$q error=2 reason=$q"
check "the log has a refused line for the WRQ with error=2" \
	log_has "refused WRQ client=127\.0\.0\.1:[0-9]+ file=${q}upload\.bin$q error=2 reason=$q"
check "a request refused for its mode still names its file in the log" \
	log_has "refused RRQ client=127\.0\.0\.1:[0-9]+ file=${q}a\.bin$q error=4 reason=${q}Unsupported mode"

# A file name with a newline must not forge a log line.
out=$(send_all "$(rrq $'evil\nFAKE: forged line')")
like "$out" '^ERROR code=[0-9]+ ' "a name with a newline is refused"
if log_has 'file="evil\\x0[aA]FAKE: forged line"' && ! log_has '^FAKE'; then
	pass "the newline is logged as \\x0a and starts no line"
else
	fail "the newline is logged as \\x0a and starts no line"
	diag_file "$TFTPD_LOG" 5
fi

# A request sent twice back to back (a client retransmitting) starts one
# transfer, and the download is intact.
rm -f "$OUT/dup"
got=$(timeout 30 "$RAWCLIENT" -n 2 127.0.0.1 "$PORT" get dup.bin "$OUT/dup")
if [ $? -eq 0 ] && cmp -s "$ROOT/dup.bin" "$OUT/dup"; then
	pass "a request sent twice: the download is intact"
else
	fail "a request sent twice: the download is intact"
	diag "$got"
fi
wait_log 5 "file=${q}dup\.bin$q mode=octet result="
sleep 1 # room for a second transfer to show itself
is "$(log_count "transfer [0-9]+ start RRQ .*file=${q}dup\.bin$q")" 1 \
	"a request sent twice starts one transfer"

check "the server is still running" proc_alive "$TFTPD_PID"

finish
