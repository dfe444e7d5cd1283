#!/bin/bash
# relay.sh - a 256 MiB file served three ways by one tftpd in one run:
# from the root, relayed and streamed (http+nocompress), relayed and
# fetched whole first (http://). nginx on 127.0.0.1 is the origin; every
# download is compared with cmp. Prints one line per download and the
# median of each way.
#
#   make bench-relay [BENCH_ROUNDS=6]
set -u
B=${top_builddir:?run through make bench-relay}
ROUNDS=${BENCH_ROUNDS:-6}
HP=${BENCH_HTTP_PORT:-18080}
TP=${BENCH_TFTP_PORT:-16969}
M=$(mktemp -d /tmp/cloister-bench-relay.XXXXXX)
chmod 755 "$M"
mkdir -p "$M/www" "$M/root" "$M/ng" "$M/out"
chmod 755 "$M/www" "$M/root"

cleanup() {
	[ -n "${TPID:-}" ] && kill "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null
	[ -f "$M/ng/nginx.pid" ] && kill "$(cat "$M/ng/nginx.pid")" 2>/dev/null
	rm -rf "$M"
}
trap cleanup EXIT

head -c $((256 << 20)) /dev/urandom >"$M/www/huge"
chmod 644 "$M/www/huge"
cp "$M/www/huge" "$M/root/local.bin"
cat >"$M/ng/nginx.conf" <<CONF
worker_processes 1; pid $M/ng/nginx.pid; error_log $M/ng/error.log;
events { worker_connections 64; }
http { access_log off; client_body_temp_path $M/ng/b; proxy_temp_path $M/ng/p;
  fastcgi_temp_path $M/ng/f; uwsgi_temp_path $M/ng/u; scgi_temp_path $M/ng/s;
  types { } default_type application/octet-stream;
  server { listen 127.0.0.1:$HP; root $M/www; } }
CONF
nginx -p "$M/ng" -c "$M/ng/nginx.conf" -e "$M/ng/error.log" || exit 1
ln -s "http+nocompress://127.0.0.1:$HP/huge" "$M/root/streamed"
ln -s "http://127.0.0.1:$HP/huge" "$M/root/whole"
"$B/tftpd" --listen="127.0.0.1:$TP" --relay --relay-max-size=1G "$M/root" 2>"$M/tftpd.log" &
TPID=$!
sleep 1

for round in $(seq 1 "$ROUNDS"); do
	for f in local.bin streamed whole; do
		rm -f "$M/out/$f"
		s=$(date +%s%N)
		"$B/tftpc" -q get "tftp://127.0.0.1:$TP/$f" "$M/out/$f" || echo "FAILED $f"
		e=$(date +%s%N)
		cmp -s "$M/www/huge" "$M/out/$f" && same=identical || same=DIFFERENT
		echo "round $round $f $(((e - s) / 1000000)) ms $same" | tee -a "$M/times"
	done
done
for f in local.bin streamed whole; do
	awk -v f="$f" '$3 == f { print $4 }' "$M/times" | sort -n |
		awk -v f="$f" '{ v[NR] = $1 } END { printf "median %s %d ms (%d rounds)\n", f, v[int((NR + 1) / 2)], NR }'
done
