#!/bin/bash
# logging.sh - what an operator reads: the text line, JSON lines, and
# journal entries with TFTP_* fields.
#
# Text: one line per transfer and per refusal, in the documented format.
# JSON (--log-format=json): every stderr line parses, with the same fields,
# and client-controlled names with '"', '\' and control characters stay
# inside their strings. Journal: in a private mount namespace a Python
# stand-in for journald binds /run/systemd/journal/socket; tftpd, started
# with JOURNAL_STREAM naming its stderr (as systemd does), must deliver
# native entries to it from inside its chroot, and fall back to stderr
# when the journal goes away. (syslog, used in inetd mode, is not tested.)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd python3 unshare nsenter stat

plan 37

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 3000
PORT=$(free_port) || bail "no free port"
LISTEN=--listen=127.0.0.1:$PORT
WEIRD='we"ird\name'

fetch() {
	local got
	got=$(mktemp "$TMPBASE/got.XXXXXX")
	"$RAWCLIENT" -t 3000 127.0.0.1 "$PORT" get a.bin "$got" octet blksize 1024 >/dev/null 2>&1
}

refuse() {
	"$RAWCLIENT" -t 3000 127.0.0.1 "$PORT" rrq "$1" >/dev/null 2>&1
}

# ---------------------------------------------------------------------------
# Text lines.

start_tftpd "$LISTEN" "$ROOT" || bail "tftpd did not start"
fetch
refuse missing.bin
check "text: the transfer line has every field, in order" \
	wait_log 3 '^tftpd: transfer [0-9]+ RRQ client=127\.0\.0\.1:[0-9]+ file="a\.bin" mode=octet result=ok bytes=3000 blocks=3 retransmits=[0-9]+ usec=[0-9]+ blksize=1024 windowsize=1 rtt_us=[0-9]+$'
check "text: the refusal line" \
	log_has '^tftpd: refused RRQ client=127\.0\.0\.1:[0-9]+ file="missing\.bin" error=1 reason="File not found"$'
stop_tftpd

# ---------------------------------------------------------------------------
# JSON lines.

# json_eval LOG EXPR: parse every line of LOG as JSON (objs, a list) and
# print EXPR evaluated over it, or "INVALID line N: error".
json_eval() {
	python3 -c '
import json, sys
objs = []
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        objs.append(json.loads(line))
    except ValueError as e:
        print("INVALID line %d: %s" % (n, e))
        sys.exit(0)
transfers = [o for o in objs if o.get("event") == "transfer"]
refusals = [o for o in objs if o.get("event") == "refusal"]
messages = [o for o in objs if o.get("event") == "message"]
print(eval(sys.argv[2]))
' "$1" "$2"
}

# lib.sh's start_tftpd waits for a text "ready" line; a JSON one has it
# as "message":"ready: ...".
_tftpd_ready() {
	grep -Eq '(^|: |")ready(:|$| )' "$1" && return 0
	proc_alive "$2" || return 125
	return 1
}

start_tftpd --log-format=json "$LISTEN" "$ROOT" || bail "tftpd --log-format=json did not start"
fetch
refuse "$WEIRD"
refuse $'nl\x01ctl'
kill -HUP "$TFTPD_PID"
wait_log 3 'reload:'
stop_tftpd
JLOG=$TFTPD_LOG

is "$(json_eval "$JLOG" 'len(objs) == sum(1 for _ in open(sys.argv[1])) > 0')" True \
	"json: every stderr line is one JSON object"
is "$(json_eval "$JLOG" 'all(isinstance(o, dict) and "event" in o and "priority" in o for o in objs)')" True \
	"json: every object has an event and a priority"
is "$(json_eval "$JLOG" 'any(m["message"].startswith("ready: serving") and m["priority"] == "info" for m in messages)')" True \
	"json: the ready message is an event=message object"
is "$(json_eval "$JLOG" 'len(transfers)')" 1 "json: one transfer object"
is "$(json_eval "$JLOG" 'sorted(k for k in transfers[0])')" \
	"['blksize', 'blocks', 'bytes', 'client', 'event', 'file', 'id', 'message', 'mode', 'op', 'options', 'priority', 'result', 'retransmits', 'rtt_us', 'usec', 'windowsize']" \
	"json: the transfer object has every field"
is "$(json_eval "$JLOG" '[transfers[0][k] for k in ("op", "file", "mode", "result", "bytes", "blocks", "blksize", "windowsize")]')" \
	"['RRQ', 'a.bin', 'octet', 'ok', 3000, 3, 1024, 1]" "json: the transfer's values"
is "$(json_eval "$JLOG" 'all(type(transfers[0][k]) is int for k in ("id", "bytes", "blocks", "retransmits", "usec", "rtt_us"))')" True \
	"json: figures are numbers, not strings"
like "$(json_eval "$JLOG" 'transfers[0]["client"]')" '^127\.0\.0\.1:[0-9]+$' "json: client is ADDR:PORT"
is "$(json_eval "$JLOG" 'transfers[0]["options"]')" "blksize=1024" "json: options are the acknowledged ones"
like "$(json_eval "$JLOG" 'transfers[0]["message"]')" '^transfer [0-9]+ RRQ client=.* result=ok bytes=3000 ' \
	"json: message is the text line"
is "$(json_eval "$JLOG" '[(r["file"], r["error"], r["reason"]) for r in refusals if r["file"].startswith("we")]')" \
	"[('we\"ird\\\\x5cname', 1, 'File not found')]" \
	"json: a name with '\"' and '\\' comes back as the escaped name, intact"
is "$(json_eval "$JLOG" '[r["file"] for r in refusals if r["file"].startswith("nl")]')" \
	"['nl\\\\x01ctl']" "json: a control character in a name stays escaped text"
is "$(json_eval "$JLOG" 'any(m["message"].startswith("reload:") and m["priority"] == "notice" for m in messages)')" True \
	"json: plain messages keep their priority"
unlike "$(cat "$JLOG")" '^tftpd: ' "json: no text line slips through"

# ---------------------------------------------------------------------------
# The journal, through a stand-in journald in a mount namespace of its own.

JOURNAL="$TMPBASE/journal.jsonl"
: >"$JOURNAL"
# Native protocol: NAME=value\n, or NAME\n + 64-bit LE length + value + \n.
unshare -m --propagation private bash -c '
mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal || exit 1
exec python3 -c "
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/run/systemd/journal/socket\")
out = open(sys.argv[1], \"a\", buffering=1)
out.write(\"{\\\"BOUND\\\": 1}\\n\")
while True:
    d, e = s.recv(65536), {}
    while d:
        nl = d.index(b\"\\n\")
        eq = d.find(b\"=\", 0, nl)
        if eq >= 0:
            e[d[:eq].decode()], d = d[eq + 1:nl].decode(), d[nl + 1:]
        else:
            n = struct.unpack(\"<Q\", d[nl + 1:nl + 9])[0]
            e[d[:nl].decode()], d = d[nl + 9:nl + 9 + n].decode(), d[nl + 10 + n:]
    out.write(json.dumps(e) + \"\\n\")
" "$1"' journald "$JOURNAL" &
JPID=$!
_started_pids+=("$JPID")
disown "$JPID" # it is killed on purpose below: no "Killed" notice
if ! wait_for 5 log_has BOUND "$JOURNAL"; then
	skip_rest=1
fi

# entries EXPR: evaluate EXPR over the journal entries (list "entries").
entries() {
	python3 -c '
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1]) if "BOUND" not in l]
print(eval(sys.argv[2]))
' "$JOURNAL" "$1"
}

if [ -n "${skip_rest:-}" ]; then
	while [ "$_tap_run" -lt "$_tap_planned" ]; do
		skip_test "journal" "no private mount namespace with a tmpfs /run here"
	done
	finish
fi

# Started as systemd would: stderr is "the journal stream", and
# JOURNAL_STREAM names its device and inode.
JLOG2="$TMPBASE/journal-mode.stderr"
nsenter --mount="/proc/$JPID/ns/mnt" -- bash -c \
	'export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); exec "$@"' tftpd-in-journal \
	"$TFTPD" "$LISTEN" "$ROOT" </dev/null >/dev/null 2>"$JLOG2" &
TFTPD_PID=$!
_started_pids+=("$TFTPD_PID")

if wait_for 10 eval "[ \"\$(entries 'any(e[\"MESSAGE\"].startswith(\"ready:\") for e in entries)')\" = True ]"; then
	pass "journal: the ready message arrives as a journal entry"
else
	fail "journal: the ready message arrives as a journal entry"
	diag_file "$JLOG2"
	diag_file "$JOURNAL"
fi
is "$(proc_root "$TFTPD_PID")" "$ROOT" "journal: the monitor is chrooted (so every later entry crossed the chroot)"
is "$(entries '[(e["PRIORITY"], e["SYSLOG_IDENTIFIER"]) for e in entries if e["MESSAGE"].startswith("ready:")]')" \
	"[('6', 'tftpd')]" "journal: PRIORITY=6 and SYSLOG_IDENTIFIER=tftpd"

fetch
refuse missing.bin
has_transfer() {
	[ "$(entries 'sum(1 for e in entries if e.get("TFTP_RESULT") == "ok")')" = 1 ]
}
if wait_for 5 has_transfer; then
	pass "journal: the transfer arrives as an entry with TFTP_RESULT=ok"
else
	fail "journal: the transfer arrives as an entry with TFTP_RESULT=ok"
	diag_file "$JOURNAL"
fi
T='[e for e in entries if e.get("TFTP_RESULT") == "ok"][0]'
for f in TFTP_CLIENT TFTP_FILE TFTP_OP TFTP_OPTIONS TFTP_BYTES TFTP_USEC TFTP_RETRANSMITS \
	TFTP_RESULT TFTP_TRANSFER_ID TFTP_MODE TFTP_BLKSIZE TFTP_WINDOWSIZE; do
	check "journal: the transfer entry has $f" test "$(entries "'$f' in $T")" = True
done
is "$(entries "[$T[k] for k in ('TFTP_OP', 'TFTP_FILE', 'TFTP_BYTES', 'TFTP_BLKSIZE', 'TFTP_OPTIONS', 'PRIORITY')]")" \
	"['RRQ', 'a.bin', '3000', '1024', 'blksize=1024', '6']" "journal: the transfer's values"
like "$(entries "$T['MESSAGE']")" '^transfer [0-9]+ RRQ client=127\.0\.0\.1:[0-9]+ file="a\.bin" mode=octet result=ok bytes=3000 ' \
	"journal: MESSAGE is the text line"
is "$(entries '[(e["TFTP_FILE"], e["TFTP_ERROR"], e["PRIORITY"]) for e in entries if e.get("TFTP_RESULT") == "refused"]')" \
	"[('missing.bin', '1', '5')]" "journal: the refusal is an entry with TFTP_RESULT=refused"
unlike "$(cat "$JLOG2")" 'transfer [0-9]+ RRQ' "journal: the transfer did not go to stderr as well"

# journald goes away: records fall back to stderr.
kill -KILL "$JPID"
wait_for 3 _pid_gone "$JPID"
fetch
check "journal gone: the next transfer is written to stderr instead" \
	wait_log 3 '^tftpd: transfer [0-9]+ RRQ .*file="a\.bin" .*result=ok' "$JLOG2"
stop_tftpd

finish
