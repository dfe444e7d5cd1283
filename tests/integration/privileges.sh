#!/bin/bash
# privileges.sh - what the monitor and its children may do, read from /proc.
#
# With one transfer held in flight (DATA 1 never acknowledged), the monitor
# must be chrooted into ROOT, run as the service user with only the four
# capabilities it needs in its permitted set and none effective; every child
# (the busy one and the spares) must be chrooted, seccomp-filtered, with
# no_new_privs, no capability at all, and a uid of its own.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd python3 realpath stat

plan 29

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/big.bin" 1048576
RROOT=$(realpath "$ROOT")
PORT=$(free_port) || bail "no free port"
HOLD=$TMPBASE/hold.out
ZERO=0000000000000000

# Many retries so that the held transfer outlives the checks below.
start_tftpd -v --retries=30 --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"
M=$TFTPD_PID
wait_for 5 children_at_least 1

"$RAWCLIENT" -t 3000 -a 1 127.0.0.1 "$PORT" hold big.bin 15 >"$HOLD" &
HOLD_PID=$!
wait_for 5 test -s "$HOLD"
is "$(head -n1 "$HOLD")" "DATA block=1 len=512" "a transfer is in flight (DATA 1, never acknowledged)"

q='"'
start_re="transfer [0-9]+ start RRQ client=127\.0\.0\.1:[0-9]+ file=${q}big\.bin$q mode=octet child=[0-9]+"
wait_log 5 "$start_re"
BUSY=$(grep -Eo "$start_re" "$TFTPD_LOG" | tail -n1 | sed 's/.*child=//')
diag "busy child (from the log): ${BUSY:-none}"

wait_for 3 children_at_least 2
CHILDREN=$(tftpd_children "$M" | tr '\n' ' ')
diag "children of the monitor $M: $CHILDREN"
n_children=$(echo $CHILDREN | wc -w)
if [ "$n_children" -ge 2 ]; then
	pass "the monitor has at least 2 children: the busy one and a spare ($n_children)"
else
	fail "the monitor has at least 2 children: the busy one and a spare ($n_children)"
fi
like " $CHILDREN " " ${BUSY:-none} " "the busy child named in the log is a child of the monitor"

# ---- the monitor
for f in Uid Gid Groups CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do
	diag "monitor $f: $(proc_field "$M" "$f")"
done
read -r m_ruid m_euid m_suid m_fsuid <<<"$(proc_field "$M" Uid)"
read -r m_rgid m_egid m_sgid m_fsgid <<<"$(proc_field "$M" Gid)"
if [ -n "${m_ruid:-}" ] && [ "$m_ruid" != 0 ] && [ "$m_euid" != 0 ] &&
	[ "$m_suid" != 0 ] && [ "$m_fsuid" != 0 ]; then
	pass "monitor: no uid is 0 (real, effective, saved, fs)"
else
	fail "monitor: no uid is 0 (real, effective, saved, fs)"
fi
if [ -n "${m_rgid:-}" ] && [ "$m_rgid" != 0 ] && [ "$m_egid" != 0 ] &&
	[ "$m_sgid" != 0 ] && [ "$m_fsgid" != 0 ]; then
	pass "monitor: no gid is 0 (real, effective, saved, fs)"
else
	fail "monitor: no gid is 0 (real, effective, saved, fs)"
fi
unlike " $(proc_field "$M" Groups) " ' 0 ' "monitor: not in supplementary group 0"
is "$(proc_field "$M" CapEff)" "$ZERO" "monitor: CapEff is 0"
is "$(proc_field "$M" Seccomp)" 2 "monitor: under its seccomp deny-list (filter mode)"
is "$(proc_field "$M" NoNewPrivs)" 1 "monitor: no_new_privs"
# CAP_NET_BIND_SERVICE is kept only for a port below 1024 (units-boot.sh
# sees it kept on port 69); this one is not.
is "$(proc_field "$M" CapPrm)" 00000000000001e0 \
	"monitor: CapPrm is exactly kill, setgid, setuid, setpcap (no port below 1024)"
is "$(proc_root "$M")" "$RROOT" "monitor: chrooted into ROOT"
# The files in /proc/PID (not the directory itself) belong to root instead
# of the process's user when it is not dumpable (kernel task_dump_owner).
is "$(stat -c %u "/proc/$M/status")" 0 "monitor: not dumpable"

# ---- every child
# every_child DESCRIPTION FUNCTION: one TAP line; FUNCTION PID prints why a
# child fails (nothing when it passes). A child that is gone is not judged,
# but all of them gone is a failure.
every_child() {
	local desc=$1 fn=$2 c why bad='' seen=0
	for c in $CHILDREN; do
		[ -r "/proc/$c/status" ] || continue
		seen=$((seen + 1))
		why=$("$fn" "$c")
		[ -n "$why" ] && bad+="child $c: $why"$'\n'
	done
	if [ "$seen" -gt 0 ] && [ -z "$bad" ]; then
		pass "$desc ($seen children)"
	else
		fail "$desc ($seen children)"
		[ -n "$bad" ] && diag "${bad%$'\n'}"
	fi
}

field_is() { # PID FIELD WANT
	local got
	got=$(proc_field "$1" "$2")
	[ "$got" = "$3" ] || echo "$2 is '$got', want '$3'"
}
c_seccomp() { field_is "$1" Seccomp 2; }
c_nnp() { field_is "$1" NoNewPrivs 1; }
c_capeff() { field_is "$1" CapEff "$ZERO"; }
c_capprm() { field_is "$1" CapPrm "$ZERO"; }
c_capinh() { field_is "$1" CapInh "$ZERO"; }
c_capamb() { field_is "$1" CapAmb "$ZERO"; }
c_capbnd() { field_is "$1" CapBnd "$ZERO"; }
ids_ok() { # PID FIELD MONITOR_ID
	local a b c d
	read -r a b c d <<<"$(proc_field "$1" "$2")"
	if [ -z "${a:-}" ] || [ "$a" != "$b" ] || [ "$a" != "$c" ] || [ "$a" != "$d" ]; then
		echo "$2 fields differ: $a $b $c $d"
	elif [ "$a" = 0 ]; then
		echo "$2 is 0"
	elif [ "$a" = "$3" ]; then
		echo "$2 is the monitor's ($3)"
	fi
}
c_uid() { ids_ok "$1" Uid "$m_ruid"; }
c_gid() { ids_ok "$1" Gid "$m_rgid"; }
c_groups() {
	case " $(proc_field "$1" Groups) " in
	*" 0 "*) echo "in supplementary group 0" ;;
	esac
}
c_root() {
	local r
	r=$(proc_root "$1")
	[ "$r" = "$RROOT" ] || echo "root is '$r'"
}
# Only the socketpair, stderr and (busy) the job's two fds; stderr is
# /dev/null, so a subverted child cannot write lines into the log. Builds
# for debugging (sanitizers, --enable-seccomp-debug) keep the monitor's
# stderr in children on purpose, to show a report or a forbidden call.
DEBUG_BUILD=no
grep -Eq '^#define (CLOISTER_SANITIZED|SECCOMP_DEBUG) 1' "$top_builddir/config.h" &&
	DEBUG_BUILD=yes
c_fds() {
	local fd t extra=""
	for fd in /proc/"$1"/fd/*; do
		t=$(readlink "$fd")
		case "${fd##*/}:$t:$DEBUG_BUILD" in
		[012]:/dev/null:* | 2:*:yes | *:socket:*:* | *:"$RROOT"/*) ;;
		*) extra+=" ${fd##*/}->$t" ;;
		esac
	done
	[ -z "$extra" ] || echo "unexpected fds:$extra"
	[ "$DEBUG_BUILD" = yes ] || [ "$(readlink "/proc/$1/fd/2")" = /dev/null ] ||
		echo "stderr is not /dev/null"
}
c_fdcount() {
	local n
	n=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 ! -name 2 -lname '*' ! -lname /dev/null |
		wc -l)
	[ "$n" -le 3 ] || echo "$n fds open besides stderr and /dev/null"
}
c_dumpable() {
	local o
	o=$(stat -c %u "/proc/$1/status")
	[ "$o" = 0 ] || echo "dumpable (/proc/$1/status owned by $o)"
}

for c in $CHILDREN; do
	diag "child $c: Uid $(proc_field "$c" Uid); Gid $(proc_field "$c" Gid);" \
		"Seccomp $(proc_field "$c" Seccomp); NoNewPrivs $(proc_field "$c" NoNewPrivs)"
done
every_child "children: Seccomp 2 (filter mode)" c_seccomp
every_child "children: NoNewPrivs 1" c_nnp
every_child "children: CapEff 0" c_capeff
every_child "children: CapPrm 0" c_capprm
every_child "children: CapInh 0" c_capinh
every_child "children: CapAmb 0" c_capamb
every_child "children: CapBnd 0 (bounding set cleared)" c_capbnd
every_child "children: one uid in all four fields, neither 0 nor the monitor's" c_uid
every_child "children: one gid in all four fields, neither 0 nor the monitor's" c_gid
every_child "children: not in supplementary group 0" c_groups
every_child "children: chrooted into ROOT" c_root
every_child "children: not dumpable" c_dumpable
every_child "children: stderr is /dev/null, other fds only sockets or the served file" c_fds
every_child "children: at most 3 fds besides stderr and /dev/null (socketpair, file, transfer socket)" c_fdcount

# The busy child on its own, in case it was not listed above.
if [ -n "$BUSY" ] && [ -r "/proc/$BUSY/status" ]; then
	why=$(c_seccomp "$BUSY")$(c_nnp "$BUSY")$(c_capeff "$BUSY")$(c_capprm "$BUSY")
	why+=$(c_capbnd "$BUSY")$(c_uid "$BUSY")$(c_root "$BUSY")
	is "$why" "" "the busy child: seccomp, no_new_privs, no capabilities, own uid, chrooted"
else
	fail "the busy child: seccomp, no_new_privs, no capabilities, own uid, chrooted"
	diag "busy child '${BUSY:-}' not found"
fi

check "the busy child was still running the transfer after the checks" proc_alive "${BUSY:-none}"
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
check "the monitor is still running" proc_alive "$M"

finish
