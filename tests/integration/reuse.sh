#!/bin/bash
# reuse.sh - a child serves one client address for its whole life.
#
# Read from the -v log and from /proc, not from the server's own word:
#  - clients at 127.0.0.2 and 127.0.0.3 fetching alternately: every child
#    ran transfers of one address only;
#  - forty downloads in a row from one address, each from a new port (a
#    boot loader): at most two children run them, and hardly any are forked;
#  - with a transfer of 127.0.0.2 held busy and a child of 127.0.0.3 idle
#    after its download: the busy child's UDP sockets are connected to its
#    own client only, idle children hold no UDP socket at all, and no child
#    holds a socket connected to another address;
#  - after --child-linger, the idle child is gone.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd python3 cmp timeout ps find

plan 17

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 5000
make_file "$ROOT/b.bin" 1500
make_file "$ROOT/boot.bin" 2000
make_file "$ROOT/big.bin" 1048576
PORT=$(free_port) || bail "no free port"
OUT=$TMPBASE/out
mkdir "$OUT"
HOLD=$TMPBASE/hold.out
LINGER=2
A=127.0.0.2
B=127.0.0.3
C=127.0.0.4

# Many retries: the held transfer must outlive the checks.
start_tftpd -v --retries=30 --child-linger=$LINGER --listen=127.0.0.1:"$PORT" "$ROOT" ||
	bail "tftpd did not start"
M=$TFTPD_PID
wait_for 5 children_at_least 2

# get_from ADDR FILE: download FILE from the client address ADDR (a new
# socket, so a new port), intact.
n_get=0
get_from() {
	n_get=$((n_get + 1))
	timeout 30 "$RAWCLIENT" -b "$1" 127.0.0.1 "$PORT" get "$2" "$OUT/$2.$n_get" >/dev/null &&
		cmp -s "$ROOT/$2" "$OUT/$2.$n_get"
}

# starts [ADDR]: "CHILD ADDR" for every "transfer N start" line (of ADDR).
starts() {
	sed -nE 's/.* transfer [0-9]+ start [A-Z]+ client=([0-9.]+):[0-9]+ .* child=([0-9]+)$/\2 \1/p' \
		"$TFTPD_LOG" | awk -v a="${1:-}" 'a == "" || $2 == a'
}

# ---- two addresses, alternately ------------------------------------------
bad=0
for ((i = 0; i < 20; i++)); do
	get_from "$A" a.bin || bad=$((bad + 1))
	get_from "$B" b.bin || bad=$((bad + 1))
done
is "$bad" 0 "40 alternating downloads from $A and $B are intact"
is "$(starts | wc -l)" 40 "the log has 40 transfer start lines, each naming its child"
map=$(starts | sort | uniq -c | awk '{ print $2 ": " $1 " transfers of " $3 }')
diag "children:"$'\n'"$map"
mixed=$(starts | sort -u | awk '{ n[$1]++ } END { for (c in n) if (n[c] > 1) print c }')
is "$mixed" "" "each child ran transfers of exactly one address"
if [ "$(starts "$A" | wc -l)" -eq 20 ] && [ "$(starts "$B" | wc -l)" -eq 20 ]; then
	pass "the log has 20 transfers of each address"
else
	fail "the log has 20 transfers of each address"
fi

# ---- one address, forty downloads in a row ---------------------------------
# Every live child of the monitor, sampled, until the file $1 is removed.
sample_children() {
	while [ -e "$1" ]; do
		ps --ppid "$M" -o pid=,stat= | awk '$2 !~ /^Z/ { print $1 }'
		sleep 0.05
	done
}
before=$(tftpd_children "$M" | sort)
SAMPLING=$TMPBASE/sampling
touch "$SAMPLING"
sample_children "$SAMPLING" >"$TMPBASE/samples" &
SAMPLER=$!
bad=0
for ((i = 0; i < 40; i++)); do
	get_from "$C" boot.bin || bad=$((bad + 1))
done
rm -f "$SAMPLING"
wait "$SAMPLER"
is "$bad" 0 "40 downloads in a row from $C, each from a new port, are intact"
runners=$(starts "$C" | awk '{ print $1 }' | sort -u)
n_runners=$(echo $runners | wc -w)
diag "children that ran them: $(echo $runners)"
if [ "$n_runners" -ge 1 ] && [ "$n_runners" -le 2 ]; then
	pass "they were run by at most 2 children ($n_runners)"
else
	fail "they were run by at most 2 children ($n_runners)"
fi
forked=$(sort -u "$TMPBASE/samples" | comm -13 <(echo "$before") -)
n_forked=$(echo $forked | wc -w)
diag "children before: $(echo $before); new children seen meanwhile: $(echo $forked)"
if [ "$n_forked" -le 4 ]; then
	pass "at most 4 children were forked for them ($n_forked seen)"
else
	fail "at most 4 children were forked for them ($n_forked seen)"
fi

# ---- descriptors of a busy child and of idle ones ----------------------------
# The socket tables, read through the monitor's network namespace. In
# /proc/net/udp an IPv4 address is the 32-bit word in host byte order.
LITTLE=no
[ "$(printf '\001\000' | od -An -tx2 | tr -d ' ')" = 0001 ] && LITTLE=yes
hex_ip4() { # 8 hex digits -> a.b.c.d
	local h=$1
	if [ "$LITTLE" = yes ]; then
		printf '%d.%d.%d.%d' "0x${h:6:2}" "0x${h:4:2}" "0x${h:2:2}" "0x${h:0:2}"
	else
		printf '%d.%d.%d.%d' "0x${h:0:2}" "0x${h:2:2}" "0x${h:4:2}" "0x${h:6:2}"
	fi
}
hex_addr() { # HEXADDR:HEXPORT of /proc/net/udp or udp6 -> ADDR:PORT
	local a=${1%:*} p=${1#*:}
	case ${#a} in
	8) printf '%s:%d' "$(hex_ip4 "$a")" "0x$p" ;;
	32)
		# v4-mapped (::ffff:a.b.c.d): word 3 is 0000FFFF in host order
		if [ "${a:0:16}" = 0000000000000000 ] &&
			{ [ "${a:16:8}" = 0000FFFF ] || [ "${a:16:8}" = FFFF0000 ]; }; then
			printf '%s:%d' "$(hex_ip4 "${a:24:8}")" "0x$p"
		else
			printf '[%s]:%d' "$a" "0x$p"
		fi
		;;
	*) printf '%s' "$1" ;;
	esac
}

# snapshot: what every child holds, one line per fd: "CHILD FD WHAT", WHAT
# being "udp LOCAL REMOTE", "unix", "socket:[N]" (of no table we read), or
# the fd's target. Taken in one go, read afterwards. A child not yet under
# its seccomp filter may still hold the monitor's descriptors, which its
# jail closes before it reads anything: it is listed as "CHILD - starting".
TABLES=$TMPBASE/sockets
snapshot() {
	local c
	{
		awk 'FNR > 1 { print $10, "udp", $2, $3 }' "/proc/$M/net/udp" "/proc/$M/net/udp6"
		awk 'FNR > 1 { print $7, "unix" }' "/proc/$M/net/unix"
	} >"$TABLES"
	for c in $(tftpd_children "$M"); do
		if [ "$(proc_field "$c" Seccomp)" != 2 ]; then
			echo "$c - starting"
			continue
		fi
		find "/proc/$c/fd" -mindepth 1 -maxdepth 1 -printf "$c %f %l\n" 2>/dev/null
	done | awk '
		NR == FNR {
			what[$1] = $2 == "udp" ? ("udp " $3 " " $4) : "unix"
			next
		}
		{
			w = $3
			if (match(w, /^socket:\[[0-9]+\]$/)) {
				ino = substr(w, 9, length(w) - 9)
				if (ino in what)
					w = what[ino]
			}
			print $1, $2, w
		}' "$TABLES" -
}
# udp_of CHILD: "LOCAL REMOTE" of each UDP socket it holds, decoded.
udp_of() {
	local c kind l r
	while read -r c _ kind l r; do
		[ "$c" = "$1" ] && [ "$kind" = udp ] && echo "$(hex_addr "$l") $(hex_addr "$r")"
	done <<<"$SNAP"
}

"$RAWCLIENT" -t 3000 -a 1 -b "$A" 127.0.0.1 "$PORT" hold big.bin 30 >"$HOLD" &
HOLD_PID=$!
q='"'
hold_re="transfer [0-9]+ start RRQ client=${A//./\\.}:[0-9]+ file=${q}big\.bin$q mode=octet child=[0-9]+"
wait_for 5 test -s "$HOLD"
wait_log 5 "$hold_re"
hold_line=$(grep -Eo "$hold_re" "$TFTPD_LOG" | tail -n1)
BUSY=${hold_line##*child=}
HOLD_CLIENT=$(printf '%s\n' "$hold_line" | sed -nE 's/.* client=([0-9.]+:[0-9]+) .*/\1/p')
if [ -n "$BUSY" ] && proc_alive "$BUSY"; then
	pass "a transfer of $A is held busy in child $BUSY (client $HOLD_CLIENT)"
else
	fail "a transfer of $A is held busy in a child"
	diag "$(cat "$HOLD")"
fi

# An idle child of B: its download just ended, so it is within its linger
# time; retried in case a loaded machine took longer than that to look.
IDLE='' SNAP=''
for ((try = 1; try <= 3; try++)); do
	get_from "$B" b.bin || continue
	IDLE=$(starts "$B" | tail -n1 | awk '{ print $1 }')
	SNAP=$(snapshot)
	grep -q "^$IDLE " <<<"$SNAP" && break
done
if [ -n "$IDLE" ] && grep -q "^$IDLE " <<<"$SNAP"; then
	pass "the child of $B ($IDLE) idles after its download, within its linger time"
else
	fail "the child of $B (${IDLE:-?}) idles after its download, within its linger time"
fi
kids=$(awk '$2 != "-" { print $1 }' <<<"$SNAP" | sort -un)
for c in $(awk '$2 == "-" { print $1 }' <<<"$SNAP"); do
	diag "child $c: still being jailed, not judged"
done
for c in $kids; do
	role=spare
	[ "$c" = "$BUSY" ] && role="busy, $A"
	[ "$c" = "$IDLE" ] && role="idle, $B"
	[ "$role" = spare ] && [ -n "$(starts | awk -v c="$c" '$1 == c')" ] &&
		role="idle, $(starts | awk -v c="$c" '$1 == c { print $2; exit }')"
	diag "child $c ($role): fds$(awk -v c="$c" '$1 == c { printf " %s=%s", $2, $3 }' <<<"$SNAP")"
	for u in $(udp_of "$c" | tr ' ' '>'); do
		diag "  udp socket: local ${u%>*}, remote ${u#*>}"
	done
done

busy_udp=$(udp_of "$BUSY")
others=$(printf '%s\n' "$busy_udp" | awk -v want="$HOLD_CLIENT" 'NF && $2 != want')
if [ -n "$busy_udp" ] && [ -z "$others" ]; then
	pass "the busy child's UDP sockets are connected to its own client only ($HOLD_CLIENT)"
else
	fail "the busy child's UDP sockets are connected to its own client only ($HOLD_CLIENT)"
	diag "busy child's UDP sockets (local remote): ${busy_udp:-none}"
fi
if [ -n "$IDLE" ] && [ -z "$(udp_of "$IDLE")" ]; then
	pass "the idle child of $B holds no UDP socket"
else
	fail "the idle child of $B holds no UDP socket"
	diag "$(udp_of "${IDLE:-none}")"
fi
holders=
for c in $kids; do
	[ "$c" = "$BUSY" ] && continue
	[ -n "$(udp_of "$c")" ] && holders+=" $c"
done
is "$holders" "" "no child but the busy one holds a UDP socket ($(echo $kids | wc -w) children)"
# Every socket of every child connected to the address that child ran (a
# spare ran none): the address from the log, the connection from the
# kernel's socket tables.
wrong=
for c in $kids; do
	own=$(starts | awk -v c="$c" '$1 == c { print $2 }' | sort -u)
	while read -r l r; do
		[ -n "$r" ] || continue
		[ "${r%:*}" = "$own" ] || wrong+="child $c (ran ${own:-nothing}): $l -> $r"$'\n'
	done <<<"$(udp_of "$c")"
done
is "$wrong" "" "no child holds a socket connected to an address it does not serve"
other=$(awk '$3 ~ /^socket:/' <<<"$SNAP")
is "$other" "" "every socket of every child is UDP or the socketpair (AF_UNIX)"

# ---- after the linger time ----------------------------------------------------
if [ -n "$IDLE" ] && wait_for $((LINGER + 10)) _pid_gone "$IDLE"; then
	pass "after --child-linger=$LINGER the idle child of $B is gone"
else
	fail "after --child-linger=$LINGER the idle child of $B is gone"
fi
check "the busy child still runs its held transfer" proc_alive "${BUSY:-none}"
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
check "the monitor is still running" proc_alive "$M"

finish
