#!/bin/bash
# xinetd.sh - tftpd started by xinetd in "wait" mode.
#
# Debian's xinetd conflicts with openbsd-inetd as a package, so its binary
# is unpacked from the .deb into a scratch directory (never installed) and
# run in the foreground with a configuration of our own: tftpd must serve
# from the socket xinetd hands it, exit after --idle-timeout, and be
# started again for the next request.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd dpkg-deb apt-get cmp

XINETD=/var/cache/cloister-xinetd/usr/sbin/xinetd
if [ ! -x "$XINETD" ]; then
	mkdir -p /var/cache/cloister-xinetd/debs
	(cd /var/cache/cloister-xinetd/debs && apt-get download xinetd >/dev/null 2>&1) &&
		dpkg-deb -x /var/cache/cloister-xinetd/debs/xinetd_*.deb /var/cache/cloister-xinetd
fi
[ -x "$XINETD" ] || bail "cannot unpack xinetd from Debian's package"

plan 7

get() {
	GOT_FILE=$(mktemp "$TMPBASE/got.XXXXXX")
	OUT=$("$RAWCLIENT" -v -t 5000 127.0.0.1 "$1" get a.bin "$GOT_FILE" 2>&1)
}

PORT=$(free_port 4) || bail "no free port"
ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 3000
CONF="$TMPBASE/xinetd.conf"
cat >"$CONF" <<CONF
defaults
{
	log_type = FILE $TMPBASE/xinetd.servicelog
	log_on_success = PID EXIT
}
service cloister-tftp
{
	type        = UNLISTED
	socket_type = dgram
	protocol    = udp
	wait        = yes
	user        = root
	bind        = 127.0.0.1
	port        = $PORT
	server      = $TFTPD
	server_args = --idle-timeout=3 $ROOT
}
CONF
"$XINETD" -dontfork -stayalive -f "$CONF" -pidfile "$TMPBASE/xinetd.pid" \
	</dev/null >"$TMPBASE/xinetd.log" 2>&1 &
XINETD_PID=$!
_started_pids+=("$XINETD_PID")
port_bound() { ss -uln | grep -q "127.0.0.1:$PORT "; }
if wait_for 5 port_bound; then
	pass "xinetd takes the port"
else
	fail "xinetd takes the port"
	diag_file "$TMPBASE/xinetd.log"
fi

get "$PORT"
like "$OUT" "^FROM 127\.0\.0\.1:$PORT$" "xinetd: the reply comes from the port xinetd listens on"
check "xinetd: a.bin arrives intact" cmp -s "$ROOT/a.bin" "$GOT_FILE"

tftpd_running() { [ -n "$(procs_naming "tftpd --idle-timeout=3 $ROOT")" ]; }
check "xinetd: tftpd keeps serving after the transfer (idle timeout 3 s)" tftpd_running
tftpd_gone() { ! tftpd_running; }
if wait_for 10 tftpd_gone; then
	pass "xinetd: tftpd and its children exit after the idle timeout"
else
	fail "xinetd: tftpd and its children exit after the idle timeout"
fi
check "xinetd is still running" proc_alive "$XINETD_PID"

get "$PORT"
like "$OUT" "GOT bytes=3000 " "xinetd starts tftpd again for the next request"

finish
