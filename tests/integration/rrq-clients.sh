#!/bin/bash
# rrq-clients.sh - downloads with real clients (tftp-hpa, curl) and rawclient.
#
# Sizes around the block boundary (0, 511, 512, 513), 1 MiB, and 40 MiB,
# which is more than 65535 blocks of 512 bytes, so block numbers roll over.
# Every download is compared byte for byte with the served file; the log
# reports each transfer; replies come from the listening port; IPv6 works.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd tftp curl python3 cmp timeout

plan 28

ROOT=$(make_root) || bail "make_root"
SIZES="0 511 512 513 1048576 41943040"
for s in $SIZES; do
	make_file "$ROOT/f$s" "$s"
done
make_file "$ROOT/sub/inner.bin" 1000
PORT=$(free_port) || bail "no free port"
OUT=$TMPBASE/out
mkdir "$OUT"

start_tftpd -v --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"

# same FILE OUTPUT: the download equals the served file.
same() {
	cmp -s "$ROOT/$1" "$2"
}

for s in $SIZES; do
	rm -f "$OUT/hpa.$s"
	timeout 120 tftp -m binary 127.0.0.1 "$PORT" -c get "f$s" "$OUT/hpa.$s" \
		>"$OUT/hpa.$s.log" 2>&1
	# tftp-hpa exits 0 even when the transfer failed: cmp decides.
	if same "f$s" "$OUT/hpa.$s"; then
		pass "tftp-hpa gets a $s-byte file intact"
	else
		fail "tftp-hpa gets a $s-byte file intact"
		diag_file "$OUT/hpa.$s.log" 5
	fi
done

for s in $SIZES; do
	rm -f "$OUT/curl.$s"
	# curl (7.88) sends tsize and rejects an OACK with "tsize 0" as illegal,
	# a curl bug: without options the empty file tests the server instead.
	noopt=
	[ "$s" -eq 0 ] && noopt=--tftp-no-options
	if timeout 120 curl -sS $noopt -o "$OUT/curl.$s" "tftp://127.0.0.1:$PORT/f$s" \
		2>"$OUT/curl.$s.log" && same "f$s" "$OUT/curl.$s"; then
		pass "curl gets a $s-byte file intact"
	else
		fail "curl gets a $s-byte file intact"
		diag_file "$OUT/curl.$s.log" 5
	fi
done

got=$(timeout 300 "$RAWCLIENT" -v 127.0.0.1 "$PORT" get f41943040 "$OUT/raw.40M")
rc=$?
if [ "$rc" -eq 0 ] && same f41943040 "$OUT/raw.40M"; then
	pass "rawclient gets the 40 MiB file intact (block numbers roll over)"
else
	fail "rawclient gets the 40 MiB file intact (block numbers roll over)"
	diag "rawclient exit $rc: $got"
fi
like "$got" "^FROM 127\.0\.0\.1:$PORT\$" "the transfer's DATA comes from the listening port"
like "$got" '^GOT bytes=41943040 blocks=81921$' "rawclient counts 81921 blocks (rollover past 65535)"

reply=$("$RAWCLIENT" -v -t 2000 127.0.0.1 "$PORT" rrq f513)
is "$reply" "FROM 127.0.0.1:$PORT
DATA block=1 len=512" "the first reply is DATA 1 from the listening port"

# The log: one result=ok line per transfer with the right counts.
q='"'
ok_line() { # FILE BYTES BLOCKS
	echo "transfer [0-9]+ RRQ client=127\.0\.0\.1:[0-9]+ file=$q$1$q mode=octet result=ok bytes=$2 blocks=$3 retransmits=[0-9]+ usec=[0-9]+"
}
wait_log 10 "$(ok_line f1048576 1048576 2049)"
is "$(log_count "$(ok_line f1048576 1048576 2049)")" 2 \
	"the log has result=ok bytes=1048576 blocks=2049 for both 1 MiB downloads"
# tftp-hpa + curl + rawclient get (the rrq above is still in flight).
wait_for 10 test "$(log_count "$(ok_line f41943040 41943040 81921)")" -ge 3
is "$(log_count "$(ok_line f41943040 41943040 81921)")" 3 \
	"the log has result=ok bytes=41943040 blocks=81921 for the three 40 MiB downloads"
is "$(log_count "$(ok_line f0 0 1)")" 2 "the log has result=ok bytes=0 blocks=1 for both empty files"
start_re="transfer [0-9]+ start RRQ client=127\.0\.0\.1:[0-9]+ file=${q}f513$q mode=octet child=[0-9]+"
check "with -v the log has a start line naming the transfer child" log_has "$start_re"

# Request names: a subdirectory, a leading slash (names ROOT/...), and a mode
# in capitals (RFC 1350: any mix of cases).
if "$RAWCLIENT" 127.0.0.1 "$PORT" get sub/inner.bin "$OUT/inner" >/dev/null &&
	same sub/inner.bin "$OUT/inner"; then
	pass "a file in a subdirectory is served"
else
	fail "a file in a subdirectory is served"
fi
if "$RAWCLIENT" 127.0.0.1 "$PORT" get /f513 "$OUT/slash" >/dev/null && same f513 "$OUT/slash"; then
	pass "/f513 is served as ROOT/f513"
else
	fail "/f513 is served as ROOT/f513"
fi
is "$("$RAWCLIENT" -t 2000 127.0.0.1 "$PORT" rrq f513 OCTET)" "DATA block=1 len=512" \
	"mode OCTET in capitals is accepted"

# Concurrent downloads, each by its own transfer child.
pids=()
for i in 1 2 3 4 5; do
	timeout 60 "$RAWCLIENT" 127.0.0.1 "$PORT" get f1048576 "$OUT/par.$i" >/dev/null &
	pids+=($!)
done
bad=0
for i in 1 2 3 4 5; do
	wait "${pids[$((i - 1))]}" || bad=$((bad + 1))
	same f1048576 "$OUT/par.$i" || bad=$((bad + 1))
done
is "$bad" 0 "five concurrent 1 MiB downloads all arrive intact"

check "the server is still running" proc_alive "$TFTPD_PID"
stop_tftpd

# IPv6: a server on [::1].
if have_ipv6; then
	PORT6=$(free_port 6) || bail "no free IPv6 port"
	if start_tftpd --listen="[::1]:$PORT6" "$ROOT"; then
		got=$(timeout 60 "$RAWCLIENT" -6 -v ::1 "$PORT6" get f1048576 "$OUT/v6")
		if [ $? -eq 0 ] && same f1048576 "$OUT/v6"; then
			pass "IPv6: rawclient gets a 1 MiB file intact from [::1]"
		else
			fail "IPv6: rawclient gets a 1 MiB file intact from [::1]"
			diag "$got"
		fi
		like "$got" "^FROM \[::1\]:$PORT6\$" "IPv6: DATA comes from the listening port"
		if timeout 60 curl -sS -o "$OUT/v6curl" "tftp://[::1]:$PORT6/f513" &&
			same f513 "$OUT/v6curl"; then
			pass "IPv6: curl gets a 513-byte file intact"
		else
			fail "IPv6: curl gets a 513-byte file intact"
		fi
		stop_tftpd
	else
		fail "IPv6: rawclient gets a 1 MiB file intact from [::1]"
		fail "IPv6: DATA comes from the listening port"
		fail "IPv6: curl gets a 513-byte file intact"
	fi
else
	skip_test "IPv6: rawclient gets a 1 MiB file intact from [::1]" "no IPv6 loopback"
	skip_test "IPv6: DATA comes from the listening port" "no IPv6 loopback"
	skip_test "IPv6: curl gets a 513-byte file intact" "no IPv6 loopback"
fi

finish
