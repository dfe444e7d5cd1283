#!/bin/bash
# cli.sh - command line, start-up failures and shutdown of tftpd.
#
# Usage errors exit 2 and runtime failures at start exit 1, each with a
# message on stderr and without leaving a process behind; a second server on
# a busy port fails without disturbing the first; SIGTERM ends the monitor
# and its children.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built

plan 32

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 100
PORT=$(free_port) || bail "no free port"
LISTEN=--listen=127.0.0.1:$PORT
failed_roots=()

# run_tftpd NAME ARG...: tftpd in the foreground, at most 10 s; sets RC,
# OUT and ERR (the contents of stdout and stderr).
run_tftpd() {
	local name=$1
	shift
	timeout -k 2 10 "$TFTPD" "$@" </dev/null >"$TMPBASE/$name.out" 2>"$TMPBASE/$name.err"
	RC=$?
	OUT=$(cat "$TMPBASE/$name.out")
	ERR=$(cat "$TMPBASE/$name.err")
}

# A root of its own for every start that must fail, so that a process it
# left behind can be found by its command line.
fresh_root() {
	local r
	r=$(make_root) || bail "make_root"
	failed_roots+=("$r")
	echo "$r"
}

run_tftpd help --help
is "$RC" 0 "--help exits 0"
like "$OUT" '--listen' "--help prints a usage on stdout that mentions --listen"

run_tftpd version --version
is "$RC" 0 "--version exits 0"
like "$OUT" '[0-9]+\.[0-9]+' "--version prints a version number on stdout"

r=$(fresh_root)
run_tftpd badopt --no-such-option "$LISTEN" "$r"
is "$RC" 2 "an unknown option exits 2"
like "$ERR" '.' "an unknown option gives a message on stderr"

r=$(fresh_root)
run_tftpd badlisten --listen=bad "$r"
is "$RC" 2 "--listen=bad exits 2"
like "$ERR" '.' "--listen=bad gives a message on stderr"

r=$(fresh_root)
run_tftpd badport --listen=127.0.0.1:99999 "$r"
is "$RC" 2 "--listen=127.0.0.1:99999 (port out of range) exits 2"

r=$(fresh_root)
run_tftpd tworoots "$LISTEN" "$r" "$ROOT"
is "$RC" 2 "two ROOT arguments exit 2"

r=$(fresh_root)
run_tftpd badretries --retries=abc "$LISTEN" "$r"
is "$RC" 2 "--retries=abc exits 2"

missing="$TMPBASE/no-such-root-$$"
failed_roots+=("$missing")
run_tftpd missing "$LISTEN" "$missing"
is "$RC" 1 "a missing ROOT exits 1"
like "$ERR" "$missing" "the message for a missing ROOT names it"

plainfile="$TMPBASE/plain-file-$$"
: >"$plainfile"
failed_roots+=("$plainfile")
run_tftpd notdir "$LISTEN" "$plainfile"
is "$RC" 1 "a ROOT that is not a directory exits 1"

r=$(fresh_root)
run_tftpd baduser --user=no-such-user-cloister "$LISTEN" "$r"
is "$RC" 1 "an unknown --user exits 1"
like "$ERR" '.' "an unknown --user gives a message on stderr"

# A server, then a second one on its port.
if start_tftpd --grace=2 "$LISTEN" "$ROOT"; then
	pass "tftpd $LISTEN ROOT starts and logs ready"
else
	fail "tftpd $LISTEN ROOT starts and logs ready"
fi
FIRST_PID=$TFTPD_PID
FIRST_LOG=$TFTPD_LOG
like "$(grep -E '(^|: )ready' "$FIRST_LOG")" "ready.*$ROOT.*127\.0\.0\.1:$PORT" \
	"the ready line names the root and the listening address"

r=$(fresh_root)
run_tftpd busy "$LISTEN" "$r"
is "$RC" 1 "a second server on a port in use exits 1"
like "$ERR" '.' "the second server gives a message on stderr"
unlike "$ERR" '(^|: )ready(:| |$)' "the second server never says ready"

check "the first server is still running after the second failed" proc_alive "$FIRST_PID"
reply=$("$RAWCLIENT" -t 2000 127.0.0.1 "$PORT" rrq a.bin)
is "$reply" "DATA block=1 len=100" "the first server still serves (DATA 1 of a 100-byte file)"

# Let a failed start's stray children, if any, show up before looking.
sleep 0.5
left=""
for r in "${failed_roots[@]}"; do
	left+=$(procs_naming "$r")
done
is "$left" "" "no process is left behind by any failed start"

children=$(tftpd_children "$FIRST_PID")
diag "children of the first server before SIGTERM: $(echo $children)"
if stop_tftpd "$FIRST_PID"; then
	pass "SIGTERM ends the server within 10 s"
else
	fail "SIGTERM ends the server within 10 s"
fi
diag "exit status after SIGTERM: $TFTPD_STATUS"

children_gone() {
	local c
	for c in $children; do
		proc_alive "$c" && return 1
	done
	return 0
}
if [ -n "$children" ] && wait_for 5 children_gone; then
	pass "the children end with the server"
else
	fail "the children end with the server"
	diag "children before: '$(echo $children)'; still alive:"
	for c in $children; do
		proc_alive "$c" && diag "$c: $(tr '\0' ' ' <"/proc/$c/cmdline")"
	done
fi

# The descriptor limit: a low soft limit is raised to what the defaults
# need; a low hard limit lowers the limits of transfers, with a warning; a
# hard limit too low for anything stops the start.
open_files() {
	awk '/^Max open files/ { print $4 " " $5 }' "/proc/$1/limits"
}
( ulimit -Sn 256; exec "$TFTPD" "$LISTEN" "$ROOT" </dev/null >/dev/null 2>"$TMPBASE/nofile.err" ) &
NOFILE_PID=$!
_started_pids+=("$NOFILE_PID")
wait_for 10 _tftpd_ready "$TMPBASE/nofile.err" "$NOFILE_PID" || diag_file "$TMPBASE/nofile.err"
read -r soft hard <<<"$(open_files "$NOFILE_PID")"
diag "open files of a monitor started with a soft limit of 256: ${soft:-?} (hard ${hard:-?})"
check "a soft limit of 256 is raised to what the defaults need (16450, or the hard limit)" \
	test "${soft:-0}" -ge 16450 -o "${soft:-0}" = "${hard:-1}"
stop_tftpd "$NOFILE_PID" >/dev/null
( ulimit -n 1024; exec "$TFTPD" --listen=127.0.0.1:"$PORT" "$ROOT" </dev/null >/dev/null \
	2>"$TMPBASE/nofile-hard.err" ) &
NOFILE_PID=$!
_started_pids+=("$NOFILE_PID")
if wait_for 10 _tftpd_ready "$TMPBASE/nofile-hard.err" "$NOFILE_PID"; then
	pass "under a hard limit of 1024 open files tftpd still starts"
else
	fail "under a hard limit of 1024 open files tftpd still starts"
	diag_file "$TMPBASE/nofile-hard.err"
fi
like "$(cat "$TMPBASE/nofile-hard.err")" \
	'descriptor limit \(1024\) holds --max-transfers=[0-9]+ and --max-requests=[0-9]+, not 1024 and 4096' \
	"... and says which limits of transfers it lowered to fit"
reply=$("$RAWCLIENT" -t 2000 127.0.0.1 "$PORT" rrq a.bin)
is "$reply" "DATA block=1 len=100" "... and serves"
stop_tftpd "$NOFILE_PID" >/dev/null
( ulimit -n 100; exec timeout -k 2 10 "$TFTPD" --listen=127.0.0.1:"$PORT" "$ROOT" </dev/null \
	>/dev/null 2>"$TMPBASE/nofile-none.err" )
is "$?" 1 "under a hard limit of 100 open files tftpd exits 1"
like "$(cat "$TMPBASE/nofile-none.err")" "descriptor limit \\(100\\) is too low" \
	"... saying the descriptor limit is too low"

finish
