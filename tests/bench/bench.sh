#!/bin/bash
# bench.sh - cloister's tftpd against tftp-hpa, atftpd and dnsmasq, side by
# side on loopback, same files, same clients. Prints times, throughput,
# peak memory, and the ratio of each peer to us (above 1: we are faster).
#
# Usage: tests/bench/bench.sh [ROUNDS]     (make bench; as root)
# The peers come from Debian's packages. tftpd-hpa and atftpd conflict as
# packages, so their .debs are unpacked into a scratch directory, never
# installed. Only loopback is used.
set -euo pipefail
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
TFTPD="$top_builddir/tftpd"
ROUNDS=${1:-3}
[ "$(id -u)" = 0 ] || { echo "bench.sh: run as root" >&2; exit 1; }
[ -x "$TFTPD" ] || { echo "bench.sh: build tftpd first" >&2; exit 1; }

WORK=$(mktemp -d /tmp/cloister-bench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

# ---- peers ----------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1; }
if ! need atftp || ! need tftp || ! need dnsmasq; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq atftp tftp-hpa dnsmasq-base \
		>/dev/null
fi
PEERS=/var/cache/cloister-bench
if [ ! -x "$PEERS/usr/sbin/in.tftpd" ] || [ ! -x "$PEERS/usr/sbin/atftpd" ]; then
	mkdir -p "$PEERS/debs"
	(cd "$PEERS/debs" && apt-get download tftpd-hpa atftpd >/dev/null)
	for d in "$PEERS"/debs/*.deb; do dpkg -x "$d" "$PEERS"; done
fi

ROOT="$WORK/root"
mkdir -p "$ROOT"
chmod 755 "$WORK" "$ROOT"
head -c $((64 << 20)) /dev/urandom >"$ROOT/big.bin"
head -c 4096 /dev/urandom >"$ROOT/small.bin"
chmod 644 "$ROOT"/*

# name port command...: start a server and remember its pid.
start() {
	local name=$1 port=$2
	shift 2
	"$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	for _ in $(seq 50); do
		ss -uln | grep -q ":$port " && return 0
		sleep 0.1
	done
	echo "bench.sh: $name did not start" >&2
	cat "$WORK/$name.log" >&2
	exit 1
}

start cloister 7001 "$TFTPD" --listen=127.0.0.1:7001 "$ROOT"
start tftp_hpa 7002 "$PEERS/usr/sbin/in.tftpd" -L -s -u nobody -a 127.0.0.1:7002 -B 65464 "$ROOT"
start atftpd 7003 "$PEERS/usr/sbin/atftpd" --daemon --no-fork --user nobody.nogroup \
	--bind-address 127.0.0.1 --port 7003 --logfile /dev/null "$ROOT"
# dnsmasq's TFTP server has no port option: it takes 69 on loopback.
# (Its single-port mode cannot answer on loopback here: "Network is
# unreachable"; its default mode, a port per transfer, is measured.)
start dnsmasq 69 dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface=lo \
	--bind-interfaces --enable-tftp --tftp-root="$ROOT" --user=nobody \
	--log-facility=/dev/null
SERVERS="cloister:7001 tftp_hpa:7002 atftpd:7003 dnsmasq:69"

# Sum of VmHWM (peak resident set) of a server and its children, KiB.
peak_kib() {
	local pid=$1 total=0 p v
	for p in $pid $(pgrep -P "$pid" || true); do
		v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

now_ns() { date +%s%N; }

# One scenario: a command template with PORT, timed ROUNDS times; the
# median in ms is printed.
median_ms() {
	sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

run_scenario() {
	local title=$1 check=$2
	shift 2
	echo
	echo "== $title"
	printf '%-10s %12s %12s %12s\n' server "median ms" "MB/s" "vs cloister"
	local base=""
	for s in $SERVERS; do
		local name=${s%%:*} port=${s##*:} times=""
		for _ in $(seq "$ROUNDS"); do
			rm -f "$WORK/out"
			local t0 t1
			t0=$(now_ns)
			"$@" "$port" >/dev/null 2>&1 || true
			t1=$(now_ns)
			if [ -n "$check" ] && ! cmp -s "$WORK/out" "$ROOT/$check"; then
				times+="FAIL "
			else
				times+="$(( (t1 - t0) / 1000000 )) "
			fi
		done
		if [[ $times == *FAIL* ]]; then
			printf '%-10s %12s\n' "$name" "failed"
			continue
		fi
		local med
		med=$(echo "$times" | tr ' ' '\n' | grep . | median_ms)
		[ "$med" -gt 0 ] || med=1
		local mbs="-"
		[ -n "$check" ] && mbs=$(awk -v b="$(stat -c %s "$ROOT/$check")" -v m="$med" \
			'BEGIN {printf "%.1f", b / 1048576 / (m / 1000)}')
		[ -n "$base" ] || base=$med
		printf '%-10s %12s %12s %12s\n' "$name" "$med" "$mbs" \
			"$(awk -v a="$med" -v b="$base" 'BEGIN {printf "%.2fx", a / b}')"
	done
}

get_atftp_window() {
	atftp --option "blksize 1468" --option "windowsize 64" -g -r big.bin -l "$WORK/out" \
		127.0.0.1 "$1"
}
get_hpa_512() {
	tftp -m binary 127.0.0.1 "$1" -c get big.bin "$WORK/out"
}
get_curl_8k() {
	curl -s --tftp-blksize 8192 -o "$WORK/out" "tftp://127.0.0.1:$1/big.bin"
}
get_small_many() {
	for _ in $(seq 200); do
		tftp -m binary 127.0.0.1 "$1" -c get small.bin "$WORK/out" || return 1
	done
}

echo "cloister benchmark: $ROUNDS rounds per cell, 64 MiB file, loopback, $(nproc) cores"
run_scenario "64 MiB, atftp blksize 1468 windowsize 64 (peers without windowsize fall back to 1)" \
	big.bin get_atftp_window
run_scenario "64 MiB, curl blksize 8192" big.bin get_curl_8k
run_scenario "64 MiB, tftp-hpa client, blksize 512 lock-step" big.bin get_hpa_512
run_scenario "200 sequential 4 KiB requests (latency per request)" "" get_small_many

echo
echo "== peak resident memory after the runs (server and its children, KiB)"
for s in $SERVERS; do
	name=${s%%:*}
	eval "pid=\$PID_$name"
	printf '%-10s %12s\n' "$name" "$(peak_kib "$pid")"
done
