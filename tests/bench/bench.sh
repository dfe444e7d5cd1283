#!/bin/bash
# bench.sh - cloister's tftpd beside tftp-hpa 5.2 (in.tftpd), atftpd 0.8 and
# dnsmasq 2.90: the same machine, files and clients, one server at a time
# (in S4 all four at once, each with one client per lossy path).
#
# Usage: make bench [VAR=value]...   (as root; or tests/bench/bench.sh)
#
# Scenarios (each prints its tables as soon as it is done):
#   S0  the ceiling: raw UDP over loopback, no TFTP (tests/bench/udp-ceiling)
#   S1  one 256 MiB RRQ: tftp-hpa's tftp without options; atftp and our load
#       client (tests/bench/loadclient) and tftpc with blksize 1468 or 65464,
#       lock-step or windowsize 16 or 64
#   S2  storms: 128 and 500 client processes (busybox tftp; atftp with
#       windowsize 16) started at once, one 8 MiB image: served, wall time,
#       aggregate MB/s, peak Pss of all the server's processes
#   S3  small files: 4 KiB RRQs, a new socket each, from one client in a row
#       and from 32 at once, 512- and 4096-byte blocks: requests/s, p50/p99
#   S4  loss: 1 % and 5 % of UDP lost each way between network namespaces;
#       4 MiB with atftp, tftp-hpa's tftp and busybox
#   S5  uploads: 64 MiB WRQ with atftp and tftp-hpa's tftp (dnsmasq has none)
# Every transfer is checked against the original (cmp, or the load client's
# hash); a failed or incomplete run is reported as failed, never as a time.
# Every client run has a timeout. MB = 10^6 bytes; sizes are in MiB.
#
# Variables (from the environment; make passes VAR=value on):
#   BENCH_ROUNDS=3         rounds of every cell of S0-S3 and S5: the tables
#                          show the median and the min-max
#   BENCH_ONLY="S0 S1 S2 S3 S4 S5"   the scenarios to run
#   BENCH_SERVERS="cloister tftp-hpa atftpd dnsmasq"   the servers to run
#   BENCH_LOSS_RUNS=10     transfers per S4 cell (median and worst)
#   BENCH_LOSS_BUDGET=240  seconds of S4 per server and loss rate: no new
#                          transfer starts after that (a cell then says how
#                          many ran), so that servers whose transfers time
#                          out cannot take BENCH_LOSS_RUNS minutes per cell
#   BENCH_TIMEOUT=60       seconds one client run may take (S1, S3, S5; in S2,
#                          where 500 share the machine, twice as long)
#   BENCH_LOSS_TIMEOUT=60  seconds one S4 transfer may take
#   BENCH_QUICK=1          small files and storms, to try the harness (its
#                          figures do not compare with a full run)
#   BENCH_OUTDIR=<source tree>   where BENCHMARKS.md and bench/ go
#   BENCH_TMPDIR=/dev/shm  scratch space: the served files and every download
#                          (S2 holds 500 x 8 MiB at once); on tmpfs, so that
#                          disk writeback does not time the clients
#   BENCH_KEEP=1           keep the scratch directory (the servers' logs)
#   BENCH_METRICS_DIR=     cloister writes its metrics-file (Prometheus text)
#                          here, rewritten every second; after each S2 storm
#                          it is kept as S2-CLIENT-N-rROUND.prom (the
#                          directory must be writable by the service user)
#   BENCH_POLL_IDLE=1      idle CPUs poll rather than halt while the bench
#                          runs (0: leave the idle states alone; see below)
#
# Output: the tables on stdout; BENCHMARKS.md (date, machine, commit, the
# command, a table and an SVG chart per scenario) and bench/ (results.tsv:
# scenario, variant, server, round or statistic, value, unit; meta.tsv, the
# machine and the settings; failures.tsv; S*.svg) in BENCH_OUTDIR, written
# by tests/bench/report.sh from those three files.
#
# Isolation: everything runs in a network namespace of its own, so that
# port 69 (dnsmasq's only port), other TFTP servers on the host and the
# host's firewall stay out of the picture; S4 adds a server namespace and
# a client namespace per loss rate, joined by veth pairs. Each server runs
# in a cgroup of its own, whose CPU time includes children that exited
# unwaited (in.tftpd ignores SIGCHLD, so /proc/PID/stat would lose them). The peers come from Debian's packages:
# tftpd-hpa and atftpd conflict as packages, so their .debs are unpacked
# into /var/cache/cloister-bench, never installed.
#
# Idle states: while it runs, the bench holds /dev/cpu_dma_latency at 0 (a
# PM QoS request, as tuned's latency-performance profile makes), so that
# an idle CPU polls instead of halting. Lock-step TFTP over loopback is one
# wake-up per block; in a virtual machine waking a halted vCPU took tens of
# microseconds, made every server's lock-step figures 5 to 7 times lower,
# and made them depend on whatever else kept the CPUs awake.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -uo pipefail
export LC_ALL=C

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_ONLY=${BENCH_ONLY:-S0 S1 S2 S3 S4 S5}
BENCH_SERVERS=${BENCH_SERVERS:-cloister tftp-hpa atftpd dnsmasq}
BENCH_LOSS_RUNS=${BENCH_LOSS_RUNS:-10}
BENCH_LOSS_BUDGET=${BENCH_LOSS_BUDGET:-240}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-60}
BENCH_LOSS_TIMEOUT=${BENCH_LOSS_TIMEOUT:-60}
BENCH_QUICK=${BENCH_QUICK:-}
BENCH_OUTDIR=${BENCH_OUTDIR:-$top_srcdir}
BENCH_TMPDIR=${BENCH_TMPDIR:-/dev/shm}
BENCH_KEEP=${BENCH_KEEP:-}
BENCH_POLL_IDLE=${BENCH_POLL_IDLE:-1}
BENCH_METRICS_DIR=${BENCH_METRICS_DIR:-}

TFTPD=$top_builddir/tftpd
LOADCLIENT=$top_builddir/tests/bench/loadclient
UDP_CEILING=$top_builddir/tests/bench/udp-ceiling
PROCTREE=$top_builddir/tests/bench/proctree
RAWCLIENT=$top_builddir/tests/rawclient
TFTPC=$top_builddir/tftpc
REPORT=$top_srcdir/tests/bench/report.sh
PEERS=/var/cache/cloister-bench

# Limits of the peers, as an operator expecting a storm of 500 clients
# would set them (atftpd: 100 threads by default, dnsmasq: 50 transfers).
# Ours runs with its defaults: nothing beyond what a new user would type.
ATFTPD_MAXTHREAD=1000
DNSMASQ_TFTP_MAX=1000

declare -A PORT=([cloister]=7001 [tftp-hpa]=7002 [atftpd]=7003 [dnsmasq]=69)

die() {
	echo "bench.sh: $*" >&2
	exit 1
}

say() {
	printf '%s\n' "$*"
}

# ---------------------------------------------------------------------------
# Checks and set-up outside the namespace

check_number() {
	case $2 in
	'' | *[!0-9]*) die "$1=$2: expected a whole number" ;;
	esac
	[ "$2" -ge "${3:-1}" ] || die "$1=$2: at least ${3:-1}"
}

check_settings() {
	local s
	check_number BENCH_ROUNDS "$BENCH_ROUNDS"
	check_number BENCH_LOSS_RUNS "$BENCH_LOSS_RUNS"
	check_number BENCH_LOSS_BUDGET "$BENCH_LOSS_BUDGET"
	check_number BENCH_TIMEOUT "$BENCH_TIMEOUT"
	check_number BENCH_LOSS_TIMEOUT "$BENCH_LOSS_TIMEOUT"
	check_number BENCH_POLL_IDLE "$BENCH_POLL_IDLE" 0
	for s in $BENCH_ONLY; do
		case $s in
		S[0-5]) ;;
		*) die "BENCH_ONLY: unknown scenario '$s' (S0 to S5)" ;;
		esac
	done
	for s in $BENCH_SERVERS; do
		[ -n "${PORT[$s]:-}" ] || die "BENCH_SERVERS: unknown server '$s'"
	done
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# The clients, dnsmasq and gnuplot from Debian (installed when missing);
# in.tftpd and atftpd unpacked from their .debs.
install_tools() {
	local need=() d
	have atftp || need+=(atftp)
	tftp -V 2>&1 | grep -q tftp-hpa || need+=(tftp-hpa)
	have busybox || need+=(busybox)
	have dnsmasq || need+=(dnsmasq-base)
	have gnuplot || need+=(gnuplot-nox)
	have nft || need+=(nftables)
	have ss || need+=(iproute2)
	have nsenter || need+=(util-linux)
	have cmp || need+=(diffutils)
	if [ ${#need[@]} -gt 0 ]; then
		say "bench: installing ${need[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
	fi
	if [ ! -x "$PEERS/usr/sbin/in.tftpd" ] || [ ! -x "$PEERS/usr/sbin/atftpd" ]; then
		mkdir -p "$PEERS/debs" || die "cannot create $PEERS"
		(cd "$PEERS/debs" && apt-get download tftpd-hpa atftpd >/dev/null 2>&1) ||
			die "apt-get download tftpd-hpa atftpd failed"
		for d in "$PEERS"/debs/*.deb; do
			dpkg -x "$d" "$PEERS" || die "cannot unpack $d"
		done
	fi
}

# The bench's namespace: loopback, plus a veth pair whose only job is to
# carry an address. in.tftpd resolves its -a address with AI_ADDRCONFIG,
# which ignores loopback: with lo alone glibc sees no IPv4 at all. The
# address is from the benchmarking range (RFC 2544); nothing is sent to it.
netns_setup() {
	ip -n "$1" link set lo up &&
		ip -n "$1" link add bench0 type veth peer name bench1 &&
		ip -n "$1" addr add 198.18.0.1/32 dev bench0 &&
		ip -n "$1" link set bench0 up
}

outer_main() {
	local ns rc p
	[ "$(id -u)" = 0 ] || die "run as root (servers that drop privileges, namespaces, cgroups)"
	check_settings
	for p in "$TFTPD" "$LOADCLIENT" "$UDP_CEILING" "$PROCTREE" "$RAWCLIENT" "$TFTPC"; do
		[ -x "$p" ] || die "$p is not built (make bench builds it)"
	done
	install_tools
	ns=cloister-bench-$$
	ip netns add "$ns" || die "cannot create a network namespace"
	trap 'ip netns del "'"$ns"'" 2>/dev/null' EXIT
	trap 'exit 130' INT TERM HUP
	netns_setup "$ns" || die "cannot set up the namespace $ns"
	BENCH_NETNS=$ns nsenter --net="/run/netns/$ns" bash "$0" "$@"
	rc=$?
	exit "$rc"
}

# ---------------------------------------------------------------------------
# Inside the namespace: scratch space, results, cleanup

SRV_SEQ=0
declare -A SRV_PID=() SRV_LOG=() GRANT_BLK=() GRANT_WIN=() WRQ_WIN=() TIMED_OUT=()
CG=
QOS_PID=
LOSS_NS=()
LOSS_NFT=()

inner_setup() {
	local need_kib=$((5 * 1024 * 1024)) avail
	mkdir -p "$BENCH_TMPDIR" || die "cannot create $BENCH_TMPDIR"
	avail=$(df -Pk "$BENCH_TMPDIR" | awk 'NR == 2 {print $4}')
	[ -n "$BENCH_QUICK" ] && need_kib=$((512 * 1024))
	[ "${avail:-0}" -ge "$need_kib" ] ||
		die "$BENCH_TMPDIR has $((avail / 1024)) MiB free, the bench needs $((need_kib / 1024)) (BENCH_TMPDIR=...)"
	WORK=$(mktemp -d "$BENCH_TMPDIR/cloister-bench.XXXXXX") || die "mktemp failed"
	chmod 755 "$WORK"
	ROOT=$WORK/root
	OUT=$WORK/out
	LOGDIR=$WORK/log
	mkdir -p "$ROOT/up" "$OUT" "$LOGDIR" "$WORK/src"
	chmod 755 "$ROOT"
	chmod 777 "$ROOT/up" # the upload area is writable by every server's user
	RESULTS=$WORK/results.tsv
	META=$WORK/meta.tsv
	FAILURES=$WORK/failures.tsv
	printf 'scenario\tvariant\tserver\tround\tvalue\tunit\n' >"$RESULTS"
	: >"$META"
	: >"$FAILURES"
	trap inner_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	cg_init
	# atftpd keeps a thread, a socket and a file per client; dnsmasq two
	# descriptors per transfer; each client process has its own limit.
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

inner_cleanup() {
	local name ns t
	for name in "${!SRV_PID[@]}"; do
		server_stop "$name" 2>/dev/null
	done
	if [ -n "$QOS_PID" ]; then
		kill "$QOS_PID" 2>/dev/null
		wait "$QOS_PID" 2>/dev/null
	fi
	for t in "${LOSS_NFT[@]}"; do
		ip netns exec "$t" nft delete table inet cloister_bench_loss 2>/dev/null
	done
	for ns in "${LOSS_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$CG" ]; then
		for name in "$CG"/*/; do
			[ -d "$name" ] && rmdir "$name" 2>/dev/null
		done
		rmdir "$CG" 2>/dev/null
	fi
	if [ -n "$BENCH_KEEP" ]; then
		echo "bench: kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}

# tsv SCENARIO VARIANT SERVER ROUND VALUE UNIT
tsv() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

meta() {
	printf '%s\t%s\n' "$1" "$2" >>"$META"
}

# note_failure SCENARIO VARIANT SERVER ROUND TEXT: printed now, and kept
# for the report.
note_failure() {
	printf '  FAILED: %s, %s, round %s: %s\n' "$2" "$3" "$4" "$5"
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$FAILURES"
}

# last_line FILE: the last non-empty line, without progress-bar carriage returns.
last_line() {
	tr '\r' '\n' <"$1" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n1 | cut -c1-160
}

# log_lines NAME: how many lines the server has logged so far.
log_lines() {
	wc -l <"${SRV_LOG[$1]:-/dev/null}" 2>/dev/null || echo 0
}

# await_line NAME: after a failed run, give the server up to 2 s to log
# its side of it (it may still be retrying when the client gives up).
await_line() {
	local n i
	[ "$1" = tftp-hpa ] && return # it logs nothing here
	n=$(log_lines "$1")
	for ((i = 0; i < 20; i++)); do
		[ "$(log_lines "$1")" -gt "$n" ] && return
		sleep 0.1
	done
}

# server_said NAME FROM [ADDRESS]: a server's view of a failure: of what it
# logged after line FROM (about ADDRESS, when it serves several clients at
# once), the last line that reads like one, else the last line.
server_said() {
	local log=${SRV_LOG[$1]:-/dev/null} lines l
	if [ "$1" = tftp-hpa ]; then
		echo "nothing (in.tftpd logs to syslog only, and none runs here)"
		return
	fi
	lines=$(tail -n "+$(($2 + 1))" "$log" 2>/dev/null | tr '\r' '\n' | grep -F -- "${3:-}" |
		grep -v '^[[:space:]]*$')
	l=$(grep -iE 'refus|error|fail|abort|timeout|timed out|busy|denied|not complete|peer-' <<<"$lines" | tail -n1)
	[ -n "$l" ] || l=$(tail -n1 <<<"$lines")
	l=$(cut -c1-200 <<<"$l")
	echo "${l:-nothing logged about it yet}"
}

# The PM QoS request lives as long as a process holds the device open.
poll_idle_start() {
	if [ "$BENCH_POLL_IDLE" != 1 ]; then
		meta cpu_idle "the kernel's idle states (BENCH_POLL_IDLE=0)"
	elif [ -w /dev/cpu_dma_latency ]; then
		sh -c 'printf 0 >&9 && exec sleep 86400' 9>/dev/cpu_dma_latency &
		QOS_PID=$!
		meta cpu_idle "polling: /dev/cpu_dma_latency held at 0 for the whole run"
	else
		meta cpu_idle "the kernel's idle states (no /dev/cpu_dma_latency)"
	fi
}

# ---------------------------------------------------------------------------
# CPU accounting: a cgroup per server

cg_init() {
	local mnt
	mnt=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
	if [ -n "$mnt" ] && mkdir "$mnt/cloister-bench.$$" 2>/dev/null; then
		CG=$mnt/cloister-bench.$$
		meta cpu_accounting "cgroup v2 cpu.stat of a cgroup per server"
	else
		CG=
		meta cpu_accounting "/proc/PID/stat of the server and its live descendants (no cgroup v2: children that exit unwaited are missed)"
	fi
}

# srv_cpu NAME: CPU seconds the server has used so far, with its children.
srv_cpu() {
	if [ -n "$CG" ]; then
		awk '$1 == "usage_usec" {printf "%.3f\n", $2 / 1e6}' "$CG/$1/cpu.stat"
	else
		"$PROCTREE" cpu "${SRV_PID[$1]}" | sed -E 's/^cpu_s=([0-9.]+).*/\1/'
	fi
}

# ---------------------------------------------------------------------------
# Servers

# server_cmd NAME ADDR IFACE MODE LOG: the command line into CMD. MODE is
# "download" or "upload".
server_cmd() {
	local name=$1 addr=$2 iface=$3 mode=$4 log=$5 port=${PORT[$1]} i
	case $name in
	cloister)
		CMD=("$TFTPD" --listen="$addr:$port")
		[ "$mode" = upload ] && CMD+=(--create --overwrite)
		[ -n "$BENCH_METRICS_DIR" ] &&
			CMD+=(--metrics-file="$BENCH_METRICS_DIR/tftpd.prom" --metrics-interval=1)
		CMD+=("$ROOT")
		;;
	tftp-hpa)
		CMD=("$PEERS/usr/sbin/in.tftpd" -L -s -u nobody -a "$addr:$port" -B 65464)
		[ "$mode" = upload ] && CMD+=(-c)
		CMD+=("$ROOT")
		;;
	atftpd)
		CMD=("$PEERS/usr/sbin/atftpd" --daemon --no-fork --user nobody.nogroup
			--bind-address "$addr" --port "$port" --maxthread "$ATFTPD_MAXTHREAD"
			--logfile "$log.atftpd" "$ROOT")
		;;
	dnsmasq)
		CMD=(dnsmasq --no-daemon --conf-file=/dev/null --pid-file= --port=0)
		for i in $iface; do
			CMD+=(--interface="$i")
		done
		CMD+=(--bind-interfaces --enable-tftp --tftp-root="$ROOT"
			--tftp-max="$DNSMASQ_TFTP_MAX" --user=nobody --log-facility="$log.dnsmasq")
		;;
	esac
}

# The settings each server runs with, for the report (ROOT and the
# addresses are placeholders there).
describe_servers() {
	local name
	for name in $BENCH_SERVERS; do
		ROOT=ROOT server_cmd "$name" 127.0.0.1 lo download LOGFILE
		CMD[0]=$(basename "${CMD[0]}")
		meta "settings $name" "$(sed -E 's/LOGFILE\.[a-z]+/FILE/' <<<"${CMD[*]}")"
	done
}

alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

listening() {
	local port=$1
	shift
	"$@" ss -Hlun "sport = :$port" 2>/dev/null | grep -q .
}

# server_start NAME ADDR IFACE MODE [NETNS]: start NAME in its cgroup and
# wait until it listens (ours: until it says ready, its pool jailed).
server_start() {
	local name=$1 addr=$2 iface=$3 mode=$4 ns=${5:-} port=${PORT[$1]} log i
	local prefix=()
	SRV_SEQ=$((SRV_SEQ + 1))
	log=$LOGDIR/$name.$SRV_SEQ.log
	[ -n "$ns" ] && prefix=(ip netns exec "$ns")
	server_cmd "$name" "$addr" "$iface" "$mode" "$log"
	# atftpd opens its log after dropping to nobody.
	[ "$name" = atftpd ] && : >"$log.atftpd" && chown nobody "$log.atftpd"
	if [ -n "$CG" ]; then
		mkdir -p "$CG/$name" || die "cannot create the cgroup $CG/$name"
	fi
	# The wrapper enters the cgroup, then becomes the server: one PID.
	sh -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs" || exit 111; shift; exec "$@"' sh \
		"${CG:+$CG/$name}" "${prefix[@]}" "${CMD[@]}" </dev/null >"$log" 2>&1 &
	SRV_PID[$name]=$!
	SRV_LOG[$name]=$log
	[ "$name" = atftpd ] && SRV_LOG[$name]=$log.atftpd
	[ "$name" = dnsmasq ] && SRV_LOG[$name]=$log.dnsmasq
	for ((i = 0; i < 100; i++)); do
		if listening "$port" "${prefix[@]}" &&
			{ [ "$name" != cloister ] || grep -q ': ready' "$log"; }; then
			return 0
		fi
		alive "${SRV_PID[$name]}" || break
		sleep 0.1
	done
	echo "bench: $name did not start: ${CMD[*]}" >&2
	tail -n 5 "$log" >&2
	server_stop "$name"
	return 1
}

server_stop() {
	local name=$1 pid=${SRV_PID[$1]:-} i p
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# A child that outlived its server is still in the server's cgroup.
	if [ -n "$CG" ] && [ -e "$CG/$name/cgroup.procs" ]; then
		for p in $(cat "$CG/$name/cgroup.procs"); do
			kill -KILL "$p" 2>/dev/null
		done
	fi
	unset "SRV_PID[$name]"
}

# settle: wait (up to 10 s) until no transfer socket is left in the
# namespace, so that what a run left behind (a transfer the server still
# retries towards a client that has gone) cannot answer the next run's
# client when that gets the same port: seen in S3, as an OACK for options
# the client never asked for.
settle() {
	local i
	for ((i = 0; i < 100; i++)); do
		ss -Hun state established 2>/dev/null | grep -q . || return 0
		sleep 0.1
	done
}

servers_start() {
	local name
	for name in $BENCH_SERVERS; do
		server_start "$name" "$@" || return 1
	done
}

servers_stop() {
	local name
	for name in $BENCH_SERVERS; do
		server_stop "$name"
	done
}

# probe_grants NAME: what the server grants to a read request asking for
# blksize 65464, windowsize 64 and tsize (one 4 KiB transfer).
probe_grants() {
	local line
	line=$("$LOADCLIENT" -t -b 65464 -w 64 -T 10 127.0.0.1 "${PORT[$1]}" f4K "$ROOT/f4K" 2>&1)
	GRANT_BLK[$1]=$(sed -nE 's/.* blksize=([0-9]+).*/\1/p' <<<"$line")
	GRANT_WIN[$1]=$(sed -nE 's/.* windowsize=([0-9]+).*/\1/p' <<<"$line")
	if [ -z "${GRANT_BLK[$1]}" ] || [ "${GRANT_BLK[$1]}" = 0 ]; then
		GRANT_BLK[$1]=0 GRANT_WIN[$1]=0
		say "  probe of $1 failed: $line"
		return 1
	fi
	meta "grants $1" "blksize ${GRANT_BLK[$1]}, windowsize ${GRANT_WIN[$1]} (asked 65464, 64)"
}

# ---------------------------------------------------------------------------
# Timing and statistics

# timed LOG CMD...: run CMD under the timeout; T_US is the wall time in
# microseconds, T_RC the exit status (124: timed out).
timed() {
	local log=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	timeout -k 5 "$T_LIMIT" "$@" </dev/null >"$log" 2>&1
	T_RC=$?
	t1=$EPOCHREALTIME
	T_US=$(((${t1%.*} - ${t0%.*}) * 1000000 + 10#${t1#*.} - 10#${t0#*.}))
}

# mbps BYTES MICROSECONDS: bytes per microsecond is MB/s.
mbps() {
	awk -v b="$1" -v us="$2" 'BEGIN {printf "%.1f", b / (us > 0 ? us : 1)}'
}

# kv KEY LINE: the value of KEY=... in a key=value line.
kv() {
	sed -nE "s/^(.* )?$1=([^ ]*).*/\\2/p" <<<"$2"
}

# add_stats SCENARIO: the median, min and max of every cell's rounds. A
# failed round ranks below every successful one, so a median that lands on
# a failure is "failed"; min and max are those of the successful rounds; a
# "failed" row counts the failures. S4 adds "worst" (failed when any run
# failed) and "runs".
add_stats() {
	awk -F'\t' -v OFS='\t' -v scen="$1" '
	function higher_better(u) { return u == "MB/s" || u == "req/s" || u == "served" }
	$1 == scen && $4 ~ /^[0-9]+$/ {
		k = $2 SUBSEP $3 SUBSEP $6
		if (!(k in n)) order[++nk] = k
		n[k]++
		if ($5 == "failed") fails[k]++
		else vals[k, ++ok[k]] = $5 + 0
	}
	END {
		for (i = 1; i <= nk; i++) {
			k = order[i]
			split(k, f, SUBSEP)
			m = ok[k]
			# sort the successful values, best first
			for (a = 1; a <= m; a++) s[a] = vals[k, a]
			for (a = 2; a <= m; a++) {
				v = s[a]
				for (b = a - 1; b >= 1 && (higher_better(f[3]) ? s[b] < v : s[b] > v); b--)
					s[b + 1] = s[b]
				s[b + 1] = v
			}
			mid = int((n[k] + 1) / 2)
			med = mid <= m ? s[mid] : "failed"
			if (n[k] % 2 == 0 && mid + 1 <= m) med = (s[mid] + s[mid + 1]) / 2
			lo = hi = "-"
			if (m > 0) {
				lo = s[1]; hi = s[1]
				for (a = 1; a <= m; a++) { if (s[a] < lo) lo = s[a]; if (s[a] > hi) hi = s[a] }
			}
			print scen, f[1], f[2], "median", med, f[3]
			print scen, f[1], f[2], "min", lo, f[3]
			print scen, f[1], f[2], "max", hi, f[3]
			if (fails[k] > 0) print scen, f[1], f[2], "failed", fails[k], f[3]
			if (scen == "S4") {
				print scen, f[1], f[2], "worst", (fails[k] > 0 ? "failed" : hi), f[3]
				print scen, f[1], f[2], "runs", n[k], f[3]
			}
		}
	}' "$RESULTS" >"$RESULTS.stats"
	cat "$RESULTS.stats" >>"$RESULTS"
	rm -f "$RESULTS.stats"
}

show() {
	add_stats "$1"
	echo
	bash "$REPORT" text "$RESULTS" "$1" "$META"
}

wanted() {
	case " $BENCH_ONLY " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# ---------------------------------------------------------------------------
# S0: the raw-UDP ceiling

S0_MIB=256

s0_main() {
	local round v size flag line label
	say
	say "== S0: raw UDP over loopback, $S0_MIB MiB per round (the ceiling)"
	for ((round = 1; round <= BENCH_ROUNDS; round++)); do
		for v in "516 -" "1472 -" "1472 -g" "65468 -"; do
			size=${v% *} flag=${v#* }
			label="datagrams of $size B, sendmmsg"
			[ "$flag" = -g ] && label="datagrams of $size B, UDP GSO"
			if [ "$flag" = -g ]; then
				line=$("$UDP_CEILING" -g -m "$S0_MIB" "$size" 2>&1)
			else
				line=$("$UDP_CEILING" -m "$S0_MIB" "$size" 2>&1)
			fi
			if [ $? -eq 0 ]; then
				tsv S0 "$label" raw-udp "$round" "$(kv mb_per_s "$line")" MB/s
			else
				tsv S0 "$label" raw-udp "$round" failed MB/s
				note_failure S0 "$label" raw-udp "$round" "$line"
			fi
		done
	done
	show S0
}

# ---------------------------------------------------------------------------
# S1: one big RRQ

# CLIENT BLKSIZE WINDOWSIZE; "-" for no option.
S1_VARIANTS=(
	"tftp-hpa - -"
	"atftp 1468 -" "atftp 1468 16" "atftp 1468 64" "atftp 65464 -" "atftp 65464 16"
	"loadclient 1468 -" "loadclient 1468 16" "loadclient 1468 64"
	"loadclient 65464 -" "loadclient 65464 16"
	"tftpc 1468 -" "tftpc 1468 64" "tftpc 65464 -" "tftpc 65464 16" "tftpc 65464 64"
)

# variant_label CLIENT BLKSIZE WINDOWSIZE
variant_label() {
	local l=$1
	[ "$1" = tftp-hpa ] && l="tftp-hpa tftp"
	if [ "$2" = - ]; then
		l+=", no options"
	else
		l+=", blksize $2"
	fi
	[ "$3" != - ] && l+=", windowsize $3"
	echo "$l"
}

# client_get CLIENT BLKSIZE WINDOWSIZE FILE OUT HOST PORT: the command of
# a real client's download, into CMD.
client_get() {
	local client=$1 blk=$2 win=$3
	case $client in
	tftp-hpa) CMD=(tftp -m binary "$6" "$7" -c get "$4" "$5") ;;
	atftp)
		CMD=(atftp)
		[ "$blk" != - ] && CMD+=(--option "blksize $blk")
		[ "$win" != - ] && CMD+=(--option "windowsize $win")
		CMD+=(-g -r "$4" -l "$5" "$6" "$7")
		;;
	tftpc)
		# "-" windowsize: lock-step, as the other clients without the
		# option; the big-buffer client beside loadclient otherwise.
		CMD=("$TFTPC" -q -b "$blk" -w "${win/-/1}" get "tftp://$6:$7/$4" "$5")
		;;
	busybox)
		CMD=(busybox tftp)
		[ "$blk" != - ] && CMD+=(-b "$blk")
		CMD+=(-g -r "$4" -l "$5" "$6" "$7")
		;;
	esac
}

# s1_run CLIENT BLKSIZE WINDOWSIZE SERVER ROUND LABEL
s1_run() {
	local client=$1 blk=$2 win=$3 name=$4 round=$5 label=$6 port=${PORT[$4]}
	local out=$OUT/s1.bin log=$LOGDIR/s1.client.log cpu0 cpu1 ok=0 mb why="" from
	rm -f "$out"
	from=$(log_lines "$name")
	cpu0=$(srv_cpu "$name")
	if [ "$client" = loadclient ]; then
		local args=()
		[ "$blk" != - ] && args+=(-b "$blk")
		[ "$win" != - ] && args+=(-w "$win")
		# Its own deadline comes first and says where it stopped.
		T_LIMIT=$((BENCH_TIMEOUT + 10)) timed "$log" "$LOADCLIENT" -T "$BENCH_TIMEOUT" \
			"${args[@]}" 127.0.0.1 "$port" "$S1_FILE" "$ROOT/$S1_FILE"
		local line
		line=$(grep '^requests=' "$log")
		if [ "$T_RC" -eq 0 ] && [ "$(kv ok "$line")" = 1 ]; then
			ok=1
			mb=$(kv mb_per_s "$line")
			tsv S1 "$label" "$name" "$round" "$(kv cpu_s "$line")" client_cpu_s
		else
			why=$(grep -m1 '^loadclient:' "$log" || last_line "$log")
			grep -q 'deadline of' "$log" && T_RC=124
		fi
	else
		client_get "$client" "$blk" "$win" "$S1_FILE" "$out" 127.0.0.1 "$port"
		timed "$log" "${CMD[@]}"
		# tftp-hpa's tftp exits 0 after an error: the bytes decide.
		if cmp -s "$out" "$ROOT/$S1_FILE" && { [ "$T_RC" -eq 0 ] || [ "$client" = tftp-hpa ]; }; then
			ok=1
			mb=$(mbps "$S1_BYTES" "$T_US")
		else
			why="exit $T_RC after $((T_US / 1000)) ms, $(stat -c %s "$out" 2>/dev/null || echo 0) bytes: $(last_line "$log")"
			[ "$T_RC" -eq 124 ] && why="timed out after $BENCH_TIMEOUT s, $(stat -c %s "$out" 2>/dev/null || echo 0) bytes"
		fi
	fi
	cpu1=$(srv_cpu "$name")
	if [ "$ok" = 1 ]; then
		tsv S1 "$label" "$name" "$round" "$mb" MB/s
		tsv S1 "$label" "$name" "$round" "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.3f", b - a}')" server_cpu_s
	else
		tsv S1 "$label" "$name" "$round" failed MB/s
		[ "$T_RC" -eq 124 ] && TIMED_OUT[$label/$name]=1 &&
			why+=" (not run again in later rounds)"
		await_line "$name"
		note_failure S1 "$label" "$name" "$round" "$why; server: $(server_said "$name" "$from")"
	fi
	rm -f "$out"
	settle
}

# BENCH_ROUNDS rounds of every variant ("client blksize windowsize") of a
# scenario on every server: variant_rounds SCENARIO VARIANTS GRANTED
# DEFAULT RUN SERVERS, where VARIANTS names the array of variants, GRANTED
# the array of the windowsize each server granted (DEFAULT where unknown)
# and RUN the function that runs and records one transfer.
variant_rounds() {
	local scenario=$1 default=$4 run=$5 servers=$6 round v client blk win name label
	local -n variants=$2 granted=$3
	for ((round = 1; round <= BENCH_ROUNDS; round++)); do
		for v in "${variants[@]}"; do
			read -r client blk win <<<"$v"
			label=$(variant_label "$client" "$blk" "$win")
			for name in $servers; do
				# A window the server does not grant is lock-step: the
				# lock-step row already has that figure.
				if [ "$win" != - ] && [ "${granted[$name]:-$default}" -le 1 ]; then
					[ "$round" = 1 ] &&
						tsv "$scenario" "$label" "$name" n/a "windowsize not granted" MB/s
					continue
				fi
				# A timeout costs BENCH_TIMEOUT each time: once is enough.
				[ -n "${TIMED_OUT[$label/$name]:-}" ] && continue
				"$run" "$client" "$blk" "$win" "$name" "$round" "$label"
			done
		done
		say "  round $round of $BENCH_ROUNDS done"
	done
}

s1_main() {
	local name
	say
	say "== S1: one $S1_MIB MiB RRQ over loopback"
	servers_start 127.0.0.1 lo download || die "S1: a server did not start"
	for name in $BENCH_SERVERS; do
		probe_grants "$name"
	done
	T_LIMIT=$BENCH_TIMEOUT
	variant_rounds S1 S1_VARIANTS GRANT_WIN 0 s1_run "$BENCH_SERVERS"
	servers_stop
	show S1
}

# ---------------------------------------------------------------------------
# S2: storms

S2_VARIANTS=("busybox 128" "busybox 500" "atftp 128" "atftp 500")

storm_label() {
	case $1 in
	busybox) echo "$2 x busybox tftp, blksize 1468" ;;
	atftp) echo "$2 x atftp, blksize 1468, windowsize 16" ;;
	esac
}

# storm_client CLIENT PORT OUT GO: wait for the start line on the fifo GO,
# then become the client.
storm_client() {
	local client=$1 port=$2 out=$3
	read -r _ <"$4"
	if [ "$client" = busybox ]; then
		client_get busybox 1468 - "$S2_FILE" "$out" 127.0.0.1 "$port"
	else
		client_get atftp 1468 16 "$S2_FILE" "$out" 127.0.0.1 "$port"
	fi
	exec timeout -k 5 $((2 * BENCH_TIMEOUT)) "${CMD[@]}" </dev/null >"$out.log" 2>&1
}

# storm NAME CLIENT N ROUND LABEL: N clients at once against a freshly
# started server.
storm() {
	local name=$1 client=$2 n=$3 round=$4 label=$5 port=${PORT[$1]}
	local dir=$OUT/storm i gofd pids=() served=0 cpu0 cpu1 t0 t1 wall_us pss sampler
	rm -rf "$dir"
	mkdir -p "$dir"
	server_start "$name" 127.0.0.1 lo download || {
		tsv S2 "$label" "$name" "$round" failed served
		note_failure S2 "$label" "$name" "$round" "the server did not start"
		return
	}
	# Every client opens the fifo and blocks reading one line; we hold it
	# open read-write, so that no open blocks and no line is lost.
	mkfifo "$dir/go"
	exec {gofd}<>"$dir/go"
	for ((i = 1; i <= n; i++)); do
		storm_client "$client" "$port" "$dir/$i" "$dir/go" {gofd}>&- &
		pids+=($!)
	done
	sleep 0.3 # until (nearly) every client waits on the fifo; a late one starts late
	"$PROCTREE" pss "${SRV_PID[$name]}" 50 >"$dir/pss" &
	sampler=$!
	cpu0=$(srv_cpu "$name")
	t0=$EPOCHREALTIME
	head -c "$n" /dev/zero | tr '\0' '\n' >&"$gofd"
	wait "${pids[@]}" 2>/dev/null
	t1=$EPOCHREALTIME
	cpu1=$(srv_cpu "$name")
	kill -TERM "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	exec {gofd}>&-
	wall_us=$(((${t1%.*} - ${t0%.*}) * 1000000 + 10#${t1#*.} - 10#${t0#*.}))
	# Two cmp at a time: 500 x 8 MiB is a few seconds of reading.
	served=$(seq -f "$dir/%.0f" 1 "$n" | xargs -P 2 -n 50 sh -c \
		'for f; do cmp -s "$f" "$0" && echo ok; done' "$ROOT/$S2_FILE" | grep -c ok)
	pss=$(sed -nE 's/^peak_pss_kib=([0-9]+).*/\1/p' "$dir/pss")
	tsv S2 "$label" "$name" "$round" "$served" served
	tsv S2 "$label" "$name" "$round" "$((n - served))" failed_clients
	tsv S2 "$label" "$name" "$round" "$(awk -v u="$wall_us" 'BEGIN {printf "%.2f", u / 1e6}')" wall_s
	tsv S2 "$label" "$name" "$round" "$(mbps $((served * S2_BYTES)) "$wall_us")" MB/s
	tsv S2 "$label" "$name" "$round" "$(awk -v k="${pss:-0}" 'BEGIN {printf "%.1f", k / 1024}')" pss_MiB
	tsv S2 "$label" "$name" "$round" "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.2f", b - a}')" server_cpu_s
	if [ "$served" -lt "$n" ]; then
		# What the failed clients said, most frequent first.
		local said
		said=$(for ((i = 1; i <= n; i++)); do
			cmp -s "$dir/$i" "$ROOT/$S2_FILE" || last_line "$dir/$i.log" | sed 's/^$/(no message)/'
		done | sed -E 's/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -n 2 |
			sed -E 's/^ *([0-9]+) /\1x /' | paste -sd ';' -)
		note_failure S2 "$label" "$name" "$round" \
			"$((n - served)) of $n clients failed: ${said:-?}; server: $(server_said "$name" 0)"
	fi
	server_stop "$name"
	# Written at the server's exit: the storm's whole count.
	[ "$name" = cloister ] && [ -n "$BENCH_METRICS_DIR" ] &&
		cp "$BENCH_METRICS_DIR/tftpd.prom" "$BENCH_METRICS_DIR/S2-$client-$n-r$round.prom"
	rm -rf "$dir"
}

s2_main() {
	local round v client n name label
	say
	say "== S2: storms of clients started at once, one $S2_MIB MiB image"
	for ((round = 1; round <= BENCH_ROUNDS; round++)); do
		for v in "${S2_VARIANTS[@]}"; do
			read -r client n <<<"$v"
			[ -n "$BENCH_QUICK" ] && n=$((n / 8))
			label=$(storm_label "$client" "$n")
			for name in $BENCH_SERVERS; do
				storm "$name" "$client" "$n" "$round" "$label"
			done
		done
		say "  round $round of $BENCH_ROUNDS done"
	done
	show S2
}

# ---------------------------------------------------------------------------
# S3: small files

# WORKERS REQUESTS-PER-WORKER BLKSIZE
S3_VARIANTS=("1 1000 -" "1 1000 4096" "32 100 -" "32 100 4096")

s3_main() {
	local round v workers count blk name label line cpu0 cpu1 args from u log=$LOGDIR/s3.client.log
	say
	say "== S3: 4 KiB files, a new socket per request (our load client)"
	servers_start 127.0.0.1 lo download || die "S3: a server did not start"
	T_LIMIT=$BENCH_TIMEOUT
	for ((round = 1; round <= BENCH_ROUNDS; round++)); do
		for v in "${S3_VARIANTS[@]}"; do
			read -r workers count blk <<<"$v"
			label="1 client, $count requests in a row"
			[ "$workers" -gt 1 ] && label="$workers clients at once, $count requests each"
			args=(-c "$workers" -n "$count" -T 30)
			if [ "$blk" = - ]; then
				label+=", no options"
			else
				label+=", blksize $blk"
				args+=(-b "$blk")
			fi
			for name in $BENCH_SERVERS; do
				from=$(log_lines "$name")
				cpu0=$(srv_cpu "$name")
				timed "$log" "$LOADCLIENT" "${args[@]}" 127.0.0.1 "${PORT[$name]}" f4K "$ROOT/f4K"
				cpu1=$(srv_cpu "$name")
				line=$(grep '^requests=' "$log")
				tsv S3 "$label" "$name" "$round" "$(kv failed "$line")" failed_requests
				if [ "$T_RC" -eq 0 ] && [ -n "$line" ]; then
					tsv S3 "$label" "$name" "$round" "$(kv req_per_s "$line")" req/s
					tsv S3 "$label" "$name" "$round" "$(kv p50_us "$line")" p50_us
					tsv S3 "$label" "$name" "$round" "$(kv p99_us "$line")" p99_us
					tsv S3 "$label" "$name" "$round" "$(kv cpu_s "$line")" client_cpu_s
					tsv S3 "$label" "$name" "$round" "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.3f", b - a}')" server_cpu_s
				else
					for u in req/s p50_us p99_us; do
						tsv S3 "$label" "$name" "$round" failed "$u"
					done
					note_failure S3 "$label" "$name" "$round" \
						"$(kv failed "$line") of $(kv requests "$line") requests failed, e.g. $(grep -m1 '^loadclient:' "$log" | cut -c1-120); server: $(server_said "$name" "$from")"
				fi
				settle
			done
		done
		say "  round $round of $BENCH_ROUNDS done"
	done
	servers_stop
	show S3
}

# ---------------------------------------------------------------------------
# S4: loss

S4_RATES="1 5"
S4_VARIANTS=("atftp 1468 -" "atftp 1468 16" "tftp-hpa - -" "busybox 1468 -")

# One server namespace and, per loss rate, a client namespace joined to it
# by a veth pair: the server side is 10.99.RATE.1, the client 10.99.RATE.2.
# Both rates run at once, so a server has at most two transfers at a time,
# each on its own path. The veths carry one datagram per packet
# (gso_max_segs 1): a window sent with UDP GSO is cut into datagrams before
# it crosses, so each is lost on its own, as on a real link.
s4_setup() {
	local rate if_s if_c ns
	NS_S=cloister-bench-s$$
	ip netns add "$NS_S" || return 1
	LOSS_NS+=("$NS_S")
	ip -n "$NS_S" link set lo up || return 1
	S4_IFS=""
	for rate in $S4_RATES; do
		ns=cloister-bench-c$rate-$$ if_s=cb${rate}s$$ if_c=cb${rate}c$$
		ip netns add "$ns" || return 1
		LOSS_NS+=("$ns")
		ip link add "$if_s" netns "$NS_S" type veth peer name "$if_c" netns "$ns" &&
			ip -n "$NS_S" addr add "10.99.$rate.1/24" dev "$if_s" &&
			ip -n "$ns" addr add "10.99.$rate.2/24" dev "$if_c" &&
			ip -n "$NS_S" link set "$if_s" gso_max_segs 1 &&
			ip -n "$ns" link set "$if_c" gso_max_segs 1 &&
			ip -n "$ns" link set lo up &&
			ip -n "$NS_S" link set "$if_s" up && ip -n "$ns" link set "$if_c" up ||
			return 1
		S4_IFS+=" $if_s"
	done
	S4_IFS=${S4_IFS# }
}

# The rules of one end of one path: RATE % of UDP dropped on input.
s4_chain() {
	cat <<EOF
	chain loss$1 {
		meta l4proto udp counter comment "all UDP"
		udp length 12 @th,64,32 0x00040000 accept comment "ACK 0, see above"
		meta l4proto udp numgen random mod 100 < $1 counter drop
	}
EOF
}

# Drop RATE % of UDP on input at both ends of each path, so RATE % each
# way. Input only, unlike tests/integration/loss.sh: a drop on output makes
# the sender's sendto() fail with EPERM, which no real network does, and
# which tftp-hpa's server and client, busybox and atftp treat as fatal. The
# exception of loss.sh stays: ACK 0, the answer to an OACK, is never
# dropped, because atftp 0.8 aborts when the server resends its OACK (a
# client bug, tftp_file.c). A request may be lost on the server's input;
# every client sends it again.
s4_rules() {
	local rate
	{
		echo "table inet cloister_bench_loss {"
		echo "	chain in {"
		echo "		type filter hook input priority 0;"
		for rate in $S4_RATES; do
			echo "		iifname \"cb${rate}s$$\" jump loss$rate"
		done
		echo "	}"
		for rate in $S4_RATES; do
			s4_chain "$rate"
		done
		echo "}"
	} | ip netns exec "$NS_S" nft -f - || return 1
	LOSS_NFT+=("$NS_S")
	for rate in $S4_RATES; do
		{
			echo "table inet cloister_bench_loss {"
			echo "	chain in {"
			echo "		type filter hook input priority 0;"
			echo "		jump loss$rate"
			echo "	}"
			s4_chain "$rate"
			echo "}"
		} | ip netns exec "cloister-bench-c$rate-$$" nft -f - || return 1
		LOSS_NFT+=("cloister-bench-c$rate-$$")
	done
}

# s4_measured_loss RATE: the share of UDP the rules of that path dropped.
s4_measured_loss() {
	local ns all=0 dropped=0 a d
	for ns in "$NS_S" "cloister-bench-c$1-$$"; do
		read -r a d < <(ip netns exec "$ns" nft list chain inet cloister_bench_loss "loss$1" |
			sed -nE 's/.*counter packets ([0-9]+) .*/\1/p' | paste -sd ' ')
		all=$((all + ${a:-0}))
		dropped=$((dropped + ${d:-0}))
	done
	awk -v a="$all" -v d="$dropped" 'BEGIN {printf "%.2f %% of %d datagrams", a ? 100 * d / a : 0, a}'
}

# s4_lane NAME RATE: the server's transfers over the path of that rate, one
# at a time, the variants taking turns so that the time budget shortens
# every cell alike; results into files of its own (lanes run in parallel).
s4_lane() {
	local name=$1 rate=$2 port=${PORT[$1]} run v client blk win label start why from
	local ns=cloister-bench-c$rate-$$ srv=10.99.$rate.1
	local out=$OUT/s4.$name.$rate.bin log=$LOGDIR/s4.$name.$rate.client.log
	local -A ran=()
	RESULTS=$WORK/s4.$name.$rate.tsv
	FAILURES=$WORK/s4.$name.$rate.failures
	start=${EPOCHREALTIME%.*}
	T_LIMIT=$BENCH_LOSS_TIMEOUT
	for ((run = 1; run <= S4_RUNS; run++)); do
		for v in "${S4_VARIANTS[@]}"; do
			read -r client blk win <<<"$v"
			label="$rate % loss, $(variant_label "$client" "$blk" "$win")"
			if [ "$win" != - ] && [ "${GRANT_WIN[$name]:-0}" -le 1 ]; then
				[ "$run" = 1 ] && tsv S4 "$label" "$name" n/a "windowsize not granted" ms
				continue
			fi
			[ $((${EPOCHREALTIME%.*} - start)) -lt "$BENCH_LOSS_BUDGET" ] || break 2
			ran[$v]=1
			rm -f "$out"
			from=$(log_lines "$name")
			client_get "$client" "$blk" "$win" "$S4_FILE" "$out" "$srv" "$port"
			timed "$log" ip netns exec "$ns" "${CMD[@]}"
			if cmp -s "$out" "$ROOT/$S4_FILE" && { [ "$T_RC" -eq 0 ] || [ "$client" = tftp-hpa ]; }; then
				tsv S4 "$label" "$name" "$run" "$((T_US / 1000))" ms
				continue
			fi
			tsv S4 "$label" "$name" "$run" failed ms
			why="timed out after $BENCH_LOSS_TIMEOUT s"
			[ "$T_RC" -ne 124 ] && why="exit $T_RC after $((T_US / 1000)) ms: $(last_line "$log")"
			note_failure S4 "$label" "$name" "$run" \
				"$why, $(stat -c %s "$out" 2>/dev/null || echo 0) bytes; server: $(server_said "$name" "$from" "10.99.$rate.2")"
		done
	done
	for v in "${S4_VARIANTS[@]}"; do
		read -r client blk win <<<"$v"
		[ "$win" != - ] && [ "${GRANT_WIN[$name]:-0}" -le 1 ] && continue
		[ -n "${ran[$v]:-}" ] ||
			tsv S4 "$rate % loss, $(variant_label "$client" "$blk" "$win")" "$name" n/a \
				"not run within the time budget" ms
	done
	rm -f "$out"
}

s4_main() {
	local rate name pids f
	say
	say "== S4: $S4_MIB MiB over veth pairs losing 1 % and 5 % of UDP each way (both at once)"
	# The grants decide which cells exist; they do not depend on the link.
	if [ ${#GRANT_WIN[@]} -eq 0 ]; then
		servers_start 127.0.0.1 lo download || die "S4: a server did not start"
		for name in $BENCH_SERVERS; do
			probe_grants "$name"
		done
		servers_stop
	fi
	s4_setup || die "S4: cannot set up the namespaces"
	s4_rules || die "S4: cannot load the nftables rules"
	servers_start 0.0.0.0 "$S4_IFS" download "$NS_S" || die "S4: a server did not start"
	pids=()
	for name in $BENCH_SERVERS; do
		for rate in $S4_RATES; do
			(s4_lane "$name" "$rate") &
			pids+=($!)
		done
	done
	wait "${pids[@]}"
	for rate in $S4_RATES; do
		for name in $BENCH_SERVERS; do
			f=$WORK/s4.$name.$rate
			cat "$f.tsv" >>"$RESULTS" 2>/dev/null
			cat "$f.failures" >>"$FAILURES" 2>/dev/null
			rm -f "$f.tsv" "$f.failures"
		done
		meta "S4 measured loss at $rate %" "$(s4_measured_loss "$rate")"
		say "  $rate % path: dropped $(s4_measured_loss "$rate")"
	done
	servers_stop
	show S4
}

# ---------------------------------------------------------------------------
# S5: uploads

S5_VARIANTS=("atftp 1468 -" "atftp 1468 16" "tftp-hpa - -")

# probe_wrq NAME: does the server grant windowsize to a write request?
probe_wrq() {
	local line
	line=$("$RAWCLIENT" -t 2000 127.0.0.1 "${PORT[$1]}" wrq "up/.probe-$1" octet \
		blksize 1468 windowsize 16 2>&1 | head -n1)
	WRQ_WIN[$1]=$(sed -nE 's/^OACK.* windowsize=([0-9]+).*/\1/p' <<<"$line")
	WRQ_WIN[$1]=${WRQ_WIN[$1]:-1}
	meta "grants $1 to a WRQ" "${line:-no answer} (asked blksize 1468, windowsize 16)"
}

s5_run() {
	local client=$1 blk=$2 win=$3 name=$4 round=$5 label=$6 port=${PORT[$4]}
	local remote=up/$name.$round.$RANDOM log=$LOGDIR/s5.client.log cpu0 cpu1 from
	from=$(log_lines "$name")
	cpu0=$(srv_cpu "$name")
	case $client in
	tftp-hpa) CMD=(tftp -m binary 127.0.0.1 "$port" -c put "$S5_SRC" "$remote") ;;
	atftp)
		CMD=(atftp --option "blksize $blk")
		[ "$win" != - ] && CMD+=(--option "windowsize $win")
		CMD+=(-p -l "$S5_SRC" -r "$remote" 127.0.0.1 "$port")
		;;
	esac
	timed "$log" "${CMD[@]}"
	cpu1=$(srv_cpu "$name")
	if cmp -s "$S5_SRC" "$ROOT/$remote" && { [ "$T_RC" -eq 0 ] || [ "$client" = tftp-hpa ]; }; then
		tsv S5 "$label" "$name" "$round" "$(mbps "$S5_BYTES" "$T_US")" MB/s
		tsv S5 "$label" "$name" "$round" "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.3f", b - a}')" server_cpu_s
	else
		tsv S5 "$label" "$name" "$round" failed MB/s
		[ "$T_RC" -eq 124 ] && TIMED_OUT[$label/$name]=1
		await_line "$name"
		note_failure S5 "$label" "$name" "$round" \
			"exit $T_RC after $((T_US / 1000)) ms, $(stat -c %s "$ROOT/$remote" 2>/dev/null || echo 0) bytes arrived: $(last_line "$log"); server: $(server_said "$name" "$from")"
	fi
	rm -f "$ROOT/$remote"
	settle
}

s5_main() {
	local v client blk win name servers=""
	say
	say "== S5: one $S5_MIB MiB WRQ over loopback"
	for name in $BENCH_SERVERS; do
		if [ "$name" = dnsmasq ]; then
			for v in "${S5_VARIANTS[@]}"; do
				read -r client blk win <<<"$v"
				tsv S5 "$(variant_label "$client" "$blk" "$win")" dnsmasq n/a "no uploads in dnsmasq" MB/s
			done
			continue
		fi
		servers+=" $name"
		server_start "$name" 127.0.0.1 lo upload || die "S5: $name did not start"
		probe_wrq "$name"
	done
	T_LIMIT=$BENCH_TIMEOUT
	variant_rounds S5 S5_VARIANTS WRQ_WIN 1 s5_run "$servers"
	for name in $servers; do
		server_stop "$name"
	done
	show S5
}

# ---------------------------------------------------------------------------
# The machine, the versions, the command

command_line() {
	local c=${BENCH_COMMAND:-tests/bench/bench.sh} v
	for v in BENCH_ROUNDS BENCH_ONLY BENCH_SERVERS BENCH_LOSS_RUNS BENCH_LOSS_BUDGET \
		BENCH_TIMEOUT BENCH_LOSS_TIMEOUT BENCH_QUICK BENCH_OUTDIR BENCH_TMPDIR BENCH_KEEP \
		BENCH_POLL_IDLE BENCH_METRICS_DIR; do
		# Only what the caller set: the defaults are in this script.
		if printenv "$v" >/dev/null; then
			case ${!v} in
			*[!A-Za-z0-9_./-]*) c+=" $v='${!v}'" ;;
			*) c+=" $v=${!v}" ;;
			esac
		fi
	done
	echo "$c"
}

describe_run() {
	local commit dirty=""
	commit=$(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ "$commit" != unknown ] && ! git -C "$top_srcdir" diff --quiet HEAD -- 2>/dev/null; then
		dirty=" (with uncommitted changes)"
	fi
	meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
	meta nproc "$(nproc)"
	meta cpu "$(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	meta memory "$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	meta kernel "$(uname -sr)"
	meta distribution "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")"
	meta commit "$commit$dirty"
	meta command "$(command_line)"
	meta rounds "$BENCH_ROUNDS"
	meta loss_runs "$BENCH_LOSS_RUNS"
	meta loss_budget "$BENCH_LOSS_BUDGET"
	meta timeout "$BENCH_TIMEOUT"
	meta loss_timeout "$BENCH_LOSS_TIMEOUT"
	meta scenarios "$BENCH_ONLY"
	meta servers "$BENCH_SERVERS"
	[ -n "$BENCH_QUICK" ] && meta quick "yes: small files and storms, figures not comparable"
	meta "version tftp-hpa" "$("$PEERS/usr/sbin/in.tftpd" -V 2>&1 | head -n1)"
	meta "version atftpd" "$(dpkg-deb -f "$PEERS"/debs/atftpd_*.deb Version 2>/dev/null)"
	meta "version dnsmasq" "$(dnsmasq --version | head -n1 | sed -E 's/ +Copyright.*//')"
	meta "version atftp" "$(dpkg-query -W -f '${Version}' atftp 2>/dev/null)"
	meta "version tftp-hpa tftp" "$(dpkg-query -W -f '${Version}' tftp-hpa 2>/dev/null)"
	meta "version busybox" "$(busybox 2>&1 | head -n1 | sed -E 's/ multi-call.*//')"
	meta "version gnuplot" "$(gnuplot --version)"
	describe_servers
}

make_files() {
	head -c "$S1_BYTES" /dev/urandom >"$ROOT/$S1_FILE" &&
		head -c "$S2_BYTES" /dev/urandom >"$ROOT/$S2_FILE" &&
		head -c "$S4_BYTES" /dev/urandom >"$ROOT/$S4_FILE" &&
		head -c 4096 /dev/urandom >"$ROOT/f4K" &&
		head -c "$S5_BYTES" /dev/urandom >"$S5_SRC" &&
		chmod 644 "$ROOT"/f* || die "cannot write the files to serve"
}

inner_main() {
	local t0=$SECONDS s t
	inner_setup
	S1_MIB=256 S2_MIB=8 S4_MIB=4 S5_MIB=64 S4_RUNS=$BENCH_LOSS_RUNS
	if [ -n "$BENCH_QUICK" ]; then
		S1_MIB=16 S5_MIB=8 S0_MIB=16
	fi
	S1_FILE=f${S1_MIB}M S2_FILE=f${S2_MIB}M S4_FILE=f${S4_MIB}M
	S1_BYTES=$((S1_MIB << 20)) S2_BYTES=$((S2_MIB << 20)) S4_BYTES=$((S4_MIB << 20))
	S5_BYTES=$((S5_MIB << 20)) S5_SRC=$WORK/src/upload.bin
	make_files
	describe_run
	say "cloister benchmark: $(nproc) cores, $(uname -r), commit $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null)"
	say "scenarios: $BENCH_ONLY; servers: $BENCH_SERVERS; $BENCH_ROUNDS rounds"
	say "peer settings:"
	awk -F'\t' '$1 ~ /^settings / {sub(/^settings /, "", $1); printf "  %-9s %s\n", $1, $2}' "$META"
	poll_idle_start
	for s in S0 S1 S2 S3 S4 S5; do
		wanted "$s" || continue
		t=$SECONDS
		"${s,,}_main"
		meta "duration $s" "$(((SECONDS - t) / 60)) min $(((SECONDS - t) % 60)) s"
	done
	meta duration "$(((SECONDS - t0) / 60)) min $(((SECONDS - t0) % 60)) s"
	echo
	bash "$REPORT" text "$RESULTS" cpu "$META"
	mkdir -p "$BENCH_OUTDIR/bench" || die "cannot write to $BENCH_OUTDIR"
	cp "$RESULTS" "$BENCH_OUTDIR/bench/results.tsv"
	cp "$META" "$BENCH_OUTDIR/bench/meta.tsv"
	cp "$FAILURES" "$BENCH_OUTDIR/bench/failures.tsv"
	bash "$REPORT" md "$RESULTS" "$META" "$FAILURES" "$BENCH_OUTDIR" ||
		die "the report could not be written"
	say
	say "bench: $(((SECONDS - t0) / 60)) min $(((SECONDS - t0) % 60)) s; wrote $BENCH_OUTDIR/BENCHMARKS.md and $BENCH_OUTDIR/bench/"
}

if [ -z "${BENCH_NETNS:-}" ]; then
	outer_main "$@"
else
	inner_main "$@"
fi
