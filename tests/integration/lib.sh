# shellcheck shell=bash
#
# lib.sh - shared helpers for cloister's integration tests.
#
# Sourced (by bash) from each tests/integration/*.sh. Provides:
#   TAP         plan, pass, fail, check, is, like, unlike, same_bytes, diag,
#               finish, bail
#   skipping    skip_all, require_root, require_cmd, require_built
#   fixtures    make_root, make_file, free_port, req_hex, str_hex
#   the daemon  start_tftpd (TFTPD_PREFIX), stop_tftpd, tftpd_children,
#               wait_log, log_count, log_child
#   /proc       proc_field, proc_root, proc_alive
#   waiting     wait_for (every wait is bounded)
#   cleanup     on_exit (mounts, network namespaces, nft tables ...)
#   machine     run_alone (heavy or load-sensitive tests, one at a time)
# and an EXIT trap that kills every process the test started, runs the
# on_exit commands and removes every temporary file (kept when
# CLOISTER_KEEP_TMP is set).
#
# Skipping: a skipped file prints "1..0 # SKIP reason" and exits 0, which is
# how the TAP driver (build-aux/tap-driver.sh) counts a skip: it reports any
# non-zero exit status, 77 included, as an ERROR. Under CI (when $CI is set)
# a missing client is a failure instead, so that a broken image cannot turn
# the suite green by skipping it.

set -u

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
TFTPD="$top_builddir/tftpd"
RAWCLIENT="$top_builddir/tests/rawclient"
# What the daemon reads and writes must not depend on the caller's locale.
export LC_ALL=C
# Sanitizer builds: the monitor is chrooted and not dumpable, so
# LeakSanitizer (which needs /proc and ptrace) cannot run at its exit.
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

# ---------------------------------------------------------------------------
# TAP

_tap_planned=0
_tap_run=0
_tap_failed=0

plan() {
	_tap_planned=$1
	echo "1..$1"
}

# _tap_line STATUS DESCRIPTION: '#' would start a TAP directive.
_tap_line() {
	local desc=${2//#/no.}
	_tap_run=$((_tap_run + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_run - $desc"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_run - $desc"
	fi
}

pass() { _tap_line 0 "$1"; }
fail() { _tap_line 1 "$1"; }

# skip_test DESCRIPTION REASON: counts as run, never as failed.
skip_test() {
	_tap_run=$((_tap_run + 1))
	echo "ok $_tap_run - ${1//#/no.} # SKIP ${2//#/no.}"
}

# diag TEXT...: every line prefixed with "# ".
diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

# diag_file FILE [MAXLINES]: show (the end of) a file as diagnostics.
diag_file() {
	[ -e "$1" ] || { diag "($1: missing)"; return; }
	diag "--- $(basename "$1") (last ${2:-20} lines):"
	diag "$(tail -n "${2:-20}" "$1")"
}

# check DESCRIPTION COMMAND...: passes when COMMAND exits 0.
check() {
	local desc=$1
	shift
	if "$@"; then
		pass "$desc"
	else
		fail "$desc"
		diag "command failed: $*"
	fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "got:  '$1'"
		diag "want: '$2'"
	fi
}

# same_bytes WANT GOT DESCRIPTION [LOG]: the files are byte for byte the
# same; else cmp's word on it, and the last lines of LOG (a client's).
same_bytes() {
	if cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "$(cmp "$1" "$2" 2>&1)"
		[ -n "${4:-}" ] && diag_file "$4" 5
	fi
}

# like GOT ERE DESCRIPTION / unlike GOT ERE DESCRIPTION
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "got:  '$1'"
		diag "want: /$2/"
	fi
}

unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3"
		diag "got:      '$1'"
		diag "must not: /$2/"
	else
		pass "$3"
	fi
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# finish: end of a test file; the exit status says whether all passed.
finish() {
	if [ "$_tap_run" -ne "$_tap_planned" ]; then
		diag "planned $_tap_planned tests but ran $_tap_run"
		exit 1
	fi
	[ "$_tap_failed" -eq 0 ] || exit 1
	exit 0
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (chroot, user switch, /proc of other users)"
}

# require_cmd NAME...: a missing client skips the file, or fails it under CI.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		if [ -n "${CI:-}" ]; then
			bail "required command '$c' is missing (CI is set, so this is a failure)"
		fi
		skip_all "required command '$c' is missing"
	done
}

# The daemon and rawclient are build products: missing means a broken build.
require_built() {
	[ -x "$TFTPD" ] || bail "$TFTPD not built"
	[ -x "$RAWCLIENT" ] || bail "$RAWCLIENT not built"
}

# ---------------------------------------------------------------------------
# Bounded waiting

# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s; 0 once it succeeds,
# 1 when SECONDS have passed or COMMAND returned 125 ("stop waiting").
wait_for() {
	local tenths=$(($1 * 10)) i rc
	shift
	for ((i = 0; i <= tenths; i++)); do
		"$@"
		rc=$?
		[ "$rc" -eq 0 ] && return 0
		[ "$rc" -eq 125 ] && return 1
		[ "$i" -lt "$tenths" ] && sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------------------
# Temporary files and fixtures

TMPBASE=$(mktemp -d /tmp/cloister-it.XXXXXX) || bail "mktemp failed"
chmod 755 "$TMPBASE"

_started_pids=()
_exit_hooks=()

# on_exit COMMAND: run COMMAND (a shell string, eval'd) at exit, after every
# process the test started is gone (so that a mount is no longer busy) and
# before the temporary directory is removed; the latest registered runs first.
on_exit() {
	_exit_hooks+=("$1")
}

cleanup() {
	# Quietly: bash reports every job it reaps after a SIGKILL.
	_cleanup 2>/dev/null
}

_cleanup() {
	local pid c cmd
	# Everything this test started: each daemon, its children, and every
	# process whose command line names our temporary directory (clients,
	# orphaned children of a daemon that died).
	for pid in "${_started_pids[@]}"; do
		for c in $(pgrep -P "$pid" 2>/dev/null); do
			kill -KILL "$c" 2>/dev/null
		done
		kill -KILL "$pid" 2>/dev/null
	done
	for c in /proc/[0-9]*; do
		pid=${c#/proc/}
		[ "$pid" = "$$" ] && continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"$c/cmdline") || continue
		case $cmd in
		*"$TMPBASE"*) kill -KILL "$pid" 2>/dev/null ;;
		esac
	done
	for pid in $(jobs -p); do
		kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	local i
	for ((i = ${#_exit_hooks[@]} - 1; i >= 0; i--)); do
		eval "${_exit_hooks[$i]}"
	done
	# CLOISTER_KEEP_TMP=1 keeps logs and fixtures for a post-mortem.
	if [ -n "${CLOISTER_KEEP_TMP:-}" ]; then
		echo "# kept $TMPBASE" >&2
	else
		rm -rf "$TMPBASE"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# make_root: a fresh served directory, world-searchable; prints its path.
# veth_pair: namespaces NS_SRV and NS_CLI (removed at exit) joined by a
# veth pair IF_SRV--IF_CLI of MTU 1500, SRV_ADDR/24 and CLI_ADDR/24 on its
# ends, loopback up in both; bails out on failure.
veth_pair() {
	ip netns add "$NS_SRV" || bail "cannot create a network namespace"
	on_exit "ip netns del '$NS_SRV' 2>/dev/null"
	ip netns add "$NS_CLI" || bail "cannot create a network namespace"
	on_exit "ip netns del '$NS_CLI' 2>/dev/null"
	ip link add "$IF_SRV" netns "$NS_SRV" mtu 1500 type veth peer name "$IF_CLI" \
		netns "$NS_CLI" mtu 1500 || bail "cannot create a veth pair"
	ip -n "$NS_SRV" addr add "$SRV_ADDR/24" dev "$IF_SRV" &&
		ip -n "$NS_CLI" addr add "$CLI_ADDR/24" dev "$IF_CLI" &&
		ip -n "$NS_SRV" link set lo up && ip -n "$NS_CLI" link set lo up &&
		ip -n "$NS_SRV" link set "$IF_SRV" up && ip -n "$NS_CLI" link set "$IF_CLI" up ||
		bail "cannot configure the veth pair"
}

make_root() {
	local d
	d=$(mktemp -d "$TMPBASE/root.XXXXXX") || return 1
	chmod 755 "$d"
	echo "$d"
}

# make_file PATH SIZE_IN_BYTES: random content, mode 0644.
make_file() {
	mkdir -p "$(dirname "$1")"
	head -c "$2" /dev/urandom >"$1" && chmod 0644 "$1"
}

# free_port [4|6|46]: a UDP port free on 127.0.0.1 and/or ::1, outside the
# ephemeral range so that clients' source ports cannot take it meanwhile.
free_port() {
	python3 - "${1:-4}" <<'EOF'
import random, socket, sys
fams = {"4": [(socket.AF_INET, "127.0.0.1")], "6": [(socket.AF_INET6, "::1")]}
fams["46"] = fams["4"] + fams["6"]
for _ in range(200):
    port = random.randint(20000, 32000)
    socks = []
    try:
        for fam, addr in fams[sys.argv[1]]:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind((addr, port))
        print(port)
        sys.exit(0)
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
sys.exit(1)
EOF
}

have_ipv6() {
	[ -e /proc/net/if_inet6 ] && grep -q ' lo$' /proc/net/if_inet6
}

# str_hex STRING: the bytes of STRING in hex (no NUL added).
str_hex() {
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

# req_hex OPCODE FIELD...: a request datagram in hex: the 2-byte opcode,
# then every FIELD followed by its NUL.
req_hex() {
	local f
	printf '%04x' "$1"
	shift
	for f in "$@"; do
		str_hex "$f"
		printf '00'
	done
}

# ---------------------------------------------------------------------------
# The daemon

TFTPD_PID=
TFTPD_LOG=
TFTPD_STATUS=
# A command that execs its arguments, to run the daemon through, e.g.
# (ip netns exec NAME): the process keeps its PID.
TFTPD_PREFIX=()

# start_tftpd ARG...: run $TFTPD ARG... in the background, stderr to a new
# log file ($TFTPD_LOG), and wait up to 10 s for its "ready" line. Sets
# TFTPD_PID. Returns 1 (with the log as diagnostics) if it is not ready.
start_tftpd() {
	TFTPD_LOG=$(mktemp "$TMPBASE/tftpd.XXXXXX") || return 1
	"${TFTPD_PREFIX[@]}" "$TFTPD" "$@" </dev/null >"$TFTPD_LOG.stdout" 2>"$TFTPD_LOG" &
	TFTPD_PID=$!
	_started_pids+=("$TFTPD_PID")
	if wait_for 10 _tftpd_ready "$TFTPD_LOG" "$TFTPD_PID"; then
		return 0
	fi
	diag "tftpd $* did not become ready within 10 s"
	diag_file "$TFTPD_LOG"
	return 1
}

# "ready" as a word after "tftpd: ": "already in use" must not match.
_tftpd_ready() {
	grep -Eq '(^|: )ready(:|$| )' "$1" && return 0
	# Stop waiting for a daemon that is gone.
	proc_alive "$2" || return 125
	return 1
}

# proc_alive PID: running and not a zombie.
proc_alive() {
	local state
	state=$(proc_field "$1" State 2>/dev/null) || return 1
	case $state in
	Z* | X* | "") return 1 ;;
	esac
	return 0
}

# stop_tftpd [PID]: SIGTERM, wait up to 10 s, then SIGKILL. Sets
# TFTPD_STATUS to the exit status (128+N for signal N). Returns 0 when it
# ended on SIGTERM, 1 when it needed SIGKILL.
stop_tftpd() {
	local pid=${1:-$TFTPD_PID} rc=0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	if ! wait_for 10 _pid_gone "$pid"; then
		diag "tftpd $pid ignored SIGTERM for 10 s; SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		rc=1
	fi
	wait "$pid" 2>/dev/null
	# shellcheck disable=SC2034 # for the tests
	TFTPD_STATUS=$?
	return $rc
}

# Gone or a zombie waiting for us to reap it.
_pid_gone() {
	! proc_alive "$1"
}

# tftpd_children [PID]: the monitor's live children, one PID per line.
tftpd_children() {
	local c
	for c in $(pgrep -P "${1:-$TFTPD_PID}" 2>/dev/null); do
		proc_alive "$c" && echo "$c"
	done
}

# children_at_least N [PID]
children_at_least() {
	[ "$(tftpd_children "${2:-$TFTPD_PID}" | wc -l)" -ge "$1" ]
}

# log_count ERE [LOG]: number of matching log lines.
log_count() {
	grep -Ec -- "$1" "${2:-$TFTPD_LOG}"
}

# log_has ERE [LOG]
log_has() {
	grep -Eq -- "$1" "${2:-$TFTPD_LOG}"
}

# wait_log SECONDS ERE [LOG]: wait for a matching line.
wait_log() {
	wait_for "$1" log_has "$2" "${3:-$TFTPD_LOG}"
}

# log_child ERE [LOG]: the child=PID of the last "transfer N start" line
# that also matches ERE (needs -v); empty when there is none.
log_child() {
	grep -E -- "transfer [0-9]+ start .*$1" "${2:-$TFTPD_LOG}" | tail -n1 |
		sed -nE 's/.* child=([0-9]+).*/\1/p'
}

# procs_naming STRING: PIDs (other than ours) whose command line contains
# STRING, e.g. a daemon's unique root directory.
procs_naming() {
	local c pid cmd
	for c in /proc/[0-9]*; do
		pid=${c#/proc/}
		[ "$pid" = "$$" ] && continue
		proc_alive "$pid" || continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"$c/cmdline") || continue
		case $cmd in
		*"$1"*) echo "$pid" ;;
		esac
	done
}

# ---------------------------------------------------------------------------
# /proc

# proc_field PID FIELD: the value of "FIELD:" in /proc/PID/status, with
# runs of white space turned into single spaces ("Uid" -> "0 0 0 0").
proc_field() {
	local line
	line=$(grep -m1 "^$2:" "/proc/$1/status" 2>/dev/null) || return 1
	line=${line#*:}
	# shellcheck disable=SC2086
	set -- $line
	echo "$*"
}

# proc_root PID: where /proc/PID/root points (the process's root directory).
proc_root() {
	readlink "/proc/$1/root"
}

# ---------------------------------------------------------------------------
# tests that must not share the machine

# run_alone: wait until no other test that called run_alone is running, and
# hold that until this test exits. For tests that load both cores (storms,
# floods, big files) and for tests whose clients cannot survive the loss
# such load causes on loopback (node-tftp's windowed reader), under
# `make -jN check`. The lock is an fd held open: it goes with the process.
run_alone() {
	local lock="$top_builddir/tests/integration/.run-alone.lock"
	exec 8>>"$lock" || bail "cannot open $lock"
	flock 8 || bail "cannot lock $lock"
}
