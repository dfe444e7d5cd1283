#!/bin/bash
# orphans.sh - children die with their monitor; a restart waits for no one.
#
# The monitor is killed with SIGKILL while a child runs a transfer: within
# 1 s no process of that instance is left (none naming its root, none of
# its children's PIDs), and a new tftpd on the same address and port is
# ready within 1 s of the kill and serves. The same during an upload: after
# the restart no temporary upload file is left anywhere in the root, and
# the cut upload's target does not exist.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd cmp timeout find ss

plan 15

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/big.bin" 1048576
UP=$ROOT/up
mkdir "$UP" && chown nobody "$UP" || bail "upload directory"
SRC=$TMPBASE/src
mkdir "$SRC"
make_file "$SRC/slow" 102400 # 200 blocks of 512
OUT=$TMPBASE/out
mkdir "$OUT"
PORT=$(free_port) || bail "no free port"
q='"'
# Every instance: the same address, port and root; many retries, so that a
# held transfer does not end on its own; uploads allowed, so that each
# start removes what a killed one left.
ARGS=(-v -c --retries=30 --listen=127.0.0.1:"$PORT" "$ROOT")

now_ms() {
	local t
	t=$(date +%s%N)
	echo $((t / 1000000))
}

# left PID...: what is left of an instance: the PIDs given that still run,
# and every process whose command line names ROOT (a forked child has the
# monitor's). Only builtins in the scan, so that it is quick under load.
left() {
	local p d cmd args
	{
		for p in "$@"; do
			proc_alive "$p" && echo "$p"
		done
		for d in /proc/[0-9]*; do
			p=${d#/proc/}
			[ "$p" = "$$" ] && continue
			mapfile -d '' -t args 2>/dev/null <"$d/cmdline" || continue
			cmd=${args[*]}
			case $cmd in
			*"$ROOT"*) proc_alive "$p" && echo "$p" ;;
			esac
		done
	} | sort -u
}

# kill_monitor: SIGKILL to the monitor; then wait (up to 3 s) until nothing
# of its instance is left. Sets KILLED_MS (the time of the kill), GONE_MS
# (how long until nothing was left) and LEFT (what was left at the end).
kill_monitor() {
	local old
	old="$TFTPD_PID $(tftpd_children "$TFTPD_PID" | tr '\n' ' ')"
	diag "the instance: monitor $TFTPD_PID, children $(tftpd_children "$TFTPD_PID" | tr '\n' ' ')"
	KILLED_MS=$(now_ms)
	kill -KILL "$TFTPD_PID"
	wait "$TFTPD_PID" 2>/dev/null
	for (( ; ; )); do
		# shellcheck disable=SC2086
		LEFT=$(left $old)
		GONE_MS=$(($(now_ms) - KILLED_MS))
		{ [ -z "$LEFT" ] || [ "$GONE_MS" -gt 3000 ]; } && break
		sleep 0.02
	done
}

# A busy child must notice on its own: PR_SET_PDEATHSIG is sent with the
# dying monitor's credentials, which may not signal a child of another
# uid, so the child watches its socketpair's hang-up while it waits.

# gone_within_1s WHAT: judged; what is left is then killed here, so that
# the test can go on.
gone_within_1s() {
	local p
	if [ -z "$LEFT" ] && [ "$GONE_MS" -le 1000 ]; then
		pass "$1: within 1 s no process of the old instance is left (${GONE_MS} ms)"
	else
		fail "$1: within 1 s no process of the old instance is left (${GONE_MS} ms)"
		for p in $LEFT; do
			diag "left after ${GONE_MS} ms: $p (PPid $(proc_field "$p" PPid)," \
				"$(proc_field "$p" State)) $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		done
		diag "UDP sockets on port $PORT:"$'\n'"$(ss -Huanp "sport = :$PORT" 2>&1)"
		for p in $LEFT; do
			kill -KILL "$p" 2>/dev/null
		done
		# shellcheck disable=SC2086
		wait_for 5 eval '[ -z "$(left $LEFT)" ]' || bail "cannot end what is left: $LEFT"
	fi
}

# restart WHAT: a new tftpd on the same address and port; ready within 1 s
# of the kill.
restart() {
	local ms
	start_tftpd "${ARGS[@]}" || bail "tftpd did not start again"
	ms=$(($(now_ms) - KILLED_MS))
	if [ "$ms" -le 1000 ]; then
		pass "$1: a new tftpd on 127.0.0.1:$PORT is ready within 1 s of the kill (${ms} ms)"
	else
		fail "$1: a new tftpd on 127.0.0.1:$PORT is ready within 1 s of the kill (${ms} ms)"
	fi
}

n_get=0
get_ok() {
	n_get=$((n_get + 1))
	timeout 30 "$RAWCLIENT" 127.0.0.1 "$PORT" get "$1" "$OUT/$1.$n_get" >/dev/null &&
		cmp -s "$ROOT/$1" "$OUT/$1.$n_get"
}

# temps: temporary upload files anywhere in the root.
temps() {
	find "$ROOT" -name '.tftpd-upload.*' -printf '%P (%s bytes)\n'
}

# ---- a download held busy in a child --------------------------------------
start_tftpd "${ARGS[@]}" || bail "tftpd did not start"
wait_for 5 children_at_least 2
HOLD=$OUT/hold
"$RAWCLIENT" -t 3000 -a 1 127.0.0.1 "$PORT" hold big.bin 30 >"$HOLD" &
HOLD_PID=$!
wait_for 5 test -s "$HOLD"
wait_log 5 "transfer [0-9]+ start RRQ .*file=${q}big\.bin$q"
BUSY=$(log_child "file=${q}big\.bin$q")
if [ -n "$BUSY" ] && proc_alive "$BUSY"; then
	pass "download: held busy in child $BUSY"
else
	fail "download: held busy in a child"
	diag "$(cat "$HOLD")"
fi
kill_monitor
gone_within_1s "download"
restart "download"
check "download: the new tftpd serves a download, intact" get_ok big.bin
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null

# ---- an upload in progress ---------------------------------------------------
PUT=$OUT/put
# A slow upload: 100 ms before each block, 20 s in all.
"$RAWCLIENT" -d 100 -t 3000 127.0.0.1 "$PORT" put up/cut.bin "$SRC/slow" >"$PUT" 2>&1 &
PUT_PID=$!
wait_log 5 "transfer [0-9]+ start WRQ .*file=${q}up/cut\.bin$q"
UPCHILD=$(log_child "file=${q}up/cut\.bin$q")
# Some blocks are written, into the temporary file.
growing() {
	[ -n "$(find "$UP" -maxdepth 1 -name '.tftpd-upload.*' -size +1k)" ]
}
wait_for 5 growing
if [ -n "$UPCHILD" ] && proc_alive "$UPCHILD" && growing; then
	pass "upload: in progress in child $UPCHILD, into $(temps | paste -sd " ")"
else
	fail "upload: in progress in a child, into a temporary file"
	diag "child: ${UPCHILD:-?}; temporary files: $(temps | tr '\n' ' '); client: $(cat "$PUT")"
fi
kill_monitor
gone_within_1s "upload"
stale=$(temps)
if [ -n "$stale" ]; then
	pass "upload: the killed instance left its temporary file ($(echo $stale))"
else
	fail "upload: the killed instance left its temporary file"
fi
restart "upload"
left_temps=$(temps)
is "$left_temps" "" "upload: after the restart no temporary upload file is left in the root"
check "upload: ... the restart says it removed it" log_has "removed 1 stale temporary upload files?"
check "upload: the cut upload's target does not exist" test ! -e "$UP/cut.bin"
# The client, still sending its blocks to the port, gets nothing stored.
sleep 1
kill "$PUT_PID" 2>/dev/null
wait "$PUT_PID" 2>/dev/null
diag "the cut client printed: $(tr '\n' ';' <"$PUT")"
check "upload: ... nor after its client went on sending to the new instance" test ! -e "$UP/cut.bin"
got=$(timeout 60 "$RAWCLIENT" 127.0.0.1 "$PORT" put up/cut.bin "$SRC/slow")
if cmp -s "$SRC/slow" "$UP/cut.bin"; then
	pass "upload: the same name can be uploaded whole to the new instance"
else
	fail "upload: the same name can be uploaded whole to the new instance"
	diag "client: $got"
fi
is "$(temps)" "" "upload: no temporary file is left after it"
check "the new tftpd is still running" proc_alive "$TFTPD_PID"

finish
