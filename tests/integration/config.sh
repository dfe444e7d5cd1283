#!/bin/bash
# config.sh - the configuration file (-f, --config).
#
# Keys are the long option names plus root, before any section or under
# [tftpd]; switches take yes/no; the command line wins, and its --listen
# or --refuse replace the file's lists. A bad file stops the start with
# exit status 2 and one message naming FILE:LINE, and a bad value gets the
# very message the same value gets on the command line (one parser).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built

plan 35

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 3000
mkdir -m 1777 "$ROOT/up"
ROOT2=$(make_root) || bail "make_root"
make_file "$ROOT2/b.bin" 1000
P1=$(free_port) || bail "no free port"
P2=$(free_port) || bail "no free port"
[ "$P1" != "$P2" ] || P2=$(free_port) || bail "no free port"

# conf NAME LINE...: write a configuration file, one argument per line;
# prints its path.
conf() {
	local f="$TMPBASE/$1.conf"
	shift
	printf '%s\n' "$@" >"$f"
	echo "$f"
}

# run_tftpd NAME ARG...: tftpd in the foreground, at most 10 s; sets RC and
# ERR (stderr). For starts that must fail.
run_tftpd() {
	local name=$1
	shift
	timeout -k 2 10 "$TFTPD" "$@" </dev/null >"$TMPBASE/$name.out" 2>"$TMPBASE/$name.err"
	RC=$?
	ERR=$(cat "$TMPBASE/$name.err")
}

ready_line() {
	grep -E '(^|: )ready:' "$TFTPD_LOG"
}

# Transfers left in flight on purpose (a WRQ or an OACK nobody answers)
# must not hold up the stops below: every server here has grace 0.

# ---------------------------------------------------------------------------
# Settings from the file.

F=$(conf global "# comment" "; another comment" "listen = 127.0.0.1:$P1" "root = $ROOT" \
	"verbose = yes" "retries = 3   ; inline comment" "create = yes" "grace = 0")
if start_tftpd --config="$F"; then
	pass "tftpd --config=FILE starts with listen and root from the file (no section)"
else
	fail "tftpd --config=FILE starts with listen and root from the file (no section)"
fi
like "$(ready_line)" "serving $ROOT on 127\.0\.0\.1:$P1 " "the ready line names the file's root and address"
got=$(mktemp "$TMPBASE/got.XXXXXX")
out=$("$RAWCLIENT" -t 3000 127.0.0.1 "$P1" get a.bin "$got" 2>&1)
like "$out" 'GOT bytes=3000 ' "the file's root is served"
check "verbose = yes: the transfer's start is logged" wait_log 3 'transfer [0-9]+ start RRQ'
out=$("$RAWCLIENT" -t 3000 127.0.0.1 "$P1" wrq up/new.bin 2>&1)
is "$out" "ACK block=0" "create = yes: an upload is accepted"
stop_tftpd

F=$(conf section "[tftpd]" "listen = 127.0.0.1:$P1" "root = $ROOT" "verbose = no" "create = false" "grace = 0")
if start_tftpd -f "$F"; then
	pass "-f FILE with the settings under [tftpd] starts"
else
	fail "-f FILE with the settings under [tftpd] starts"
fi
"$RAWCLIENT" -t 3000 127.0.0.1 "$P1" get a.bin "$got" >/dev/null 2>&1
out=$("$RAWCLIENT" -t 3000 127.0.0.1 "$P1" wrq up/new2.bin 2>&1)
like "$out" '^ERROR code=2 msg=Uploads are disabled' "create = false: uploads are refused"
check "verbose = no: no start line" wait_log 3 'result=ok'
is "$(log_count 'transfer [0-9]+ start')" 0 "verbose = no: no start line, only the result"
stop_tftpd

# ---------------------------------------------------------------------------
# The command line wins.

F=$(conf override "listen = 127.0.0.1:$P1" "listen = [::1]:$P1" "root = $ROOT" "refuse = tsize")
if start_tftpd --config="$F" --grace=0 --listen="127.0.0.1:$P2" --refuse=blksize "$ROOT2"; then
	pass "the command line overrides listen, refuse and root"
else
	fail "the command line overrides listen, refuse and root"
fi
r=$(ready_line)
like "$r" "serving $ROOT2 on 127\.0\.0\.1:$P2 \(" "the command line's ROOT and --listen replace the file's (both listen lines)"
out=$("$RAWCLIENT" -t 3000 127.0.0.1 "$P2" get b.bin "$got" 2>&1)
like "$out" 'GOT bytes=1000 ' "ROOT from the command line is served"
out=$("$RAWCLIENT" -t 3000 127.0.0.1 "$P2" rrq b.bin octet tsize 0 blksize 1024 2>&1)
is "$out" "OACK tsize=1000" "--refuse=blksize replaced the file's refuse = tsize (tsize granted, blksize not)"
stop_tftpd

F=$(conf refuse-file "listen = 127.0.0.1:$P1" "root = $ROOT2" "refuse = tsize" "grace = 0")
start_tftpd --config="$F" || bail "tftpd did not start"
out=$("$RAWCLIENT" -t 3000 127.0.0.1 "$P1" rrq b.bin octet tsize 0 blksize 1024 2>&1)
is "$out" "OACK blksize=1024" "without --refuse, the file's refuse = tsize holds"
stop_tftpd

# ---------------------------------------------------------------------------
# Errors: exit 2, one line, FILE:LINE.

# bad NAME WANT_ERE LINE...: a file that must be refused.
bad() {
	local name=$1 want=$2 f
	shift 2
	f=$(conf "$name" "$@")
	run_tftpd "$name" --config="$f" "$ROOT"
	if [ "$RC" -eq 2 ] && [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] &&
		printf '%s\n' "$ERR" | grep -Eq -- "^tftpd: ${f//./\\.}:$want"; then
		pass "$name: exit 2, one message: ${want//\\/}"
	else
		fail "$name: exit 2, one message: ${want//\\/}"
		diag "exit status $RC; stderr:"
		diag "$ERR"
	fi
}

bad unknown-key "3: unknown key 'colour'\$" "listen = 127.0.0.1:$P1" "# fine" "colour = blue"
bad bad-number "2: retries: 'abc' is not a number from 1 to 255\$" "[tftpd]" "retries = abc"
bad bad-switch "1: create: 'maybe' is not yes or no" "create = maybe"
bad bad-listen "2: listen: 'nowhere' is not ADDR\[:PORT\]" "" "listen = nowhere"
bad bad-section "1: unknown section \[other\]" "[other]" "retries = 3"
bad syntax "2: not 'key = value', '\[section\]' or a comment\$" "retries = 3" "just some words"
bad config-key "1: unknown key 'config'\$" "config = /etc/other.conf"
bad help-key "1: unknown key 'help'\$" "help = yes"
bad empty-user "1: user: must not be empty\$" "user ="
bad long-line "1: line longer than 199 characters\$" "root = /$(printf 'x%.0s' $(seq 1 250))"
bad second-error-only-first "2: retries: '0' is not a number" "listen = 127.0.0.1:$P1" \
	"retries = 0" "windowsize-max = 0"

run_tftpd missing --config="$TMPBASE/no-such.conf" "$ROOT"
is "$RC" 2 "a missing configuration file: exit 2"
like "$ERR" "^tftpd: cannot read $TMPBASE/no-such\.conf: No such file or directory\$" \
	"a missing configuration file: the message names it and why"
run_tftpd directory --config="$TMPBASE" "$ROOT"
is "$RC" 2 "a directory as configuration file: exit 2"
like "$ERR" "^tftpd: cannot read $TMPBASE: Is a directory\$" "a directory: the message says so"

# One parser: the file and the command line say the same about a value.
f=$(conf same-1 "blksize-max = 7")
run_tftpd same-file --config="$f" "$ROOT"
file_msg=${ERR#*blksize-max: }
run_tftpd same-cli --blksize-max=7 "$ROOT"
is "$RC" 2 "--blksize-max=7 on the command line: exit 2"
cli_msg=$(printf '%s\n' "$ERR" | head -n1)
cli_msg=${cli_msg#*blksize-max: }
is "$file_msg" "$cli_msg" "the file and the command line give the same message for blksize-max 7"

f=$(conf same-2 "log-format = xml")
run_tftpd same-file2 --config="$f" "$ROOT"
like "$ERR" "same-2\.conf:1: log-format: 'xml' is not text or json" "log-format = xml is refused too"

# A bad file is refused even when the command line would override the key.
f=$(conf overridden "retries = lots")
run_tftpd overridden --config="$f" --retries=3 "$ROOT"
is "$RC" 2 "a bad value in the file is an error even if the command line sets the key"

run_tftpd help --help
like "$(cat "$TMPBASE/help.out")" '-f, --config=FILE' "--help documents --config"
like "$(cat "$TMPBASE/help.out")" '--log-format=FORMAT' "--help documents --log-format"

finish
