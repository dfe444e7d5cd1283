#!/bin/bash
# tftpc.sh - tftpc against four servers, both ways, and its exit statuses.
#
# Servers: our tftpd, tftp-hpa's in.tftpd 5.2 (no windowsize), atftpd 0.8
# (windowsize) and dnsmasq (read-only; windowsize only from 2.92), all in
# a network namespace of their own on its loopback, so that dnsmasq can
# have port 69. Against each: gets of 0, 511, 512 and 513 bytes with the
# default options (windowed where the server takes it), lock-step, without
# options, netascii, and one of 65536 blocks of 512 bytes (one past 65535:
# the block number wraps); the same puts but to dnsmasq. Every file is
# compared with the original.
#
# Then, against our tftpd: the exit status of each kind of failure (not
# found, usage, resolution, no answer, checksum mismatch) and that a failed
# download leaves no file; --sha256 and --md5 that match; stdout and stdin
# as LOCAL; the basename as the default LOCAL; IPv6; --stats; no progress
# bar when stderr is not a terminal; and a server whose OACK is unusable
# (blksize larger than asked): tftpc refuses it with ERROR 8 and gets the
# file without options.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd ip python3 cmp timeout dnsmasq sha256sum md5sum
TFTPC=$top_builddir/tftpc
[ -x "$TFTPC" ] || bail "$TFTPC not built"

# As require_cmd: under CI a missing peer is a failure, not a skip.
no_peer() {
	[ -n "${CI:-}" ] && bail "$1 (CI is set, so this is a failure)"
	skip_all "$1"
}
# find_peer NAME PACKAGE: an unpacked or installed server binary, else one
# unpacked from its .deb now.
find_peer() {
	local c d
	for c in "/usr/sbin/$1" "/var/cache/cloister-bench/usr/sbin/$1"; do
		[ -x "$c" ] && { echo "$c"; return 0; }
	done
	command -v apt-get >/dev/null 2>&1 || return 1
	d=$TMPBASE/peer-$2
	mkdir -p "$d/debs" &&
		(cd "$d/debs" && apt-get download "$2" >/dev/null 2>&1) &&
		dpkg -x "$d"/debs/"$2"_*.deb "$d" || return 1
	[ -x "$d/usr/sbin/$1" ] && echo "$d/usr/sbin/$1"
}
HPA=$(find_peer in.tftpd tftpd-hpa) || no_peer "no tftp-hpa in.tftpd"
ATFTPD=$(find_peer atftpd atftpd) || no_peer "no atftpd"

SERVERS=(cloister tftp-hpa atftpd dnsmasq)
SIZES=(0 511 512 513)
BIG=$((65535 * 512 + 1))
N_GET=$((${#SIZES[@]} + 4))
N_PUT=$((${#SIZES[@]} + 4))
N_OWN=20
plan $((${#SERVERS[@]} * N_GET + 3 * N_PUT + N_OWN))

ROOT=$(make_root) || bail "make_root"
OUT=$TMPBASE/out
mkdir "$OUT"
for s in "${SIZES[@]}"; do
	make_file "$ROOT/f$s" "$s"
done
make_file "$ROOT/big" "$BIG"
# Text crossing block boundaries, LF line ends (netascii's CRLF on the
# wire, LF again on both ends).
python3 -c 'import sys; sys.stdout.write("".join("line %d of the text\n" % i for i in range(400)))' \
	>"$ROOT/text"
chmod 0644 "$ROOT/text"
# Uploads land in one directory per server, owned by the user it runs as.
for s in "${SERVERS[@]}"; do
	mkdir "$ROOT/up-$s" && chown nobody "$ROOT/up-$s" || bail "upload directory"
done

NS=cloister-tftpc$$
ip netns add "$NS" || bail "cannot create a network namespace"
on_exit "ip netns del '$NS' 2>/dev/null"
# A veth pair only to carry an address: in.tftpd resolves its -a address
# with AI_ADDRCONFIG, which sees no IPv4 with loopback alone (as in
# tests/bench/bench.sh).
ip -n "$NS" link set lo up && ip -n "$NS" link add tc0 type veth peer name tc1 &&
	ip -n "$NS" addr add 198.18.0.1/32 dev tc0 && ip -n "$NS" link set tc0 up ||
	bail "cannot set up the network namespace $NS"
in_ns() { ip netns exec "$NS" "$@"; }

declare -A PORT=([cloister]=1069 [tftp-hpa]=2069 [atftpd]=3069 [dnsmasq]=69)
TFTPD_PREFIX=(ip netns exec "$NS")
start_tftpd -v --create --listen="127.0.0.1:1069" --listen="[::1]:1069" "$ROOT" ||
	bail "tftpd did not start"
TFTPD_PREFIX=()
in_ns "$HPA" -L -s -u nobody -a 127.0.0.1:2069 -B 65464 -c "$ROOT" \
	</dev/null >"$TMPBASE/hpa.log" 2>&1 &
_started_pids+=($!)
: >"$TMPBASE/atftpd.log" && chown nobody "$TMPBASE/atftpd.log"
in_ns "$ATFTPD" --daemon --no-fork --user nobody.nogroup --bind-address 127.0.0.1 \
	--port 3069 --logfile "$TMPBASE/atftpd.log" "$ROOT" </dev/null >/dev/null 2>&1 &
_started_pids+=($!)
in_ns dnsmasq --no-daemon --conf-file=/dev/null --pid-file= --port=0 --interface=lo \
	--bind-interfaces --enable-tftp --tftp-root="$ROOT" --user=nobody \
	--log-facility="$TMPBASE/dnsmasq.log" </dev/null >/dev/null 2>&1 &
_started_pids+=($!)
# Ready when each answers a request for a missing file.
for s in "${SERVERS[@]}"; do
	wait_for 10 in_ns "$TFTPC" -q -r 0 get "tftp://127.0.0.1:${PORT[$s]}/f0" "$OUT/probe-$s" \
		2>/dev/null ||
		bail "$s did not start"
done

# tget SERVER FILE DESC [OPTION...]: get FILE into OUT, compare.
tget() {
	local srv=$1 file=$2 desc=$3 mode=${MODE:-} rc
	shift 3
	rm -f "$OUT/got"
	timeout 60 ip netns exec "$NS" "$TFTPC" -q "$@" get \
		"tftp://127.0.0.1:${PORT[$srv]}/${file}${mode}" "$OUT/got" 2>"$OUT/err"
	rc=$?
	if [ "$rc" -eq 0 ] && cmp -s "$ROOT/$file" "$OUT/got"; then
		pass "get from $srv: $desc"
	else
		fail "get from $srv: $desc"
		diag "tftpc exited $rc: $(cat "$OUT/err")"
	fi
}

# tput SERVER FILE DESC [OPTION...]: put FILE as up-SERVER/NAME, compare.
tput() {
	local srv=$1 file=$2 desc=$3 mode=${MODE:-} rc name
	shift 3
	name=up-$srv/$file.$RANDOM
	timeout 60 ip netns exec "$NS" "$TFTPC" -q "$@" put "$ROOT/$file" \
		"tftp://127.0.0.1:${PORT[$srv]}/${name}${mode}" 2>"$OUT/err"
	rc=$?
	# A server may store the file after its last ACK.
	[ "$rc" -eq 0 ] && wait_for 5 cmp -s "$ROOT/$file" "$ROOT/$name"
	if [ "$rc" -eq 0 ] && cmp -s "$ROOT/$file" "$ROOT/$name"; then
		pass "put to $srv: $desc"
	else
		fail "put to $srv: $desc"
		diag "tftpc exited $rc: $(cat "$OUT/err")"
	fi
}

for srv in "${SERVERS[@]}"; do
	for s in "${SIZES[@]}"; do
		tget "$srv" "f$s" "$s bytes, default options"
	done
	tget "$srv" f513 "lock-step" -w 1
	tget "$srv" f513 "no options (RFC 1350)" -n
	MODE=";mode=netascii" tget "$srv" text "netascii"
	tget "$srv" big "65536 blocks of 512 bytes (the block number wraps)" -b 512 -w 16
	[ "$srv" = dnsmasq ] && continue
	for s in "${SIZES[@]}"; do
		tput "$srv" "f$s" "$s bytes, default options"
	done
	tput "$srv" f513 "lock-step" -w 1
	tput "$srv" f513 "no options (RFC 1350)" -n
	MODE=";mode=netascii" tput "$srv" text "netascii"
	tput "$srv" big "65536 blocks of 512 bytes (the block number wraps)" -b 512 -w 16
done

# ---- our tftpd: exit statuses, checksums, local names ----
URL=tftp://127.0.0.1:1069
cd "$OUT" || bail "cd $OUT"

in_ns "$TFTPC" -q get "$URL/missing" "$OUT/m" 2>"$OUT/err"
is "$?" 11 "a missing file is exit status 11 (10 + ERROR 1)"
like "$(cat "$OUT/err")" "^tftpc: get $URL/missing: 127\.0\.0\.1: error 1: " \
	"its one-line message names the server and the file"
check "and leaves no file" test ! -e "$OUT/m"

sum=$(sha256sum <"$ROOT/f513" | cut -c1-64)
md5=$(md5sum <"$ROOT/f513" | cut -c1-32)
bad=$(printf '%064d' 0)
in_ns "$TFTPC" -q --sha256="$sum" get "$URL/f513" "$OUT/s1"
is "$?" 0 "--sha256 that matches: exit status 0"
in_ns "$TFTPC" -q --md5="$md5" get "$URL/f513" "$OUT/s2"
is "$?" 0 "--md5 that matches: exit status 0"
in_ns "$TFTPC" -q --sha256="$bad" get "$URL/big" "$OUT/s3" 2>"$OUT/err"
is "$?" 6 "a checksum mismatch is exit status 6"
check "the mismatched file is not kept, nor any temporary file" \
	test -z "$(ls -A "$OUT" | grep -E '^s3')"
in_ns "$TFTPC" -q --md5=xyz get "$URL/f513" "$OUT/s4" 2>/dev/null
is "$?" 2 "a malformed digest is a usage error (2)"

"$TFTPC" get http://x/y 2>/dev/null
is "$?" 2 "a URI that is not tftp:// is a usage error (2)"
in_ns "$TFTPC" -q get tftp://no-such-host.invalid/x "$OUT/r" 2>/dev/null
is "$?" 3 "a name that does not resolve is exit status 3"

# A server that never answers: a socket that reads and says nothing.
in_ns python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 4069))
while True: s.recv(2048)' &
_started_pids+=($!)
sleep 0.3
t0=$SECONDS
in_ns "$TFTPC" -q -t 1 -r 2 get tftp://127.0.0.1:4069/x "$OUT/n" 2>"$OUT/err"
is "$?" 4 "a server that never answers: exit status 4"
check "after its retries (-t 1 -r 2: about 7 s)" test $((SECONDS - t0)) -le 10

rm -f "$OUT/f513"
in_ns "$TFTPC" -q get "$URL/f513"
check "without LOCAL, get writes the basename" cmp -s "$ROOT/f513" "$OUT/f513"
in_ns "$TFTPC" -q get "$URL/big" - >"$OUT/stdout"
check "LOCAL - writes to stdout" cmp -s "$ROOT/big" "$OUT/stdout"
name=up-cloister/stdin.$RANDOM
in_ns "$TFTPC" -q put - "$URL/$name" <"$ROOT/big"
wait_for 5 cmp -s "$ROOT/big" "$ROOT/$name"
check "put from stdin (a pipe: no tsize)" cmp -s "$ROOT/big" "$ROOT/$name"
in_ns "$TFTPC" -q get "tftp://[::1]:1069/f513" "$OUT/v6"
check "IPv6: tftp://[::1]:1069/f513" cmp -s "$ROOT/f513" "$OUT/v6"
stats=$(in_ns "$TFTPC" -q --stats -w 8 -b 1024 get "$URL/big" "$OUT/st")
like "$stats" '^\{"op":"get","bytes":33553921,"seconds":[0-9.]+,"blksize":1024,"windowsize":8,"retransmissions":[0-9]+,"rtt_ms":[0-9.]+,"exit":0\}$' \
	"--stats prints one JSON line"
in_ns "$TFTPC" get "$URL/big" "$OUT/nobar" 2>"$OUT/err"
is "$(wc -c <"$OUT/err")" 0 "no progress bar when stderr is not a terminal"

# A server whose OACK grants more than was asked: refused with ERROR 8,
# then the file without options.
in_ns python3 - 5069 >"$OUT/fake.log" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(20)
req, peer = s.recvfrom(2048)
print("options" if req.count(b"\0") > 3 else "none", flush=True)
s.sendto(b"\0\6blksize\0" b"99999\0", peer)
err, peer = s.recvfrom(2048)
print("error %d" % err[3] if err[:2] == b"\0\5" else "other", flush=True)
req, peer = s.recvfrom(2048)
print("options" if req.count(b"\0") > 3 else "none", flush=True)
s.sendto(b"\0\3\0\1hello", peer)
ack, peer = s.recvfrom(2048)
print("ack %d" % ack[3], flush=True)
EOF
_started_pids+=($!)
sleep 0.3
in_ns "$TFTPC" -q get tftp://127.0.0.1:5069/x "$OUT/fake" 2>"$OUT/err"
is "$?" 0 "an unusable OACK: tftpc falls back to RFC 1350 and succeeds"
wait_for 3 grep -q '^ack' "$OUT/fake.log"
is "$(tr '\n' ' ' <"$OUT/fake.log")$(cat "$OUT/fake")" "options error 8 none ack 1 hello" \
	"it refused the OACK with ERROR 8 and asked again without options"

finish
