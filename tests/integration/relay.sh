#!/bin/bash
# relay.sh - files that live on a web server, served over TFTP.
#
# Debian's nginx on 127.0.0.1 (its own configuration in the temporary
# directory: ETag and gzip on, a TLS server with a certificate from a CA
# made here with openssl) is the origin. Symbolic links to URLs name a
# file or a directory; relay-fallback fetches what is missing; the
# modifiers nocompress and nocache; client headers; origin errors (404,
# 500, a server that never answers, an untrusted certificate, a body
# larger than relay-max-size) become clean TFTP errors with one log line;
# concurrent requests of one URL share one fetch (counted in nginx's
# access log); the relay is off unless configured; and the fetcher is
# jailed, as /proc tells. Every download is compared byte for byte.
# A 256 MiB http+nocompress file is streamed: the transfer starts before
# nginx (rate-limited) has sent it all, tsize is its Content-Length, and an
# origin that closes mid-body gives the client an error, not a short file.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd nginx openssl tftp curl python3 cmp timeout
TFTPC=$top_builddir/tftpc

plan 90

OUT=$TMPBASE/out
WWW=$TMPBASE/www
NG=$TMPBASE/nginx
mkdir "$OUT" "$WWW" "$WWW/d" "$WWW/d/sub" "$WWW/fb" "$WWW/slow" "$WWW/exp" "$WWW/ns" "$NG" \
	"$WWW/stream"
chmod 755 "$WWW" "$WWW/d" "$WWW/d/sub" "$WWW/fb" "$WWW/slow" "$WWW/exp" "$WWW/ns" "$WWW/stream"
make_file "$WWW/exp/a" 100000
for f in b c d; do
	make_file "$WWW/exp/$f" 150000
done
make_file "$WWW/ns/n" 3000
make_file "$WWW/k" 300000
make_file "$WWW/d/a.bin" 70000
make_file "$WWW/d/sub/b.bin" 1500
make_file "$WWW/fb/missing.bin" 5000
make_file "$WWW/big.bin" 1200000
make_file "$WWW/slow/img" 600000
make_file "$WWW/slow/img2" 600000
# Compressible, so that gzip really is used on the way.
seq 1 40000 >"$WWW/text.cfg" && chmod 644 "$WWW/text.cfg"
make_file "$WWW/nc.bin" 9000
BIG=$((256 << 20))
make_file "$WWW/stream/huge" "$BIG"

# tcp_port: a TCP port free on 127.0.0.1.
tcp_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------------------
# The origin: plain HTTP, TLS, and a port that accepts but never answers.

HTTP_PORT=$(tcp_port) || bail "no TCP port"
TLS_PORT=$(tcp_port) || bail "no TCP port"
MUTE_PORT=$(tcp_port) || bail "no TCP port"
CUT_PORT=$(tcp_port) || bail "no TCP port"
CA=$TMPBASE/ca
mkdir "$CA"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CA/ca.key" -out "$CA/ca.pem" -days 2 \
	-subj /CN=cloister-test-ca 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout "$CA/srv.key" -out "$CA/srv.csr" \
		-subj /CN=127.0.0.1 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$CA/ext" &&
	openssl x509 -req -in "$CA/srv.csr" -CA "$CA/ca.pem" -CAkey "$CA/ca.key" \
		-CAcreateserial -out "$CA/srv.pem" -days 2 -extfile "$CA/ext" 2>/dev/null ||
	bail "cannot make the test CA"
chmod 644 "$CA"/*.pem "$CA/srv.key"

cat >"$NG/nginx.conf" <<CONF
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log;
events { worker_connections 256; }
http {
	log_format relay '\$request_method \$uri \$status ae="\$http_accept_encoding" '
			 'client="\$http_x_tftp_client" port="\$http_x_tftp_port" '
			 'file="\$http_x_tftp_file"';
	access_log $NG/access.log relay;
	client_body_temp_path $NG/body;
	proxy_temp_path $NG/proxy;
	fastcgi_temp_path $NG/fastcgi;
	uwsgi_temp_path $NG/uwsgi;
	scgi_temp_path $NG/scgi;
	types { }
	default_type application/octet-stream;
	etag on;
	gzip on;
	gzip_types *;
	gzip_min_length 1;
	server {
		listen 127.0.0.1:$HTTP_PORT;
		listen 127.0.0.1:$TLS_PORT ssl;
		ssl_certificate $CA/srv.pem;
		ssl_certificate_key $CA/srv.key;
		root $WWW;
		location = /err500 { return 500; }
		location /slow/ { limit_rate 300k; }
		location /stream/ { limit_rate 32m; }
		location /exp/ { expires 2s; }
		location /ns/ { add_header Cache-Control no-store; }
	}
}
CONF
nginx -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" </dev/null >/dev/null 2>&1 &
_started_pids+=("$!")
on_exit "kill \$(cat '$NG/nginx.pid' 2>/dev/null) 2>/dev/null"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/k" ||
	{ diag_file "$NG/error.log"; bail "nginx did not start"; }
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$MUTE_PORT" "$TMPBASE" &
_started_pids+=("$!")
# An origin that announces 4000000 bytes, sends 1000000 and closes.
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept(); c.recv(65536)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4000000\r\nConnection: close\r\n\r\n" +
              b"x" * 1000000)
    c.close()
' "$CUT_PORT" &
_started_pids+=("$!")

H=http://127.0.0.1:$HTTP_PORT
S=https://127.0.0.1:$TLS_PORT

# gets URL-PATH: how many GETs of it nginx has logged so far.
gets() {
	grep -c "^GET $1 " "$NG/access.log" 2>/dev/null
}

# storm N WANT PREFIX CMD...: N clients at once, each CMD given its own
# output file PREFIX.i as its last argument; prints how many of them hold
# WANT byte for byte.
storm() {
	local n=$1 want=$2 prefix=$3 i ok=0 pids=()
	shift 3
	for i in $(seq 1 "$n"); do
		timeout 90 "$@" "$prefix.$i" >"$prefix.$i.log" 2>&1 &
		pids+=("$!")
	done
	wait "${pids[@]}"
	for i in $(seq 1 "$n"); do
		cmp -s "$want" "$prefix.$i" && ok=$((ok + 1))
	done
	echo "$ok"
}

# ---------------------------------------------------------------------------
# The served root: links to URLs, and one local file.

ROOT=$(make_root) || bail "make_root"
ln -s "$H/k" "$ROOT/kernel"
ln -s "$H/d/" "$ROOT/dir"
ln -s "http+nocompress://127.0.0.1:$HTTP_PORT/text.cfg" "$ROOT/plain.cfg"
ln -s "$H/text.cfg" "$ROOT/gz.cfg"
ln -s "http+nocache+nocompress://127.0.0.1:$HTTP_PORT/nc.bin" "$ROOT/nc.bin"
ln -s "$H/nope" "$ROOT/gone"
ln -s "$H/err500" "$ROOT/broken"
ln -s "http://127.0.0.1:$MUTE_PORT/x" "$ROOT/mute"
ln -s "$S/k" "$ROOT/tls"
ln -s "$H/big.bin" "$ROOT/big.bin"
ln -s "$H/slow/img" "$ROOT/slow"
ln -s "http+bogus://127.0.0.1:$HTTP_PORT/k" "$ROOT/bogus"
ln -s "$H/k" "$ROOT/kdir"
ln -s "http+nocompress://127.0.0.1:$HTTP_PORT/stream/huge" "$ROOT/huge"
ln -s "http+nocompress://127.0.0.1:$CUT_PORT/cut" "$ROOT/cut"
ln -s "http+nocompress://127.0.0.1:$HTTP_PORT/slow/img2" "$ROOT/slow-stream"
make_file "$ROOT/local.bin" 4000

PORT=
daemon() {
	PORT=$(free_port 4) || bail "no free port"
	start_tftpd -v --listen=127.0.0.1:"$PORT" "$@" || bail "tftpd $* did not start"
}

# get NAME OUT: tftp-hpa, binary; its output (errors) in OUT.log.
get() {
	timeout 60 tftp -m binary 127.0.0.1 "$PORT" -c get "$1" "$2" >"$2.log" 2>&1
}

# ---------------------------------------------------------------------------
# Off by default: a link to a URL is a dangling link, and nothing is fetched.

daemon "$ROOT"
before=$(gets /k)
get kernel "$OUT/off"
like "$(cat "$OUT/off.log")" "Error code 1: File not found" "relay off: a URL link is not found"
is "$(gets /k)" "$before" "relay off: nothing was fetched"
is "$(pgrep -c -u 65532 -P "$TFTPD_PID")" 0 "relay off: no fetcher runs"
stop_tftpd

# ---------------------------------------------------------------------------
# On: links to a file and to a directory.

daemon --relay --relay-ca-file="$CA/ca.pem" --relay-max-size=1M --relay-timeout=3 "$ROOT"
check "the fetcher is announced" wait_log 5 "relay: fetcher [0-9]+ ready"

get kernel "$OUT/kernel"
same_bytes "$WWW/k" "$OUT/kernel" "a link to a URL: the file, byte for byte" "$OUT/kernel.log"
check "its log line says source=relay and the URL" \
	wait_log 5 "file=\"kernel\" .*result=ok .*source=relay url=\"$H/k\""
get dir/a.bin "$OUT/a"
same_bytes "$WWW/d/a.bin" "$OUT/a" "a link to a directory URL: a file under it"
get dir/sub/b.bin "$OUT/b"
same_bytes "$WWW/d/sub/b.bin" "$OUT/b" "..and one two levels down"
check "..fetched from the joined URL" wait_log 5 "url=\"$H/d/sub/b.bin\""
curl -s --max-time 30 -o "$OUT/curl-a" "tftp://127.0.0.1:$PORT/dir/a.bin"
same_bytes "$WWW/d/a.bin" "$OUT/curl-a" "curl's TFTP client gets it too (tsize, blksize)"
get local.bin "$OUT/local"
same_bytes "$ROOT/local.bin" "$OUT/local" "a local file is served as ever"
check "..not relayed" wait_for 5 bash -c "grep 'file=\"local.bin\".*result=ok' '$TFTPD_LOG' | grep -vq source=relay"

# Compression: gzip on the way, identity with nocompress; the bytes the same.
get gz.cfg "$OUT/gz"
same_bytes "$WWW/text.cfg" "$OUT/gz" "a gzip-encoded body arrives decoded"
check "..it was asked for with gzip" grep -q '^GET /text.cfg 200 ae="[^"]*gzip' "$NG/access.log"
get plain.cfg "$OUT/plain"
same_bytes "$WWW/text.cfg" "$OUT/plain" "http+nocompress: the same bytes"
check "..asked for with no encoding" grep -q '^GET /text.cfg 200 ae="-"' "$NG/access.log"
get nc.bin "$OUT/nc"
same_bytes "$WWW/nc.bin" "$OUT/nc" "http+nocache+nocompress: modifiers combine"
check "..the modifiers are not sent" wait_log 5 "url=\"$H/nc.bin\""
get bogus "$OUT/bogus"
like "$(cat "$OUT/bogus.log")" "Error code 1" "an unknown modifier: not a URL we fetch"
get kdir/x "$OUT/kdir"
like "$(cat "$OUT/kdir.log")" "Error code 1: File not found" "a file link used as a directory: not found"

# TLS with relay-ca-file.
get tls "$OUT/tls"
same_bytes "$WWW/k" "$OUT/tls" "https, verified against relay-ca-file"

# Origin errors: one log line each with the URL and the HTTP status.
get gone "$OUT/gone"
like "$(cat "$OUT/gone.log")" "Error code 1: File not found" "HTTP 404: TFTP error 1"
check "..logged with the URL and status 404" wait_log 5 "relay: $H/nope: .*HTTP status 404"
get broken "$OUT/broken"
like "$(cat "$OUT/broken.log")" "Error code 0: Relay: the origin answered HTTP 500" \
	"HTTP 500: TFTP error 0 that says so"
check "..logged with status 500" wait_log 5 "relay: $H/err500: .*HTTP status 500"
t0=$(date +%s)
get mute "$OUT/mute"
t1=$(date +%s)
like "$(cat "$OUT/mute.log")" "Error code 0: Relay: timed out" "an origin that never answers: timed out"
check "..after relay-timeout (3 s), not the client's patience" test $((t1 - t0)) -le 10
check "..logged" wait_log 5 "relay: http://127.0.0.1:$MUTE_PORT/x: timed out"
get big.bin "$OUT/big"
like "$(cat "$OUT/big.log")" "Error code 0: Relay: larger than relay-max-size" \
	"a body over relay-max-size is refused"
get local.bin "$OUT/local2"
same_bytes "$ROOT/local.bin" "$OUT/local2" "the daemon serves on after every error"

# One fetch for many: 50 clients at once ask for a URL that takes ~2 s.
before=$(gets /slow/img)
ok=$(storm 50 "$WWW/slow/img" "$OUT/slow" tftp -m binary 127.0.0.1 "$PORT" -c get slow)
is "$ok" 50 "50 concurrent requests of one URL: all 50 files byte for byte"
is "$(($(gets /slow/img) - before))" 1 "..from one origin fetch (nginx's access log)"

# The fetcher's jail, from /proc.
FETCHER=$(pgrep -u 65532 -P "$TFTPD_PID" | head -n1)
check "the fetcher runs as its own uid" test -n "$FETCHER"
is "$(proc_field "$FETCHER" Uid)" "65532 65532 65532 65532" "..real, effective, saved, fs uid 65532"
is "$(proc_field "$FETCHER" CapEff)" 0000000000000000 "..no effective capabilities"
is "$(proc_field "$FETCHER" CapPrm)" 0000000000000000 "..none permitted"
is "$(proc_field "$FETCHER" CapBnd)" 0000000000000000 "..an empty bounding set"
is "$(proc_field "$FETCHER" NoNewPrivs)" 1 "..no_new_privs"
is "$(proc_field "$FETCHER" Seccomp)" 2 "..a seccomp filter"
held=$(for f in /proc/"$FETCHER"/fd/*; do readlink "$f"; done | grep -c "^$ROOT" || true)
is "$held" 0 "..holds no descriptor under the root"
stop_tftpd

# A root the fetcher could read (under /usr) stops the start: the check
# that keeps the files from it works.
USRROOT=$(mktemp -d /usr/local/share/cloister-relay.XXXXXX) || bail "mktemp under /usr"
on_exit "rm -rf '$USRROOT'"
chmod 755 "$USRROOT"
PORT=$(free_port 4)
timeout 20 "$TFTPD" -v --listen=127.0.0.1:"$PORT" --relay "$USRROOT" >"$OUT/usr.log" 2>&1
is "$?" 1 "a root the fetcher could read: tftpd refuses to start"
like "$(cat "$OUT/usr.log")" "fetcher: the TFTP root is readable from its jail" "..and says why"

# ---------------------------------------------------------------------------
# relay-fallback and the client headers.

daemon --relay-fallback="$H/fb/" --relay-client-headers "$ROOT"
get missing.bin "$OUT/fb"
same_bytes "$WWW/fb/missing.bin" "$OUT/fb" "relay-fallback: a missing file comes from URL + name"
line=$(grep '^GET /fb/missing.bin ' "$NG/access.log" | tail -n1)
like "$line" 'client="127.0.0.1"' "X-TFTP-Client is the client's address"
like "$line" 'port="[0-9]+"' "X-TFTP-Port its port"
like "$line" 'file="missing.bin"' "X-TFTP-File the name it asked for"
get local.bin "$OUT/local3"
same_bytes "$ROOT/local.bin" "$OUT/local3" "with a fallback, a local file is still local"
get nothere "$OUT/nothere"
like "$(cat "$OUT/nothere.log")" "Error code 1: File not found" "missing at the origin too: not found"
get kernel "$OUT/k-fb"
like "$(cat "$OUT/k-fb.log")" "Error code 1" "fallback alone does not follow URL links"
stop_tftpd

# ---------------------------------------------------------------------------
# Streaming: http+nocompress, a Content-Length, options (an OACK).

CACHE=$TMPBASE/cache
mkdir "$CACHE"
daemon --relay --relay-max-size=1G --relay-timeout=10 --relay-cache-dir="$CACHE" "$ROOT"
# Without relay-ca-file our CA is not trusted: a TLS failure, said so.
get tls "$OUT/tls-untrusted"
like "$(cat "$OUT/tls-untrusted.log")" "Error code 0: Relay: " \
	"https with a certificate the system does not trust: TFTP error 0"
check "..no file" test ! -s "$OUT/tls-untrusted"
check "..logged with the URL" wait_log 5 "relay: $S/k: "
before=$(gets /stream/huge)
t0=$(date +%s%N)
timeout 120 "$TFTPC" -q -b 1428 get "tftp://127.0.0.1:$PORT/huge" "$OUT/huge" \
	>"$OUT/huge.log" 2>&1 &
client=$!
# nginx logs a request once it has sent all of it: 256 MiB at 32 MB/s
# take 8 s. The transfer is handed to its child (its "start" line) after
# the client acknowledged the OACK; by then the body is far from complete.
check "a stream: the transfer starts while the origin is still sending" \
	wait_log 6 'transfer [0-9]+ start RRQ .*file="huge"'
is "$(gets /stream/huge)" "$before" "..nginx has not finished sending it yet"
started_ms=$((($(date +%s%N) - t0) / 1000000))
wait "$client"
rc=$?
done_ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 0 "..tftpc downloads all of it"
same_bytes "$WWW/stream/huge" "$OUT/huge" "..256 MiB, byte for byte" "$OUT/huge.log"
diag "started after ${started_ms} ms, done after ${done_ms} ms"
check "..its log line says cache=stream" \
	wait_log 5 'file="huge" .*result=ok .*bytes=268435456 .*cache=stream'
is "$(find "$CACHE" -type f | wc -l)" 0 "..and a stream is not stored in the cache"
out=$("$RAWCLIENT" -t 5000 127.0.0.1 "$PORT" rrq huge octet tsize 0 blksize 1428 2>&1)
like "$out" "^OACK tsize=$BIG blksize=1428" "..tsize is the Content-Length ($BIG)"

# The origin closes after 1000000 of 4000000 bytes.
timeout 60 "$TFTPC" -q get "tftp://127.0.0.1:$PORT/cut" "$OUT/cut" >"$OUT/cut.log" 2>&1
rc=$?
check "a stream cut short by the origin: tftpc fails (status $rc)" test "$rc" -ne 0
like "$(cat "$OUT/cut.log")" "[Ee]rror" "..with the server's TFTP error"
check "..and leaves no file" test ! -e "$OUT/cut"
curl -s --max-time 30 -o "$OUT/curl-cut" "tftp://127.0.0.1:$PORT/cut"
rc=$?
check "..curl's TFTP client fails too (status $rc)" test "$rc" -ne 0
check "..what it kept is no complete file" \
	test "$(stat -c %s "$OUT/curl-cut" 2>/dev/null || echo 0)" -lt 4000000
check "..the transfers are logged as read errors" \
	wait_log 5 'file="cut" .*result=io-error'

# A storm on a link that may stream: 20 clients with options at once, over
# a URL that takes ~2 s. The first streams; the others share one fetch.
before=$(gets /slow/img2)
ok=$(storm 20 "$WWW/slow/img2" "$OUT/storm" "$TFTPC" -q get "tftp://127.0.0.1:$PORT/slow-stream")
is "$ok" 20 "20 concurrent requests of a streamable URL: all 20 files byte for byte"
fetches=$(($(gets /slow/img2) - before))
check "..from two origin fetches at most, not one each ($fetches)" test "$fetches" -le 2
get local.bin "$OUT/local4"
same_bytes "$ROOT/local.bin" "$OUT/local4" "..the daemon serves on"
stop_tftpd
rm -f "$OUT/huge"

# ---------------------------------------------------------------------------
# The cache: HTTP's rules, revalidation, eviction, stale-if-error.

rm -rf "$CACHE" && mkdir "$CACHE"
ln -s "$H/exp/" "$ROOT/exp"
ln -s "$H/ns/" "$ROOT/ns"
daemon --relay --relay-cache-dir="$CACHE" --relay-cache-size=400K "$ROOT"
get exp/a "$OUT/c1"
same_bytes "$WWW/exp/a" "$OUT/c1" "cache: a first request is fetched"
check "..logged cache=miss" wait_log 5 'file="exp/a" .*result=ok .*cache=miss'
get exp/a "$OUT/c2"
same_bytes "$WWW/exp/a" "$OUT/c2" "..a second one, while fresh (max-age=2), comes from the cache"
check "..logged cache=hit" wait_log 5 'file="exp/a" .*result=ok .*cache=hit'
is "$(gets /exp/a)" 1 "..with one origin fetch"
sleep 3
get exp/a "$OUT/c3"
same_bytes "$WWW/exp/a" "$OUT/c3" "once stale, it is revalidated"
check "..the origin answered 304" grep -q '^GET /exp/a 304 ' "$NG/access.log"
check "..logged cache=revalidated" wait_log 5 'file="exp/a" .*result=ok .*cache=revalidated'
get ns/n "$OUT/n1"
get ns/n "$OUT/n2"
same_bytes "$WWW/ns/n" "$OUT/n2" "Cache-Control: no-store: served"
is "$(gets /ns/n)" 2 "..and fetched each time"
get nc.bin "$OUT/nc1"
before=$(gets /nc.bin)
get nc.bin "$OUT/nc2"
same_bytes "$WWW/nc.bin" "$OUT/nc2" "http+nocache with a cache: served"
is "$(($(gets /nc.bin) - before))" 1 "..and fetched each time"
for f in b c d; do
	get "exp/$f" "$OUT/e-$f"
done
same_bytes "$WWW/exp/d" "$OUT/e-d" "eviction: entries beyond relay-cache-size are fetched and served"
kept=$(find "$CACHE" -type f ! -name '*.meta' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
check "..the bodies kept fit in relay-cache-size (400K): $kept bytes" test "$kept" -le 409600
check "..the least recently used went first" bash -c "! cat '$CACHE'/*.meta | grep -qx 'url $H/exp/a'"
check "..the newest is kept" bash -c "cat '$CACHE'/*.meta | grep -qx 'url $H/exp/d'"
is "$(find "$CACHE" -name 'tmp-*' | wc -l)" 0 "..no temporary file is left behind"
is "$(stat -c %u "$CACHE")" "$(id -u tftp-relay 2>/dev/null || echo 65532)" "the cache belongs to the fetcher's user"
sleep 3
kill "$(cat "$NG/nginx.pid")"
wait_for 10 bash -c "! curl -s -o /dev/null http://127.0.0.1:$HTTP_PORT/" || bail "nginx did not stop"
get exp/d "$OUT/stale"
same_bytes "$WWW/exp/d" "$OUT/stale" "the origin down: the stale copy is served"
check "..logged cache=stale" wait_log 5 'file="exp/d" .*result=ok .*cache=stale'
check "..and the event logged" wait_log 5 "relay: $H/exp/d: the origin failed; serving the cached copy"
get exp/nothere "$OUT/down"
like "$(cat "$OUT/down.log")" "Error code 0: Relay: cannot reach the origin" \
	"..with nothing cached: cannot reach the origin"
stop_tftpd

finish
