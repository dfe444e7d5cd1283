#!/bin/bash
# activation.sh - the ways tftpd gets its sockets.
#
# systemd socket activation (through systemd-socket-activate --datagram, as
# the socket unit would: several sockets, IPv4 and IPv6); inetd "wait"
# mode with openbsd-inetd, where the started tftpd must serve, exit after
# --idle-timeout and let inetd start it again; and inherited fds that are
# not UDP sockets, which must stop the start with exit status 1 and a
# message saying what is wrong.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd systemd-socket-activate inetd python3

plan 29

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 3000

# get ADDR PORT: fetch a.bin with rawclient -v into a fresh file GOT_FILE;
# rawclient's output in OUT.
get() {
	GOT_FILE=$(mktemp "$TMPBASE/got.XXXXXX")
	OUT=$("$RAWCLIENT" -v -t 5000 "$1" "$2" get a.bin "$GOT_FILE" 2>&1)
}

# ---------------------------------------------------------------------------
# systemd: three sockets, two ports, both families.

P1=$(free_port 46) || bail "no free port"
P2=$(free_port 4) || bail "no free port"
SA_LOG="$TMPBASE/socket-activate.log"
# It passes on only the variables named with -E (sanitizer builds need
# lib.sh's ASAN_OPTIONS).
systemd-socket-activate --datagram -l "127.0.0.1:$P1" -l "[::1]:$P1" -l "127.0.0.1:$P2" \
	-E ASAN_OPTIONS "$TFTPD" "$ROOT" </dev/null >"$SA_LOG.out" 2>"$SA_LOG" &
SA_PID=$!
_started_pids+=("$SA_PID")

if wait_for 5 eval "[ \$(grep -c '^Listening on' '$SA_LOG') -eq 3 ]"; then
	pass "systemd-socket-activate listens on three datagram sockets"
else
	fail "systemd-socket-activate listens on three datagram sockets"
	diag_file "$SA_LOG"
fi

# The first datagram makes systemd-socket-activate exec tftpd, which
# then finds the request waiting in the socket.
get 127.0.0.1 "$P1"
like "$OUT" "^FROM 127\.0\.0\.1:$P1$" "IPv4 socket 1: the reply comes from the socket's address and port"
like "$OUT" "GOT bytes=3000 " "IPv4 socket 1: a.bin is served"
check "IPv4 socket 1: the copy is identical" cmp -s "$ROOT/a.bin" "$GOT_FILE"

if wait_log 5 '(^|: )ready:' "$SA_LOG"; then
	pass "tftpd started by socket activation logs ready"
else
	fail "tftpd started by socket activation logs ready"
	diag_file "$SA_LOG"
fi
like "$(grep 'ready:' "$SA_LOG")" "on 127\.0\.0\.1:$P1 \[::1\]:$P1 127\.0\.0\.1:$P2 " \
	"the ready line names all three sockets, in systemd's order"

get ::1 "$P1"
like "$OUT" "^FROM \[::1\]:$P1$" "IPv6 socket: the reply comes from [::1]:$P1"
check "IPv6 socket: the copy is identical" cmp -s "$ROOT/a.bin" "$GOT_FILE"

get 127.0.0.1 "$P2"
like "$OUT" "^FROM 127\.0\.0\.1:$P2$" "third socket (other port): the reply comes from port $P2"
check "third socket: the copy is identical" cmp -s "$ROOT/a.bin" "$GOT_FILE"

is "$(log_count 'result=ok' "$SA_LOG")" 3 "three transfers logged with result=ok"
if stop_tftpd "$SA_PID"; then
	pass "SIGTERM ends the socket-activated tftpd"
else
	fail "SIGTERM ends the socket-activated tftpd"
fi
is "$TFTPD_STATUS" 0 "it exits with status 0"

# ---------------------------------------------------------------------------
# Inherited fds that are not UDP sockets: exit 1 with a clear message.

# with_fd KIND FD CMD...: exec CMD with a socket of KIND (tcp, unix-dgram)
# as fd FD. For fd 3 the environment says it came from systemd
# (LISTEN_FDS=1, LISTEN_PID = this very process, which execs CMD).
with_fd() {
	python3 -c '
import os, socket, sys
kind, fd, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
if kind == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen()
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if s.fileno() != fd:
    os.dup2(s.fileno(), fd)
os.set_inheritable(fd, True)
if fd == 3:
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(argv[0], argv)
' "$@"
}

# run_bad NAME KIND FD: tftpd with such an fd, at most 10 s; sets RC, ERR.
run_bad() {
	local r
	r=$(make_root) || bail "make_root"
	timeout -k 2 10 bash -c "$(declare -f with_fd); with_fd $2 $3 '$TFTPD' '$r'" \
		</dev/null >"$TMPBASE/$1.out" 2>"$TMPBASE/$1.err"
	RC=$?
	ERR=$(cat "$TMPBASE/$1.err")
}

run_bad tcp3 tcp 3
is "$RC" 1 "a TCP socket from systemd: exit status 1"
like "$ERR" "fd 3 from systemd is a socket, but not a UDP one" "the message says fd 3 is not a UDP socket"
unlike "$ERR" "ready" "it never says ready"

run_bad unix3 unix-dgram 3
is "$RC" 1 "an AF_UNIX datagram socket from systemd: exit status 1"
like "$ERR" "fd 3 from systemd is a socket, but neither IPv4 nor IPv6" "the message names the family problem"

# inetd "nowait"/"stream" by mistake: fd 0 is a TCP socket.
run_bad tcp0 tcp 0
is "$RC" 1 "a TCP socket on fd 0 (inetd stream): exit status 1"
like "$ERR" "fd 0 from inetd is a socket, but not a UDP one.*dgram udp wait" \
	"the message says how to write the inetd line"

# ---------------------------------------------------------------------------
# inetd "wait" mode, with openbsd-inetd in the foreground.

P3=$(free_port 4) || bail "no free port"
IROOT=$(make_root) || bail "make_root"
make_file "$IROOT/a.bin" 3000
INETD_CONF="$TMPBASE/inetd.conf"
echo "127.0.0.1:$P3 dgram udp wait root $TFTPD tftpd --idle-timeout=3 $IROOT" >"$INETD_CONF"
# -d: debug, in the foreground, logging to stderr (where the exit status
# of each server it reaps shows).
inetd -d "$INETD_CONF" </dev/null >"$TMPBASE/inetd.log" 2>&1 &
INETD_PID=$!
_started_pids+=("$INETD_PID")
if wait_for 5 log_has '^ADD: .*'"$P3" "$TMPBASE/inetd.log"; then
	pass "inetd takes the port"
else
	fail "inetd takes the port"
	diag_file "$TMPBASE/inetd.log"
fi

get 127.0.0.1 "$P3"
like "$OUT" "^FROM 127\.0\.0\.1:$P3$" "inetd: the reply comes from the inetd socket's port"
like "$OUT" "GOT bytes=3000 " "inetd: a.bin is served"
check "inetd: the copy is identical" cmp -s "$IROOT/a.bin" "$GOT_FILE"

# The inetd-started monitor: started with our unique root in argv.
monitor=""
for p in $(procs_naming "tftpd --idle-timeout=3 $IROOT"); do
	[ "$(proc_field "$p" PPid)" = "$INETD_PID" ] && monitor=$p
done
if [ -n "$monitor" ]; then
	# inetd passes its socket as fds 0, 1 and 2: a jailed child keeps
	# stderr and must not get the listening socket with it.
	child=$(tftpd_children "$monitor" | head -n1)
	is "$(readlink "/proc/$child/fd/2" 2>&1)" /dev/null \
		"inetd mode: a child's stderr is /dev/null, not the listening socket"
	sleep 1
	check "inetd: tftpd is still there 1 s after the transfer (idle timeout 3 s)" proc_alive "$monitor"
else
	fail "inetd mode: a child's stderr is /dev/null, not the listening socket"
	fail "inetd: tftpd is still there 1 s after the transfer (idle timeout 3 s)"
	diag "no tftpd child of inetd found"
fi

if wait_for 8 log_has 'reaped, status 0' "$TMPBASE/inetd.log"; then
	pass "inetd: tftpd exits with status 0 after the idle timeout"
else
	fail "inetd: tftpd exits with status 0 after the idle timeout"
	diag_file "$TMPBASE/inetd.log"
fi
is "$(procs_naming "tftpd --idle-timeout=3 $IROOT" | wc -l)" 0 \
	"inetd: no tftpd process (monitor or child) is left after the idle exit"

# inetd has the socket back and starts a new tftpd for the next request.
get 127.0.0.1 "$P3"
like "$OUT" "GOT bytes=3000 " "inetd starts tftpd again for the next request"

finish
