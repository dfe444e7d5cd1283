#!/bin/bash
# remap-hpa.sh - tftp-hpa remap files, served by the real in.tftpd and by us.
#
# tftp-hpa 5.2's in.tftpd (-m MAP) is the reference for src/remap.c. Each
# group below is a remap file and requests for it; every file in the root
# contains its own name, so a download says which file a name was mapped
# to. Each request goes first to in.tftpd, whose answer must be the one in
# the table (this pins the table, and through it tests/check-remap.c, to
# the real thing), then to our tftpd --map-file with the same file, whose
# answer must be in.tftpd's. Answers: "file:NAME", "error:CODE:TEXT",
# "stored" (an upload went through) or "none".
#
# in.tftpd comes from $IN_TFTPD, /usr/sbin/in.tftpd, the benchmark's
# unpacked copy, or Debian's tftpd-hpa package unpacked here.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd tftp timeout python3 ss

find_hpa() {
	local c d
	for c in "${IN_TFTPD:-}" /usr/sbin/in.tftpd /var/cache/cloister-bench/usr/sbin/in.tftpd; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
	done
	command -v apt-get >/dev/null 2>&1 || return 1
	d=$TMPBASE/hpa
	mkdir -p "$d/debs" &&
		(cd "$d/debs" && apt-get download tftpd-hpa >/dev/null 2>&1) &&
		dpkg -x "$d"/debs/tftpd-hpa_*.deb "$d" || return 1
	[ -x "$d/usr/sbin/in.tftpd" ] && echo "$d/usr/sbin/in.tftpd"
}
# As require_cmd: under CI a missing reference is a failure, not a skip.
no_reference() {
	[ -n "${CI:-}" ] && bail "$1 (CI is set, so this is a failure)"
	skip_all "$1"
}
HPA=$(find_hpa) || no_reference "no tftp-hpa in.tftpd (set IN_TFTPD, or install tftpd-hpa)"
"$HPA" -V 2>&1 | grep -q 'with remap' || no_reference "$HPA was built without remap"

ROOT=$(make_root) || bail "make_root"
OUT=$TMPBASE/out
mkdir "$OUT"
FILES=(a b c d x 'c[b]a' bbb baa e2 public locked gp pg2 four2 six both hello 'a#b' cba 'a[bb]c'
	127.0.0.1 7F000001 7f000001 x7F000001 host-127.0.0.1/cfg pxelinux.0 ABC-x boot/x)
for f in "${FILES[@]}"; do
	mkdir -p "$ROOT/$(dirname "$f")"
	printf '%s' "$f" >"$ROOT/$f"
	chmod 0644 "$ROOT/$f"
done
chmod -R a+rX "$ROOT"

# The table: "group MAPTEXT" (printf %b), then "req OP NAME WANT WHY" lines.
TABLE=$(
	cat <<'EOF'
group 'r ^b$ c\nrs ^a$ b\n'
req get a file:b 's' resumes at the second rule: rule 1 is not tried again
group 'r ^x$ y\nr ^b$ c\nrs ^a$ b\n'
req get a file:c after 's' the second rule is tried again
group 'r ^ip1$ \\i\nr ^ip2$ \\x\nr ^ip3$ \\L\\x\nr ^ip4$ x\\x\nr ^ip5$ \\U\\i\nr ^(cfg)$ host-\\i/\\1\n'
req get ip1 file:127.0.0.1 \i is the client address as dotted quad
req get ip2 file:7F000001 \x is the address in 8 upper-case hex digits
req get ip3 file:7f000001 \L lower-cases \x
req get ip4 file:x7F000001 \x after literal text
req get ip5 file:127.0.0.1 \U leaves digits and dots alone
req get cfg file:host-127.0.0.1/cfg a per-client directory from \i and a group
group 'ri ^PXE(.*)$ pxe\\L\\1\nr ^u(.*)$ \\U\\1\\E-x\n'
req get PXELINUX.0 file:pxelinux.0 'i' matches case-insensitively, \L lower-cases a group
req get pxelinux.0 file:pxelinux.0 'i' also matches the lower-case name
req get uabc file:ABC-x \U upper-cases until \E
group 'r ^(.)(.)(.)$ \\3\\2\\1\n'
req get abc file:cba \1 to \3 are the groups
group 'r b+ [\\0]\nr \\.0$\n'
req get abbc file:a[bb]c \0 is the whole match, the rest stays
req get x.0 file:x r without a replacement deletes the match
group 'r ^(.)(.)(.)$ \\3\\2\\1\nr b+ [\\0]\n'
req get abc file:c[b]a every rule runs, on what the previous ones made
group 'rg a b\n'
req get aaa file:bbb 'g' repeats on the whole name until no match
group 'r a b\n'
req get aaa file:baa without 'g' only the first match
group 're ^e1$ e2\nr ^e2$ e3\n'
req get e1 file:e2 'e' ends processing when it matches
group 'a ^secret\na ^private go\\ away\n'
req get secretfile error:2:Access_denied 'a' refuses with the standard text
req get privatefile error:2:go_awayfile 'a' sends its text with the match replaced in the name
req get public file:public a name no 'a' rule matches
group 'a~ ^boot/\n'
req get etc error:2:Access_denied '~' refuses what does not match
req get boot/x file:boot/x '~' lets through what matches
group 'aP ^locked\nrGP ^gp$ gp2\nrPG ^pg$ pg2\n'
req put locked error:2:Access_denied 'P' rules apply to WRQ
req get locked file:locked 'P' rules do not apply to RRQ
req get gp file:gp of 'G' and 'P' the last wins: GP is a PUT rule
req get pg file:pg2 PG is a GET rule
group 'r4 ^four$ four2\nr6 ^six$ six2\nr46 ^both$ both2\n'
req get four file:four2 '4' rules apply to an IPv4 client
req get six file:six '6' rules do not
req get both file:both '4' and '6' together apply to no client
group 'r ^esc$ \\h\\e\\l\\l\\o\nr ^hash$ a\\#b\nr ^c0$ d#comment\nr ^tf$ b c d\n  # indented comment\n\n'
req get esc file:hello any other escaped letter is itself
req get hash file:a#b \# is a literal hash mark
req get c0 file:d an unescaped # starts a comment
req get tf file:b fields after the replacement are ignored
group 'r ^nul$ b\0 c\nr b d\n'
req get nul file:d a NUL byte ends its line
group 'r ^$ x\ns .\n'
req get a error:2:Remap_table_failure an endless restart loop meets the step limit
group STEPS1024
req get a file:a 1024 applicable rules are tried
group STEPS1025
req get a error:2:Remap_table_failure the 1025th is refused
EOF
)

# Bad files: in.tftpd refuses to start (EX_CONFIG, 78).
BAD=('rq ^a$ b\n' 'r~ ^a$ b\n' 'r\n' 'r (\n' 'r [a x\n' 'r#a b\n')

n_req=$(grep -c '^req ' <<<"$TABLE")
plan $((2 * n_req + 2 * ${#BAD[@]}))

MAP=$TMPBASE/map
write_map() {
	case $1 in
	STEPS*) for ((i = 0; i < ${1#STEPS}; i++)); do echo 'i .'; done >"$MAP" ;;
	*) printf '%b' "$1" >"$MAP" ;;
	esac
}

port_bound() {
	ss -Hnlu "sport = :$1" | grep -q .
}

HPA_PID=
HPA_PORT=
start_hpa() {
	HPA_PORT=$(free_port) || bail "no free port"
	"$HPA" -L -a "127.0.0.1:$HPA_PORT" -s "$ROOT" -m "$MAP" </dev/null >/dev/null 2>&1 &
	HPA_PID=$!
	_started_pids+=("$HPA_PID")
	wait_for 5 port_bound "$HPA_PORT"
}

stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

OUR_PID=
OUR_PORT=
start_ours() {
	OUR_PID=
	OUR_PORT=$(free_port) || bail "no free port"
	start_tftpd --create --map-file="$MAP" --listen=127.0.0.1:"$OUR_PORT" "$ROOT" || return 1
	OUR_PID=$TFTPD_PID
}

# answer PORT OP NAME: what the server at PORT does with the request.
answer() {
	local log=$OUT/log
	rm -f "$OUT/got" "$log"
	if [ "$2" = put ]; then
		echo upload >"$OUT/up"
		timeout 20 tftp -m binary 127.0.0.1 "$1" -c put "$OUT/up" "$3" >"$log" 2>&1
	else
		timeout 20 tftp -m binary 127.0.0.1 "$1" -c get "$3" "$OUT/got" >"$log" 2>&1
	fi
	if grep -q '^Error code' "$log"; then
		# Spaces as '_': the table splits on white space.
		sed -n 's/^Error code \([0-9]*\): \(.*\)$/error:\1:\2/p' "$log" | head -n1 | tr ' ' _
	elif [ "$2" = get ] && [ -s "$OUT/got" ]; then
		echo "file:$(cat "$OUT/got")"
	elif [ "$2" = put ] && ! grep -qi 'timed out' "$log"; then
		echo stored
	else
		echo none
	fi
}

run_group_requests() {
	local op name want why got ours
	while read -r op name want why; do
		[ -n "$op" ] || continue
		got=$(answer "$HPA_PORT" "$op" "$name")
		is "$got" "$want" "in.tftpd: $op $name: $why"
		if [ -z "$OUR_PID" ]; then
			fail "tftpd: $op $name as in.tftpd (tftpd did not start)"
		else
			ours=$(answer "$OUR_PORT" "$op" "$name")
			is "$ours" "$got" "tftpd: $op $name as in.tftpd"
		fi
	done
}

# Feed each group's requests with its map in place and both servers up.
flush_group() {
	[ -n "$1" ] || return 0
	write_map "$1"
	start_hpa || diag "in.tftpd did not bind port $HPA_PORT for map $1"
	start_ours || true
	run_group_requests <<<"$2"
	stop_pid "$HPA_PID"
	[ -n "$OUR_PID" ] && stop_tftpd "$OUR_PID"
}

group=
reqs=
while read -r kind rest; do
	case $kind in
	group)
		flush_group "$group" "$reqs"
		eval "group=$rest"
		reqs=
		;;
	req) reqs+="$rest"$'\n' ;;
	esac
done <<<"$TABLE"
flush_group "$group" "$reqs"

for text in "${BAD[@]}"; do
	write_map "$text"
	port=$(free_port) || bail "no free port"
	timeout 10 "$HPA" -L -a "127.0.0.1:$port" -s "$ROOT" -m "$MAP" </dev/null >/dev/null 2>&1
	is "$?" 78 "in.tftpd refuses to start with the map '$text'"
	timeout 10 "$TFTPD" --map-file="$MAP" --listen=127.0.0.1:"$port" "$ROOT" \
		</dev/null >"$OUT/bad.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "$MAP:[0-9]" "$OUT/bad.out"; then
		pass "tftpd refuses the map '$text' and names the line"
	else
		fail "tftpd refuses the map '$text' and names the line"
		diag "exit $rc"
		diag_file "$OUT/bad.out" 5
	fi
done

finish
