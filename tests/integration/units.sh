#!/bin/bash
# units.sh - the systemd units in contrib/, checked and exercised.
#
# The generated tftpd.service and tftpd.socket pass `systemd-analyze
# verify`; `systemd-analyze security` rates the service at most 2.0, and
# every item it still flags is a deliberate exception named in the unit's
# opening comment, which also explains every directive the unit sets.
#
# Here the daemon runs with the unit's credentials and system call sandbox
# rebuilt by hand (units-boot.sh runs the real units under systemd in a
# container): setpriv gives it the unit's user (tftp, else nobody),
# AmbientCapabilities=, CapabilityBoundingSet= and NoNewPrivileges=;
# tests/sd-sandbox loads the unit's SystemCallFilter= (expanded by
# systemd-analyze; violations kill), RestrictAddressFamilies=,
# MemoryDenyWriteExecute=, SystemCallArchitectures= and
# RestrictSUIDSGID=yes (systemd then fails openat2() with ENOSYS; tftpd
# falls back to opening paths one component at a time). Under that it must
# start, confine itself, serve a file (also with options), take an upload
# and stop cleanly on SIGTERM.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd systemd-analyze systemd-sysusers systemd-tmpfiles setpriv tftp curl python3 cmp

SERVICE_IN=$top_srcdir/contrib/tftpd.service.in
SERVICE=$top_builddir/contrib/tftpd.service
SOCKET=$top_srcdir/contrib/tftpd.socket
SANDBOX=$top_builddir/tests/sd-sandbox
[ -f "$SERVICE" ] || bail "$SERVICE not built (make)"
[ -x "$SANDBOX" ] || bail "$SANDBOX not built (make check)"

plan 39

# ---- the files

# unit_value FILE KEY: the values of every KEY= line, one per line.
unit_value() {
	sed -n "s/^$2=//p" "$1"
}

# The opening comment block of the service (everything before [Unit]).
COMMENT=$(sed -n '/^\[Unit\]/q; p' "$SERVICE_IN")
# Its "Deliberate exceptions" part.
EXCEPTIONS=$(printf '%s\n' "$COMMENT" | sed -n '/Deliberate exceptions/,$p')

unlike "$(cat "$SERVICE")" '@[a-z]+@' "tftpd.service: every @variable@ is substituted"
like "$(unit_value "$SERVICE" ExecStart)" '^/.*/tftpd /srv/tftp$' \
	"tftpd.service: ExecStart= runs the installed tftpd on /srv/tftp"
is "$(unit_value "$SERVICE" Type)" notify "tftpd.service: Type=notify"

six="CAP_KILL CAP_NET_BIND_SERVICE CAP_SETGID CAP_SETPCAP CAP_SETUID CAP_SYS_CHROOT"
sorted_caps() {
	unit_value "$SERVICE" "$1" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}
is "$(sorted_caps CapabilityBoundingSet)" "$six" \
	"CapabilityBoundingSet= is exactly the monitor's five caps and CAP_SYS_CHROOT"
is "$(sorted_caps AmbientCapabilities)" "$six" "AmbientCapabilities= grants the same six"
is "$(unit_value "$SERVICE" NoNewPrivileges)" yes "NoNewPrivileges=yes"

# Every directive the service sets is explained in the opening comment.
missing=
for key in $(sed -n '/^\[Service\]/,/^\[/s/^\([A-Za-z]*\)=.*/\1/p' "$SERVICE_IN" | sort -u); do
	[ "$key" = ExecStart ] && continue
	printf '%s\n' "$COMMENT" | grep -q "$key=" || missing="$missing $key"
done
is "${missing# }" "" "every [Service] directive is explained in the opening comment"

is "$(unit_value "$SOCKET" ListenDatagram)" 69 "tftpd.socket: ListenDatagram=69"
is "$(unit_value "$SOCKET" BindIPv6Only)" both "tftpd.socket: BindIPv6Only=both (IPv4 and IPv6)"
is "$(unit_value "$SOCKET" FreeBind)" yes "tftpd.socket: FreeBind=yes"
is "$(unit_value "$SOCKET" Accept)" "" "tftpd.socket: no Accept="

# sysusers.d and tmpfiles.d entries, applied to a scratch root.
SYS=$TMPBASE/sysroot
mkdir -p "$SYS/etc"
systemd-sysusers --root="$SYS" - <"$top_srcdir/contrib/tftpd.sysusers" >/dev/null 2>&1
like "$(cut -d: -f1,6,7 "$SYS/etc/passwd" 2>/dev/null | sort | tr '\n' ' ')" \
	'^tftp-jail:/:[^ ]*nologin tftp:/:[^ ]*nologin $' \
	"tftpd.sysusers creates tftp and tftp-jail, without home or shell"
systemd-tmpfiles --root="$SYS" --create - <"$top_srcdir/contrib/tftpd.tmpfiles" >/dev/null 2>&1
is "$(stat -c '%a %U %G' "$SYS/srv/tftp" 2>/dev/null)" "755 root root" \
	"tftpd.tmpfiles creates /srv/tftp 0755 root root"

# ---- systemd-analyze

# verify and security read the units from a directory of their own, with
# ExecStart= naming the built binary (verify wants it to exist) and the
# manual pages findable for Documentation=.
UNITS=$TMPBASE/units
mkdir -p "$UNITS" "$TMPBASE/man/man8" "$TMPBASE/man/man5"
sed "s|^ExecStart=[^ ]*|ExecStart=$TFTPD|" "$SERVICE" >"$UNITS/tftpd.service"
cp "$SOCKET" "$UNITS/tftpd.socket"
cp "$top_srcdir/man/tftpd.8" "$TMPBASE/man/man8/"
cp "$top_srcdir/man/tftpd.conf.5" "$TMPBASE/man/man5/"
man_flag=--man=no
command -v man >/dev/null 2>&1 && man_flag=--man=yes

out=$(cd "$UNITS" && MANPATH=$TMPBASE/man systemd-analyze verify "$man_flag" \
	./tftpd.socket ./tftpd.service 2>&1)
rc=$?
is "$rc" 0 "systemd-analyze verify $man_flag tftpd.socket tftpd.service exits 0"
is "$out" "" "systemd-analyze verify has nothing to say"

# The issue's bar: 2.0. With the daemon's design the floor is about that
# (network, the six capabilities, chroot and set*id system calls: see the
# unit's exceptions).
MAX_EXPOSURE=20
sec=$(cd "$UNITS" && systemd-analyze security --offline=true --threshold=$MAX_EXPOSURE \
	./tftpd.service 2>&1)
rc=$?
score=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for tftpd.service: \([0-9.]*\).*/\1/p')
# The flagged items, from the JSON form (the table's glyphs depend on
# the locale): "name exposure" per line.
flagged=$(cd "$UNITS" && systemd-analyze security --offline=true --json=short ./tftpd.service |
	python3 -c 'import json, sys
for e in json.load(sys.stdin):
    if e.get("exposure") not in (None, "0.0"):
        print(e["name"], e["exposure"])')
diag "systemd-analyze security: exposure $score; flagged:"
diag "$flagged"
like "$score" '^[0-9]+\.[0-9]$' "systemd-analyze security --offline=true reports an exposure"
is "$rc" 0 "the exposure ($score) is at most 2.0 (--threshold=$MAX_EXPOSURE)"

# Each flagged directive is a deliberate exception named in the comment.
missing=
for key in $(printf '%s\n' "$flagged" | sed -n 's/^\([A-Za-z]*\)=.*/\1/p' | sort -u); do
	printf '%s\n' "$EXCEPTIONS" | grep -q "$key" || missing="$missing $key"
done
like "$flagged" '^PrivateNetwork=' "systemd-analyze security's JSON lists the flagged items"
is "${missing# }" "" "every flagged directive is listed under 'Deliberate exceptions'"

# ---- the daemon under the unit's sandbox

# expand NAME...: system call names, @groups expanded recursively.
expand() {
	local n
	for n in "$@"; do
		case $n in
		@*) expand $(systemd-analyze syscall-filter "$n" 2>/dev/null |
			sed -n 's/^    \([-@a-z0-9_]*\)$/\1/p') ;;
		*) echo "$n" ;;
		esac
	done
}

# The unit's SystemCallFilter= lines in order: the first is the allow
# list, "~" lines remove from it, later plain lines add to it.
: >"$TMPBASE/allow"
first=1
while IFS= read -r line; do
	if [ "$first" = 1 ]; then
		expand $line | sort -u >"$TMPBASE/allow"
		first=0
	elif [ "${line#\~}" != "$line" ]; then
		expand ${line#\~} | sort -u >"$TMPBASE/deny"
		comm -23 "$TMPBASE/allow" "$TMPBASE/deny" >"$TMPBASE/allow.new"
		mv "$TMPBASE/allow.new" "$TMPBASE/allow"
	else
		{ cat "$TMPBASE/allow"; expand $line; } | sort -u >"$TMPBASE/allow.new"
		mv "$TMPBASE/allow.new" "$TMPBASE/allow"
	fi
done < <(unit_value "$SERVICE" SystemCallFilter)
diag "SystemCallFilter= allows $(wc -l <"$TMPBASE/allow") system calls"
# systemd's RestrictSUIDSGID=yes cannot read struct open_how: openat2()
# fails with ENOSYS.
if [ "$(unit_value "$SERVICE" RestrictSUIDSGID)" = yes ]; then
	grep -vx openat2 "$TMPBASE/allow" >"$TMPBASE/allow.new"
	echo '!openat2' >>"$TMPBASE/allow.new"
	mv "$TMPBASE/allow.new" "$TMPBASE/allow"
fi
for c in chroot seccomp capset setresuid; do
	check "the expanded SystemCallFilter= allows $c" grep -qx "$c" "$TMPBASE/allow"
done
for c in mount ptrace init_module chown settimeofday; do
	check "the expanded SystemCallFilter= forbids $c" bash -c "! grep -qx $c '$TMPBASE/allow'"
done

# setpriv's form of the unit's capabilities: +sys_chroot,+setuid,...
caps=$(unit_value "$SERVICE" CapabilityBoundingSet | tr ' ' '\n' | sed '/^$/d' |
	tr 'A-Z' 'a-z' | sed 's/^cap_/+/' | paste -sd, -)
user=tftp
getent passwd tftp >/dev/null || user=nobody
uid=$(id -u "$user")
gid=$(id -g "$user")

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/hello.bin" 3000
mkdir "$ROOT/upload"
chown "$uid:$gid" "$ROOT/upload"
make_file "$TMPBASE/up.bin" 5000
PORT=$(free_port) || bail "no free port"

TFTPD_PREFIX=(setpriv --reuid="$uid" --regid="$gid" --clear-groups
	--inh-caps=-all,"$caps" --ambient-caps=-all,"$caps" --bounding-set=-all,"$caps"
	--no-new-privs "$SANDBOX" "$TMPBASE/allow" --)
start_tftpd -v --create --listen=127.0.0.1:"$PORT" "$ROOT" ||
	bail "tftpd did not start under the unit's sandbox"
TFTPD_PREFIX=()
M=$TFTPD_PID
wait_for 5 children_at_least 1

for f in Uid CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp Seccomp_filters; do
	diag "monitor $f: $(proc_field "$M" "$f")"
done
is "$(proc_field "$M" Uid)" "$uid $uid $uid $uid" "monitor runs as $user (uid $uid), never root"
is "$(proc_root "$M")" "$(realpath "$ROOT")" "monitor is chrooted into ROOT"
is "$(proc_field "$M" CapPrm)" 00000000000001e0 \
	"monitor permits exactly its caps (CAP_SYS_CHROOT dropped after chroot, CAP_NET_BIND_SERVICE with no port below 1024)"
is "$(proc_field "$M" CapAmb)" 0000000000000000 "monitor's ambient set is cleared"

# The unit's filter, then the monitor's deny-list; a child adds its own.
is "$(proc_field "$M" Seccomp_filters)" 2 "monitor: its deny-list on top of the unit's filter"
C=$(tftpd_children "$M" | head -n1)
diag "child $C: Uid $(proc_field "$C" Uid), Seccomp_filters $(proc_field "$C" Seccomp_filters)"
if [ -n "$C" ] && [ "$(proc_field "$C" CapPrm)" = 0000000000000000 ] &&
	[ "$(proc_field "$C" CapBnd)" = 0000000000000000 ] &&
	[ "$(proc_field "$C" Seccomp_filters)" = 3 ] &&
	[ "$(proc_field "$C" Uid | cut -d' ' -f1)" != "$uid" ]; then
	pass "a child is jailed: own uid, no caps, its filter on top of the monitor's and the unit's"
else
	fail "a child is jailed: own uid, no caps, its filter on top of the monitor's and the unit's"
fi

timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c get hello.bin "$TMPBASE/hello.hpa" >/dev/null 2>&1
check "tftp-hpa gets a file intact" cmp -s "$ROOT/hello.bin" "$TMPBASE/hello.hpa"
timeout 30 curl -s --tftp-blksize 1024 -o "$TMPBASE/hello.curl" \
	"tftp://127.0.0.1:$PORT/hello.bin" >/dev/null 2>&1
check "curl gets it intact with blksize 1024 (OACK)" cmp -s "$ROOT/hello.bin" "$TMPBASE/hello.curl"
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$TMPBASE/up.bin" upload/up.bin >/dev/null 2>&1
wait_log 5 'upload/up\.bin.*result=ok' 
check "an upload is committed intact" cmp -s "$TMPBASE/up.bin" "$ROOT/upload/up.bin"

stop_tftpd
is "$TFTPD_STATUS" 0 "SIGTERM stops it with status 0"
unlike "$(cat "$TFTPD_LOG")" 'signal (31|SIGSYS)|Bad system call|sd-sandbox:' \
	"no process was killed by the sandbox"
diag_file "$TFTPD_LOG" 8

finish
