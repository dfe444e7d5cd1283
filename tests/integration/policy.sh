#!/bin/bash
# policy.sh - the operator's rules, as real clients see them.
#
# Names (the root's own path as a prefix, strip-prefix, default-file,
# backslash, lowercase); aliases per client from a configuration file,
# most specific first, IPv6 keys too; one-time aliases, used up only by a
# download that succeeded, also across a restart; a tftp-hpa map file;
# --map-test and --check-config, and the FILE:LINE of a bad line;
# write-only, wrq-devnull and upload-dir-per-client; access lists;
# per-client limits on transfers and request rates, and penalties for
# malformed requests, with their log lines limited; SIGHUP reloads (a
# rule changed, a broken file kept out, a setting that needs a restart, 20
# downloads running through one); [client CIDR] option limits; unknown
# options logged; the clients-file.
#
# Requests come from 127.0.0.1 and from other loopback addresses (curl
# --interface, rawclient -b), each a client of its own. Every download is
# compared with its file byte for byte.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd tftp curl atftp busybox python3 cmp timeout

plan 133

q='"'
OUT=$TMPBASE/out
mkdir "$OUT"
SRC=$TMPBASE/src
mkdir "$SRC"
make_file "$SRC/up.bin" 102400
make_file "$SRC/small.bin" 3000

ROOT=$(make_root) || bail "make_root"
for f in sub/f x.bin dflt.bin a.cfg b.cfg c.cfg six.cfg first.cfg menu.cfg install.cfg \
	g.bin secret.bin 127.0.0.1.cfg 127.0.0.2.cfg one.cfg two.cfg d1.bin d2.bin; do
	make_file "$ROOT/$f" $((700 + RANDOM % 2000))
done
make_file "$ROOT/big.bin" 3145728
chmod 755 "$ROOT/sub"
# Uploads go to up/, where the monitor's user may write.
mkdir "$ROOT/up" && chown nobody "$ROOT/up" || bail "upload directory"
make_file "$ROOT/up/putme" 900

# ---------------------------------------------------------------------------
# Helpers

PORT=
# daemon ARG...: a new daemon on a new port of 127.0.0.1 (and of ::1 with
# PORT46 set), verbose; bails out if it does not start.
daemon() {
	PORT=$(free_port "${PORT46:-4}") || bail "no free port"
	local listen=(--listen=127.0.0.1:"$PORT")
	[ -n "${PORT46:-}" ] && listen+=(--listen="[::1]:$PORT")
	start_tftpd -v "${listen[@]}" "$@" || bail "tftpd $* did not start"
}

# conf NAME: stdin into $TMPBASE/NAME.conf; prints the path.
conf() {
	cat >"$TMPBASE/$1.conf"
	echo "$TMPBASE/$1.conf"
}

# fetch HOW NAME OUT [FROM]: download NAME into OUT with tftp-hpa (hpa),
# curl, atftp, busybox (bb) or rawclient (raw; raw6 over ::1), from the
# loopback address FROM (curl and rawclient); the client's output in
# OUT.log. tftp-hpa exits 0 after an ERROR too: the file says.
N_GOT=0
fetch() {
	local how=$1 name=$2 out=$3 from=${4:-127.0.0.1}
	rm -f "$out"
	case $how in
	hpa) timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c get "$name" "$out" ;;
	curl) timeout 30 curl -sS --interface "$from" -o "$out" "tftp://127.0.0.1:$PORT/$name" ;;
	atftp) timeout 30 atftp -g -r "$name" -l "$out" 127.0.0.1 "$PORT" ;;
	bb) timeout 30 busybox tftp -g -r "$name" -l "$out" 127.0.0.1 "$PORT" ;;
	raw) timeout 30 "$RAWCLIENT" -b "$from" 127.0.0.1 "$PORT" get "$name" "$out" ;;
	raw6) timeout 30 "$RAWCLIENT" -6 ::1 "$PORT" get "$name" "$out" ;;
	esac >"$out.log" 2>&1
}

# serves DESC HOW NAME WANT [FROM]: the download of NAME is ROOT/WANT.
serves() {
	local out=$OUT/got.$((++N_GOT))
	fetch "$2" "$3" "$out" "${5:-127.0.0.1}"
	same_bytes "$ROOT/$4" "$out" "$1" "$out.log"
}

# reply FROM COMMAND ARG...: rawclient's answer to one request from FROM.
reply() {
	local from=$1
	shift
	timeout 30 "$RAWCLIENT" -t 2000 -b "$from" 127.0.0.1 "$PORT" "$@"
}

# absent PATH DESC
absent() {
	if [ ! -e "$1" ]; then
		pass "$2"
	else
		fail "$2"
		diag "$(ls -ld "$1")"
	fi
}

# logged DESC ERE: the daemon's log has a matching line.
logged() {
	if wait_log 5 "$2"; then
		pass "$1"
	else
		fail "$1"
		diag "no log line matches /$2/"
		diag_file "$TFTPD_LOG" 5
	fi
}

# has_line TEXT LINE DESC: TEXT has LINE as one whole line.
has_line() {
	if printf '%s\n' "$1" | grep -Fxq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "no line '$2' in:"
		diag "$1"
	fi
}

# status_like DESC STATUS WANT_STATUS TEXT ERE: an exit status and an
# output, in one test.
status_like() {
	if [ "$2" = "$3" ] && printf '%s\n' "$4" | grep -Eq -- "$5"; then
		pass "$1"
	else
		fail "$1"
		diag "exit status $2 (want $3); output (want /$5/):"
		diag "$4"
	fi
}

# map_test DESC WANT_STATUS ERE ARG...: tftpd ARG... (--map-test, ...).
map_test() {
	local desc=$1 want=$2 ere=$3 got st
	shift 3
	got=$("$TFTPD" "$@" 2>&1)
	st=$?
	status_like "$desc" "$st" "$want" "$got" "$ere"
}

# bad_config DESC FILE LINE_ERE [NAMED]: --check-config -f FILE exits 2
# and names NAMED:LINE (NAMED: FILE by default) on stderr.
bad_config() {
	local err st
	err=$("$TFTPD" -f "$2" --check-config "$ROOT" 2>&1 >/dev/null)
	st=$?
	status_like "$1" "$st" 2 "$err" "^tftpd: ${4:-$2}:($3): "
}

# replace FILE: stdin becomes FILE through a rename, as editors save.
replace() {
	cat >"$1.new" && mv -f "$1.new" "$1"
}

# hup ERE: SIGHUP, then wait for a log line matching ERE after it.
hup() {
	local before
	before=$(log_count "$1")
	kill -HUP "$TFTPD_PID"
	wait_for 10 _more_lines "$1" "$before" || diag "no new /$1/ within 10 s of SIGHUP"
}
_more_lines() {
	[ "$(log_count "$1")" -gt "$2" ]
}

# ---------------------------------------------------------------------------
# 1. Names

daemon --strip-prefix=/tftpboot "$ROOT"
serves "the root's own path as a prefix: $ROOT/sub/f is sub/f (tftp-hpa)" hpa "$ROOT/sub/f" sub/f
serves "sub/f is sub/f (curl)" curl sub/f sub/f
like "$(reply 127.0.0.1 rrq "${ROOT}sub/f")" '^ERROR code=1 ' \
	"${ROOT}sub/f (the root's path without its '/') is not stripped: ERROR 1"
serves "strip-prefix: /tftpboot/sub/f is sub/f (atftp)" atftp /tftpboot/sub/f sub/f
like "$(reply 127.0.0.1 rrq /tftpbootsub/f)" '^ERROR code=1 ' \
	"strip-prefix strips whole components only: /tftpbootsub/f gets ERROR 1"
like "$(reply 127.0.0.1 rrq 'sub\f')" '^ERROR code=1 ' \
	"backslash is off by default: 'sub\\f' is a name of its own, not found"
like "$(reply 127.0.0.1 rrq SUB/F)" '^ERROR code=1 ' \
	"lowercase is off by default: SUB/F is not found"
like "$(reply 127.0.0.1 rrq missing.bin)" '^ERROR code=1 ' \
	"without default-file a missing file gets ERROR 1"
stop_tftpd

CONF=$(conf names <<EOF
root = $ROOT
backslash = yes
lowercase = yes
default-file = dflt.bin
EOF
)
daemon -f "$CONF"
serves "backslash = yes: '\\sub\\f' is sub/f" raw '\sub\f' sub/f
serves "lowercase = yes: SUB/F is sub/f (curl)" curl SUB/F sub/f
serves "default-file: a missing file is served as dflt.bin (busybox)" bb missing.bin dflt.bin
serves "default-file: an existing file is served as itself (tftp-hpa)" hpa x.bin x.bin
serves "default-file: a file in a missing directory is served as dflt.bin too" raw nodir/x.bin dflt.bin
stop_tftpd

# ---------------------------------------------------------------------------
# 2. Aliases, 3. one-time aliases

STATE=$TMPBASE/state
mkdir "$STATE" && chown nobody "$STATE" || bail "state directory"
# The most specific first, last and in between: file order must not matter.
ALIASES=$(conf aliases <<EOF
root = $ROOT
state-dir = $STATE
[alias]
127.0.0.2/boot.cfg = c.cfg
default/boot.cfg = a.cfg
127.0.0.0/8/boot.cfg = b.cfg
::1/boot.cfg = six.cfg
default/v.cfg = a.cfg
127.0.0.0/8/v.cfg = b.cfg
[alias-once]
default/once.cfg = first.cfg
127.0.0.1/menu.cfg = install.cfg
EOF
)
IPV6=
have_ipv6 && IPV6=yes
PORT46=${IPV6:+46} daemon -f "$ALIASES"
# A download of menu.cfg that fails by silence: DATA 1 is never
# acknowledged (the server gives up after a few seconds).
"$RAWCLIENT" -b 127.0.0.1 127.0.0.1 "$PORT" hold menu.cfg 20 >"$OUT/hold.menu" 2>&1 &
HOLD=$!
serves "[alias] 127.0.0.1 gets the /8's boot.cfg (b.cfg)" curl boot.cfg b.cfg
serves "[alias] 127.0.0.2 gets its own boot.cfg (c.cfg)" curl boot.cfg c.cfg 127.0.0.2
serves "[alias] 127.0.0.3 gets the /8's, not the default" curl boot.cfg b.cfg 127.0.0.3
serves "[alias] a name aliased only for others is the file itself" curl b.cfg b.cfg 127.0.0.2
if [ -n "$IPV6" ]; then
	serves "[alias] ::1 gets its IPv6 key's boot.cfg (six.cfg)" raw6 boot.cfg six.cfg
	serves "[alias] ::1, outside the /8, gets the default v.cfg (a.cfg)" raw6 v.cfg a.cfg
else
	skip_test "[alias] ::1 gets its IPv6 key's boot.cfg (six.cfg)" "no IPv6 loopback"
	skip_test "[alias] ::1, outside the /8, gets the default v.cfg (a.cfg)" "no IPv6 loopback"
fi

# [alias-once]: first a download ended by the client's ERROR.
like "$(reply 127.0.0.1 abort once.cfg 0)" '^DATA block=1 len=512' \
	"[alias-once] once.cfg begins as first.cfg; the client answers ERROR"
logged "... and that download ended as peer-error" "RRQ client=127\.0\.0\.1:.* file=${q}once\.cfg$q .*result=peer-error"
unlike "$(cat "$STATE/aliases-once" 2>/dev/null)" '^default/once\.cfg = first\.cfg$' \
	"... which leaves the alias armed: the state file does not hold its key"
serves "[alias-once] a download after the failed one gets first.cfg (tftp-hpa)" hpa once.cfg first.cfg
logged "... and the log says the one-time alias was used" \
	"one-time alias used: default/once\.cfg = first\.cfg"
has_line "$(cat "$STATE/aliases-once" 2>/dev/null)" "default/once.cfg = first.cfg" \
	"... and $(basename "$STATE")/aliases-once holds its key"
like "$(reply 127.0.0.1 rrq once.cfg)" '^ERROR code=1 ' \
	"[alias-once] used up: the next once.cfg is File not found"
wait_log 20 "file=${q}menu\.cfg$q .*result=" || diag "the held download of menu.cfg did not end"
kill "$HOLD" 2>/dev/null
logged "[alias-once] menu.cfg: the unanswered download timed out" \
	"RRQ client=127\.0\.0\.1:.* file=${q}menu\.cfg$q .*result=timeout"
serves "... which left it armed: menu.cfg is install.cfg" curl menu.cfg install.cfg
serves "[alias-once] used up: menu.cfg is the real menu.cfg" curl menu.cfg menu.cfg
stop_tftpd
PORT46=${IPV6:+46} daemon -f "$ALIASES"
like "$(reply 127.0.0.1 rrq once.cfg)" '^ERROR code=1 ' \
	"after a restart with the same state-dir once.cfg is still used up"
serves "after a restart menu.cfg is still the real one" hpa menu.cfg menu.cfg
stop_tftpd

# ---------------------------------------------------------------------------
# 4. A tftp-hpa map file

MAP=$TMPBASE/map
cat >"$MAP" <<'EOF'
# tftp-hpa remap rules
r ^/tftpboot/ /
a ^secret
rG ^up/getme$ g.bin
rP ^up/putme$ up/put-target.bin
r ^ip$ \i.cfg
EOF
daemon -c --map-file="$MAP" "$ROOT"
serves "map: r ^/tftpboot/ / serves /tftpboot/sub/f as sub/f (tftp-hpa)" hpa /tftpboot/sub/f sub/f
rm -f "$OUT/secret"
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c get secret.bin "$OUT/secret" >"$OUT/secret.log" 2>&1
like "$(cat "$OUT/secret.log")" '^Error code 2: Access denied' \
	"map: an 'a' rule refuses secret.bin with ERROR 2 'Access denied' (tftp-hpa)"
check "... and the refusal is logged as the map file's" \
	log_has "refused RRQ .*file=${q}secret\.bin$q error=2 reason=${q}Access denied \(refused by the map file\)$q"
serves "map: a G rule rewrites a download: up/getme is g.bin" curl up/getme g.bin
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/small.bin" up/getme >"$OUT/getme.log" 2>&1
same_bytes "$SRC/small.bin" "$ROOT/up/getme" "map: ... but not an upload: up/getme is stored as itself" "$OUT/getme.log"
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/small.bin" up/putme >"$OUT/putme.log" 2>&1
same_bytes "$SRC/small.bin" "$ROOT/up/put-target.bin" "map: a P rule rewrites an upload: up/putme lands in up/put-target.bin" \
	"$OUT/putme.log"
serves "map: ... but not a download: up/putme is itself" hpa up/putme up/putme
serves "map: \\i is the client's address: ip is 127.0.0.1.cfg for 127.0.0.1" curl ip 127.0.0.1.cfg
serves "map: ... and 127.0.0.2.cfg for 127.0.0.2" curl ip 127.0.0.2.cfg 127.0.0.2
stop_tftpd

# ---------------------------------------------------------------------------
# 5. --map-test and --check-config

map_test "--map-test: 127.0.0.2's boot.cfg is the alias c.cfg (exit 0)" 0 \
	"^alias: boot\.cfg -> c\.cfg$" -f "$ALIASES" --map-test=boot.cfg --client=127.0.0.2
map_test "--map-test: 10.1.2.3's boot.cfg is the default alias a.cfg" 0 \
	"^alias: boot\.cfg -> a\.cfg$" -f "$ALIASES" --map-test=boot.cfg --client=10.1.2.3
map_test "--map-test: an existing file names its size" 0 \
	"^file: $ROOT/x\.bin \([0-9]+ bytes\)$" -f "$ALIASES" --map-test=x.bin --client=127.0.0.1
map_test "--map-test: a missing file exits 1" 1 \
	"^file: $ROOT/nosuch" -f "$ALIASES" --map-test=nosuch --client=127.0.0.1
map_test "--map-test: a bad --client exits 2" 2 "--client" \
	-f "$ALIASES" --map-test=x.bin --client=not-an-address
map_test "--map-test: the map file's result is named" 0 '^map-file: "/sub/f"$' \
	--map-file="$MAP" --map-test=/tftpboot/sub/f --client=127.0.0.1 "$ROOT"
map_test "--map-test: the map file's refusal exits 1 and says so" 1 \
	'^refused: error 2 "Access denied" \(refused by the map file\)$' \
	--map-file="$MAP" --map-test=secret.bin --client=127.0.0.1 "$ROOT"
map_test "--map-test --write: an upload's rewrite" 0 '^map-file: "up/put-target\.bin"$' \
	--map-file="$MAP" --map-test=up/putme --client=127.0.0.1 --write "$ROOT"

ACL1=$(conf acl1 <<EOF
root = $ROOT
create = yes
deny = 127.0.0.2/32
deny-write = 127.0.0.1/32
EOF
)
map_test "--map-test: an access list's refusal exits 1 and names the rule" 1 \
	'^refused: error 2 "Access denied" \(denied by deny = 127\.0\.0\.2/32\)$' \
	-f "$ACL1" --map-test=x.bin --client=127.0.0.2

CLIENTS=$(conf clients <<EOF
root = $ROOT
[client 127.0.0.2/32]
blksize-max = 600
refuse = windowsize
[client 127.0.0.3/32]
refuse = all
EOF
)
got=$("$TFTPD" -f "$ALIASES" --check-config 2>&1)
is "$?" 0 "--check-config: a good file exits 0"
has_line "$got" "state-dir = $STATE" "--check-config prints the settings (state-dir)"
has_line "$got" "backslash = no" "... with their defaults (backslash = no)"
has_line "$got" "[alias]" "... the [alias] section"
has_line "$got" "127.0.0.0/8/boot.cfg = b.cfg" "... and its lines"
has_line "$got" "[alias-once]" "... the [alias-once] section"
has_line "$got" "# the configuration is valid" "... and says it is valid"
got=$("$TFTPD" -f "$CLIENTS" --check-config 2>&1)
has_line "$got" "[client 127.0.0.2/32]" "--check-config prints [client] sections"
has_line "$got" "blksize-max = 600" "... with their keys"

bad_config "--check-config: a bad CIDR in allow exits 2 and names its line" "$(conf bad-allow <<EOF
root = $ROOT
verbose = yes
allow = 10.0.0.0/33
EOF
)" 3
bad_config "--check-config: a bad [alias] key exits 2 and names its line" "$(conf bad-alias <<EOF
root = $ROOT
[alias]
nonsense = a.cfg
EOF
)" 3
bad_config "--check-config: an unknown key in [client] exits 2 and names its line" "$(conf bad-client <<EOF
root = $ROOT
[client 127.0.0.2/32]
blksize-max = 600
frobnicate = 1
EOF
)" 4
bad_config "--check-config: an unknown section exits 2 and names its line" "$(conf bad-section <<EOF
root = $ROOT
[bogus]
x = 1
EOF
)" '2|3'
printf 'r ^a$ b\nrq ^b$ c\n' >"$TMPBASE/bad.map"
bad_config "--check-config: a bad map file line exits 2 and names the map's line" "$(conf bad-map <<EOF
root = $ROOT
map-file = $TMPBASE/bad.map
EOF
)" 2 "$TMPBASE/bad.map"

# ---------------------------------------------------------------------------
# 6. write-only, wrq-devnull, upload-dir-per-client

daemon -c --write-only "$ROOT"
like "$(reply 127.0.0.1 rrq x.bin)" '^ERROR code=2 ' "write-only: a download gets ERROR 2"
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/up.bin" up/w.bin >"$OUT/w.log" 2>&1
same_bytes "$SRC/up.bin" "$ROOT/up/w.bin" "write-only: an upload works (tftp-hpa)" "$OUT/w.log"
stop_tftpd

daemon --wrq-devnull "$ROOT"
touch "$OUT/before-devnull"
timeout 30 curl -sS -T "$SRC/up.bin" "tftp://127.0.0.1:$PORT/dev.bin" >"$OUT/dev.log" 2>&1
is "$?" 0 "wrq-devnull: curl's upload is acknowledged to the end (exit 0)"
is "$(reply 127.0.0.1 put nodir/deep/dev.bin "$SRC/up.bin")" "PUT bytes=102400 blocks=201" \
	"wrq-devnull: an upload into a missing directory is taken whole too (the name is not looked at)"
is "$(find "$ROOT" -newer "$OUT/before-devnull" | tr '\n' ' ')" "" \
	"wrq-devnull: nothing appears in the root"
logged "wrq-devnull: the upload is logged as ok" "WRQ client=127\.0\.0\.1:.* file=${q}dev\.bin$q .*result=ok"
stop_tftpd

# The client's directory goes where the upload would have gone, so only
# the upload directory is writable by the monitor; the root stays root's.
PCROOT=$(make_root) || bail "make_root"
mkdir "$PCROOT/up" && chown nobody "$PCROOT/up" || bail "upload directory"
daemon -c --upload-dir-per-client --create-client-dir "$PCROOT"
MONITOR_UID=$(proc_field "$TFTPD_PID" Uid | cut -d' ' -f1)
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/up.bin" up/pc.bin >"$OUT/pc.log" 2>&1
same_bytes "$SRC/up.bin" "$PCROOT/up/127.0.0.1/pc.bin" \
	"upload-dir-per-client + create-client-dir: up/pc.bin lands in ROOT/up/127.0.0.1/pc.bin" \
	"$OUT/pc.log"
is "$(stat -c %u "$PCROOT/up/127.0.0.1/pc.bin" 2>/dev/null)" "$MONITOR_UID" \
	"... owned by the monitor's user (uid $MONITOR_UID)"
is "$(stat -c %U "$PCROOT")" root "... with the root itself still root's"
timeout 30 curl -sS --interface 127.0.0.2 -T "$SRC/small.bin" "tftp://127.0.0.1:$PORT/up/pc.bin" \
	>"$OUT/pc2.log" 2>&1
same_bytes "$SRC/small.bin" "$PCROOT/up/127.0.0.2/pc.bin" \
	"... and 127.0.0.2's in ROOT/up/127.0.0.2/pc.bin (curl)" "$OUT/pc2.log"
stop_tftpd
daemon -c --upload-dir-per-client "$PCROOT"
like "$(reply 127.0.0.3 wrq up/pc.bin)" '^ERROR code=[12] ' \
	"upload-dir-per-client without create-client-dir: no directory, an ERROR"
absent "$PCROOT/up/127.0.0.3" "... and no directory is made"
stop_tftpd

# ---------------------------------------------------------------------------
# 7. Access lists

daemon -f "$ACL1"
for i in 1 2 3; do
	like "$(reply 127.0.0.2 rrq x.bin)" '^ERROR code=2 ' "deny = 127.0.0.2/32: request $i from 127.0.0.2 gets ERROR 2"
done
fetch curl x.bin "$OUT/acl.curl" 127.0.0.2
check "... curl from 127.0.0.2 gets nothing" test ! -s "$OUT/acl.curl"
serves "... while 127.0.0.1 is served (curl)" curl x.bin x.bin
is "$(log_count "refused RRQ client=127\.0\.0\.2:[0-9]+ file=${q}x\.bin$q error=2 reason=${q}Access denied \(denied by deny = 127\.0\.0\.2/32\)$q")" 4 \
	"each of the 4 refusals is one log line naming the rule"
like "$(reply 127.0.0.1 put up/acl.bin "$SRC/small.bin")" '^ERROR code=2 ' \
	"deny-write = 127.0.0.1/32: an upload from 127.0.0.1 gets ERROR 2"
absent "$ROOT/up/acl.bin" "... and stores nothing"
check "... logged with its rule" \
	log_has "refused WRQ client=127\.0\.0\.1:[0-9]+ file=${q}up/acl\.bin$q error=2 reason=$q.*denied by deny-write = 127\.0\.0\.1/32"
is "$(reply 127.0.0.3 put up/acl3.bin "$SRC/small.bin")" "PUT bytes=3000 blocks=6" \
	"... while 127.0.0.3 may upload"
same_bytes "$SRC/small.bin" "$ROOT/up/acl3.bin" "... and its file is stored"
stop_tftpd

daemon -f "$(conf acl2 <<EOF
root = $ROOT
allow = 127.0.0.2
deny = 127.0.0.0/8
EOF
)"
serves "allow = 127.0.0.2 before deny = 127.0.0.0/8: 127.0.0.2 is served" curl x.bin x.bin 127.0.0.2
like "$(reply 127.0.0.1 rrq x.bin)" '^ERROR code=2 ' "... 127.0.0.1 gets ERROR 2"
check "... logged with the rule that matched" \
	log_has "refused RRQ client=127\.0\.0\.1:[0-9]+ .*reason=${q}Access denied \(denied by deny = 127\.0\.0\.0/8\)$q"
stop_tftpd

# ---------------------------------------------------------------------------
# 8. Per-client limits and penalties

daemon --max-transfers-per-client=2 "$ROOT"
for i in 1 2; do
	"$RAWCLIENT" -b 127.0.0.4 127.0.0.1 "$PORT" hold big.bin 6 >"$OUT/limit.$i" 2>&1 &
done
held() { grep -q '^DATA block=1 ' "$OUT/limit.1" && grep -q '^DATA block=1 ' "$OUT/limit.2"; }
wait_for 5 held || diag "the two held transfers did not start"
is "$(reply 127.0.0.4 rrq x.bin)" "ERROR code=2 msg=Too many transfers from this address" \
	"max-transfers-per-client = 2: a third transfer from 127.0.0.4 is refused"
serves "... while 127.0.0.1 is served" curl x.bin x.bin
check "... logged as over max-transfers-per-client" \
	log_has "refused RRQ client=127\.0\.0\.4:[0-9]+ .*reason=${q}over max-transfers-per-client$q"

# Malformed requests: opcode 1, no NUL. 1 s of penalty each; refused from
# 15 s on.
garbage=()
for i in $(seq 20); do garbage+=("0001$(str_hex "garbage$i")"); done
got=$(timeout 30 "$RAWCLIENT" -t 1000 -b 127.0.0.5 127.0.0.1 "$PORT" send "${garbage[@]}")
n4=$(printf '%s\n' "$got" | grep -c '^ERROR code=4 ')
check "penalties: 15 or 16 malformed requests get ERROR 4 ($n4), then the penalty refuses" \
	test "$n4" -ge 15 -a "$n4" -le 16
like "$(reply 127.0.0.5 rrq x.bin)" '^ERROR code=2 msg=Refused for [0-9]+ s: malformed requests$' \
	"... then a good request from 127.0.0.5 gets ERROR 2 'Refused for N s'"
serves "... while 127.0.0.1 is served" curl x.bin x.bin
# A flood of 40 from the penalised address: each answered, ten logged.
flood=()
for i in $(seq 40); do flood+=("$(req_hex 1 x.bin octet)"); done
before=$(log_count "client=127\.0\.0\.5:")
got=$(timeout 30 "$RAWCLIENT" -t 1000 -b 127.0.0.5 127.0.0.1 "$PORT" send "${flood[@]}")
is "$(printf '%s\n' "$got" | grep -c '^ERROR code=2 msg=Refused for ')" 40 \
	"a flood of 40 requests from the penalised address: 40 refusals"
lines=$(($(log_count "client=127\.0\.0\.5:") - before))
check "... logged in fewer lines ($lines)" test "$lines" -lt 40
sleep 0.3
reply 127.0.0.5 rrq x.bin >/dev/null
logged "... and a later line says how many were not logged" \
	"refused request client=127\.0\.0\.5:[0-9]+ .*Refused for .*\(and [0-9]+ similar refusals not logged\)"
stop_tftpd

daemon --max-requests-per-second-per-client=5 "$ROOT"
t0=$EPOCHREALTIME
for i in $(seq 30); do
	"$RAWCLIENT" -t 1500 -b 127.0.0.6 127.0.0.1 "$PORT" rrq x.bin >"$OUT/burst.$i" 2>&1 &
	BURST+=($!)
done
t1=$EPOCHREALTIME
serves "max-requests-per-second-per-client = 5: 127.0.0.2 is served during a burst from 127.0.0.6" \
	curl x.bin x.bin 127.0.0.2
wait "${BURST[@]}"
answered=$(cat "$OUT"/burst.* | grep -c '^DATA block=1 ')
others=$(cat "$OUT"/burst.* | grep -Evc '^(DATA block=1 |TIMEOUT$)')
# The bucket holds 5 and refills at 5 a second while the burst goes out.
ms=$(python3 -c "print(int(($t1 - $t0) * 1000))")
most=$((5 + ms * 5 / 1000 + 1))
check "... of 30 requests from 127.0.0.6, 5 to $most are answered ($answered, sent in $ms ms)" \
	test "$answered" -ge 5 -a "$answered" -le "$most"
is "$others" 0 "... and the rest get no answer at all, not even an ERROR"
logged "... the dropped ones are logged as over the rate" \
	"refused request client=127\.0\.0\.6:[0-9]+ .*over max-requests-per-second-per-client: dropped, no answer"
stop_tftpd

# ---------------------------------------------------------------------------
# 9. Reload

# reload_conf DEFAULT_FILE DENIED ALIAS_TARGET [LINE]: the configuration,
# with LINE on line 2.
reload_conf() {
	cat <<EOF
root = $ROOT
${4:-}
default-file = $1
deny = $2/32
[alias]
default/r.cfg = $3
EOF
}
RELOAD=$(reload_conf d1.bin 127.0.0.7 one.cfg | conf reload)
daemon -f "$RELOAD"
serves "before a reload: r.cfg is one.cfg" curl r.cfg one.cfg
serves "before a reload: a missing file is d1.bin" hpa missing.bin d1.bin
like "$(reply 127.0.0.7 rrq x.bin)" '^ERROR code=2 ' "before a reload: 127.0.0.7 is denied"
reload_conf d2.bin 127.0.0.8 two.cfg | replace "$RELOAD"
hup "reload: configuration read again"
logged "SIGHUP: the log says the configuration was read again" \
	"reload: configuration read again from $RELOAD$"
serves "after a reload: r.cfg is two.cfg" curl r.cfg two.cfg
serves "after a reload: a missing file is d2.bin" hpa missing.bin d2.bin
serves "after a reload: 127.0.0.7 is served" raw x.bin x.bin 127.0.0.7
like "$(reply 127.0.0.8 rrq x.bin)" '^ERROR code=2 ' "after a reload: 127.0.0.8 is denied"

reload_conf d1.bin 127.0.0.9 one.cfg 'deny = 127.0.0.300/32' | replace "$RELOAD"
hup "reload: the new configuration has errors: the one in use is kept"
logged "a broken file: the log names its line" "reload: $RELOAD:2: "
logged "... and says the configuration in use is kept" \
	"reload: the new configuration has errors: the one in use is kept"
serves "... r.cfg is still two.cfg" curl r.cfg two.cfg
serves "... a missing file is still d2.bin" hpa missing.bin d2.bin
like "$(reply 127.0.0.8 rrq x.bin)" '^ERROR code=2 ' "... 127.0.0.8 is still denied"

reload_conf d2.bin 127.0.0.8 two.cfg 'spares = 3' | replace "$RELOAD"
hup "reload: configuration read again"
logged "a changed spares is logged as taking effect at the next start" \
	"reload: spares changed \(2 to 3\): it takes effect at the next start"

# 20 downloads, each client held to about 1 MB/s by a slow reader of its
# output (a TFTP client acknowledges only what it has written).
SLOW='import sys, time
while True:
    b = sys.stdin.buffer.read(32768)
    if not b:
        break
    sys.stdout.buffer.write(b)
    time.sleep(0.03)'
SLOWPIDS=()
for i in $(seq 20); do
	(timeout 60 curl -sS "tftp://127.0.0.1:$PORT/big.bin" 2>"$OUT/slow.$i.log" |
		python3 -c "$SLOW" >"$OUT/slow.$i") &
	SLOWPIDS+=($!)
done
twenty_started() { [ "$(log_count "transfer [0-9]+ start RRQ .*file=${q}big\.bin$q")" -ge 20 ]; }
wait_for 10 twenty_started || diag "fewer than 20 downloads started within 10 s"
hup "reload: configuration read again"
wait "${SLOWPIDS[@]}"
bad=
for i in $(seq 20); do cmp -s "$ROOT/big.bin" "$OUT/slow.$i" || bad+=" $i"; done
is "${bad:-none}" none "a reload during 20 downloads: all 20 are intact"
# The reload's line comes before every one of their ends.
reload_at=$(grep -n 'reload: configuration read again' "$TFTPD_LOG" | tail -n1 | cut -d: -f1)
first_end=$(grep -nE "RRQ .*file=${q}big\.bin$q .*result=" "$TFTPD_LOG" | head -n1 | cut -d: -f1)
check "... and the reload came while all 20 were running (line $reload_at before $first_end)" \
	test "${reload_at:-0}" -gt 0 -a "${first_end:-0}" -gt "${reload_at:-0}"
stop_tftpd

# ---------------------------------------------------------------------------
# 10. [client CIDR] option limits, 11. unknown options

daemon -f "$CLIENTS"
got=$(reply 127.0.0.2 get x.bin "$OUT/q2" octet blksize 1400 windowsize 8)
is "$(printf '%s\n' "$got" | head -n1)" "OACK blksize=600" \
	"[client 127.0.0.2/32]: blksize 1400 and windowsize 8 get an OACK of blksize 600 and no windowsize"
same_bytes "$ROOT/x.bin" "$OUT/q2" "... and the file"
got=$(reply 127.0.0.1 get x.bin "$OUT/q1" octet blksize 1400 windowsize 8)
is "$(printf '%s\n' "$got" | head -n1)" "OACK blksize=1400 windowsize=8" \
	"127.0.0.1, outside the section: blksize 1400 and windowsize 8"
same_bytes "$ROOT/x.bin" "$OUT/q1" "... and the file"
is "$(reply 127.0.0.3 rrq x.bin octet blksize 1400 windowsize 8 tsize 0)" "DATA block=1 len=512" \
	"[client 127.0.0.3/32] refuse = all: no OACK, DATA 1 of 512 bytes"
got=$(reply 127.0.0.3 get x.bin "$OUT/q3" octet blksize 1400 tsize 0)
same_bytes "$ROOT/x.bin" "$OUT/q3" "... and the whole file, in plain RFC 1350"
got=$(reply 127.0.0.1 get x.bin "$OUT/xv" octet x-vendor 42)
same_bytes "$ROOT/x.bin" "$OUT/xv" "an unknown option x-vendor=42: the file is served"
logged "... and the transfer's log line carries ignored=\"x-vendor=42\"" \
	"RRQ client=127\.0\.0\.1:.* file=${q}x\.bin$q .*result=ok.* ignored=${q}x-vendor=42$q"
stop_tftpd

# ---------------------------------------------------------------------------
# 12. clients-file

CF=$TMPBASE/clients.txt
daemon --clients-file="$CF" "$ROOT"
serves "clients-file: 127.0.0.1 is served" curl x.bin x.bin
serves "clients-file: 127.0.0.2 is served" curl x.bin x.bin 127.0.0.2
serves "clients-file: 127.0.0.1 again" curl x.bin x.bin
STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
like "$(tr '\n' '|' <"$CF")" "^$STAMP 127\.0\.0\.1\|$STAMP 127\.0\.0\.2\|$" \
	"clients-file: one line per address (ISO time, address), none for a second request"
stop_tftpd
daemon --clients-file="$CF" "$ROOT"
serves "clients-file after a restart: 127.0.0.1 is served" curl x.bin x.bin
serves "clients-file after a restart: 127.0.0.3 is served" curl x.bin x.bin 127.0.0.3
like "$(tr '\n' '|' <"$CF")" "^$STAMP 127\.0\.0\.1\|$STAMP 127\.0\.0\.2\|$STAMP 127\.0\.0\.3\|$" \
	"clients-file after a restart: a known address is not added again, a new one is"
stop_tftpd

finish
